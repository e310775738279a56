//go:build integration

package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/hakit/hakit/internal/testenv"
)

// loader is one galera-load process and what its stdout said.
type loader struct {
	db, acked string
	cmd       *exec.Cmd
	done      chan struct{} // stdout ended

	mu      sync.Mutex
	writer  string         // the last writer printed
	changes int            // writer lines
	summary map[string]any // the last line
	err     error
}

func startLoader(t *testing.T, bin string, g testenv.GaleraEnv, duration time.Duration) *loader {
	t.Helper()
	l := &loader{db: g.Database(t), acked: filepath.Join(t.TempDir(), "acked"), done: make(chan struct{})}
	l.cmd = exec.Command(bin, "-nodes", strings.Join(g.Nodes, ","), "-user", g.User, "-password", g.Password,
		"-db", l.db, "-duration", duration.String(), "-acked", l.acked)
	l.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := l.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if testing.Verbose() {
		l.cmd.Stderr = os.Stderr
	}
	if err := l.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.cmd.Process.Kill(); <-l.done; _ = l.cmd.Wait() })
	go func() {
		defer close(l.done)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var m map[string]any
			err := json.Unmarshal(sc.Bytes(), &m)
			l.mu.Lock()
			switch {
			case err != nil:
				l.err = fmt.Errorf("stdout line %q: %w", sc.Text(), err)
			case m["event"] == "writer":
				l.writer, _ = m["node"].(string)
				l.changes++
			default:
				l.summary = m
			}
			l.mu.Unlock()
		}
	}()
	return l
}

func (l *loader) current() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.writer
}

// agreed returns the writer all loaders print, "" while they differ.
func agreed(ls []*loader) string {
	w := ls[0].current()
	for _, l := range ls[1:] {
		if l.current() != w {
			return ""
		}
	}
	return w
}

