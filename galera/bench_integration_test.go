//go:build integration

package galera_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/hakit/hakit/internal/testenv"
)

// failover kills node victim's mariadbd while w takes writes, and returns
// how long after the survivors evicted it the first write was
// acknowledged, and how long after the kill.
func failover(b *testing.B, e realEnv, w *sql.DB, table string, victim int) (afterEviction, afterKill time.Duration) {
	ctx := context.Background()
	l := &ackLoad{acked: map[int64]time.Time{}}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { defer close(done); l.run(ctx, w, stop, table) }()
	defer func() { close(stop); <-done }()
	time.Sleep(time.Second)
	evicted := e.evictionWatch((victim + 1) % 3)
	killed := time.Now()
	if err := syscall.Kill(e.PID(b, victim), syscall.SIGKILL); err != nil {
		b.Fatal(err)
	}
	ev, ok := <-evicted
	if !ok {
		b.Fatal("the survivors never evicted the killed node")
	}
	deadline := time.Now().Add(40 * time.Second)
	for time.Now().Before(deadline) {
		var resumed time.Time
		l.mu.Lock()
		for _, at := range l.acked {
			if at.After(killed.Add(200*time.Millisecond)) && (resumed.IsZero() || at.Before(resumed)) {
				resumed = at
			}
		}
		l.mu.Unlock()
		if !resumed.IsZero() {
			return resumed.Sub(ev), resumed.Sub(killed)
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.Fatal("no write acknowledged within 40s of the kill")
	return 0, 0
}

// startHAProxy runs three examples/clustercheck instances on
// 19200-19202 and haproxy on 127.0.0.1:18080 configured as the OpenStack
// HA guide does for Galera: option httpchk against clustercheck on port
// 9200 (here 1920x), inter 2000 rise 2 fall 5, nodes 2 and 3 backup.
func startHAProxy(b *testing.B, e realEnv) string {
	dir := b.TempDir()
	bin := filepath.Join(dir, "clustercheck")
	if out, err := exec.Command("go", "build", "-o", bin, "../examples/clustercheck").CombinedOutput(); err != nil {
		b.Fatalf("go build clustercheck: %v\n%s", err, out)
	}
	start := func(name string, args ...string) {
		cmd := exec.Command(name, args...)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	}
	for i := range e.Nodes {
		start(bin, "-dsn", e.DSN(i, ""), "-listen", fmt.Sprintf("127.0.0.1:%d", 19200+i))
	}
	cfg := "global\n  maxconn 512\n" +
		"defaults\n  mode tcp\n  timeout connect 5s\n  timeout client 60s\n  timeout server 60s\n" +
		"listen galera_cluster\n  bind 127.0.0.1:18080\n  balance source\n  option httpchk\n"
	for i, a := range e.Nodes {
		backup := ""
		if i > 0 {
			backup = " backup"
		}
		cfg += fmt.Sprintf("  server node%d %s%s check port %d inter 2000 rise 2 fall 5\n", i+1, a, backup, 19200+i)
	}
	path := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		b.Fatal(err)
	}
	start(testenv.Command(b, "haproxy"), "-db", "-f", path)
	c, _ := mysql.ParseDSN(e.DSN(0, ""))
	c.Addr = "127.0.0.1:18080"
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get("http://127.0.0.1:19200/")
		if err == nil {
			res.Body.Close()
		}
		db, _ := sql.Open("mysql", c.FormatDSN())
		perr := db.Ping()
		db.Close()
		if err == nil && res.StatusCode == 200 && perr == nil {
			return c.FormatDSN()
		}
		if time.Now().After(deadline) {
			b.Fatalf("haproxy or clustercheck not ready: %v %v", err, perr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitHAProxyActive waits until haproxy sends new connections to the node
// listening on port: its active server, up again after rise 2.
func waitHAProxyActive(b *testing.B, db *sql.DB, port int) {
	db.SetMaxIdleConns(0)
	deadline := time.Now().Add(30 * time.Second)
	for {
		var p int
		if err := db.QueryRow("SELECT @@port").Scan(&p); err == nil && p == port {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("haproxy does not route to port %d", port)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// BenchmarkWriterFailover kills the writer's mariadbd under write load,
// once behind the Router and once behind haproxy with clustercheck as the
// OpenStack HA guide configures them, and reports for each the time from
// the survivors' eviction of the dead node to the first acknowledged
// write, and the ratio of the kill-to-first-write times.
func BenchmarkWriterFailover(b *testing.B) {
	e := galeraEnv(b, true)
	dbName := e.Database(b)
	table := "`" + dbName + "`.t"
	e.exec(0, "CREATE TABLE "+table+" (id BIGINT PRIMARY KEY, at BIGINT)")
	haDSN := startHAProxy(b, e)
	for range b.N {
		hdb, err := sql.Open("mysql", haDSN)
		if err != nil {
			b.Fatal(err)
		}
		waitHAProxyActive(b, hdb, 13301)
		e.exec(0, "DELETE FROM "+table)
		haEv, haKill := failover(b, e, hdb, table, 0) // node1 is haproxy's active server
		hdb.Close()
		e.GaleraEnv.Restore(b)

		r, w := e.router("", nil)
		writer := e.index(e.waitWriter(r, func(a string) bool { return a != "" }, 5*time.Second))
		e.exec(0, "DELETE FROM "+table)
		oursEv, oursKill := failover(b, e, w, table, writer)
		e.GaleraEnv.Restore(b)

		b.ReportMetric(oursEv.Seconds(), "router-s-after-eviction")
		b.ReportMetric(haEv.Seconds(), "haproxy-s-after-eviction")
		b.ReportMetric(oursKill.Seconds(), "router-s-after-kill")
		b.ReportMetric(haKill.Seconds(), "haproxy-s-after-kill")
		b.ReportMetric(haKill.Seconds()/oursKill.Seconds(), "haproxy/router-kill-to-write")
	}
}

// BenchmarkPointSelect compares a primary-key SELECT through the Router's
// writer with the same SELECT through plain go-sql-driver on the same
// node, interleaved so that both see the same machine load, and reports
// the Router's throughput relative to plain (1.0 = no overhead).
func BenchmarkPointSelect(b *testing.B) {
	e := galeraEnv(b, false)
	dbName := e.Database(b)
	r, w := e.router(dbName, nil)
	writer := e.index(e.waitWriter(r, func(a string) bool { return a != "" }, 5*time.Second))
	if _, err := w.Exec("CREATE TABLE t (id BIGINT PRIMARY KEY, at BIGINT)"); err != nil {
		b.Fatal(err)
	}
	for i := range 100 {
		if _, err := w.Exec("INSERT INTO t VALUES (?, ?)", i, i); err != nil {
			b.Fatal(err)
		}
	}
	plain, err := sql.Open("mysql", e.DSN(writer, dbName))
	if err != nil {
		b.Fatal(err)
	}
	defer plain.Close()
	for _, db := range []*sql.DB{plain, w} {
		db.SetMaxIdleConns(4)
		var at int64
		if err := db.QueryRow("SELECT at FROM t WHERE id = ?", 1).Scan(&at); err != nil {
			b.Fatal(err)
		}
	}
	var tPlain, tRouter time.Duration
	ratios := make([]float64, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		var at int64
		id := i % 100
		// Alternate which goes first, so neither always runs right after
		// the other.
		first, second, tf, ts := plain, w, &tPlain, &tRouter
		if i%2 == 1 {
			first, second, tf, ts = w, plain, &tRouter, &tPlain
		}
		t0 := time.Now()
		if err := first.QueryRow("SELECT at FROM t WHERE id = ?", id).Scan(&at); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := second.QueryRow("SELECT at FROM t WHERE id = ?", id).Scan(&at); err != nil {
			b.Fatal(err)
		}
		d0, d1 := t1.Sub(t0), time.Since(t1)
		*tf += d0
		*ts += d1
		if i%2 == 0 {
			ratios = append(ratios, float64(d0)/float64(d1)) // plain/router
		} else {
			ratios = append(ratios, float64(d1)/float64(d0))
		}
	}
	slices.Sort(ratios)
	// The median of per-pair ratios resists the spikes of a shared
	// machine better than the ratio of sums.
	b.ReportMetric(ratios[len(ratios)/2], "router/plain-median")
	b.ReportMetric(float64(tPlain.Nanoseconds())/float64(b.N), "plain-ns/select")
	b.ReportMetric(float64(tRouter.Nanoseconds())/float64(b.N), "router-ns/select")
	b.ReportMetric(float64(tPlain)/float64(tRouter), "router/plain-throughput")
}
