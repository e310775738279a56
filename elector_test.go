package hakit_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hakit/hakit"
	"github.com/hakit/hakit/hakittest"
)

// leaderLog records every leadership and fails the test when two overlap.
type leaderLog struct {
	t       *testing.T
	onWin   func(id string, token uint64) // called as a leadership starts, if set
	mu      sync.Mutex
	current string
	tokens  []uint64
	holders []string
	bad     []string
}

// onStarted is an OnStartedLeading for candidate id: it holds the
// leadership until ctx ends.
func (l *leaderLog) onStarted(id string) func(context.Context, uint64) {
	return func(ctx context.Context, token uint64) {
		l.mu.Lock()
		if l.current != "" {
			l.bad = append(l.bad, fmt.Sprintf("%v: %s leads with token %d while %s still leads", time.Now().Format("15:04:05.000"), id, token, l.current))
		}
		if n := len(l.tokens); n > 0 && token <= l.tokens[n-1] {
			l.bad = append(l.bad, fmt.Sprintf("%s leads with token %d after token %d", id, token, l.tokens[n-1]))
		}
		l.current = id
		l.tokens = append(l.tokens, token)
		l.holders = append(l.holders, id)
		l.mu.Unlock()
		if l.onWin != nil {
			l.onWin(id, token)
		}
		<-ctx.Done()
		l.mu.Lock()
		if l.current == id {
			l.current = ""
		}
		l.mu.Unlock()
	}
}

func (l *leaderLog) leader() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.current
}

func (l *leaderLog) elections() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.tokens)
}

func (l *leaderLog) check(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, b := range l.bad {
		t.Error(b)
	}
}

var electConfig = hakit.ElectorConfig{LeaseDuration: 3 * time.Second, RenewDeadline: 2 * time.Second, RetryPeriod: 500 * time.Millisecond}

// Many candidates on a store whose clients are partitioned, delayed, lose
// replies and fail at random never have two leaders at the same instant,
// and every leadership has a higher token than the one before. Every source
// of randomness is seeded from the subtest's seed, so
// -run 'TestElectorSafetyUnderFaults/seed17' replays the same run
// (TestElectorChaosReplays checks that it does).
func TestElectorSafetyUnderFaults(t *testing.T) {
	for seed := range uint64(50) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := electionChaos(t, seed, nil)
				r.check(t)
			})
		})
	}
}

// The same, with each candidate's clock running at its own rate. The
// package's failure model tolerates rates that differ by a ratio up to
// LeaseDuration/RenewDeadline (3s/2s = 1.5 here): the rates are drawn
// from [1/1.2, 1.2], ratios up to 1.44.
func TestElectorSafetyUnderClockSkew(t *testing.T) {
	for seed := range uint64(30) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rng := rand.New(rand.NewPCG(seed, 7))
				rates := make([]float64, 5)
				for i := range rates {
					rates[i] = 1 / 1.2 * math.Pow(1.44, rng.Float64())
				}
				r := electionChaos(t, seed, rates)
				r.check(t)
			})
		})
	}
}

// Skew beyond the tolerated ratio does break the election: one candidate
// whose clock runs twice as fast as the others' (ratio 2 > 1.5) takes over
// while a leader still leads, in some of a few seeded runs. Without it,
// the test above could not fail for skew.
func TestElectorClockSkewBeyondModel(t *testing.T) {
	overlaps := 0
	for seed := range uint64(10) {
		synctest.Test(t, func(t *testing.T) {
			r := electionChaos(t, seed, []float64{2, 1, 1, 1, 1})
			overlaps += len(r.log.bad)
		})
	}
	t.Logf("%d overlaps in 10 runs with clock-rate ratio 2", overlaps)
	if overlaps == 0 {
		t.Fatal("no overlapping leaderships with clock-rate ratio 2 in 10 runs: the skew emulation does not bite")
	}
}

// Every seed of TestElectorSafetyUnderFaults run twice gives the same
// history: every record the store held, when, and every leadership with
// its start time. One seed alone is not enough: an event that two
// goroutines reach at the same virtual instant replays only by luck, and
// only in some seeds.
func TestElectorChaosReplays(t *testing.T) {
	for seed := range uint64(50) {
		var runs [2][]string
		for i := range runs {
			synctest.Test(t, func(t *testing.T) {
				runs[i] = electionChaos(t, seed, nil).transcript
			})
		}
		if len(runs[0]) < 10 {
			t.Fatalf("seed %d: transcript of %d lines, want a run with some history", seed, len(runs[0]))
		}
		if a, b := strings.Join(runs[0], "\n"), strings.Join(runs[1], "\n"); a != b {
			for i := range min(len(runs[0]), len(runs[1])) {
				if runs[0][i] != runs[1][i] {
					t.Fatalf("seed %d replayed differently from line %d:\n first %s\nsecond %s", seed, i, runs[0][i], runs[1][i])
				}
			}
			t.Fatalf("seed %d replayed with %d lines, first run %d", seed, len(runs[1]), len(runs[0]))
		}
	}
}

