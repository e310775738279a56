package galera_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hakit/hakit/galera"
)

// Drain and Switchover move the writer on purpose under a write load:
// every write is acknowledged (the retired connections' unsent
// statements are retried on the new writer), and each lands on the
// writer of its moment.
func TestRouterDrainAndSwitchover(t *testing.T) {
	e := startRouter(t, nil)
	n0, n1, n2 := e.c.Node(0), e.c.Node(1), e.c.Node(2)
	waitWriter(t, e.r, n0.Addr())
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var loadErr error
	var acked atomic.Int64
	var loadFailed atomic.Bool
	wg.Go(func() {
		for id := 1; ctx.Err() == nil && id < 100000; id++ {
			_, err := galera.RetryExec(context.Background(), e.w, fast, "INSERT INTO t (id, at) VALUES (?, 0)", id)
			if err != nil {
				loadErr = err
				loadFailed.Store(true)
				return
			}
			acked.Store(int64(id))
		}
	})
	step := func(what string, do func() error, want string) {
		t.Helper()
		if err := do(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		waitWriter(t, e.r, want)
		// Some writes on this writer before the next move.
		from := acked.Load()
		deadline := time.Now().Add(5 * time.Second)
		for acked.Load() < from+5 && !loadFailed.Load() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: no writes acknowledged", what)
			}
			time.Sleep(time.Millisecond)
		}
	}
	step("drain node 0", func() error { return e.r.Drain(n0.Addr()) }, n1.Addr())
	step("switch over to node 2", func() error { return e.r.Switchover(n2.Addr()) }, n2.Addr())
	step("undrain node 0: the switchover holds", func() error { return e.r.Undrain(n0.Addr()) }, n2.Addr())
	step("back to the ranking", func() error { return e.r.Switchover("") }, n0.Addr())
	cancel()
	wg.Wait()
	if loadErr != nil {
		t.Fatalf("a write failed during the moves: %v", loadErr)
	}
	var n int
	if err := e.w.QueryRow("SELECT COUNT(*) FROM t").Scan(&n); err != nil || int64(n) != acked.Load() || n == 0 {
		t.Fatalf("%d rows, %d acknowledged (%v)", n, acked.Load(), err)
	}
	for _, node := range []int{0, 1, 2} {
		if !executedOn(e.c.Node(node), "INSERT") {
			t.Errorf("no insert ran on node %d", node)
		}
	}

	if err := e.r.Switchover("127.0.0.1:1"); err == nil {
		t.Fatal("Switchover to an unknown node accepted")
	}
	n1.Kill()
	waitDown(t, e.r, 1)
	if err := e.r.Switchover(n1.Addr()); !errors.Is(err, galera.ErrNoWriter) {
		t.Fatalf("Switchover to a dead node = %v, want ErrNoWriter", err)
	}
	if e.r.WriterAddr() != n0.Addr() {
		t.Fatalf("a refused switchover moved the writer to %q", e.r.WriterAddr())
	}
}

// waitDown waits until the router has node i down.
func waitDown(t *testing.T, r *galera.Router, i int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for r.Stats().Nodes[i].Role != galera.RoleDown {
		if time.Now().After(deadline) {
			t.Fatalf("node %d not down: %+v", i, r.Stats().Nodes[i])
		}
		time.Sleep(5 * time.Millisecond)
	}
}
