//go:build integration

package galera_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/hakit/hakit"
	"github.com/hakit/hakit/galera"
	"github.com/hakit/hakit/hakittest"
	"github.com/hakit/hakit/internal/testenv"
)

// realEnv is the project's 3-node cluster with helpers.
type realEnv struct {
	testenv.GaleraEnv
	t testing.TB
}

func galeraEnv(t testing.TB, exclusive bool) realEnv {
	t.Helper()
	if exclusive {
		testenv.Exclusive(t, "galera")
	}
	g := testenv.Galera(t)
	e := realEnv{g, t}
	if exclusive {
		t.Cleanup(func() {
			// Undo what a test may have SET GLOBAL, then bring every node
			// back Synced.
			for i := range g.Nodes {
				db := e.admin(i)
				ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
				_, _ = db.ExecContext(ctx, "SET GLOBAL wsrep_desync=OFF")
				_, _ = db.ExecContext(ctx, "SET GLOBAL read_only=OFF")
				_, _ = db.ExecContext(ctx, "SET GLOBAL wsrep_reject_queries=NONE")
				cancel()
			}
			g.Restore(t)
		})
	}
	return e
}

func (e realEnv) driver(db string) *mysql.Config {
	c, err := mysql.ParseDSN(e.DSN(0, db))
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// admin opens a connection pool to node i, closed when the test ends.
func (e realEnv) admin(i int) *sql.DB {
	c := e.driver("")
	c.Addr = e.Nodes[i]
	c.ReadTimeout = 10 * time.Second
	conn, err := mysql.NewConnector(c)
	if err != nil {
		e.t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	e.t.Cleanup(func() { db.Close() })
	return db
}

// causal opens a pool to node i whose reads wait for everything the
// cluster committed before them (wsrep_sync_wait=1): a node applies other
// nodes' commits asynchronously.
func (e realEnv) causal(i int) *sql.DB {
	c := e.driver("")
	c.Addr = e.Nodes[i]
	c.Params = map[string]string{"wsrep_sync_wait": "1"}
	conn, err := mysql.NewConnector(c)
	if err != nil {
		e.t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	e.t.Cleanup(func() { db.Close() })
	return db
}

func (e realEnv) index(addr string) int {
	i := slices.Index(e.Nodes, addr)
	if i < 0 {
		e.t.Fatalf("%q is not a node", addr)
	}
	return i
}

func (e realEnv) state(i int) (galera.NodeState, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	return galera.ReadNodeState(ctx, e.admin(i), e.Nodes[i])
}

func (e realEnv) waitState(i int, want galera.LocalState, within time.Duration) {
	e.t.Helper()
	deadline := time.Now().Add(within)
	for {
		st, err := e.state(i)
		if err == nil && st.LocalState == want {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("node %d: %+v %v, want wsrep_local_state %v", i, st, err, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (e realEnv) exec(i int, q string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := e.admin(i).ExecContext(ctx, q); err != nil {
		e.t.Fatalf("node %d: %s: %v", i, q, err)
	}
}

// router runs a Router over the cluster with fast probes.
func (e realEnv) router(db string, edit func(*galera.RouterConfig)) (*galera.Router, *sql.DB) {
	cfg := galera.RouterConfig{Driver: e.driver(db), ProbeInterval: 100 * time.Millisecond, ProbeTimeout: 500 * time.Millisecond}
	for _, a := range e.Nodes {
		cfg.Nodes = append(cfg.Nodes, galera.NodeConfig{Addr: a})
	}
	if edit != nil {
		edit(&cfg)
	}
	r, err := galera.NewRouter(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = r.Run(ctx) }()
	w := sql.OpenDB(r.Writer())
	e.t.Cleanup(func() { w.Close(); cancel(); <-done })
	return r, w
}

func (e realEnv) waitWriter(r *galera.Router, cond func(string) bool, within time.Duration) string {
	e.t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if w := r.WriterAddr(); cond(w) {
			return w
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.t.Fatalf("writer %q did not change as expected within %v; stats %+v", r.WriterAddr(), within, r.Stats())
	return ""
}

func (e realEnv) checker(i int, p galera.Policy) *galera.Checker {
	c := e.driver("")
	c.Addr = e.Nodes[i]
	ch, err := galera.NewChecker(galera.CheckerConfig{Driver: c, Policy: p, Timeout: time.Second})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { ch.Close() })
	return ch
}

// lowestIndex returns the node with the lowest wsrep_local_index.
func (e realEnv) lowestIndex() int {
	best, bestIdx := -1, int64(1<<62)
	for i := range e.Nodes {
		st, err := e.state(i)
		if err != nil {
			e.t.Fatal(err)
		}
		if st.LocalIndex < bestIdx {
			best, bestIdx = i, st.LocalIndex
		}
	}
	return best
}

// Desync, read_only and reject_queries on the writer: the state model,
// clustercheck's answers and the Router's reaction.
func TestIntegrationStates(t *testing.T) {
	e := galeraEnv(t, true)
	ctx := context.Background()
	// A first probe that times out marks a node down: give a loaded
	// machine room, or the writer is not the node the rule picks.
	// Sticky: each state change below moves the writer on, and none
	// moves it back (TestRoutersAgreeWhateverThePhase and galera-load's
	// TestFleetAgreesOnOneWriter test failback).
	r, _ := e.router("", func(c *galera.RouterConfig) { c.ProbeTimeout = 2 * time.Second; c.Sticky = true })
	w := e.index(e.waitWriter(r, func(a string) bool { return a != "" }, 5*time.Second))
	if w != e.lowestIndex() {
		t.Fatalf("writer is node %d, not the lowest wsrep_local_index", w)
	}

	// SET GLOBAL wsrep_desync=ON gives state 2 at once; OFF returns to 4.
	e.exec(w, "SET GLOBAL wsrep_desync=ON")
	st, err := e.state(w)
	if err != nil || st.LocalState != galera.LocalStateDonor || !st.Desync || st.LocalStateComment != "Donor/Desynced" {
		t.Fatalf("desynced node: %+v %v", st, err)
	}
	if err := e.checker(w, galera.Policy{}).Check(ctx); !errors.Is(err, galera.ErrUnavailable) {
		t.Fatalf("clustercheck on a desynced node: %v", err)
	}
	if err := e.checker(w, galera.Policy{AvailableWhenDonor: true}).Check(ctx); err != nil {
		t.Fatalf("clustercheck available_when_donor=1 on a desynced node: %v", err)
	}
	srv := httptest.NewServer(galera.Handler{Checker: e.checker(w, galera.Policy{})})
	defer srv.Close()
	res, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 503 || string(body) != galera.BodyNotSynced {
		t.Fatalf("HTTP check of a desynced node: %d %q", res.StatusCode, body)
	}
	w2 := e.index(e.waitWriter(r, func(a string) bool { return a != e.Nodes[w] && a != "" }, 3*time.Second))
	e.exec(w, "SET GLOBAL wsrep_desync=OFF")
	// The node passes through 3 (Joined) on its way back to 4.
	e.waitState(w, galera.LocalStateSynced, 5*time.Second)

	// read_only=ON leaves the state at 4 (MariaDB pauses and desyncs
	// the provider for an instant while it sets it).
	e.exec(w2, "SET GLOBAL read_only=ON")
	e.waitState(w2, galera.LocalStateSynced, 5*time.Second)
	if st, err := e.state(w2); err != nil || st.LocalState != galera.LocalStateSynced || !st.ReadOnly {
		t.Fatalf("read-only node: %+v %v", st, err)
	}
	if err := e.checker(w2, galera.Policy{}).Check(ctx); err != nil {
		t.Fatalf("clustercheck (available_when_readonly=1) on a read-only node: %v", err)
	}
	var ue *galera.UnavailableError
	if err := e.checker(w2, galera.Policy{UnavailableWhenReadOnly: true}).Check(ctx); !errors.As(err, &ue) || ue.Reason != galera.ReasonReadOnly {
		t.Fatalf("clustercheck available_when_readonly=0 on a read-only node: %v", err)
	}
	w3 := e.index(e.waitWriter(r, func(a string) bool { return a != e.Nodes[w2] && a != "" }, 3*time.Second))
	e.exec(w2, "SET GLOBAL read_only=OFF")

	// wsrep_reject_queries=ALL on the writer: the strict check fails and
	// the writer moves.
	e.exec(w3, "SET GLOBAL wsrep_reject_queries=ALL")
	err = e.checker(w3, galera.StrictPolicy()).Check(ctx)
	if err == nil {
		t.Fatal("strict check passed on a node rejecting queries")
	}
	t.Logf("strict check of a node with wsrep_reject_queries=ALL: %v", err)
	w4 := e.waitWriter(r, func(a string) bool { return a != e.Nodes[w3] && a != "" }, 3*time.Second)
	e.exec(w3, "SET GLOBAL wsrep_reject_queries=NONE")

	// Readers (ReadersStandbys) are the nodes other than the writer.
	e.waitState(w3, galera.LocalStateSynced, 5*time.Second)
	deadline := time.Now().Add(3 * time.Second)
	for r.Stats().Nodes[w3].Role != galera.RoleReader && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	rd := sql.OpenDB(r.Reader())
	defer rd.Close()
	rd.SetMaxIdleConns(0)
	for range 6 {
		var port int
		if err := rd.QueryRow("SELECT @@port").Scan(&port); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprintf("127.0.0.1:%d", port) == w4 {
			t.Fatalf("a read went to the writer %s", w4)
		}
	}
}

// A SIGSTOPped node accepts TCP connections but never sends its handshake:
// the Checker's timeout covers dial, handshake and query, and the Router
// moves the writer.
func TestIntegrationStoppedWriter(t *testing.T) {
	e := galeraEnv(t, true)
	db := e.Database(t)
	r, w := e.router(db, nil)
	ctx := context.Background()
	if _, err := w.ExecContext(ctx, "CREATE TABLE t (id BIGINT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	old := e.index(e.waitWriter(r, func(a string) bool { return a != "" }, 5*time.Second))
	// A second Router whose Fall no run of probe timeouts reaches in this
	// test: only the survivors' eviction of the stopped node (it leaves
	// their wsrep_incoming_addresses) can move its writer.
	var movedMu sync.Mutex
	var moved time.Time // when the patient Router's writer left old
	patient, _ := e.router(db, func(c *galera.RouterConfig) {
		c.Fall = 1000
		c.OnWriterChange = func(from, to string) {
			movedMu.Lock()
			defer movedMu.Unlock()
			if from == e.Nodes[old] && moved.IsZero() {
				moved = time.Now()
			}
		}
	})
	e.waitWriter(patient, func(a string) bool { return a == e.Nodes[old] }, 5*time.Second)
	evicted := e.evictionWatch((old + 1) % 3)
	pid := e.PID(t, old)
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGCONT) })
	stopped := time.Now()

	ch := e.checker(old, galera.Policy{})
	start := time.Now()
	err := ch.Check(ctx)
	var ne *galera.NodeError
	if !errors.As(err, &ne) || ne.Node != e.Nodes[old] {
		t.Fatalf("check of a stopped node: %v, want a *NodeError naming it", err)
	}
	// What is ruled out is the DSN's 5s dial timeout or no read timeout.
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("check of a stopped node took %v with a 1s timeout", d)
	}
	e.waitWriter(r, func(a string) bool { return a != e.Nodes[old] && a != "" }, 2*time.Second)
	t.Logf("writer moved %v after SIGSTOP", time.Since(stopped))
	// Commits stall until the survivors evict the stopped node, then pass.
	ictx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := w.ExecContext(ictx, "INSERT INTO t VALUES (1)"); err != nil {
		t.Fatalf("insert after the writer stopped: %v", err)
	}
	t.Logf("first commit %v after SIGSTOP", time.Since(stopped))
	ev, ok := <-evicted
	if !ok {
		t.Fatal("the survivors never evicted the stopped node")
	}
	// The next probe of a survivor after the eviction (100ms apart, plus
	// a fresh round of at most ProbeTimeout 500ms): 3s on a loaded
	// machine, far below the 1000 timeouts Fall asks for. Before the
	// eviction nothing may move it; the 1s of slack covers our own
	// 20ms poll of wsrep_cluster_size seeing the eviction after a probe.
	e.waitWriter(patient, func(a string) bool { return a != e.Nodes[old] && a != "" }, time.Until(ev.Add(3*time.Second)))
	movedMu.Lock()
	at := moved
	movedMu.Unlock()
	if at.Before(ev.Add(-time.Second)) {
		t.Fatalf("the Router with Fall 1000 moved %v before the eviction", ev.Sub(at))
	}
	t.Logf("the Router with Fall 1000 moved %v after the eviction (eviction %v after SIGSTOP)", at.Sub(ev), ev.Sub(stopped))
}

// ackLoad inserts ids 1, 2, ... through w until stop is closed,
// acknowledging a write only when it is known to be committed.
type ackLoad struct {
	mu    sync.Mutex
	acked map[int64]time.Time
}

func (l *ackLoad) run(ctx context.Context, w *sql.DB, stop <-chan struct{}, table string) {
	for id := int64(1); ; id++ {
		unknown := false
		for {
			select {
			case <-stop:
				return
			default:
			}
			actx, cancel := context.WithTimeout(ctx, 15*time.Second)
			_, err := w.ExecContext(actx, "INSERT INTO "+table+" (id, at) VALUES (?, ?)", id, time.Now().UnixMilli())
			cancel()
			var me *mysql.MySQLError
			if err == nil || errors.As(err, &me) && me.Number == 1062 && unknown {
				l.mu.Lock()
				l.acked[id] = time.Now()
				l.mu.Unlock()
				break
			}
			if errors.As(err, &me) && me.Number == 1062 {
				break // not ours: never acknowledged
			}
			if !errors.Is(err, galera.ErrNoWriter) && (me == nil || me.Number != 1213 && me.Number != 1047) {
				unknown = true
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// evictionWatch returns a channel that receives when node i sees a
// cluster smaller than 3.
func (e realEnv) evictionWatch(i int) <-chan time.Time {
	ch := make(chan time.Time, 1)
	db := e.admin(i)
	go func() {
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			var name string
			var size int
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			err := db.QueryRowContext(ctx, "SHOW GLOBAL STATUS LIKE 'wsrep_cluster_size'").Scan(&name, &size)
			cancel()
			if err == nil && size < 3 {
				ch <- time.Now()
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		close(ch)
	}()
	return ch
}

// kill -9 of the writer under write load: no acknowledged write is lost,
// and writes resume on a survivor within 2s of the survivors evicting the
// dead node.
func TestIntegrationKillWriterUnderLoad(t *testing.T) {
	e := galeraEnv(t, true)
	dbName := e.Database(t)
	r, w := e.router(dbName, nil)
	ctx := context.Background()
	if _, err := w.ExecContext(ctx, "CREATE TABLE t (id BIGINT PRIMARY KEY, at BIGINT)"); err != nil {
		t.Fatal(err)
	}
	old := e.index(e.waitWriter(r, func(a string) bool { return a != "" }, 5*time.Second))
	var survivor int
	for i := range e.Nodes {
		if i != old {
			survivor = i
		}
	}
	l := &ackLoad{acked: map[int64]time.Time{}}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { defer close(done); l.run(ctx, w, stop, "t") }()
	time.Sleep(time.Second)
	evicted := e.evictionWatch(survivor)
	pid := e.PID(t, old)
	killed := time.Now()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	ev, ok := <-evicted
	if !ok {
		t.Fatal("the survivors never evicted the killed node")
	}
	// Wait for the first acknowledgement after the kill (an insert that
	// committed just before the signal landed does not count).
	var resumed time.Time
	deadline := time.Now().Add(10 * time.Second)
	for resumed.IsZero() && time.Now().Before(deadline) {
		l.mu.Lock()
		for _, at := range l.acked {
			if at.After(killed.Add(200*time.Millisecond)) && (resumed.IsZero() || at.Before(resumed)) {
				resumed = at
			}
		}
		l.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	close(stop)
	<-done
	if resumed.IsZero() {
		t.Fatal("no write acknowledged after the kill")
	}
	t.Logf("eviction %v after kill; first acknowledged write %v after eviction; writer now %s",
		ev.Sub(killed), resumed.Sub(ev), r.WriterAddr())
	if d := resumed.Sub(ev); d > 2*time.Second {
		t.Errorf("writes resumed %v after eviction, want within 2s", d)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := range e.Nodes {
		if i == old {
			continue
		}
		db := e.causal(i)
		for id := range l.acked {
			var n int
			if err := db.QueryRow("SELECT COUNT(*) FROM `"+dbName+"`.t WHERE id = ?", id).Scan(&n); err != nil || n != 1 {
				t.Fatalf("acknowledged id %d missing on survivor %s: %d %v", id, e.Nodes[i], n, err)
			}
		}
	}
	t.Logf("%d acknowledged writes all present on both survivors", len(l.acked))
}

// Losing two of three nodes leaves the third non-Primary: ErrNoWriter at
// once; pc.bootstrap makes it Primary and writes resume.
func TestIntegrationLoseTwoNodes(t *testing.T) {
	e := galeraEnv(t, true)
	dbName := e.Database(t)
	// Kills are seen as refused connections and quorum loss as a state,
	// so a long ProbeTimeout slows nothing here; it makes the election
	// wait ruled out below (2×ProbeTimeout) far from "at once".
	r, w := e.router(dbName, func(c *galera.RouterConfig) { c.ProbeTimeout = 2 * time.Second })
	ctx := context.Background()
	if _, err := w.ExecContext(ctx, "CREATE TABLE t (id BIGINT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	writer := e.index(e.waitWriter(r, func(a string) bool { return a != "" }, 5*time.Second))
	last := (writer + 1) % 3
	for i := range e.Nodes {
		if i != last {
			if err := syscall.Kill(e.PID(t, i), syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The survivor loses quorum when it evicts the other two.
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, err := e.state(last)
		if err == nil && st.ClusterStatus == galera.ClusterStatusNonPrimary && r.Stats().Nodes[last].State.ClusterStatus == galera.ClusterStatusNonPrimary {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the last node: %+v %v, want non-Primary", st, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.waitWriter(r, func(a string) bool { return a == "" }, 5*time.Second)
	start := time.Now()
	_, err := w.ExecContext(ctx, "INSERT INTO t VALUES (1)")
	if !errors.Is(err, galera.ErrNoWriter) {
		t.Fatalf("insert without a Primary component: %v, want ErrNoWriter", err)
	}
	// At once: no wait for a writer that cannot come (an election wait
	// would be 4s; the bound allows for a loaded machine).
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("ErrNoWriter took %v", d)
	}
	if err := e.checker(last, galera.StrictPolicy()).Check(ctx); !errors.Is(err, galera.ErrUnavailable) {
		t.Fatalf("strict check of a non-Primary node: %v", err)
	}
	e.exec(last, "SET GLOBAL wsrep_provider_options='pc.bootstrap=YES'")
	e.waitWriter(r, func(a string) bool { return a == e.Nodes[last] }, 5*time.Second)
	if _, err := w.ExecContext(ctx, "INSERT INTO t VALUES (1)"); err != nil {
		t.Fatalf("insert after pc.bootstrap: %v", err)
	}
}

// Conflicting writes on two nodes: the later commit fails certification
// with 1213 and RetryTx retries it.
func TestIntegrationCertificationConflict(t *testing.T) {
	e := galeraEnv(t, false)
	dbName := e.Database(t)
	e.exec(0, "CREATE TABLE `"+dbName+"`.k (k VARCHAR(10) PRIMARY KEY, v BIGINT)")
	e.exec(0, "INSERT INTO `"+dbName+"`.k VALUES ('a', 0)")
	open := func(i int) *sql.DB {
		c := e.driver(dbName)
		c.Addr = e.Nodes[i]
		// Another node applies a commit asynchronously: wsrep_sync_wait
		// makes every read wait for what the cluster committed before it
		// (without it, node 2 may not have the row yet and its UPDATE
		// would match nothing).
		c.Params = map[string]string{"wsrep_sync_wait": "1"}
		conn, _ := mysql.NewConnector(c)
		db := sql.OpenDB(conn)
		t.Cleanup(func() { db.Close() })
		return db
	}
	dbs := []*sql.DB{open(0), open(1)}
	ctx := context.Background()

	// Raw: the second committer gets 1213.
	tx0, _ := dbs[0].BeginTx(ctx, nil)
	tx1, _ := dbs[1].BeginTx(ctx, nil)
	for _, tx := range []*sql.Tx{tx0, tx1} {
		if _, err := tx.ExecContext(ctx, "UPDATE k SET v = v + 1 WHERE k = 'a'"); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx1.Commit(); err != nil {
		t.Fatal(err)
	}
	err := tx0.Commit()
	var me *mysql.MySQLError
	if !errors.As(err, &me) || me.Number != 1213 {
		t.Fatalf("second commit: %v, want 1213", err)
	}

	// With RetryTx both increments land.
	var retries atomic.Int32
	cfg := galera.RetryConfig{Interval: 10 * time.Millisecond, OnRetry: func(int, error, time.Duration) { retries.Add(1) }}
	updated0, done1 := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		first := true
		wg.Go(func() {
			errs[i] = galera.RetryTx(ctx, dbs[i], cfg, func(ctx context.Context, tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, "UPDATE k SET v = v + 1 WHERE k = 'a'"); err != nil {
					return err
				}
				if first {
					first = false
					// Both update before either commits; node 0 commits
					// after node 1 has.
					if i == 0 {
						close(updated0)
						<-done1
					} else {
						<-updated0
					}
				}
				return nil
			})
			if i == 1 {
				close(done1)
			}
		})
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatal(errs)
	}
	var v int
	if err := dbs[1].QueryRowContext(ctx, "SELECT v FROM k WHERE k = 'a'").Scan(&v); err != nil || v != 3 {
		t.Fatalf("v = %d %v, want 3", v, err)
	}
	if retries.Load() == 0 {
		t.Fatal("no retry: the conflict did not happen")
	}
}

func TestIntegrationLease(t *testing.T) {
	e := galeraEnv(t, false)
	dbName := e.Database(t)
	_, w := e.router(dbName, nil)
	var n atomic.Int64
	hakittest.TestLease(t, func(t *testing.T) hakit.Lease {
		l, err := galera.NewLease(galera.LeaseConfig{DB: w, Name: fmt.Sprintf("lease-%d", n.Add(1))})
		if err != nil {
			t.Fatal(err)
		}
		return l
	})
}
