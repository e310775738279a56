//go:build integration

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// electProc is one elect process and the events it printed.
type electProc struct {
	id     string
	cmd    *exec.Cmd
	events chan event
	stderr *strings.Builder
	exited chan error

	mu        sync.Mutex
	pending   []event   // read from events but not yet consumed, oldest first
	leadingAt time.Time // when the last "leading" line was read from stdout
}

func (p *electProc) lastLeadingAt() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.leadingAt
}

func (p *electProc) pushBack(e event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pending = append(p.pending, e)
}

func (p *electProc) popPending() (event, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.pending) == 0 {
		return event{}, false
	}
	e := p.pending[0]
	p.pending = p.pending[1:]
	return e, true
}

// electBinary builds the elect command once per test binary.
var electBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "hakit-elect-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "elect")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

func startElect(t *testing.T, backend, addr, name, id string) *electProc {
	t.Helper()
	bin, err := electBinary()
	if err != nil {
		t.Fatal(err)
	}
	p := &electProc{id: id, events: make(chan event, 64), stderr: &strings.Builder{}, exited: make(chan error, 1)}
	p.cmd = exec.Command(bin, "-backend", backend, "-addr", addr, "-name", name, "-id", id,
		"-lease", "3s", "-renew", "2s", "-retry", "500ms")
	p.cmd.Stderr = &syncWriter{b: p.stderr}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.cmd.Process.Signal(syscall.SIGCONT)
		p.cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("stderr of %s:\n%s", id, p.stderr)
		}
	})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var e event
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.Event == "" {
				t.Errorf("%s printed a line that is not an event: %q", id, sc.Text())
				continue
			}
			if e.Event == "leading" {
				if e.Token == nil {
					t.Errorf("%s printed leading without a token: %q", id, sc.Text())
				}
				// Stamped as it is printed, not when a test gets to it.
				p.mu.Lock()
				p.leadingAt = time.Now()
				p.mu.Unlock()
			}
			p.events <- e
		}
		p.exited <- p.cmd.Wait()
		close(p.events)
	}()
	return p
}

// next waits up to d for p's next event.
func (p *electProc) next(t *testing.T, d time.Duration, what string) event {
	t.Helper()
	if e, ok := p.popPending(); ok {
		return e
	}
	select {
	case e, ok := <-p.events:
		if !ok {
			t.Fatalf("%s exited while waiting for %s", p.id, what)
		}
		return e
	case <-time.After(d):
		t.Fatalf("%s: no event within %v while waiting for %s", p.id, d, what)
	}
	return event{}
}

// expect waits up to d for p's next event and checks it.
func (p *electProc) expect(t *testing.T, d time.Duration, want event) event {
	t.Helper()
	e := p.next(t, d, want.Event)
	if e.Event != want.Event || (want.Leader != "" && e.Leader != want.Leader) || (want.ID != "" && e.ID != want.ID) {
		t.Fatalf("%s printed %+v, want %+v", p.id, e, want)
	}
	return e
}

// seesLeader waits up to d for p to print that it sees leader; "leader"
// events naming others may come first, anything else fails.
func (p *electProc) seesLeader(t *testing.T, d time.Duration, leader string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		e := p.next(t, time.Until(deadline), "leader "+leader)
		if e.Event != "leader" {
			t.Fatalf("%s printed %+v while waiting to see leader %s", p.id, e, leader)
		}
		if e.Leader == leader {
			return
		}
	}
}

// quiet checks that p prints nothing for d.
func (p *electProc) quiet(t *testing.T, d time.Duration) {
	t.Helper()
	if e, ok := p.popPending(); ok {
		t.Fatalf("%s printed %+v, want nothing", p.id, e)
	}
	select {
	case e := <-p.events:
		t.Fatalf("%s printed %+v, want nothing", p.id, e)
	case <-time.After(d):
	}
}

func (p *electProc) terminate(t *testing.T) {
	t.Helper()
	start := time.Now()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.exited:
		if err != nil {
			t.Fatalf("%s exited with %v after SIGTERM, want 0", p.id, err)
		}
		p.exited <- err // for Cleanup
	case <-time.After(5 * time.Second):
		t.Fatalf("%s did not exit within 5s of SIGTERM", p.id)
	}
	t.Logf("%s exited %v after SIGTERM", p.id, time.Since(start).Round(time.Millisecond))
}

