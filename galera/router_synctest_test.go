package galera_test

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hakit/hakit/galera"
	"github.com/hakit/hakit/galera/galeratest"
)

// On an in-memory fake cluster inside a synctest bubble, the Router's
// timing is exact: a stopped writer is replaced once a probe times out,
// a killed one at its next probe.
func TestRouterDetectionTiming(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, r := memRouter(t, nil)
		if r.WriterAddr() != c.Node(0).Addr() {
			t.Fatalf("writer %q", r.WriterAddr())
		}
		waitFor := func(addr string) time.Duration {
			start := time.Now()
			for r.WriterAddr() != addr {
				time.Sleep(10 * time.Millisecond)
				if time.Since(start) > time.Minute {
					t.Fatalf("writer still %q: %+v", r.WriterAddr(), r.Stats())
				}
			}
			return time.Since(start)
		}

		// SIGSTOP: the next probe (within 1s) times out after 300ms, and
		// the second (Fall 2) FastInterval (250ms) later after 300ms more.
		time.Sleep(500 * time.Millisecond) // half-way between probes
		c.Node(0).Freeze()
		if d := waitFor(c.Node(1).Addr()); d < 850*time.Millisecond || d > 1400*time.Millisecond {
			t.Fatalf("stopped writer replaced after %v, want within probe interval + 2 timeouts + FastInterval", d)
		}
		c.Node(0).Thaw()

		// kill -9 with no client traffic: the next probe is refused, a
		// hard fact that demotes at once; node1 is back, Synced, with the
		// lowest wsrep_local_index.
		time.Sleep(500 * time.Millisecond)
		c.Node(1).Kill()
		if d := waitFor(c.Node(0).Addr()); d > 1010*time.Millisecond {
			t.Fatalf("killed writer replaced after %v, want within one probe interval", d)
		}
		st := r.Stats()
		if st.Nodes[1].Role != galera.RoleDown || st.Writer != c.Node(0).Addr() || st.Nodes[2].Role != galera.RoleReader {
			t.Fatalf("stats %+v", st)
		}
	})
}

// One probe that times out does not demote a healthy writer nor close
// its connections: the default Fall is 2, and the confirming probe,
// FastInterval later, gets an answer.
func TestRouterOneSlowProbeKeepsWriter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var changes []string
		c, r := memRouter(t, func(c *galera.RouterConfig) {
			c.OnWriterChange = func(from, to string) { changes = append(changes, from+">"+to) }
		})
		ctx := t.Context()
		db := sql.OpenDB(r.Writer())
		defer db.Close()
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if err := conn.PingContext(ctx); err != nil {
			t.Fatal(err)
		}
		// The probe at 1s finds the node stopped and times out at 1.3s;
		// the node answers again at 1.4s, before the next probe at 1.55s.
		time.Sleep(900 * time.Millisecond)
		c.Node(0).Freeze()
		time.Sleep(500 * time.Millisecond)
		c.Node(0).Thaw()
		time.Sleep(2 * time.Second)
		st := r.Stats()
		if st.Nodes[0].Failures != 1 {
			t.Fatalf("probe failures of the writer %d, want 1: %+v", st.Nodes[0].Failures, st)
		}
		if r.WriterAddr() != c.Node(0).Addr() || len(changes) != 1 {
			t.Fatalf("writer %q, changes %v: one slow probe demoted the writer", r.WriterAddr(), changes)
		}
		if err := conn.PingContext(ctx); err != nil {
			t.Fatalf("the writer's connection was closed: %v", err)
		}
	})
}

// After Run returns, the connectors answer ErrClosed.
func TestRouterClosed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, err := galeratest.NewCluster(galeratest.Config{InMemory: true, Nodes: 1})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		r, err := galera.NewRouter(galera.RouterConfig{Driver: c.DriverConfig(""), Nodes: []galera.NodeConfig{{Addr: c.Node(0).Addr()}}})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- r.Run(ctx) }()
		synctest.Wait()
		if err := r.Run(ctx); err == nil {
			t.Fatal("second Run accepted")
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("Run = %v", err)
		}
		db := sql.OpenDB(r.Writer())
		defer db.Close()
		if err := db.Ping(); !errors.Is(err, galera.ErrClosed) {
			t.Fatalf("Ping after Run returned: %v, want ErrClosed", err)
		}
	})
}

