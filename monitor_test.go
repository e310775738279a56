package hakit_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hakit/hakit"
	"github.com/hakit/hakit/hakittest"
)

var errDown = errors.New("connection refused")

// statusTrail runs a monitor through steps and returns the status after
// each one. A step is "+" (passed check), "-" (failed check), "e" (reported
// error) or "o" (reported success).
func statusTrail(t *testing.T, cfg hakit.MonitorConfig, steps string) []string {
	t.Helper()
	var trail []string
	synctest.Test(t, func(t *testing.T) {
		chk := &hakittest.Checker{}
		cfg.Checker = chk
		m, err := hakit.NewMonitor(cfg)
		if err != nil {
			t.Fatal(err)
		}
		trail = append(trail, m.Status().String())
		for _, s := range steps {
			switch s {
			case '+', '-':
				if s == '-' {
					chk.Script(errDown)
				} else {
					chk.Script(nil)
				}
				runOneCheck(t, m, chk)
			case 'e':
				m.Report(errDown)
			case 'o':
				m.Report(nil)
			}
			trail = append(trail, m.Status().String())
		}
	})
	return trail
}

// runOneCheck lets Run make exactly one check, then stops it.
func runOneCheck(t *testing.T, m *hakit.Monitor, chk *hakittest.Checker) {
	t.Helper()
	before := chk.Calls()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- m.Run(ctx) }()
	synctest.Wait() // the first check runs at once, then Run waits
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := chk.Calls() - before; got != 1 {
		t.Fatalf("Run made %d checks before waiting, want 1", got)
	}
}

// The transitions below are written from HAProxy's configuration manual
// (5.2 "rise", "fall", "init-state", "on-error", "error-limit") and its
// stats page notation, where "UP n/fall" counts the failed checks still
// needed to go down and "DOWN n/rise" the passed checks already seen.
func TestMonitorTransitions(t *testing.T) {
	fullyUp := hakit.MonitorConfig{InitState: hakit.InitStateFullyUp}
	fullyDown := hakit.MonitorConfig{InitState: hakit.InitStateFullyDown}
	withErr := func(mode hakit.OnError, init hakit.InitState) hakit.MonitorConfig {
		return hakit.MonitorConfig{OnError: mode, ErrorLimit: 3, InitState: init}
	}
	tests := []struct {
		name  string
		cfg   hakit.MonitorConfig
		steps string
		want  string
	}{
		{"default init-state up: one failure marks it down", hakit.MonitorConfig{}, "-", "UP 1/3,DOWN"},
		{"default init-state up: one pass makes it fully up", hakit.MonitorConfig{}, "+-", "UP 1/3,UP,UP 2/3"},
		{"fall 3: three failures mark it down", fullyUp, "---", "UP,UP 2/3,UP 1/3,DOWN"},
		{"a pass in between restores full health", fullyUp, "--+---", "UP,UP 2/3,UP 1/3,UP,UP 2/3,UP 1/3,DOWN"},
		{"rise 2: two passes mark it up", fullyDown, "++", "DOWN,DOWN 1/2,UP"},
		{"a failure while going up falls back to fully down", fullyDown, "+-++", "DOWN,DOWN 1/2,DOWN,DOWN 1/2,UP"},
		{"down stays down", fullyDown, "--", "DOWN,DOWN,DOWN"},
		{"up stays up", fullyUp, "++", "UP,UP,UP"},
		{"init-state down: one pass marks it up", hakit.MonitorConfig{InitState: hakit.InitStateDown}, "+", "DOWN 1/2,UP"},
		{"init-state down: one failure makes it fully down", hakit.MonitorConfig{InitState: hakit.InitStateDown}, "-", "DOWN 1/2,DOWN"},
		{"rise 1 fall 1 flips every time", hakit.MonitorConfig{Rise: 1, Fall: 1}, "-+-", "UP,DOWN,UP,DOWN"},
		{"rise 3 fall 2", hakit.MonitorConfig{Rise: 3, Fall: 2, InitState: hakit.InitStateFullyDown}, "+++--", "DOWN,DOWN 1/3,DOWN 2/3,UP,UP 1/2,DOWN"},

		{"on-error fastinter changes no state", withErr(hakit.OnErrorFastInter, hakit.InitStateFullyUp), "eeeeee", "UP,UP,UP,UP,UP,UP,UP"},
		{"on-error fail-check: limit reached counts one failed check", withErr(hakit.OnErrorFailCheck, hakit.InitStateFullyUp), "eeeeee", "UP,UP,UP,UP 2/3,UP 2/3,UP 2/3,UP 1/3"},
		{"on-error sudden-death leaves one check to go", withErr(hakit.OnErrorSuddenDeath, hakit.InitStateFullyUp), "eee-", "UP,UP,UP,UP 1/3,DOWN"},
		{"on-error sudden-death when already at one to go marks it down", withErr(hakit.OnErrorSuddenDeath, hakit.InitStateFullyUp), "--eee", "UP,UP 2/3,UP 1/3,UP 1/3,UP 1/3,DOWN"},
		{"on-error mark-down", withErr(hakit.OnErrorMarkDown, hakit.InitStateFullyUp), "eee", "UP,UP,UP,DOWN"},
		{"a reported success resets the error count", withErr(hakit.OnErrorMarkDown, hakit.InitStateFullyUp), "eeoee", "UP,UP,UP,UP,UP,UP"},
		{"mark-down while going up ends fully down", withErr(hakit.OnErrorMarkDown, hakit.InitStateFullyDown), "+eee", "DOWN,DOWN 1/2,DOWN 1/2,DOWN 1/2,DOWN"},
		{"default error-limit is 10", hakit.MonitorConfig{OnError: hakit.OnErrorMarkDown, InitState: hakit.InitStateFullyUp}, "eeeeeeeeee", "UP,UP,UP,UP,UP,UP,UP,UP,UP,UP,DOWN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(statusTrail(t, tt.cfg, tt.steps), ",")
			if got != tt.want {
				t.Errorf("steps %q:\n got %s\nwant %s", tt.steps, got, tt.want)
			}
		})
	}
}