// waitAgreement waits until every loader prints the same writer, one
// that cond accepts, and returns it with the time it took.
func waitAgreement(t *testing.T, ls []*loader, within time.Duration, cond func(string) bool) (string, time.Duration) {
	t.Helper()
	start := time.Now()
	for {
		if w := agreed(ls); w != "" && cond(w) {
			return w, time.Since(start)
		}
		if time.Since(start) > within {
			var ws []string
			for _, l := range ls {
				ws = append(ws, l.current())
			}
			t.Fatalf("no agreement within %v: writers %v", within, ws)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Three galera-load processes, each with its own Router and database,
// against the real cluster. The writer is desynced six times for less
// than a probe interval (200ms): after each blip all three print one
// writer again within 15s. Then kill -9 of that writer: within 3s of the
// survivors' eviction all three write to one same survivor, and no
// process lost an acknowledged row.
func TestFleetAgreesOnOneWriter(t *testing.T) {
	testenv.Exclusive(t, "galera")
	g := testenv.Galera(t)
	t.Cleanup(func() { g.Restore(t) })
	bin := filepath.Join(t.TempDir(), "galera-load")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	admin := make([]*sql.DB, len(g.Nodes))
	for i := range g.Nodes {
		db, err := sql.Open("mysql", g.DSN(i, ""))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		admin[i] = db
	}
	exec1 := func(i int, q string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := admin[i].ExecContext(ctx, q)
		return err
	}
	t.Cleanup(func() {
		for i := range g.Nodes {
			_ = exec1(i, "SET GLOBAL wsrep_desync=OFF")
		}
	})
	synced := func(i int) bool {
		var name, v string
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		err := admin[i].QueryRowContext(ctx, "SHOW GLOBAL STATUS LIKE 'wsrep_local_state'").Scan(&name, &v)
		return err == nil && v == "4"
	}

	var ls []*loader
	for range 3 {
		ls = append(ls, startLoader(t, bin, g, 5*time.Minute))
	}
	anyNode := func(string) bool { return true }
	w, d := waitAgreement(t, ls, 30*time.Second, anyNode)
	t.Logf("start: all on %s after %v", w, d)

	for blip := range 6 {
		i := slices.Index(g.Nodes, w)
		if err := exec1(i, "SET GLOBAL wsrep_desync=ON"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		if err := exec1(i, "SET GLOBAL wsrep_desync=OFF"); err != nil {
			t.Fatal(err)
		}
		for !synced(i) {
			time.Sleep(10 * time.Millisecond)
		}
		// The bound is the contract's 15s; without failback a Router that
		// moved on the blip would stay on another node for good.
		w, d = waitAgreement(t, ls, 15*time.Second, anyNode)
		t.Logf("blip %d: all on %s %v after the node was Synced again", blip+1, w, d)
		time.Sleep(300 * time.Millisecond) // a few probes at the new state
	}

	// kill -9 of the writer.
	victim := slices.Index(g.Nodes, w)
	survivor := (victim + 1) % 3
	killed, ev := killAndWatch(t, g, admin[survivor], victim)
	// 3s after the eviction is the contract's bound; the Routers see the
	// refused connections at once, so they usually agree before it.
	nw, d := waitAgreement(t, ls, time.Until(ev.Add(3*time.Second)), func(s string) bool { return s != w })
	t.Logf("kill: eviction %v after the kill; all on %s (agreement seen %v after the eviction, %v after the kill)", ev.Sub(killed), nw, time.Since(ev), d)

	// Stop the loaders (SIGTERM ends the load and prints the summary)
	// and check every acknowledged row on a survivor, read causally.
	for _, l := range ls {
		_ = l.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, l := range ls {
		<-l.done
		if err := l.cmd.Wait(); err != nil {
			t.Fatalf("galera-load: %v", err)
		}
		if l.err != nil || l.summary == nil {
			t.Fatalf("stdout: %v, summary %v", l.err, l.summary)
		}
		ids := readAcked(t, l.acked)
		if int(l.summary["acked"].(float64)) != len(ids) || len(ids) == 0 {
			t.Fatalf("summary %v but %d acked lines", l.summary, len(ids))
		}
		ndb := causalDB(t, g, survivor, l.db)
		var n int
		if err := ndb.QueryRow("SELECT COUNT(*) FROM t WHERE id IN (" + joinIDs(ids) + ")").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != len(ids) {
			t.Fatalf("%s: %d of %d acknowledged rows on survivor %s", l.db, n, len(ids), g.Nodes[survivor])
		}
		t.Logf("%s: all %d acknowledged rows on %s; summary %v", l.db, len(ids), g.Nodes[survivor], l.summary)
	}
}

func joinIDs(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ",")
}

// causalDB opens a pool to node i whose reads wait for every commit the
// cluster ordered before them (wsrep_sync_wait=1): a survivor applies
// other nodes' commits asynchronously.
func causalDB(t *testing.T, g testenv.GaleraEnv, i int, db string) *sql.DB {
	t.Helper()
	cfg, err := mysql.ParseDSN(g.DSN(i, db))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Params = map[string]string{"wsrep_sync_wait": "1"}
	ndb, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ndb.Close() })
	return ndb
}

// killAndWatch kill -9s node victim's mariadbd and returns when the kill
// was sent and when survivor's wsrep_cluster_size fell below 3 (the
// survivors evicted it); the test fails if that takes over 30s.
func killAndWatch(t *testing.T, g testenv.GaleraEnv, survivor *sql.DB, victim int) (killed, evicted time.Time) {
	t.Helper()
	ch := make(chan time.Time, 1)
	go func() {
		defer close(ch)
		for range 1500 {
			var name string
			var size int
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			err := survivor.QueryRowContext(ctx, "SHOW GLOBAL STATUS LIKE 'wsrep_cluster_size'").Scan(&name, &size)
			cancel()
			if err == nil && size < 3 {
				ch <- time.Now()
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	killed = time.Now()
	if err := syscall.Kill(g.PID(t, victim), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	ev, ok := <-ch
	if !ok {
		t.Fatal("the survivors never evicted the killed node")
	}
	return killed, ev
}