type syncWriter struct {
	mu sync.Mutex
	b  *strings.Builder
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// runElectScenario runs three elect processes on one lease of a real store
// and checks the contract: one leader, followers told of it; the leader
// suspended past its lease is replaced under a higher token and, resumed,
// says it stopped and sees the new leader; a terminated leader releases the
// lease, exits 0 within 5s, and another takes over at once under a higher
// token.
func runElectScenario(t *testing.T, backend, addr string) {
	runElectScenarioOn(t, backend, []string{addr, addr, addr})
}

// runElectScenarioOn is runElectScenario with one address per process,
// for stores whose processes may each talk to another node.
func runElectScenarioOn(t *testing.T, backend string, addrs []string) {
	name := fmt.Sprintf("elect-test-%d", rand.Uint32())
	procs := map[string]*electProc{}
	for i, id := range []string{"p1", "p2", "p3"} {
		procs[id] = startElect(t, backend, addrs[i], name, id)
	}

	// 1. Exactly one leads; the others see it.
	first, _ := waitLeading(t, procs, 15*time.Second)
	leader := procs[first.ID]
	for _, p := range procs {
		if p != leader {
			p.seesLeader(t, 5*time.Second, leader.id)
		}
	}
	t.Logf("%s leads with token %d", leader.id, *first.Token)

	// 2. Suspend the leader past its lease: another takes over.
	if err := leader.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stoppedAt := time.Now()
	rest := map[string]*electProc{}
	for id, p := range procs {
		if p != leader {
			rest[id] = p
		}
	}
	second, at := waitLeading(t, rest, 10*time.Second)
	t.Logf("%s leads with token %d, %v after the leader was suspended", second.ID, *second.Token, at.Sub(stoppedAt).Round(time.Millisecond))
	if *second.Token <= *first.Token {
		t.Fatalf("new leader's token %d is not above %d", *second.Token, *first.Token)
	}
	for id, p := range rest {
		if id != second.ID {
			p.seesLeader(t, 5*time.Second, second.ID)
		}
	}
	time.Sleep(time.Until(stoppedAt.Add(5 * time.Second)))

	// 3. Resume it: it says it stopped, at once, and sees the new leader.
	if err := leader.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	leader.expect(t, time.Second, event{Event: "stopped", ID: leader.id})
	leader.seesLeader(t, 5*time.Second, second.ID)
	procs[second.ID].quiet(t, 2*time.Second)

	// 4. Terminate the new leader: it releases, and another takes over
	// within about one retry period.
	newLeader := procs[second.ID]
	termAt := time.Now()
	newLeader.terminate(t)
	newLeader.expect(t, time.Second, event{Event: "stopped", ID: newLeader.id})
	delete(procs, second.ID)
	third, at := waitLeading(t, procs, 5*time.Second)
	took := at.Sub(termAt)
	t.Logf("%s leads with token %d, %v after SIGTERM of the leader", third.ID, *third.Token, took.Round(time.Millisecond))
	if *third.Token <= *second.Token {
		t.Fatalf("token %d after release is not above %d", *third.Token, *second.Token)
	}
	// A follower retries within 500ms × 1.2 of its last try; without the
	// release it would wait out the 3s lease, at least 2.5s after SIGTERM.
	if took > 2*time.Second {
		t.Fatalf("takeover after a released lease took %v, want about one retry period", took)
	}

	// 5. Followers exit 0 on SIGTERM too.
	for _, p := range procs {
		p.terminate(t)
	}
}

// waitLeading waits for exactly one of procs to print "leading"; the others
// may print "leader" events meanwhile, which are consumed.
func waitLeading(t *testing.T, procs map[string]*electProc, d time.Duration) (event, time.Time) {
	t.Helper()
	deadline := time.Now().Add(d)
	type got struct {
		p  *electProc
		e  event
		at time.Time
	}
	ch := make(chan got, 16)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, p := range procs {
		wg.Go(func() {
			// Only "leader" events are ever pushed back, so pending
			// holds no "leading" one: read the live events.
			for {
				select {
				case e, ok := <-p.events:
					if !ok {
						return
					}
					if e.Event != "leader" {
						ch <- got{p, e, p.lastLeadingAt()}
						return
					}
					p.pushBack(e) // kept for seesLeader
				case <-stop:
					return
				}
			}
		})
	}
	defer func() { close(stop); wg.Wait() }()
	select {
	case g := <-ch:
		if g.e.Event != "leading" {
			t.Fatalf("%s printed %+v while waiting for a leader", g.p.id, g.e)
		}
		if g.e.ID != g.p.id {
			t.Fatalf("%s printed leading for id %q", g.p.id, g.e.ID)
		}
		// Nobody else may lead in the same election.
		select {
		case other := <-ch:
			t.Fatalf("%s and %s both lead (%+v, %+v)", g.p.id, other.p.id, g.e, other.e)
		case <-time.After(time.Second):
		}
		return g.e, g.at
	case <-time.After(time.Until(deadline)):
		t.Fatalf("no process led within %v", d)
	}
	return event{}, time.Time{}
}