// HAProxy's srv_getinter: inter while fully up, fastinter in transition,
// downinter while fully down.
func TestMonitorIntervals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		chk := &hakittest.Checker{}
		var mu sync.Mutex
		var times []time.Duration
		start := time.Now()
		m, err := hakit.NewMonitor(hakit.MonitorConfig{
			Checker: hakit.CheckerFunc(func(ctx context.Context) error {
				mu.Lock()
				times = append(times, time.Since(start))
				mu.Unlock()
				return chk.Check(ctx)
			}),
			Inter:     2 * time.Second,
			FastInter: 500 * time.Millisecond,
			DownInter: 5 * time.Second,
			InitState: hakit.InitStateFullyUp,
		})
		if err != nil {
			t.Fatal(err)
		}
		// up, up, fail, fail, fail (down), fail, pass, pass (up), pass
		chk.Script(nil, nil, errDown, errDown, errDown, errDown, nil, nil, nil)
		ctx, cancel := context.WithCancel(t.Context())
		go m.Run(ctx)
		time.Sleep(30 * time.Second)
		cancel()
		synctest.Wait()
		mu.Lock()
		defer mu.Unlock()
		// Passes at 0s and 2s keep it fully up (inter 2s); the failure
		// at 4s starts the transition (fastinter 0.5s); the third failure
		// at 5s marks it fully down (downinter 5s); the pass at 15s
		// starts going up (0.5s) and the one at 15.5s marks it up.
		var want []time.Duration
		for _, s := range []float64{0, 2, 4, 4.5, 5, 10, 15, 15.5, 17.5, 19.5} {
			want = append(want, time.Duration(s*float64(time.Second)))
		}
		if len(times) < len(want) {
			t.Fatalf("checks at %v, want at least %v", times, want)
		}
		for i, w := range want {
			if times[i] != w {
				t.Fatalf("check %d at %v, want %v (all: %v)", i, times[i], w, times[:len(want)])
			}
		}
	})
}

