package cache

import (
	"errors"
	"io"
	"slices"
	"testing"
	"time"
)

func TestEjector(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	boom := errors.New("boom")
	type step struct {
		at      time.Duration
		op      string // "fail", "ok", "return"
		server  int
		ejected bool  // for fail: whether it ejects
		back    []int // for return
		live    []bool
	}
	for _, tc := range []struct {
		name  string
		limit int
		steps []step
	}{
		{"nutcracker defaults: two consecutive failures eject for 30s", 2, []step{
			{0, "fail", 0, false, nil, []bool{true, true}},
			{time.Second, "fail", 0, true, nil, []bool{false, true}},
			{29 * time.Second, "return", 0, false, nil, []bool{false, true}},
			// next_retry <= now: back exactly at the retry time.
			{31 * time.Second, "return", 0, false, []int{0}, []bool{true, true}},
		}},
		{"a response resets the count (server_ok)", 2, []step{
			{0, "fail", 1, false, nil, []bool{true, true}},
			{time.Second, "ok", 1, false, nil, []bool{true, true}},
			{2 * time.Second, "fail", 1, false, nil, []bool{true, true}},
			{3 * time.Second, "fail", 1, true, nil, []bool{true, false}},
		}},
		{"back, then ejected again only after limit more failures", 3, []step{
			{0, "fail", 0, false, nil, nil},
			{0, "fail", 0, false, nil, nil},
			{0, "fail", 0, true, nil, []bool{false, true}},
			{30 * time.Second, "return", 0, false, []int{0}, []bool{true, true}},
			{30 * time.Second, "fail", 0, false, nil, []bool{true, true}},
			{30 * time.Second, "fail", 0, false, nil, []bool{true, true}},
			{30 * time.Second, "fail", 0, true, nil, []bool{false, true}},
		}},
		{"failures of requests begun before the ejection do not count", 1, []step{
			{0, "fail", 0, true, nil, []bool{false, true}},
			{time.Second, "fail", 0, false, nil, []bool{false, true}},
			{30 * time.Second, "return", 0, false, []int{0}, []bool{true, true}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEjector(2, tc.limit, 30*time.Second)
			for n, s := range tc.steps {
				now := t0.Add(s.at)
				switch s.op {
				case "fail":
					if got := e.failure(s.server, now, boom, false, 0); got != s.ejected {
						t.Fatalf("step %d: failure ejected=%v, want %v", n, got, s.ejected)
					}
				case "ok":
					e.success(s.server)
				case "return":
					if got := e.returnDue(now); !slices.Equal(got, s.back) {
						t.Fatalf("step %d: returned %v, want %v", n, got, s.back)
					}
				}
				for i, want := range s.live {
					if e.live(i) != want {
						t.Fatalf("step %d: server %d live=%v, want %v", n, i, e.live(i), want)
					}
				}
			}
		})
	}
}

func TestEjectorNextReturn(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	e := newEjector(3, 1, 10*time.Second)
	if !e.nextReturn().IsZero() {
		t.Error("next return with nothing ejected")
	}
	e.failure(2, t0.Add(5*time.Second), nil, false, 0)
	e.failure(0, t0, nil, false, 0)
	if got := e.nextReturn(); !got.Equal(t0.Add(10 * time.Second)) {
		t.Errorf("next return %v", got)
	}
}

func TestEjectorPeerClosedCountsOncePerDial(t *testing.T) {
	t0 := time.Unix(1000, 0)
	e := newEjector(1, 2, time.Second)
	// Two idle connections die with a restart: one failure.
	for range 2 {
		if e.failure(0, t0, io.EOF, true, 1) {
			t.Fatal("ejected by the idle connections of a restart")
		}
	}
	if e.servers[0].failures != 1 {
		t.Fatalf("failures %d, want 1", e.servers[0].failures)
	}
	// A connection dialled since also fails: ejected.
	if !e.failure(0, t0, io.EOF, true, 2) {
		t.Fatal("not ejected when a fresh connection failed too")
	}
	// Dial errors and timeouts count each time.
	e = newEjector(1, 2, time.Second)
	e.failure(0, t0, io.EOF, true, 1)
	if !e.failure(0, t0, errors.New("refused"), false, 1) {
		t.Fatal("a dial error after a peer-closed failure did not eject")
	}
	// An answer starts the peer-closed allowance over.
	e = newEjector(1, 2, time.Second)
	e.failure(0, t0, io.EOF, true, 1)
	e.success(0)
	if e.failure(0, t0, io.EOF, true, 1) {
		t.Fatal("ejected after an answer reset the count")
	}
}

// A due server is handed to one prober only; a failed probe keeps it out
// for another retry period, a successful one puts it back.
func TestEjectorProbeSingleFlight(t *testing.T) {
	t0 := time.Unix(1000, 0)
	e := newEjector(2, 1, 10*time.Second)
	e.failure(0, t0, errors.New("boom"), false, 0)
	if due := e.probeDue(t0.Add(5 * time.Second)); len(due) != 0 {
		t.Fatalf("probed %v before the retry time", due)
	}
	if due := e.probeDue(t0.Add(10 * time.Second)); !slices.Equal(due, []int{0}) {
		t.Fatalf("probeDue = %v, want [0]", due)
	}
	if due := e.probeDue(t0.Add(11 * time.Second)); len(due) != 0 || !e.nextReturn().IsZero() {
		t.Fatalf("a second prober got %v (next return %v) while the probe is in flight", due, e.nextReturn())
	}
	e.probeDone(0, t0.Add(12*time.Second), false)
	if e.live(0) || !e.nextReturn().Equal(t0.Add(22*time.Second)) {
		t.Fatalf("after a failed probe: live %v, next %v; want out until +22s", e.live(0), e.nextReturn())
	}
	if due := e.probeDue(t0.Add(22 * time.Second)); !slices.Equal(due, []int{0}) {
		t.Fatalf("probeDue = %v, want [0]", due)
	}
	e.probeDone(0, t0.Add(22*time.Second), true)
	if !e.live(0) || e.servers[0].returns != 1 {
		t.Fatalf("after a good probe: live %v, returns %d", e.live(0), e.servers[0].returns)
	}
}