// chaosResult is what one chaotic election left behind.
type chaosResult struct {
	log        *leaderLog
	store      *hakittest.Lease
	transcript []string // leaderships and store records, with their times
	leader     string   // leader 20s after every fault healed
}

// check reports overlapping leaderships and the other properties every
// run must have.
func (r chaosResult) check(t *testing.T) {
	t.Helper()
	r.log.check(t)
	if r.leader == "" {
		t.Errorf("no leader 20s after every fault healed (store holds %+v)", must(r.store.Record()))
	}
	if n := r.log.elections(); n < 3 {
		t.Errorf("only %d leaderships in 5 minutes of faults: the test exercised too little", n)
	}
	// Tokens in the store never went down.
	var last uint64
	for _, rec := range r.store.History() {
		if rec.Token < last {
			t.Errorf("store token went from %d down to %d", last, rec.Token)
			return
		}
		last = rec.Token
	}
}

// electionChaos runs five candidates through five virtual minutes of
// faults drawn from seed, then heals everything. rates, if not nil, are
// the candidates' clock rates. Every random draw comes from a source
// seeded from seed, so a run replays.
func electionChaos(t *testing.T, seed uint64, rates []float64) chaosResult {
	rng := rand.New(rand.NewPCG(seed, 42)) // the fault schedule; this goroutine only
	store := hakittest.NewLease()
	log := &leaderLog{t: t}
	var transcript []string
	var transcriptMu sync.Mutex
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	clients := make([]*hakittest.Lease, 5)
	electors := make([]*hakit.Elector, len(clients))
	// A third of new leaders are cut off from the store at a random moment
	// of their first renewal period, when a leadership is youngest. The
	// draw depends on the seed and the token only, not on which goroutine
	// draws first.
	var faultMu sync.Mutex
	faulting := true // cleared when every fault heals
	log.onWin = func(id string, token uint64) {
		transcriptMu.Lock()
		transcript = append(transcript, fmt.Sprintf("%v %s leads with token %d", time.Now().Format("15:04:05.000"), id, token))
		transcriptMu.Unlock()
		win := rand.New(rand.NewPCG(seed, token))
		// The cut falls half a millisecond off the whole milliseconds:
		// the leader's renewal ticks fall on whole multiples of
		// RetryPeriod from this very instant, and a cut on a tick would
		// race the renewal, which goroutine synctest runs first deciding
		// whether the renewal gets through, so the run would not replay.
		cut := win.IntN(3) == 0
		after := time.Duration(win.IntN(int(electConfig.RetryPeriod/time.Millisecond)+100))*time.Millisecond + 500*time.Microsecond
		if !cut {
			return
		}
		var i int
		fmt.Sscanf(id, "c%d", &i)
		wg.Go(func() {
			time.Sleep(after)
			faultMu.Lock()
			defer faultMu.Unlock()
			if faulting {
				clients[i].Partition()
			}
		})
	}
	for i := range clients {
		id := fmt.Sprintf("c%d", i)
		clients[i] = store.Client(id)
		clients[i].SetRand(rand.New(rand.NewPCG(seed, 1000+uint64(i))))
		clients[i].SetLatency(time.Duration(rng.IntN(200))*time.Millisecond, 300*time.Millisecond)
		cfg := electConfig
		cfg.Lease, cfg.Identity = clients[i], id
		cfg.ReleaseOnCancel = i%2 == 0
		cfg.OnStartedLeading = log.onStarted(id)
		e, err := hakit.NewElector(cfg)
		if err != nil {
			t.Fatal(err)
		}
		hakit.SetElectorRand(e, rand.New(rand.NewPCG(seed, 2000+uint64(i))).Float64)
		if rates != nil {
			hakit.SetElectorClockRate(e, rates[i])
		}
		electors[i] = e
		wg.Go(func() { e.Run(ctx) })
	}
	// What the electors say of themselves, sampled every 10ms: IsLeader
	// is never true for two at once.
	wg.Go(func() {
		for ctx.Err() == nil {
			var leaders []string
			for i, e := range electors {
				if e.IsLeader() {
					leaders = append(leaders, fmt.Sprintf("c%d (token %d)", i, e.Token()))
				}
			}
			if len(leaders) > 1 {
				log.mu.Lock()
				log.bad = append(log.bad, fmt.Sprintf("%v: IsLeader true for %v", time.Now().Format("15:04:05.000"), leaders))
				log.mu.Unlock()
			}
			time.Sleep(10 * time.Millisecond)
		}
	})

	// Five virtual minutes of faults.
	for end := time.Now().Add(5 * time.Minute); time.Now().Before(end); {
		pause := time.Duration(rng.IntN(3000)) * time.Millisecond
		c := clients[rng.IntN(len(clients))]
		fault, n, latency, jitter := rng.IntN(8), rng.IntN(3), time.Duration(rng.IntN(1500))*time.Millisecond, time.Duration(rng.IntN(1000))*time.Millisecond
		time.Sleep(pause)
		switch fault {
		case 0:
			c.Partition()
		case 1:
			c.Heal()
		case 2:
			c.LoseReplies(1 + n%2)
		case 3:
			c.FailNext(1+n, errors.New("injected"))
		case 4:
			c.SetLatency(latency, jitter)
		case 5:
			c.SetLatency(0, 0)
		case 6:
			// A client deaf to its ctx: a renewal in flight outlives
			// the leadership's deadline.
			c.IgnoreContext(latency + jitter + time.Second)
		case 7:
			c.IgnoreContext(0)
		}
	}
	// Heal everything: one leader must emerge.
	faultMu.Lock()
	faulting = false
	faultMu.Unlock()
	for _, c := range clients {
		c.Heal()
		c.SetLatency(0, 0)
		c.IgnoreContext(0)
	}
	time.Sleep(20 * time.Second)
	res := chaosResult{log: log, store: store, leader: log.leader()}
	cancel()
	wg.Wait()
	for _, r := range store.History() {
		transcript = append(transcript, fmt.Sprintf("store: %q token %d renewed %s for %v", r.Holder, r.Token, r.Renewed.Format("15:04:05.000"), r.Duration))
	}
	res.transcript = transcript
	return res
}