// HAProxy's __health_adjust brings the next check forward to fastinter when
// the error limit is reached.
func TestMonitorErrorLimitBringsCheckForward(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		chk := &hakittest.Checker{}
		m, _ := hakit.NewMonitor(hakit.MonitorConfig{Checker: chk, Inter: 10 * time.Second, FastInter: time.Second, ErrorLimit: 2, InitState: hakit.InitStateFullyUp})
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go m.Run(ctx)
		synctest.Wait()
		if chk.Calls() != 1 {
			t.Fatalf("calls = %d, want 1", chk.Calls())
		}
		time.Sleep(3 * time.Second)
		m.Report(errDown)
		m.Report(errDown)
		time.Sleep(time.Second + time.Millisecond)
		synctest.Wait()
		if chk.Calls() != 2 {
			t.Fatalf("calls = %d one FastInter after the error limit, want 2", chk.Calls())
		}
		if s := m.Stats(); s.ErrorLimitHits != 1 || s.ReportedErrors != 2 {
			t.Fatalf("stats = %+v, want 1 error-limit hit and 2 reported errors", s)
		}
	})
}

// Without fastinter set, HAProxy leaves the next check where it was: the
// error limit changes the state, not the schedule. A fully-down monitor
// with a long DownInter shows it: "now + Inter" would be sooner.
func TestMonitorErrorLimitWithoutFastInter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		chk := &hakittest.Checker{}
		chk.Set(errDown)
		m, _ := hakit.NewMonitor(hakit.MonitorConfig{Checker: chk, Inter: 2 * time.Second, DownInter: 30 * time.Second,
			ErrorLimit: 2, OnError: hakit.OnErrorFailCheck, InitState: hakit.InitStateFullyDown})
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go m.Run(ctx)
		synctest.Wait()
		time.Sleep(3 * time.Second)
		m.Report(errDown)
		m.Report(errDown)
		if s := m.Stats(); s.ErrorLimitHits != 1 {
			t.Fatalf("stats %+v, want the error limit hit", s)
		}
		time.Sleep(26*time.Second + 999*time.Millisecond)
		synctest.Wait()
		if chk.Calls() != 1 {
			t.Fatalf("calls = %d before DownInter elapsed, want 1 (no FastInter set)", chk.Calls())
		}
		time.Sleep(2 * time.Millisecond)
		synctest.Wait()
		if chk.Calls() != 2 {
			t.Fatalf("calls = %d at DownInter, want 2", chk.Calls())
		}
	})
}

func TestMonitorTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		chk := &hakittest.Checker{}
		chk.SetDelay(time.Hour)
		m, _ := hakit.NewMonitor(hakit.MonitorConfig{Checker: chk, Timeout: time.Second, Rise: 1, Fall: 1})
		ctx, cancel := context.WithCancel(t.Context())
		go m.Run(ctx)
		time.Sleep(1500 * time.Millisecond)
		s := m.Stats()
		cancel()
		if s.Status.State != hakit.StateDown || s.Failures != 1 || !errors.Is(s.LastError, context.DeadlineExceeded) {
			t.Fatalf("after a check that outlived Timeout: %+v, want DOWN with one failure from DeadlineExceeded", s)
		}
		if s.LastCheckDuration != time.Second {
			t.Fatalf("LastCheckDuration = %v, want the 1s timeout", s.LastCheckDuration)
		}
	})
}

func TestMonitorOnChange(t *testing.T) {
	var got []string
	m, _ := hakit.NewMonitor(hakit.MonitorConfig{
		Checker: &hakittest.Checker{}, InitState: hakit.InitStateFullyUp, ErrorLimit: 1, OnError: hakit.OnErrorFailCheck,
		OnChange: func(prev, cur hakit.Status) { got = append(got, prev.String()+">"+cur.String()) },
	})
	for range 4 {
		m.Report(errDown)
	}
	want := "UP>UP 2/3,UP 2/3>UP 1/3,UP 1/3>DOWN"
	if s := strings.Join(got, ","); s != want {
		t.Fatalf("OnChange calls %s, want %s", s, want)
	}
	if st := m.Stats(); st.Transitions != 1 || st.Status.State != hakit.StateDown {
		t.Fatalf("stats %+v, want one transition, DOWN", st)
	}
}

