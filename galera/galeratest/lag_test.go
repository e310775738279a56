package galeratest_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"database/sql"
	"github.com/go-sql-driver/mysql"

	"github.com/hakit/hakit/galera/galeratest"
)

// A node that stopped applying serves stale reads; a read with
// wsrep_sync_wait (session or SET STATEMENT) and a write wait until it
// applies again, then see the latest data.
func TestPauseApply(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, err := galeratest.NewCluster(galeratest.Config{InMemory: true})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		open := func(i int) *sql.DB {
			cfg := c.DriverConfig("")
			cfg.Addr = c.Node(i).Addr()
			conn, err := mysql.NewConnector(cfg)
			if err != nil {
				t.Fatal(err)
			}
			db := sql.OpenDB(conn)
			t.Cleanup(func() { db.Close() })
			return db
		}
		w, r := open(0), open(1)
		for _, q := range []string{"CREATE DATABASE app", "CREATE TABLE app.t (id BIGINT PRIMARY KEY)", "INSERT INTO app.t VALUES (1)"} {
			if _, err := w.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		count := func(db *sql.DB, q string) int {
			var n int
			if err := db.QueryRow(q).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		c.Node(1).PauseApply()
		if _, err := w.Exec("INSERT INTO app.t VALUES (2)"); err != nil {
			t.Fatal(err)
		}
		if n := count(r, "SELECT COUNT(*) FROM app.t"); n != 1 {
			t.Fatalf("paused node read %d rows, want the stale 1", n)
		}
		if n := count(w, "SELECT COUNT(*) FROM app.t"); n != 2 {
			t.Fatalf("applying node read %d rows, want 2", n)
		}
		for _, q := range []string{"SET STATEMENT wsrep_sync_wait=1 FOR SELECT COUNT(*) FROM app.t", "INSERT INTO app.t VALUES (3)"} {
			done := make(chan time.Time, 1)
			go func() {
				if _, err := r.ExecContext(context.Background(), q); err != nil {
					t.Error(err)
				}
				done <- time.Now()
			}()
			time.Sleep(time.Second)
			synctest.Wait()
			select {
			case <-done:
				t.Fatalf("%s ran on a paused node", q)
			default:
			}
			resumed := time.Now()
			c.Node(1).ResumeApply()
			if at := <-done; at != resumed {
				t.Fatalf("%s waited past the resume", q)
			}
			c.Node(1).PauseApply()
		}
		c.Node(1).ResumeApply()
		if n := count(r, "SELECT COUNT(*) FROM app.t"); n != 3 {
			t.Fatalf("resumed node read %d rows, want 3", n)
		}
	})
}