func must(r hakit.LeaseRecord, _ bool) hakit.LeaseRecord { return r }

// A leader cut off from the store stops leading exactly RenewDeadline after
// the start of its last successful renewal, and another candidate takes over
// LeaseDuration after it last saw the record change, with the next token.
func TestElectorTakeoverTiming(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := hakittest.NewLease()
		a, b := store.Client("a"), store.Client("b")
		started := make(chan string, 4)
		var stoppedAt time.Time
		ea, _ := hakit.NewElector(hakit.ElectorConfig{Lease: a, Identity: "a", JitterFactor: -1,
			OnStartedLeading: func(ctx context.Context, token uint64) {
				started <- fmt.Sprint("a:", token)
				<-ctx.Done()
				stoppedAt = time.Now()
			}})
		eb, _ := hakit.NewElector(hakit.ElectorConfig{Lease: b, Identity: "b", JitterFactor: -1,
			OnStartedLeading: func(ctx context.Context, token uint64) { started <- fmt.Sprint("b:", token) }})
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		t0 := time.Now()
		go ea.Run(ctx)
		time.Sleep(time.Second) // b retries at odd seconds, a renews at even ones
		go eb.Run(ctx)
		if got := <-started; got != "a:1" {
			t.Fatalf("first leader %s, want a:1", got)
		}
		synctest.Wait()
		if !ea.IsLeader() || ea.Token() != 1 || eb.IsLeader() || eb.Leader() != "a" {
			t.Fatalf("a leads=%v token=%d, b leads=%v sees %q", ea.IsLeader(), ea.Token(), eb.IsLeader(), eb.Leader())
		}
		// a renews at 2s, 4s, 6s; cut it off just after the renewal at 6s.
		time.Sleep(6*time.Second + time.Millisecond)
		a.Partition()
		got := <-started
		takeover := time.Since(t0)
		if got != "b:2" {
			t.Fatalf("second leader %s, want b:2", got)
		}
		if d := stoppedAt.Sub(t0); d != 16*time.Second {
			t.Errorf("a stopped leading at %v, want 16s (last renewal at 6s + RenewDeadline 10s)", d)
		}
		// b retries every 2s from 1s and saw the 6s renewal at 7s; the
		// lease runs out at 22s, and b's next retry after that is at 23s.
		if takeover != 23*time.Second {
			t.Errorf("b took over at %v, want 23s", takeover)
		}
		if ea.IsLeader() || ea.Token() != 0 {
			t.Errorf("a still believes it leads")
		}
	})
}