func TestMonitorRunTwice(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, _ := hakit.NewMonitor(hakit.MonitorConfig{Checker: &hakittest.Checker{}})
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go m.Run(ctx)
		synctest.Wait()
		if err := m.Run(ctx); err == nil {
			t.Fatal("second concurrent Run returned nil, want an error")
		}
	})
}

func TestMonitorConfigErrors(t *testing.T) {
	chk := &hakittest.Checker{}
	tests := []struct {
		cfg  hakit.MonitorConfig
		want string
	}{
		{hakit.MonitorConfig{}, "Checker"},
		{hakit.MonitorConfig{Checker: chk, Inter: -1}, "Inter"},
		{hakit.MonitorConfig{Checker: chk, FastInter: -1}, "FastInter"},
		{hakit.MonitorConfig{Checker: chk, DownInter: -1}, "DownInter"},
		{hakit.MonitorConfig{Checker: chk, Timeout: -1}, "Timeout"},
		{hakit.MonitorConfig{Checker: chk, Rise: -1}, "Rise"},
		{hakit.MonitorConfig{Checker: chk, Fall: -2}, "Fall"},
		{hakit.MonitorConfig{Checker: chk, ErrorLimit: -1}, "ErrorLimit"},
		{hakit.MonitorConfig{Checker: chk, InitState: 9}, "InitState"},
		{hakit.MonitorConfig{Checker: chk, OnError: -1}, "OnError"},
	}
	for _, tt := range tests {
		_, err := hakit.NewMonitor(tt.cfg)
		if err == nil || !strings.Contains(err.Error(), "MonitorConfig."+tt.want) {
			t.Errorf("NewMonitor(%+v) = %v, want an error naming %s", tt.cfg, err, tt.want)
		}
	}
	m, err := hakit.NewMonitor(hakit.MonitorConfig{Checker: chk})
	if err != nil {
		t.Fatalf("minimal config: %v", err)
	}
	if s := m.Status(); s.Rise != 2 || s.Fall != 3 || s.String() != "UP 1/3" {
		t.Fatalf("minimal config starts at %+v (%s), want HAProxy's rise 2, fall 3, UP 1/3", s, s)
	}
}

// A Checker that ignores its ctx fails at Timeout all the same, Run still
// returns when its ctx ends, and no check starts while the stuck one runs,
// as HAProxy never runs two checks of one server at once: the checks that
// fall due meanwhile fail without calling the Checker.
func TestMonitorCheckerIgnoringCtx(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		running, maxRunning := 0, 0
		m, _ := hakit.NewMonitor(hakit.MonitorConfig{
			Checker: hakit.CheckerFunc(func(context.Context) error {
				mu.Lock()
				running++
				maxRunning = max(maxRunning, running)
				mu.Unlock()
				time.Sleep(time.Minute) // ignores ctx
				mu.Lock()
				running--
				mu.Unlock()
				return nil
			}),
			Inter: 2 * time.Second, Timeout: time.Second, Rise: 1, Fall: 1,
		})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { m.Run(ctx); close(done) }()
		time.Sleep(1500 * time.Millisecond)
		if s := m.Stats(); s.Status.State != hakit.StateDown || s.Failures != 1 {
			t.Fatalf("1.5s into a check that ignores its 1s timeout: %+v, want DOWN after one failure", s)
		}
		time.Sleep(10 * time.Second)
		// Due at 3s, 5s, 7s, 9s and 11s (downinter 2s after the timeout
		// at 1s): five overlapped failures, no Checker call.
		if s := m.Stats(); s.Checks != 6 || s.Overlapped != 5 || !errors.Is(s.LastError, hakit.ErrCheckRunning) {
			t.Fatalf("stats %+v 11.5s into a 1-minute check, want 6 checks, 5 overlapped", s)
		}
		cancel()
		start := time.Now()
		<-done
		if d := time.Since(start); d != 0 {
			t.Fatalf("Run returned %v after its ctx ended, want at once", d)
		}
		time.Sleep(time.Minute) // let the stuck check return
		mu.Lock()
		defer mu.Unlock()
		if maxRunning != 1 {
			t.Fatalf("%d checks ran at once, want 1", maxRunning)
		}
	})
}