// Three Routers whose probes run at different phases, as in three
// processes: a desync shorter than ProbeInterval is seen at most once by
// each and moves none (Fall 2); a long one moves all three to the same
// node; once the preferred node is Synced again, all three return to it
// after Rise probes (failback), so the fleet keeps one writer.
func TestRoutersAgreeWhateverThePhase(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, err := galeratest.NewCluster(galeratest.Config{InMemory: true})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		ctx, cancel := context.WithCancel(context.Background())
		var routers []*galera.Router
		changes := make([]int, 3)
		var wg sync.WaitGroup
		defer func() { cancel(); wg.Wait() }()
		for k := range 3 {
			cfg := galera.RouterConfig{Driver: c.DriverConfig(""), ProbeInterval: time.Second, ProbeTimeout: 300 * time.Millisecond,
				OnWriterChange: func(string, string) { changes[k]++ }}
			for _, a := range c.Addrs() {
				cfg.Nodes = append(cfg.Nodes, galera.NodeConfig{Addr: a})
			}
			r, err := galera.NewRouter(cfg)
			if err != nil {
				t.Fatal(err)
			}
			routers = append(routers, r)
			wg.Go(func() { _ = r.Run(ctx) })
			time.Sleep(333 * time.Millisecond) // the next one's probes run a third of an interval later
		}
		writers := func() []string {
			synctest.Wait()
			var ws []string
			for _, r := range routers {
				ws = append(ws, r.WriterAddr())
			}
			return ws
		}
		all := func(addr string) []string { return []string{addr, addr, addr} }
		n0 := c.Node(0)
		desync := func(on bool) {
			n0.SetState(func(s *galera.NodeState) {
				if on {
					s.LocalState, s.Desync = galera.LocalStateDonor, true
				}
			})
		}
		for k := range 6 {
			time.Sleep(time.Duration(170*k) * time.Millisecond) // a different phase each time
			desync(true)
			time.Sleep(900 * time.Millisecond)
			desync(false)
			time.Sleep(time.Second)
			if ws := writers(); !slices.Equal(ws, all(n0.Addr())) {
				t.Fatalf("blip %d: writers %v", k, ws)
			}
		}
		if !slices.Equal(changes, []int{1, 1, 1}) {
			t.Fatalf("writer changes %v: a blip moved a writer", changes)
		}
		desync(true)
		time.Sleep(2500 * time.Millisecond) // two probes or more each
		if ws := writers(); !slices.Equal(ws, all(c.Node(1).Addr())) {
			t.Fatalf("after a long desync: writers %v", ws)
		}
		desync(false)
		// Rise (2) probes at ProbeInterval after the node is Synced again.
		time.Sleep(2100 * time.Millisecond)
		if ws := writers(); !slices.Equal(ws, all(n0.Addr())) {
			t.Fatalf("after failback: writers %v", ws)
		}
	})
}

// A stopped writer's own probes only time out (soft: Fall of them in a
// row); once the Primary component has evicted it, the survivors' answer
// (wsrep_incoming_addresses without it) demotes it at their next probe.
// Here Fall 5 would take 1s + 4×(250ms + 300ms) = 3.2s or more; the
// eviction acts within the next probe interval.
func TestRouterEvictionIsHard(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, r := memRouter(t, func(c *galera.RouterConfig) { c.Fall = 5 })
		time.Sleep(500 * time.Millisecond)
		c.Node(0).Freeze()
		c.Node(0).Isolate() // the survivors evict it
		start := time.Now()
		for r.WriterAddr() != c.Node(1).Addr() {
			time.Sleep(10 * time.Millisecond)
			if time.Since(start) > time.Minute {
				t.Fatalf("writer still %q", r.WriterAddr())
			}
		}
		// The next probe of node 1 or 2 comes within one interval, and
		// the choice waits for fresh probes of both (one ProbeTimeout at
		// most, node 0's in flight does not count).
		if d := time.Since(start); d > time.Second+300*time.Millisecond {
			t.Fatalf("evicted writer replaced after %v, want within a probe interval", d)
		}
		c.Node(0).Thaw()
		c.Node(0).Heal()
	})
}

// memRouter runs a Router (probes every 1s, timeout 300ms, then edit)
// over a 3-node in-memory cluster inside the calling synctest bubble,
// until the test ends, and returns after its first probe round.
func memRouter(t *testing.T, edit func(*galera.RouterConfig)) (*galeratest.Cluster, *galera.Router) {
	t.Helper()
	c, err := galeratest.NewCluster(galeratest.Config{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	r := runRouter(t, c, galera.RouterConfig{Driver: c.DriverConfig(""), ProbeInterval: time.Second, ProbeTimeout: 300 * time.Millisecond}, edit)
	synctest.Wait()
	return c, r
}