// A leader whose ctx is cancelled with ReleaseOnCancel hands over at the
// other candidate's next retry, with the next token.
func TestElectorReleaseOnCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := hakittest.NewLease()
		tokens := make(chan string, 2)
		mk := func(id string) *hakit.Elector {
			e, err := hakit.NewElector(hakit.ElectorConfig{Lease: store.Client(id), Identity: id, ReleaseOnCancel: true, JitterFactor: -1,
				OnStartedLeading: func(_ context.Context, tok uint64) { tokens <- fmt.Sprint(id, ":", tok) }})
			if err != nil {
				t.Fatal(err)
			}
			return e
		}
		ctxA, cancelA := context.WithCancel(t.Context())
		ctxB, cancelB := context.WithCancel(t.Context())
		defer cancelB()
		doneA := make(chan struct{})
		ea := mk("a") // made here: mk may call t.Fatal, which a goroutine must not
		go func() { ea.Run(ctxA); close(doneA) }()
		synctest.Wait()
		go mk("b").Run(ctxB)
		<-tokens
		time.Sleep(5 * time.Second)
		cancelA()
		<-doneA
		released := time.Now()
		r, _ := store.Record()
		if r.Holder != "" || r.Token != 1 || r.Duration != time.Second {
			t.Fatalf("after release the store holds %+v, want no holder, token 1, duration 1s", r)
		}
		if got := <-tokens; got != "b:2" {
			t.Fatalf("next leader %s, want b:2", got)
		}
		if d := time.Since(released); d > 2*time.Second {
			t.Fatalf("b took over %v after the release, want within RetryPeriod 2s", d)
		}
	})
}

// A write applied by the store whose reply is lost is recognised as the
// candidate's own at the next attempt.
func TestElectorLostReplies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := hakittest.NewLease()
		a := store.Client("a")
		a.LoseReplies(1)
		tokens := make(chan uint64, 1)
		e, _ := hakit.NewElector(hakit.ElectorConfig{Lease: a, Identity: "a", OnStartedLeading: func(_ context.Context, tok uint64) { tokens <- tok }})
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go e.Run(ctx)
		if tok := <-tokens; tok != 2 {
			t.Fatalf("token %d, want 2 (the lost create took 1)", tok)
		}
		// A lost renewal reply does not end the leadership.
		a.LoseReplies(1)
		time.Sleep(30 * time.Second)
		if !e.IsLeader() || e.Token() != 2 {
			t.Fatalf("after a lost renewal reply: leader=%v token=%d, want still leading with 2", e.IsLeader(), e.Token())
		}
		if s := e.Stats(); s.Elections != 1 || s.Renewals < 10 {
			t.Fatalf("stats %+v, want 1 election and ≥10 renewals", s)
		}
	})
}

// Store errors are retried; they never end Run or panic.
func TestElectorStoreErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := hakittest.NewLease()
		a := store.Client("a")
		a.FailNext(5, errors.New("connection reset"))
		e, _ := hakit.NewElector(hakit.ElectorConfig{Lease: a, Identity: "a", RetryPeriod: time.Second, JitterFactor: -1})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- e.Run(ctx) }()
		time.Sleep(10 * time.Second)
		if !e.IsLeader() {
			t.Fatalf("not leading after the errors stopped: %+v", e.Stats())
		}
		s := e.Stats()
		if s.Errors != 5 || s.LastError == nil || !strings.Contains(s.LastError.Error(), "connection reset") {
			t.Fatalf("stats %+v, want 5 errors, the last one the injected one", s)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run returned %v after cancel, want nil", err)
		}
	})
}

func TestElectorNewLeaderAndStopped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := hakittest.NewLease()
		var mu sync.Mutex
		var events []string
		add := func(s string) { mu.Lock(); events = append(events, s); mu.Unlock() }
		a := store.Client("a")
		ea, _ := hakit.NewElector(hakit.ElectorConfig{Lease: a, Identity: "a", JitterFactor: -1,
			OnStartedLeading: func(ctx context.Context, tok uint64) { add(fmt.Sprint("a started ", tok)); <-ctx.Done() },
			OnStoppedLeading: func() { add("a stopped") },
			OnNewLeader:      func(id string) { add("a sees " + id) }})
		eb, _ := hakit.NewElector(hakit.ElectorConfig{Lease: store.Client("b"), Identity: "b", JitterFactor: -1,
			OnStartedLeading: func(ctx context.Context, tok uint64) { add(fmt.Sprint("b started ", tok)) },
			OnNewLeader:      func(id string) { add("b sees " + id) }})
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go ea.Run(ctx)
		synctest.Wait()
		go eb.Run(ctx)
		time.Sleep(time.Second)
		a.Partition()
		time.Sleep(30 * time.Second)
		a.Heal()
		time.Sleep(10 * time.Second)
		mu.Lock()
		defer mu.Unlock()
		want := "a sees a,a started 1,b sees a,a stopped,b sees b,b started 2,a sees b"
		if got := strings.Join(events, ","); got != want {
			t.Fatalf("events:\n got %s\nwant %s", got, want)
		}
	})
}

