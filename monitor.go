package hakit

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// ErrCheckRunning is the error of a check that fell due while the previous
// one, past its Timeout, had still not returned: it counts as failed and no
// second check is started.
var ErrCheckRunning = errors.New("hakit: previous check still running")

// Monitor runs a Checker on HAProxy's schedule and keeps HAProxy's rise/fall
// state over its results. Passive observations fed through Report count
// towards ErrorLimit and trigger OnError, as HAProxy's "observe" does.
//
// A Monitor is safe for concurrent use. Run it once.
type Monitor struct {
	cfg MonitorConfig
	// fastInterSet: FastInter was configured rather than defaulted to
	// Inter. Only then does the error limit bring a check forward.
	fastInterSet bool

	// applyMu serialises changes and their OnChange calls, so callbacks
	// see changes one at a time and in order.
	applyMu sync.Mutex

	mu          sync.Mutex
	h           health
	consecutive int // consecutive passive errors
	stats       MonitorStats
	since       time.Time // when State last changed (or the monitor was made)
	wake        chan struct{}
	running     bool
	// rand, if not nil, replaces the global source for SpreadChecks;
	// tests set it to replay a run.
	rand func() float64
	// inFlight is a check that outlived its Timeout and whose Checker has
	// not returned yet. Only the running Run uses it; it outlives one Run,
	// so that a Run started again does not start a second check.
	inFlight *check
}

// MonitorStats is a snapshot of a Monitor's counters.
type MonitorStats struct {
	Status Status
	// Checks counts the active checks that fell due outside maintenance,
	// Overlapped ones (which did not call the Checker) included; Failures
	// those that failed.
	Checks, Failures uint64
	// Reported and ReportedErrors count Report calls and those with an error.
	Reported, ReportedErrors uint64
	// ErrorLimitHits counts the times ErrorLimit was reached (HAProxy's
	// "failed_hana" counter).
	ErrorLimitHits uint64
	// Overlapped counts the checks, among Failures, that fell due while
	// the previous one was still running and failed with ErrCheckRunning.
	Overlapped uint64
	// Transitions counts changes between UP and DOWN.
	Transitions uint64
	// CheckStatus is the class of the last active check, HAProxy's
	// "check_status" column: MonitorConfig.PassStatus for a pass, the
	// class ClassifyCheckError gives for a failure, CheckInit before the
	// first check.
	CheckStatus CheckStatus
	// CheckCode is the layer 5-7 code of the last check, HAProxy's
	// "check_code": the Code of a *CheckError, else 0.
	CheckCode int
	// LastError is the error of the last failed check or report; nil if
	// none failed yet.
	LastError error
	// LastCheck is when the last active check finished.
	LastCheck time.Time
	// LastCheckDuration is how long the last active check took.
	LastCheckDuration time.Duration
	// LastChange is when State last changed; the monitor's creation time
	// if it never did.
	LastChange time.Time
	// InState is how long the monitor has been in its current State.
	InState time.Duration
}

// NewMonitor validates cfg and returns a Monitor in its initial state. It does
// no I/O; Run starts the checks.
func NewMonitor(cfg MonitorConfig) (*Monitor, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	return &Monitor{
		cfg:          c,
		fastInterSet: cfg.FastInter != 0,
		h:            c.initialHealth(),
		since:        now,
		stats:        MonitorStats{LastChange: now, CheckStatus: CheckInit},
		wake:         make(chan struct{}, 1),
	}, nil
}

// Status returns the current status.
func (m *Monitor) Status() Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.h.status()
}

// Up reports whether the monitor is UP (fully or going down), draining
// included; in maintenance it is DOWN.
func (m *Monitor) Up() bool { return m.Status().State == StateUp }

// Stats returns a snapshot of the counters.
func (m *Monitor) Stats() MonitorStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.stats
	s.Status = m.h.status()
	s.LastChange = m.since
	s.InState = time.Since(m.since)
	return s
}

