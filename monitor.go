package hakit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

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
	inFlight    chan struct{} // closed when a check that timed out returns; Run's goroutine only
}

// MonitorStats is a snapshot of a Monitor's counters.
type MonitorStats struct {
	Status Status
	// Checks and Failures count active checks run and failed.
	Checks, Failures uint64
	// Reported and ReportedErrors count Report calls and those with an error.
	Reported, ReportedErrors uint64
	// ErrorLimitHits counts the times ErrorLimit was reached (HAProxy's
	// "failed_hana" counter).
	ErrorLimitHits uint64
	// Transitions counts changes between UP and DOWN.
	Transitions uint64
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
		stats:        MonitorStats{LastChange: now},
		wake:         make(chan struct{}, 1),
	}, nil
}

// Status returns the current status.
func (m *Monitor) Status() Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.h.status()
}

// Up reports whether the monitor is UP (fully or going down).
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
// first check runs at once. It returns an error if the Monitor is already
// running.
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

	next := time.Now()
	timer := time.NewTimer(0)
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
		m.checkOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		next = time.Now().Add(m.interval())
		timer.Reset(time.Until(next))
	}
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

func (m *Monitor) checkOnce(ctx context.Context) {
	// HAProxy never runs two checks of one server at once: a check that
	// outlived its timeout must return before the next one starts.
	if m.inFlight != nil {
		select {
		case <-m.inFlight:
			m.inFlight = nil
		case <-ctx.Done():
			return
		}
	}
	cctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	defer cancel()
	start := time.Now()
	result := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		result <- m.cfg.Checker.Check(cctx)
	}()
	var err error
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
		m.inFlight = done
	}
	if ctx.Err() != nil {
		return // shutting down: the result says nothing about the target
	}
	end := time.Now()
	m.apply(func() {
		m.stats.Checks++
		m.stats.LastCheck = end
		m.stats.LastCheckDuration = end.Sub(start)
		if err != nil {
			m.stats.Failures++
			m.stats.LastError = err
			m.h.fail()
		} else {
			m.h.pass()
		}
	}, err)
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
