package galera_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hakit/hakit/galera"
	"github.com/hakit/hakit/galera/galeratest"
)

func fakeCluster(t testing.TB) *galeratest.Cluster {
	t.Helper()
	c, err := galeratest.NewCluster(galeratest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func newChecker(t *testing.T, c *galeratest.Cluster, i int, p galera.Policy, timeout time.Duration) *galera.Checker {
	t.Helper()
	cfg := c.DriverConfig("")
	cfg.Addr = c.Node(i).Addr()
	ch, err := galera.NewChecker(galera.CheckerConfig{Driver: cfg, Policy: p, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ch.Close() })
	return ch
}

func TestCheckerOnFakeNode(t *testing.T) {
	c := fakeCluster(t)
	n := c.Node(0)
	ctx := context.Background()
	ch := newChecker(t, c, 0, galera.Policy{}, time.Second)
	strict := newChecker(t, c, 0, galera.Policy{UnavailableWhenReadOnly: true, RequireAcceptingQueries: true}, time.Second)

	if err := ch.Check(ctx); err != nil {
		t.Fatalf("synced node: %v", err)
	}
	n.SetState(func(s *galera.NodeState) { s.LocalState = galera.LocalStateDonor })
	if err := ch.Check(ctx); !errors.Is(err, galera.ErrUnavailable) {
		t.Fatalf("donor: %v", err)
	}
	n.SetState(func(s *galera.NodeState) { s.ReadOnly = true })
	if err := ch.Check(ctx); err != nil {
		t.Fatalf("read-only with the default policy: %v", err)
	}
	var ue *galera.UnavailableError
	if err := strict.Check(ctx); !errors.As(err, &ue) || ue.Reason != galera.ReasonReadOnly {
		t.Fatalf("read-only with available_when_readonly=0: %v", err)
	}
	n.SetState(func(s *galera.NodeState) { s.RejectQueries = galera.RejectQueriesAll })
	if err := strict.Check(ctx); !errors.As(err, &ue) {
		t.Fatalf("reject queries: %v", err)
	}
	n.SetState(nil)

	// A stopped node accepts TCP but never answers: the timeout covers
	// the handshake and the queries.
	n.Freeze()
	start := time.Now()
	err := ch.Check(ctx)
	var ne *galera.NodeError
	if !errors.As(err, &ne) || ne.Node != n.Addr() {
		t.Fatalf("frozen node: %v, want *NodeError naming %s", err, n.Addr())
	}
	// 1s expected; what is ruled out is waiting on a silent server for
	// ever.
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("frozen node check took %v with a 1s timeout", d)
	}
	n.Thaw()
	if err := ch.Check(ctx); err != nil {
		t.Fatalf("after thaw: %v", err)
	}
	n.Kill()
	if err := ch.Check(ctx); !errors.As(err, &ne) {
		t.Fatalf("killed node: %v", err)
	}
	if s := ch.Stats(); s.Checks != 6 || s.Errors != 2 || s.Unavailable != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestHandlerOverFakeNode(t *testing.T) {
	c := fakeCluster(t)
	ch := newChecker(t, c, 1, galera.Policy{}, time.Second)
	srv := httptest.NewServer(galera.Handler{Checker: ch})
	defer srv.Close()
	get := func() (int, string) {
		res, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := get(); code != 200 || body != galera.BodySynced {
		t.Fatalf("got %d %q", code, body)
	}
	c.Node(1).SetState(func(s *galera.NodeState) { s.LocalState = galera.LocalStateJoined })
	if code, body := get(); code != 503 || body != galera.BodyNotSynced {
		t.Fatalf("joined node answered %d %q", code, body)
	}
}

// A node answering garbage gives an error naming the node, the variable
// and the value.
func TestCheckerGarbageAnswer(t *testing.T) {
	c := fakeCluster(t)
	ch := newChecker(t, c, 2, galera.Policy{}, time.Second)
	c.Node(2).SetRows(func(status, _ map[string]string) { status["wsrep_cluster_status"] = "Primary\x00junk" })
	err := ch.Check(context.Background())
	var se *galera.StateError
	if !errors.As(err, &se) || se.Node != c.Node(2).Addr() || se.Variable != "wsrep_cluster_status" || se.Value != "Primary\x00junk" {
		t.Fatalf("err = %v, want a *StateError naming node, variable and value", err)
	}
	c.Node(2).SetRows(func(status, _ map[string]string) { delete(status, "wsrep_local_state") })
	if err := ch.Check(context.Background()); !errors.As(err, &se) || !se.Missing {
		t.Fatalf("missing wsrep_local_state: %v", err)
	}
}