// Run checks at HAProxy's intervals until ctx is done, then returns nil. The
// first check runs at once, or within the first Inter with SpreadChecks. It
// returns an error if the Monitor is already running.
//
// HAProxy never runs two checks of one server at once. A check that
// outlives its Timeout fails at Timeout; until its Checker returns, every
// check that falls due fails at once with ErrCheckRunning and no other is
// started, so a Checker that ignores its ctx takes the target DOWN after
// Fall intervals, as HAProxy's "timeout check" would.
func (m *Monitor) Run(ctx context.Context) error {
	m.mu.Lock()
	if m.running {
		m.mu.Unlock()
		return errors.New("hakit: Monitor.Run called while already running")
	}
	m.running = true
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		m.running = false
		m.mu.Unlock()
	}()

	var first time.Duration
	if m.cfg.SpreadChecks > 0 {
		// HAProxy's start_checks spreads first checks over one
		// interval; independent monitors draw their place at random.
		first = time.Duration(m.random() * float64(m.cfg.Inter))
	}
	next := time.Now().Add(first)
	timer := time.NewTimer(first)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-m.wake:
			// OnError brings the next check forward to FastInter
			// from now when that is sooner (HAProxy's
			// __health_adjust).
			if sooner := time.Now().Add(m.cfg.FastInter); sooner.Before(next) {
				next = sooner
				timer.Reset(time.Until(next))
			}
			continue
		case <-timer.C:
		}
		if m.Status().Admin != AdminMaint {
			// In maintenance no check runs (HAProxy's "maint":
			// "disables any traffic to the server as well as any
			// health checks"); the schedule keeps going.
			m.inFlight = m.checkOnce(ctx, m.inFlight)
		}
		if ctx.Err() != nil {
			return nil
		}
		next = time.Now().Add(m.spread(m.interval()))
		timer.Reset(time.Until(next))
	}
}

// random returns a number in [0, 1) from the Monitor's source.
func (m *Monitor) random() float64 {
	if m.rand != nil {
		return m.rand()
	}
	return rand.Float64()
}

// spread applies SpreadChecks to an interval.
func (m *Monitor) spread(d time.Duration) time.Duration {
	return spreadInterval(d, m.cfg.SpreadChecks, m.random())
}

// spreadInterval is HAProxy's spread-checks jitter (process_chk_conn in
// 2.6): with rv = d×pct/100, the interval is d + rv - 2×rv×u for u uniform
// in [0, 1), that is uniform in (d-rv, d+rv].
func spreadInterval(d time.Duration, pct int, u float64) time.Duration {
	if pct <= 0 {
		return d
	}
	rv := d * time.Duration(pct) / 100
	return d + rv - time.Duration(2*float64(rv)*u)
}

// interval is HAProxy's srv_getinter: inter when fully up, downinter when
// fully down, fastinter in between.
func (m *Monitor) interval() time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case m.h.value == m.h.full():
		return m.cfg.Inter
	case m.h.value == 0:
		return m.cfg.DownInter
	}
	return m.cfg.FastInter
}

// check is a Checker call that outlived its Timeout.
type check struct {
	started time.Time
	done    chan struct{} // closed when the Checker returns
}

// checkOnce runs one check and applies its result. It returns the check if
// it outlived its Timeout and its Checker has not returned yet; while
// inFlight is such a check, it fails at once instead of starting another.
func (m *Monitor) checkOnce(ctx context.Context, inFlight *check) *check {
	if inFlight != nil {
		select {
		case <-inFlight.done:
		default:
			now := time.Now()
			m.record(now, 0, fmt.Errorf("%w (started %v ago)", ErrCheckRunning, now.Sub(inFlight.started)), true)
			return inFlight
		}
	}
	cctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	defer cancel()
	c := &check{started: time.Now(), done: make(chan struct{})}
	result := make(chan error, 1)
	go func() {
		defer close(c.done)
		result <- m.cfg.Checker.Check(cctx)
	}()
	var err error
	var stuck *check
	select {
	case err = <-result:
		if err == nil && cctx.Err() != nil && ctx.Err() == nil {
			// A checker that returned late still failed.
			err = fmt.Errorf("hakit: check did not finish within %v: %w", m.cfg.Timeout, cctx.Err())
		}
	case <-cctx.Done():
		// The check failed at Timeout whether or not the Checker
		// honours its ctx; it may keep running until it does.
		err = fmt.Errorf("hakit: check did not finish within %v: %w", m.cfg.Timeout, cctx.Err())
		stuck = c
	}
	if ctx.Err() != nil {
		return stuck // shutting down: the result says nothing about the target
	}
	end := time.Now()
	m.record(end, end.Sub(c.started), err, false)
	return stuck
}

