package galera_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hakit/hakit/galera"
	"github.com/hakit/hakit/galera/galeratest"
)

type routerEnv struct {
	c       *galeratest.Cluster
	r       *galera.Router
	w, rd   *sql.DB
	mu      sync.Mutex
	changes []string
	nodes   []galera.NodeStatus // OnNodeChange calls
}

func (e *routerEnv) nodeChanges(addr string) []galera.Role {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []galera.Role
	for _, s := range e.nodes {
		if s.Addr == addr {
			out = append(out, s.Role)
		}
	}
	return out
}

func (e *routerEnv) writerChanges() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.changes)
}

// startRouter runs a Router with fast probes over a fake cluster whose
// database "app" has a table t(id, at).
func startRouter(t *testing.T, edit func(*galera.RouterConfig)) *routerEnv {
	return startRouterTB(t, edit)
}

func startRouterTB(t testing.TB, edit func(*galera.RouterConfig)) *routerEnv {
	t.Helper()
	c := fakeCluster(t)
	e := &routerEnv{c: c}
	db := openNode(t, c, 0, "")
	for _, q := range []string{"CREATE DATABASE app", "CREATE TABLE app.t (id BIGINT PRIMARY KEY, at BIGINT)"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	cfg := galera.RouterConfig{
		Driver:        c.DriverConfig("app"),
		ProbeInterval: 50 * time.Millisecond,
		ProbeTimeout:  time.Second, // generous: a loaded machine must not fail probes
		OnWriterChange: func(from, to string) {
			e.mu.Lock()
			e.changes = append(e.changes, from+">"+to)
			e.mu.Unlock()
		},
		OnNodeChange: func(s galera.NodeStatus) {
			e.mu.Lock()
			e.nodes = append(e.nodes, s)
			e.mu.Unlock()
		},
	}
	r := runRouter(t, c, cfg, edit)
	e.r = r
	e.w = sql.OpenDB(r.Writer())
	e.rd = sql.OpenDB(r.Reader())
	t.Cleanup(func() {
		e.w.Close()
		e.rd.Close()
	})
	return e
}

// runRouter adds c's nodes to cfg, applies edit, and runs the Router
// until the test ends (its pools, closed by cleanups registered later,
// close first).
func runRouter(t testing.TB, c *galeratest.Cluster, cfg galera.RouterConfig, edit func(*galera.RouterConfig)) *galera.Router {
	t.Helper()
	for _, a := range c.Addrs() {
		cfg.Nodes = append(cfg.Nodes, galera.NodeConfig{Addr: a})
	}
	if edit != nil {
		edit(&cfg)
	}
	r, err := galera.NewRouter(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run returned %v", err)
		}
	})
	return r
}