func TestElectorConfigErrors(t *testing.T) {
	l := hakittest.NewLease()
	tests := []struct {
		cfg  hakit.ElectorConfig
		want string
	}{
		{hakit.ElectorConfig{Identity: "a"}, "Lease"},
		{hakit.ElectorConfig{Lease: l}, "Identity"},
		{hakit.ElectorConfig{Lease: l, Identity: "a", LeaseDuration: -1}, "LeaseDuration"},
		{hakit.ElectorConfig{Lease: l, Identity: "a", RenewDeadline: 20 * time.Second}, "RenewDeadline 20s must be shorter than LeaseDuration 15s (default)"},
		{hakit.ElectorConfig{Lease: l, Identity: "a", LeaseDuration: 5 * time.Second}, "RenewDeadline 10s (default) must be shorter than LeaseDuration 5s"},
		{hakit.ElectorConfig{Lease: l, Identity: "a", RenewDeadline: 15 * time.Second, LeaseDuration: 15 * time.Second}, "RenewDeadline 15s must be shorter than LeaseDuration 15s"},
		{hakit.ElectorConfig{Lease: l, Identity: "a", RetryPeriod: 9 * time.Second}, "RenewDeadline 10s (default) must be longer than RetryPeriod 9s × JitterFactor 1.2"},
		{hakit.ElectorConfig{Lease: l, Identity: "a", RetryPeriod: -1}, "RetryPeriod"},
	}
	for _, tt := range tests {
		_, err := hakit.NewElector(tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewElector(%+v) = %v, want an error containing %q", tt.cfg, err, tt.want)
		}
	}
	if _, err := hakit.NewElector(hakit.ElectorConfig{Lease: l, Identity: "a"}); err != nil {
		t.Errorf("minimal config: %v", err)
	}
}

func TestElectorRunTwice(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e, _ := hakit.NewElector(hakit.ElectorConfig{Lease: hakittest.NewLease(), Identity: "a"})
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go e.Run(ctx)
		synctest.Wait()
		if err := e.Run(ctx); err == nil {
			t.Fatal("second concurrent Run returned nil, want an error")
		}
	})
}

func TestInMemoryLeaseConformance(t *testing.T) {
	hakittest.TestLease(t, func(*testing.T) hakit.Lease { return hakittest.NewLease() })
}

// A cancellation that cuts a renewal short after the store applied it (its
// reply lost) still releases the lease.
func TestElectorReleaseAfterInterruptedRenewal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := hakittest.NewLease()
		a := store.Client("a")
		e, _ := hakit.NewElector(hakit.ElectorConfig{Lease: a, Identity: "a", ReleaseOnCancel: true})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { e.Run(ctx); close(done) }()
		synctest.Wait()
		a.SetLatency(200*time.Millisecond, 0)
		// The renewal at 2s reaches the store at 2.1s; its reply is due
		// at 2.2s. Cancel in between.
		time.Sleep(2150 * time.Millisecond)
		cancel()
		<-done
		r, _ := store.Record()
		if r.Holder != "" {
			t.Fatalf("after cancel the store holds %+v, want the lease released", r)
		}
	})
}

// A record that vanishes (an expiry, a failover that lost it) is created
// again under a token above every token seen.
func TestElectorRecordVanishes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := hakittest.NewLease()
		tokens := make(chan uint64, 4)
		e, _ := hakit.NewElector(hakit.ElectorConfig{Lease: store.Client("a"), Identity: "a",
			OnStartedLeading: func(ctx context.Context, tok uint64) { tokens <- tok; <-ctx.Done() }})
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go e.Run(ctx)
		if tok := <-tokens; tok != 1 {
			t.Fatalf("first token %d, want 1", tok)
		}
		store.Delete()
		if tok := <-tokens; tok != 2 {
			t.Fatalf("token after the record vanished %d, want 2", tok)
		}
	})
}
