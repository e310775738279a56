package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
)

// lineBuffer collects what one run writes on stdout.
type lineBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lineBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// events decodes every line, failing the test on anything that is not one
// of the contract's objects with exactly its fields.
func (b *lineBuffer) events(t *testing.T, id string) []event {
	t.Helper()
	b.mu.Lock()
	text := b.buf.String()
	b.mu.Unlock()
	var evs []event
	for _, line := range strings.SplitAfter(text, "\n") {
		if line == "" {
			continue
		}
		if !strings.HasSuffix(line, "\n") {
			break // being written
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal([]byte(line), &fields); err != nil {
			t.Fatalf("%s: stdout line %q is not a JSON object: %v", id, line, err)
		}
		var e event
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("%s: stdout line %q: %v", id, line, err)
		}
		want := map[string][]string{"leading": {"event", "id", "token"}, "stopped": {"event", "id"}, "leader": {"event", "leader"}}[e.Event]
		if want == nil || len(fields) != len(want) {
			t.Fatalf("%s: stdout line %q is not a contract event", id, line)
		}
		for _, k := range want {
			if fields[k] == nil {
				t.Fatalf("%s: stdout line %q lacks %q", id, line, k)
			}
		}
		if tok := fields["token"]; tok != nil && strings.ContainsAny(string(tok), ".eE\"") {
			t.Fatalf("%s: token %s is not a JSON integer", id, tok)
		}
		evs = append(evs, e)
	}
	return evs
}

type contractProc struct {
	id     string
	out    lineBuffer
	errs   lineBuffer
	cancel context.CancelFunc
	code   chan int
}

func startContractProc(t *testing.T, addr, id string) *contractProc {
	ctx, cancel := context.WithCancel(context.Background())
	p := &contractProc{id: id, cancel: cancel, code: make(chan int, 1)}
	go func() {
		p.code <- run(ctx, []string{"-backend", "redis", "-addr", addr, "-name", "contract", "-id", id,
			"-lease", "3s", "-renew", "2s", "-retry", "200ms"}, &p.out, &p.errs)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-p.code:
		case <-time.After(10 * time.Second):
			t.Errorf("%s did not return", id)
		}
	})
	return p
}

// stop cancels the run, as SIGTERM does, and checks it returns 0 within 5s.
func (p *contractProc) stop(t *testing.T) {
	t.Helper()
	p.cancel()
	select {
	case code := <-p.code:
		p.code <- code // for Cleanup
		if code != 0 {
			t.Fatalf("%s exited %d after cancel; stderr:\n%s", p.id, code, p.errs.buf.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("%s did not exit within 5s of cancel", p.id)
	}
}

// waitFor polls until cond holds for the events of procs, or fails after d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %v", what, d)
		}
	}
}

// The stdout contract of elect on an in-memory Redis: exactly one leader
// with a token, followers naming it, "stopped" as the leader's last line
// when it is stopped, a takeover with a higher token, followers naming the
// new leader, and exit 0 for every process.
func TestElectContractOnMiniredis(t *testing.T) {
	s := miniredis.RunT(t)
	procs := map[string]*contractProc{}
	for _, id := range []string{"a", "b", "c"} {
		procs[id] = startContractProc(t, s.Addr(), id)
	}
	// leading returns the token of p's current leadership, if it leads:
	// its last "leading" line not followed by "stopped".
	leading := func(p *contractProc) (uint64, bool) {
		var tok uint64
		leads := false
		for _, e := range p.out.events(t, p.id) {
			switch e.Event {
			case "leading":
				if e.ID != p.id {
					t.Fatalf("%s printed leading for %q", p.id, e.ID)
				}
				tok, leads = *e.Token, true
			case "stopped":
				leads = false
			}
		}
		return tok, leads
	}
	sees := func(p *contractProc, leader string) bool {
		evs := p.out.events(t, p.id)
		for i := len(evs) - 1; i >= 0; i-- {
			if evs[i].Event == "leader" {
				return evs[i].Leader == leader
			}
		}
		return false
	}
	leaderOf := func(ps map[string]*contractProc) *contractProc {
		var found *contractProc
		for _, p := range ps {
			if _, leads := leading(p); leads {
				if found != nil {
					t.Fatalf("%s and %s both lead", found.id, p.id)
				}
				found = p
			}
		}
		return found
	}

	var first *contractProc
	waitFor(t, 5*time.Second, "leader", func() bool { first = leaderOf(procs); return first != nil })
	tok1, _ := leading(first)
	for id, p := range procs {
		if p != first {
			waitFor(t, 5*time.Second, id+"'s leader event for "+first.id, func() bool { return sees(p, first.id) })
		}
	}

	first.stop(t)
	evs := first.out.events(t, first.id)
	if last := evs[len(evs)-1]; last.Event != "stopped" || last.ID != first.id {
		t.Fatalf("%s's last line %+v, want stopped", first.id, last)
	}
	delete(procs, first.id)
	var second *contractProc
	waitFor(t, 5*time.Second, "takeover", func() bool { second = leaderOf(procs); return second != nil })
	if tok2, _ := leading(second); tok2 <= tok1 {
		t.Fatalf("%s leads with token %d after %s's %d", second.id, tok2, first.id, tok1)
	}
	for id, p := range procs {
		if p != second {
			waitFor(t, 5*time.Second, id+"'s leader event for "+second.id, func() bool { return sees(p, second.id) })
		}
	}
	for _, p := range procs {
		p.stop(t)
	}
}