// A Checker that hangs, ignoring its ctx, takes a fully-up monitor with the
// default settings (inter 2s, timeout = inter, fall 3) DOWN after Fall
// intervals, as HAProxy's "timeout check" would: each check that falls due
// while the hung one still runs counts as failed without starting another.
func TestMonitorHungCheckerGoesDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		unblock := sync.OnceFunc(func() { close(release) })
		defer unblock()
		var mu sync.Mutex
		calls := 0
		m, err := hakit.NewMonitor(hakit.MonitorConfig{
			Checker: hakit.CheckerFunc(func(context.Context) error {
				mu.Lock()
				calls++
				n := calls
				mu.Unlock()
				if n == 1 {
					return nil
				}
				<-release // ignores ctx
				return nil
			}),
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		done := make(chan struct{})
		go func() { m.Run(ctx); close(done) }()
		synctest.Wait()
		if s := m.Status(); s.String() != "UP" {
			t.Fatalf("after one passed check: %s, want UP", s)
		}
		// The check at 2s hangs: it fails at 4s (timeout 2s), and the
		// checks due at 6s and 8s find it still running.
		var trail []string
		for range 4 {
			time.Sleep(2 * time.Second)
			synctest.Wait()
			trail = append(trail, m.Status().String())
		}
		if got, want := strings.Join(trail, ","), "UP,UP 2/3,UP 1/3,DOWN"; got != want {
			t.Fatalf("statuses at 2s, 4s, 6s, 8s with a hung check: %s, want %s", got, want)
		}
		s := m.Stats()
		if s.Failures != 3 || s.Checks != 4 || !errors.Is(s.LastError, hakit.ErrCheckRunning) {
			t.Fatalf("stats %+v, want 4 checks, 3 failures, the last ErrCheckRunning", s)
		}
		mu.Lock()
		if calls != 2 {
			t.Fatalf("Checker called %d times, want 2: no check starts while one runs", calls)
		}
		mu.Unlock()
		// When the hung check returns, the next due check runs again.
		unblock()
		time.Sleep(2 * time.Second)
		synctest.Wait()
		mu.Lock()
		n := calls
		mu.Unlock()
		if n != 3 {
			t.Fatalf("Checker called %d times after the hung check returned, want 3", n)
		}
		cancel()
		<-done
	})
}

// A Run started again while a check of the previous Run still hangs does
// not start a second check: its first due check fails with ErrCheckRunning.
func TestMonitorRunAgainWhileCheckHangs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		chk := &hakittest.Checker{}
		m, _ := hakit.NewMonitor(hakit.MonitorConfig{
			Checker: hakit.CheckerFunc(func(ctx context.Context) error {
				chk.Check(ctx)
				<-release // ignores ctx
				return nil
			}),
			Timeout: time.Second,
		})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { m.Run(ctx); close(done) }()
		time.Sleep(1500 * time.Millisecond)
		cancel()
		<-done
		ctx, cancel = context.WithCancel(t.Context())
		defer cancel()
		go m.Run(ctx)
		synctest.Wait()
		if n := chk.Calls(); n != 1 {
			t.Fatalf("the Checker was called %d times, want 1: the second Run started a check while the first hung", n)
		}
		if s := m.Stats(); s.Overlapped != 1 || !errors.Is(s.LastError, hakit.ErrCheckRunning) {
			t.Fatalf("stats %+v, want the second Run's first check failed with ErrCheckRunning", s)
		}
	})
}
