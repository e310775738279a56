package main

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/hakit/hakit/galera/galeratest"
)

// serve runs the program on a fake node with args, on 127.0.0.1:port
// (the clustercheck range 19200-19209), until the test ends.
func serve(t *testing.T, c *galeratest.Cluster, port string, args ...string) string {
	t.Helper()
	addr := "127.0.0.1:" + port
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-dsn", c.DSN(0, ""), "-listen", addr}, args...), io.Discard)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	for range 100 {
		if res, err := http.Get("http://" + addr); err == nil {
			res.Body.Close()
			return "http://" + addr
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("clustercheck did not start")
	return ""
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestClustercheckContract(t *testing.T) {
	c, err := galeratest.NewCluster(galeratest.Config{Nodes: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	plain := serve(t, c, "19207")
	donor := serve(t, c, "19208", "-available-when-donor")
	strictRO := serve(t, c, "19209", "-available-when-readonly=false", "-timeout", "1s")

	if code, body := get(t, plain); code != 200 || body != "Percona XtraDB Cluster Node is synced.\r\n" {
		t.Fatalf("synced: %d %q", code, body)
	}
	db, err := sql.Open("mysql", c.DSN(0, ""))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	exec := func(q string) {
		t.Helper()
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec("SET GLOBAL wsrep_desync=ON")
	if code, body := get(t, plain); code != 503 || body != "Percona XtraDB Cluster Node is not synced or non-PRIM. \r\n" {
		t.Fatalf("desynced: %d %q", code, body)
	}
	if code, _ := get(t, donor); code != 200 {
		t.Fatalf("desynced with -available-when-donor: %d", code)
	}
	exec("SET GLOBAL wsrep_desync=OFF")
	exec("SET GLOBAL read_only=ON")
	if code, _ := get(t, plain); code != 200 {
		t.Fatalf("read-only by default: %d", code)
	}
	if code, body := get(t, strictRO); code != 503 || body != "Percona XtraDB Cluster Node is read-only.\r\n" {
		t.Fatalf("read-only with -available-when-readonly=false: %d %q", code, body)
	}
	exec("SET GLOBAL read_only=OFF")
	c.Node(0).Freeze()
	defer c.Node(0).Thaw()
	start := time.Now()
	if code, _ := get(t, strictRO); code != 503 {
		t.Fatalf("stopped node: %d", code)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("answer for a stopped node took %v with -timeout 1s", d)
	}
}

func TestClustercheckFlags(t *testing.T) {
	if err := run(context.Background(), []string{"-listen", "127.0.0.1:19206"}, io.Discard); err == nil {
		t.Fatal("missing -dsn accepted")
	}
	if err := run(context.Background(), []string{"-dsn", "not a dsn", "-listen", "127.0.0.1:19206"}, io.Discard); err == nil {
		t.Fatal("malformed -dsn accepted")
	}
	var usage strings.Builder
	if err := run(context.Background(), []string{"-h"}, &usage); err != nil || !strings.Contains(usage.String(), "-available-when-donor") {
		t.Fatalf("-h: %v, usage %q; want the usage and exit 0", err, usage.String())
	}
}
