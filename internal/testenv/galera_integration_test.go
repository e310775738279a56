//go:build integration

package testenv_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"

	"github.com/hakit/hakit/internal/testenv"
)

// TestGaleraSmoke writes on node 1 and reads the row back on node 3, which
// only works if the write set was replicated.
func TestGaleraSmoke(t *testing.T) {
	g := testenv.Galera(t)
	name := g.Database(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	w, err := sql.Open("mysql", g.DSN(0, name))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	r, err := sql.Open("mysql", g.DSN(2, name))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	if _, err := w.ExecContext(ctx, "CREATE TABLE kv (k VARCHAR(32) PRIMARY KEY, v VARCHAR(64))"); err != nil {
		t.Fatal(err)
	}
	want := "written on node 1 at " + time.Now().Format(time.RFC3339Nano)
	if _, err := w.ExecContext(ctx, "INSERT INTO kv VALUES ('smoke', ?)", want); err != nil {
		t.Fatal(err)
	}
	// wsrep_sync_wait=1 makes node 3 apply everything committed in the
	// cluster before it reads (causal read).
	conn, err := r.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SET SESSION wsrep_sync_wait = 1"); err != nil {
		t.Fatal(err)
	}
	var got string
	if err := conn.QueryRowContext(ctx, "SELECT v FROM kv WHERE k = 'smoke'").Scan(&got); err != nil {
		t.Fatalf("read on node 3: %v", err)
	}
	if got != want {
		t.Fatalf("node 3 read %q, want %q", got, want)
	}

	var name2, size string
	if err := conn.QueryRowContext(ctx, "SHOW GLOBAL STATUS LIKE 'wsrep_cluster_size'").Scan(&name2, &size); err != nil {
		t.Fatal(err)
	}
	if size != "3" {
		t.Fatalf("wsrep_cluster_size = %s, want 3", size)
	}
	if pid := g.PID(t, 2); pid <= 1 {
		t.Fatalf("PID(2) = %d", pid)
	}
}