// record applies the result of one active check.
func (m *Monitor) record(end time.Time, took time.Duration, err error, overlapped bool) {
	status, code := m.cfg.PassStatus, 0
	if err != nil {
		status, code = ClassifyCheckError(err)
	}
	m.apply(func() {
		if m.h.admin == AdminMaint {
			return // entered maintenance while the check ran
		}
		m.stats.Checks++
		m.stats.LastCheck = end
		m.stats.CheckStatus, m.stats.CheckCode = status, code
		if overlapped {
			m.stats.Overlapped++
		} else {
			m.stats.LastCheckDuration = took
		}
		if err != nil {
			m.stats.Failures++
			m.stats.LastError = err
			m.h.fail()
		} else {
			m.h.pass()
		}
	}, err)
}

// SetAdmin sets the administrative state, as HAProxy's "set server ...
// state ready|drain|maint". Entering AdminMaint stops the checks and zeroes
// the health counter (DOWN); leaving it restarts the checks with the
// counter at Rise, UP but one failed check from DOWN, as HAProxy does
// ("start OK but check immediately" in srv_update_status; its stats then
// show "UP 1/3"). AdminDrain changes no counter. It returns an error for a
// value that is not one of the AdminState constants.
func (m *Monitor) SetAdmin(a AdminState) error {
	if a < AdminReady || a > AdminMaint {
		return fmt.Errorf("hakit: Monitor.SetAdmin: %d is not one of the AdminState constants", int(a))
	}
	var prev AdminState
	m.apply(func() { prev = m.h.admin; m.h.setAdmin(a) }, nil)
	if prev != a && m.cfg.Logger != nil {
		m.cfg.Logger.Info("hakit: monitor admin state changed", "from", prev.String(), "to", a.String())
	}
	return nil
}

// Report feeds one passive observation: nil for a success, an error for a
// failure seen by the caller (a refused connection, a timeout, a 5xx), as
// HAProxy's "observe layer4|layer7" does with live traffic. A success resets
// the count of consecutive errors; ErrorLimit consecutive errors trigger
// OnError.
func (m *Monitor) Report(err error) {
	tripped := false
	m.apply(func() {
		m.stats.Reported++
		if err == nil {
			m.consecutive = 0
			return
		}
		m.stats.ReportedErrors++
		m.stats.LastError = err
		m.consecutive++
		if m.consecutive < m.cfg.ErrorLimit {
			return
		}
		// HAProxy's __health_adjust.
		switch m.cfg.OnError {
		case OnErrorFailCheck:
			m.h.fail()
		case OnErrorFastInter:
		case OnErrorSuddenDeath:
			if m.h.value > m.h.rise {
				m.h.value = m.h.rise + 1
			}
			m.h.fail()
		case OnErrorMarkDown:
			m.h.value = m.h.rise
			m.h.fail()
		}
		m.consecutive = 0
		m.stats.ErrorLimitHits++
		tripped = true
	}, err)
	// HAProxy brings the next check forward only when fastinter is set
	// (if (s->check.fastinter) in __health_adjust).
	if tripped && m.fastInterSet {
		select {
		case m.wake <- struct{}{}:
		default:
		}
	}
}

// apply runs change under the lock and reports the status change, if any.
func (m *Monitor) apply(change func(), cause error) {
	m.applyMu.Lock()
	defer m.applyMu.Unlock()

	m.mu.Lock()
	prev := m.h.status()
	change()
	cur := m.h.status()
	if cur.State != prev.State {
		m.stats.Transitions++
		m.since = time.Now()
	}
	m.mu.Unlock()

	if cur == prev {
		return
	}
	if cur.State != prev.State && m.cfg.Logger != nil {
		m.cfg.Logger.Info("hakit: monitor state changed", "from", prev.String(), "to", cur.String(), "error", cause)
	}
	if m.cfg.OnChange != nil {
		m.cfg.OnChange(prev, cur)
	}
}