func openNode(t testing.TB, c *galeratest.Cluster, i int, db string) *sql.DB {
	t.Helper()
	d, err := sql.Open("mysql", c.DSN(i, db))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// waitWriter waits until the router's writer is addr.
func waitWriter(t *testing.T, r *galera.Router, addr string) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < 5*time.Second {
		if r.WriterAddr() == addr {
			return time.Since(start)
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("writer is %q, want %q after 5s; stats %+v", r.WriterAddr(), addr, r.Stats())
	return 0
}

func executedOn(n *galeratest.Node, substr string) bool {
	for _, q := range n.Queries() {
		if strings.Contains(q, substr) {
			return true
		}
	}
	return false
}

func TestRouterWriterIsLowestLocalIndex(t *testing.T) {
	e := startRouter(t, nil)
	if _, err := e.w.Exec("INSERT INTO t (id, at) VALUES (?, ?)", 1, 1); err != nil {
		t.Fatal(err)
	}
	if !executedOn(e.c.Node(0), "INSERT") || executedOn(e.c.Node(1), "INSERT") {
		t.Fatal("the insert did not run on node 0 (wsrep_local_index 0)")
	}
	if got := e.writerChanges(); !slices.Equal(got, []string{">" + e.c.Node(0).Addr()}) {
		t.Fatalf("writer changes %v", got)
	}
}

func TestRouterPriority(t *testing.T) {
	e := startRouter(t, func(c *galera.RouterConfig) {
		c.Nodes[2].Priority = 1
		c.Nodes[1].Priority = 2
		c.Nodes[0].Priority = -1
	})
	if _, err := e.w.Exec("INSERT INTO t (id, at) VALUES (1, 1)"); err != nil {
		t.Fatal(err)
	}
	if !executedOn(e.c.Node(2), "INSERT") {
		t.Fatal("the insert did not run on node 2 (priority 1)")
	}
	e.c.Node(2).Kill()
	waitWriter(t, e.r, e.c.Node(1).Addr()) // node 0's priority is not positive
}

func TestRouterFailoverOnKill(t *testing.T) {
	// Background probes at 1s (fast 250ms) leave the kill to the
	// statement path, so that it is the client that suspects node 0:
	// with 50ms probes a stall of the test after Kill lets them win.
	e := startRouter(t, func(c *galera.RouterConfig) { c.ProbeInterval = time.Second; c.Sticky = true })
	ctx := context.Background()
	for i := range 5 {
		if _, err := e.w.ExecContext(ctx, "INSERT INTO t (id, at) VALUES (?, 0)", i); err != nil {
			t.Fatal(err)
		}
	}
	n0, n1 := e.c.Node(0), e.c.Node(1)
	n0.Kill()
	// The next statement finds its pooled connection dead, the writer
	// connector's dial refused: the Router probes node 0 at once and
	// connects to node 1 within the same call.
	start := time.Now()
	var err error
	for i := 0; i < 3; i++ {
		if _, err = e.w.ExecContext(ctx, "INSERT INTO t (id, at) VALUES (?, 1)", 100+i); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("insert after the kill: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("failover took %v", d)
	}
	if !executedOn(n1, "INSERT") || e.r.WriterAddr() != n1.Addr() {
		t.Fatalf("writer %s", e.r.WriterAddr())
	}
	// Sticky: node 0 comes back and stays a standby.
	if err := n0.Restart(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for e.r.Stats().Nodes[0].Role == galera.RoleDown && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	st := e.r.Stats()
	if st.Nodes[0].Role == galera.RoleDown || st.Nodes[1].Role != galera.RoleWriter || e.r.WriterAddr() != n1.Addr() {
		t.Fatalf("roles after restart (sticky): %+v", st.Nodes)
	}
	// OnNodeChange saw node 0 as writer, down, then back as a reader.
	deadline = time.Now().Add(2 * time.Second)
	want := []galera.Role{galera.RoleWriter, galera.RoleDown, galera.RoleReader}
	for !slices.Equal(e.nodeChanges(n0.Addr()), want) {
		if time.Now().After(deadline) {
			t.Fatalf("OnNodeChange roles of node 0: %v, want %v", e.nodeChanges(n0.Addr()), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if s := e.r.Stats(); s.WriterChanges != 2 || s.Opened == 0 || s.Nodes[0].Failures == 0 || s.Nodes[0].Suspects == 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestRouterFailback(t *testing.T) {
	e := startRouter(t, nil)
	n0 := e.c.Node(0)
	waitWriter(t, e.r, n0.Addr())
	n0.Kill()
	waitWriter(t, e.r, e.c.Node(1).Addr())
	if err := n0.Restart(); err != nil {
		t.Fatal(err)
	}
	waitWriter(t, e.r, n0.Addr())
}

func TestRouterStateTakesWriterAway(t *testing.T) {
	tests := []struct {
		name string
		do   func(db *sql.DB, n *galeratest.Node) error
	}{
		{"desync", func(db *sql.DB, n *galeratest.Node) error {
			_, err := db.Exec("SET GLOBAL wsrep_desync=ON")
			return err
		}},
		{"read_only", func(db *sql.DB, n *galeratest.Node) error {
			_, err := db.Exec("SET GLOBAL read_only=ON")
			return err
		}},
		{"reject_queries", func(db *sql.DB, n *galeratest.Node) error {
			_, err := db.Exec("SET GLOBAL wsrep_reject_queries=ALL")
			return err
		}},
		{"joiner", func(db *sql.DB, n *galeratest.Node) error {
			n.SetState(func(s *galera.NodeState) { s.LocalState = galera.LocalStateJoining })
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := startRouter(t, nil)
			waitWriter(t, e.r, e.c.Node(0).Addr())
			if err := tt.do(openNode(t, e.c, 0, ""), e.c.Node(0)); err != nil {
				t.Fatal(err)
			}
			waitWriter(t, e.r, e.c.Node(1).Addr())
		})
	}
}

func TestRouterRetiresConnectionsOfDemotedWriter(t *testing.T) {
	e := startRouter(t, nil)
	ctx := context.Background()
	n0 := e.c.Node(0)
	waitWriter(t, e.r, n0.Addr())
	held, err := e.w.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	tx, err := e.w.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("INSERT INTO t (id, at) VALUES (7, 7)"); err != nil {
		t.Fatal(err)
	}
	if _, err := openNode(t, e.c, 0, "").Exec("SET GLOBAL wsrep_desync=ON"); err != nil {
		t.Fatal(err)
	}
	waitWriter(t, e.r, e.c.Node(1).Addr())
	n0.ResetQueries()

	if _, err := held.ExecContext(ctx, "INSERT INTO t (id, at) VALUES (8, 8)"); !errors.Is(err, driver.ErrBadConn) {
		t.Fatalf("statement on a connection to the demoted writer: %v, want driver.ErrBadConn", err)
	}
	if err := tx.Commit(); !errors.Is(err, driver.ErrBadConn) {
		t.Fatalf("commit on the demoted writer: %v, want driver.ErrBadConn", err)
	}
	if len(n0.Queries()) != 0 {
		t.Fatalf("statements ran on the demoted writer: %q", n0.Queries())
	}
	var n int
	if err := e.w.QueryRow("SELECT COUNT(*) FROM t WHERE id = 7").Scan(&n); err != nil || n != 0 {
		t.Fatalf("uncommitted row visible: %d %v", n, err)
	}
	if _, err := e.w.Exec("INSERT INTO t (id, at) VALUES (9, 9)"); err != nil {
		t.Fatal(err)
	}
	if !executedOn(e.c.Node(1), "VALUES (9, 9)") || executedOn(n0, "VALUES (9, 9)") {
		t.Fatal("the pool did not move to the new writer")
	}
	if e.r.Stats().Retired == 0 {
		t.Fatal("Stats.Retired is 0")
	}
}

func TestRouterNoPrimaryIsErrNoWriterAtOnce(t *testing.T) {
	e := startRouter(t, nil)
	waitWriter(t, e.r, e.c.Node(0).Addr())
	e.c.Node(0).Kill()
	e.c.Node(1).Kill()
	waitWriter(t, e.r, "")
	start := time.Now()
	_, err := e.w.Exec("INSERT INTO t (id, at) VALUES (1, 1)")
	if !errors.Is(err, galera.ErrNoWriter) {
		t.Fatalf("err = %v, want ErrNoWriter", err)
	}
	// At once: no wait for a writer that cannot come. Waiting for an
	// election would take 2×ProbeTimeout (2s); the bound is half of that
	// so that a loaded machine cannot fail it.
	if d := time.Since(start); d > time.Second {
		t.Fatalf("ErrNoWriter took %v", d)
	}
	deadline := time.Now().Add(2 * time.Second)
	for got := e.writerChanges(); !strings.HasSuffix(got[len(got)-1], ">"); got = e.writerChanges() {
		if time.Now().After(deadline) {
			t.Fatalf("writer changes %v, want the last to no writer", got)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := e.c.Bootstrap(2); err != nil {
		t.Fatal(err)
	}
	waitWriter(t, e.r, e.c.Node(2).Addr())
	if _, err := e.w.Exec("INSERT INTO t (id, at) VALUES (1, 1)"); err != nil {
		t.Fatal(err)
	}
}

func TestRouterFrozenWriter(t *testing.T) {
	e := startRouter(t, nil)
	ctx := context.Background()
	n0 := e.c.Node(0)
	waitWriter(t, e.r, n0.Addr())
	if _, err := e.w.Exec("INSERT INTO t (id, at) VALUES (1, 1)"); err != nil {
		t.Fatal(err)
	}
	n0.Freeze()
	defer n0.Thaw()
	// A statement in flight on the stopped node fails when Fall (2)
	// probes have timed out (1s each) and the Router closes the node's
	// connections, not after the driver's 30s read timeout.
	start := time.Now()
	_, err := e.w.ExecContext(ctx, "INSERT INTO t (id, at) VALUES (2, 2)")
	if err == nil {
		t.Fatal("insert on a frozen node succeeded")
	}
	// About 2s expected; 10s leaves room for a loaded machine and is
	// still far from the read timeout.
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("in-flight statement failed after %v", d)
	}
	waitWriter(t, e.r, e.c.Node(1).Addr())
	if _, err := e.w.Exec("INSERT INTO t (id, at) VALUES (3, 3)"); err != nil {
		t.Fatal(err)
	}
}

func TestRouterReaders(t *testing.T) {
	e := startRouter(t, func(c *galera.RouterConfig) { c.ReaderMaxRecvQueue = 10 })
	waitWriter(t, e.r, e.c.Node(0).Addr())
	e.rd.SetMaxIdleConns(0) // a new connection per query: each is balanced
	for range 10 {
		var n int
		if err := e.rd.QueryRow("SELECT COUNT(*) FROM t").Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	count := func(i int) int {
		k := 0
		for _, q := range e.c.Node(i).Queries() {
			if strings.HasPrefix(q, "SELECT COUNT") {
				k++
			}
		}
		return k
	}
	if count(0) != 0 || count(1) == 0 || count(2) == 0 {
		t.Fatalf("reads per node: %d %d %d, want none on the writer and some on each standby", count(0), count(1), count(2))
	}
	// A reader far behind is shed.
	e.c.Node(1).SetState(func(s *galera.NodeState) { s.RecvQueue = 11 })
	deadline := time.Now().Add(2 * time.Second)
	for e.r.Stats().Nodes[1].Role == galera.RoleReader && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := e.r.Stats().Nodes[1].Role; got != galera.RoleStandby {
		t.Fatalf("node 1 with a long queue has role %v", got)
	}
	// With no reader left, reads fall back to the writer.
	e.c.Node(2).Kill()
	deadline = time.Now().Add(2 * time.Second)
	for e.r.Stats().Nodes[0].Role != galera.RoleWriter || e.r.Stats().Nodes[2].Role != galera.RoleDown {
		if time.Now().After(deadline) {
			t.Fatal("node 2 not down")
		}
		time.Sleep(5 * time.Millisecond)
	}
	e.c.Node(0).ResetQueries()
	var n int
	if err := e.rd.QueryRow("SELECT COUNT(*) FROM t").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if count(0) != 1 {
		t.Fatal("read did not fall back to the writer")
	}
}

func TestNewRouterValidation(t *testing.T) {
	c := fakeCluster(t)
	tests := []struct {
		cfg  galera.RouterConfig
		want string
	}{
		{galera.RouterConfig{Driver: c.DriverConfig("")}, "Nodes"},
		{galera.RouterConfig{Nodes: []galera.NodeConfig{{Addr: "a:1"}}}, "Driver"},
		{galera.RouterConfig{Nodes: []galera.NodeConfig{{Addr: "nohostport"}}, Driver: c.DriverConfig("")}, "Nodes[0].Addr"},
		{galera.RouterConfig{Nodes: []galera.NodeConfig{{Addr: "a:1"}, {Addr: "a:1"}}, Driver: c.DriverConfig("")}, "twice"},
		{galera.RouterConfig{Nodes: []galera.NodeConfig{{Addr: "a:1"}}, Driver: c.DriverConfig(""), ProbeInterval: -1}, "ProbeInterval"},
		{galera.RouterConfig{Nodes: []galera.NodeConfig{{Addr: "a:1"}}, Driver: c.DriverConfig(""), Readers: 7}, "Readers"},
		{galera.RouterConfig{Nodes: []galera.NodeConfig{{Addr: "a:1"}}, Driver: c.DriverConfig(""), ReaderSyncWait: 16}, "ReaderSyncWait"},
	}
	for _, tt := range tests {
		if _, err := galera.NewRouter(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewRouter(%+v) = %v, want an error naming %s", tt.cfg, err, tt.want)
		}
	}
}

// Rise: a node that was down needs Rise successful probes in a row to
// count as up again (HAProxy's rise).
func TestRouterRise(t *testing.T) {
	e := startRouter(t, func(c *galera.RouterConfig) { c.Rise = 3 })
	n2 := e.c.Node(2)
	waitWriter(t, e.r, e.c.Node(0).Addr())
	n2.Kill()
	deadline := time.Now().Add(3 * time.Second)
	for e.r.Stats().Nodes[2].Role != galera.RoleDown {
		if time.Now().After(deadline) {
			t.Fatal("node 2 not down")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Sampled while the node is dead: no probe of it can succeed yet.
	before := e.r.Stats().Nodes[2]
	if err := n2.Restart(); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(5 * time.Second)
	for {
		s := e.r.Stats().Nodes[2]
		if s.Role != galera.RoleDown {
			ok := (s.Probes - s.Failures) - (before.Probes - before.Failures)
			if ok < 3 {
				t.Fatalf("node 2 up after %d successful probes, want 3", ok)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("node 2 never came back")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ReaderSyncWait sets wsrep_sync_wait on the reader's sessions only.
func TestRouterReaderSyncWait(t *testing.T) {
	e := startRouter(t, func(c *galera.RouterConfig) { c.ReaderSyncWait = 1 })
	rd := sql.OpenDB(e.r.Reader())
	defer rd.Close()
	var v int
	if err := rd.QueryRow("SELECT @@wsrep_sync_wait").Scan(&v); err != nil || v != 1 {
		t.Fatalf("reader's wsrep_sync_wait = %d, %v; want 1", v, err)
	}
	if err := e.w.QueryRow("SELECT @@wsrep_sync_wait").Scan(&v); err == nil {
		t.Fatalf("writer's session has wsrep_sync_wait = %d; want the server's setting (unknown to the fake)", v)
	}
}

// With ReadOnlyTxToReaders, a read-only transaction on the writer's pool
// runs on a reader; the pool's next statement runs on the writer again.
func TestRouterReadOnlyTxToReaders(t *testing.T) {
	for _, opt := range []bool{false, true} {
		e := startRouter(t, func(c *galera.RouterConfig) { c.ReadOnlyTxToReaders = opt })
		waitWriter(t, e.r, e.c.Node(0).Addr())
		e.w.SetMaxOpenConns(1) // the same connection serves both
		for _, n := range e.c.Nodes() {
			n.ResetQueries()
		}
		tx, err := e.w.BeginTx(context.Background(), &sql.TxOptions{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := tx.QueryRow("SELECT COUNT(*) FROM t").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if _, err := e.w.Exec("INSERT INTO t (id, at) VALUES (1, 1)"); err != nil {
			t.Fatal(err)
		}
		onWriter := executedOn(e.c.Node(0), "SELECT COUNT")
		onReader := executedOn(e.c.Node(1), "SELECT COUNT") || executedOn(e.c.Node(2), "SELECT COUNT")
		if onWriter == opt || onReader != opt || !executedOn(e.c.Node(0), "INSERT") {
			t.Fatalf("ReadOnlyTxToReaders %v: read on the writer %v, on a reader %v; queries %q", opt, onWriter, onReader, e.c.Node(0).Queries())
		}
	}
}
