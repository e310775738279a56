package hakit

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// Elector elects one leader among candidates that share a Lease, with
// client-go's leaderelection semantics. See the package documentation for
// its failure model.
type Elector struct {
	cfg ElectorConfig

	mu         sync.Mutex
	running    bool
	observed   LeaseRecord
	observedAt time.Time // local monotonic time the record last changed
	seen       bool      // observed is valid
	leader     string    // last identity passed to OnNewLeader
	leaderCtx  context.Context
	validUntil time.Time // leadership is in doubt from then on
	token      uint64
	stats      ElectorStats
	// acting is true from a leadership's start until OnStartedLeading has
	// returned after it ended; renewedAt is when the last successful
	// write of that leadership started.
	acting    bool
	renewedAt time.Time
	// rand, if not nil, replaces the global source for the retry
	// jitter; tests set it to replay a run.
	rand func() float64
	// rate, if not 0, is how many seconds this candidate's clock counts
	// per second of the process clock; tests set it to emulate clock-rate
	// skew between candidates.
	rate float64
}

// ElectorStats is a snapshot of an Elector's state and counters.
type ElectorStats struct {
	// Leading and Token describe this candidate's current leadership.
	Leading bool
	Token   uint64
	// Leader is the holder last observed in the lease, "" if none.
	Leader string
	// Observed is the record last read or written, and ObservedAt when it
	// was last seen to change (by the local monotonic clock).
	Observed   LeaseRecord
	ObservedAt time.Time
	// Elections counts leaderships won; Renewals successful renewals;
	// Losses leaderships that ended for any reason.
	Elections, Renewals, Losses uint64
	// Errors counts failed store calls; LastError is the latest.
	Errors    uint64
	LastError error
}

// NewElector validates cfg and returns an Elector. It does no I/O; Run
// contends for the lease.
func NewElector(cfg ElectorConfig) (*Elector, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Elector{cfg: c}, nil
}

// IsLeader reports whether this candidate leads now: it won the lease and
// its leadership is not in doubt. It reads the clock, so it turns false at
// the deadline even before the leadership context is cancelled: call it
// right before acting, and pass the token downstream.
func (e *Elector) IsLeader() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.leadingLocked()
}

// leadingLocked also reads the clock: the timer that cancels the leadership
// context may not have run yet (after a SIGSTOP, or on a busy machine)
// when the deadline has already passed.
func (e *Elector) leadingLocked() bool {
	return e.leaderCtx != nil && e.leaderCtx.Err() == nil && time.Now().Before(e.validUntil)
}

// Leader returns the holder last observed in the lease, "" if none. It may
// be stale by up to RetryPeriod × (1+JitterFactor) plus a store round trip.
func (e *Elector) Leader() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.observed.Holder
}

// Token returns the fencing token of this candidate's current leadership, or
// 0 when it does not lead.
func (e *Elector) Token() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.leadingLocked() {
		return 0
	}
	return e.token
}

// Stats returns a snapshot of the elector's state and counters.
func (e *Elector) Stats() ElectorStats {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.stats
	s.Leading = e.leadingLocked()
	if s.Leading {
		s.Token = e.token
	}
	s.Leader = e.observed.Holder
	s.Observed = e.observed
	s.ObservedAt = e.observedAt
	return s
}

// Run contends for the lease until ctx is done, then returns nil. Unlike
// client-go's Run, it does not return when leadership is lost: it goes back
// to contending. It returns an error if the Elector is already running.
func (e *Elector) Run(ctx context.Context) error {
	e.mu.Lock()
	if e.running {
		e.mu.Unlock()
		return errors.New("hakit: Elector.Run called while already running")
	}
	e.running = true
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		e.running = false
		e.mu.Unlock()
	}()

	for {
		rec, start, ok := e.acquire(ctx)
		if !ok {
			return nil
		}
		e.lead(ctx, rec, start)
		if ctx.Err() != nil {
			return nil
		}
	}
}

// acquire retries until this candidate holds the lease or ctx is done. It
// returns the record as stored and when the successful attempt started.
func (e *Elector) acquire(ctx context.Context) (LeaseRecord, time.Time, bool) {
	for {
		rec, start, err := e.tryAcquire(ctx)
		if err == nil {
			return rec, start, true
		}
		wait := e.cfg.RetryPeriod + time.Duration(e.random()*e.cfg.JitterFactor*float64(e.cfg.RetryPeriod))
		t := time.NewTimer(e.real(wait))
		select {
		case <-ctx.Done():
			t.Stop()
			return LeaseRecord{}, time.Time{}, false
		case <-t.C:
		}
	}
}

// random returns a number in [0, 1) from the Elector's source.
func (e *Elector) random() float64 {
	if e.rand != nil {
		return e.rand()
	}
	return rand.Float64()
}

// errLeaseHeld says another candidate's lease is still valid.
var errLeaseHeld = errors.New("hakit: lease held by another candidate")

// tryAcquire makes one attempt, client-go's tryAcquireOrRenew for a
// candidate that does not lead.
func (e *Elector) tryAcquire(ctx context.Context) (LeaseRecord, time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, e.real(e.cfg.RenewDeadline))
	defer cancel()
	start := time.Now()
	cur, err := e.cfg.Lease.Get(ctx)
	if errors.Is(err, ErrNoLease) {
		// A record that vanished (expired, or lost in a failover) must
		// not hand out a token this candidate has already seen.
		r := e.record(e.nextCreateToken(), start)
		stored, err := e.cfg.Lease.Create(ctx, r)
		if err != nil {
			return e.failed(fmt.Errorf("create: %w", err))
		}
		e.observe(stored)
		return stored, start, nil
	}
	if err != nil {
		return e.failed(fmt.Errorf("get: %w", err))
	}
	e.observe(cur)

	// A record held by another candidate is valid until it has been seen
	// unchanged for its Duration. A released one, or one in this
	// candidate's own name (an attempt whose reply was lost, or an earlier
	// run of this identity), is taken at once. Every leadership gets the
	// next token, so no two leaderships share one.
	if cur.Holder != "" && cur.Holder != e.cfg.Identity && e.sinceObserved(time.Now()) < cur.Duration {
		return LeaseRecord{}, time.Time{}, errLeaseHeld
	}
	stored, err := e.cfg.Lease.Update(ctx, cur, e.record(cur.Token+1, start))
	if err != nil {
		return e.failed(fmt.Errorf("update: %w", err))
	}
	e.observe(stored)
	return stored, start, nil
}

func (e *Elector) nextCreateToken() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.seen {
		return e.observed.Token + 1
	}
	return 1
}

// record is a fresh record for this candidate taking the lease at now.
func (e *Elector) record(token uint64, now time.Time) LeaseRecord {
	wall := now.Round(0)
	return LeaseRecord{Holder: e.cfg.Identity, Token: token, Acquired: wall, Renewed: wall, Duration: e.cfg.LeaseDuration}
}

func (e *Elector) sinceObserved(now time.Time) time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.local(now.Sub(e.observedAt))
}

// real converts a duration on this candidate's clock to the process clock,
// and local the other way. They are the identity unless a test set a clock
// rate to emulate a candidate whose clock runs fast or slow.
func (e *Elector) real(d time.Duration) time.Duration {
	if e.rate == 0 {
		return d
	}
	return time.Duration(float64(d) / e.rate)
}

func (e *Elector) local(d time.Duration) time.Duration {
	if e.rate == 0 {
		return d
	}
	return time.Duration(float64(d) * e.rate)
}

// failed counts a failed store call.
func (e *Elector) failed(err error) (LeaseRecord, time.Time, error) {
	e.mu.Lock()
	e.stats.Errors++
	e.stats.LastError = err
	e.mu.Unlock()
	if e.cfg.Logger != nil && !errors.Is(err, ErrLeaseConflict) {
		e.cfg.Logger.Debug("hakit: lease store call failed", "identity", e.cfg.Identity, "error", err)
	}
	return LeaseRecord{}, time.Time{}, err
}

// observe records r as last seen; if it differs from the previous record, the
// expiry clock restarts now. It calls OnNewLeader when the holder changes.
func (e *Elector) observe(r LeaseRecord) {
	now := time.Now()
	e.mu.Lock()
	if !e.seen || !sameRecord(e.observed, r) {
		e.observed, e.observedAt, e.seen = r, now, true
	}
	announce := r.Holder != "" && r.Holder != e.leader
	if announce {
		e.leader = r.Holder
	}
	e.mu.Unlock()
	if announce && e.cfg.OnNewLeader != nil {
		e.cfg.OnNewLeader(r.Holder)
	}
}

func sameRecord(a, b LeaseRecord) bool {
	return a.Holder == b.Holder && a.Token == b.Token && a.Duration == b.Duration &&
		a.Acquired.Equal(b.Acquired) && a.Renewed.Equal(b.Renewed)
}

// lead holds the leadership won at start with rec until it is lost or ctx is
// done.
func (e *Elector) lead(ctx context.Context, rec LeaseRecord, start time.Time) {
	leaderCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Leadership is in doubt RenewDeadline after the start of the last
	// successful write, whatever the loop below is blocked on.
	validUntil := start.Add(e.real(e.cfg.RenewDeadline))
	deadline := time.AfterFunc(time.Until(validUntil), cancel)
	defer deadline.Stop()

	e.mu.Lock()
	e.leaderCtx, e.token, e.validUntil = leaderCtx, rec.Token, validUntil
	e.acting, e.renewedAt = true, start
	e.stats.Elections++
	e.mu.Unlock()
	if e.cfg.Logger != nil {
		e.cfg.Logger.Info("hakit: started leading", "identity", e.cfg.Identity, "token", rec.Token)
	}

	done := make(chan struct{})
	go func() {
		defer close(done)
		if e.cfg.OnStartedLeading != nil {
			e.cfg.OnStartedLeading(leaderCtx, rec.Token)
		}
	}()

	last := rec
	ticker := time.NewTicker(e.real(e.cfg.RetryPeriod))
	for leaderCtx.Err() == nil {
		select {
		case <-leaderCtx.Done():
			continue
		case <-ticker.C:
		}
		t := time.Now()
		if !t.Before(validUntil) {
			break
		}
		stored, err := e.renew(leaderCtx, last, t, validUntil)
		if err != nil {
			if errors.Is(err, ErrLeaseConflict) {
				break // someone else holds it now
			}
			continue // try again until validUntil
		}
		last = stored
		if !deadline.Stop() {
			break // validUntil passed while the write was in flight
		}
		validUntil = t.Add(e.real(e.cfg.RenewDeadline))
		e.mu.Lock()
		e.validUntil, e.renewedAt = validUntil, t
		e.mu.Unlock()
		deadline.Reset(time.Until(validUntil))
	}
	ticker.Stop()
	cancel()
	<-done
	e.mu.Lock()
	e.acting = false
	e.mu.Unlock()

	if ctx.Err() != nil && e.cfg.ReleaseOnCancel && time.Now().Before(validUntil) {
		e.release(ctx, last)
	}
	e.mu.Lock()
	e.leaderCtx = nil
	e.stats.Losses++
	e.mu.Unlock()
	if e.cfg.Logger != nil {
		e.cfg.Logger.Info("hakit: stopped leading", "identity", e.cfg.Identity, "token", rec.Token)
	}
	if e.cfg.OnStoppedLeading != nil {
		e.cfg.OnStoppedLeading()
	}
}

// renew extends the lease by compare-and-set on last.
func (e *Elector) renew(ctx context.Context, last LeaseRecord, now, validUntil time.Time) (LeaseRecord, error) {
	ctx, cancel := context.WithDeadline(ctx, validUntil)
	defer cancel()
	stored, err := e.updateOwn(ctx, "renew", last, func(r LeaseRecord) LeaseRecord {
		r.Renewed = now.Round(0)
		r.Duration = e.cfg.LeaseDuration
		return r
	})
	if err != nil {
		return LeaseRecord{}, err
	}
	e.mu.Lock()
	e.stats.Renewals++
	e.mu.Unlock()
	return stored, nil
}

// release gives the lease up, keeping its token so the next holder's is
// higher, with client-go's one-second duration. A renewal cut short by the
// cancellation may have been applied with its reply lost; updateOwn then
// releases from the stored record.
func (e *Elector) release(ctx context.Context, last LeaseRecord) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.real(e.cfg.RenewDeadline))
	defer cancel()
	e.updateOwn(ctx, "release", last, func(r LeaseRecord) LeaseRecord {
		r.Holder = ""
		r.Renewed = time.Now().Round(0)
		r.Duration = releasedDuration
		return r
	})
}

// updateOwn writes change(last) by compare-and-set on last. A conflict whose
// winner is this very leadership (a write applied whose reply was lost) is
// adopted and the write retried once on the stored record; any other
// conflict, or an error reading the record, is returned.
func (e *Elector) updateOwn(ctx context.Context, op string, last LeaseRecord, change func(LeaseRecord) LeaseRecord) (LeaseRecord, error) {
	for attempt := 0; ; attempt++ {
		stored, err := e.cfg.Lease.Update(ctx, last, change(last))
		if err == nil {
			e.observe(stored)
			return stored, nil
		}
		_, _, err = e.failed(fmt.Errorf("%s: %w", op, err))
		if !errors.Is(err, ErrLeaseConflict) || attempt > 0 {
			return LeaseRecord{}, err
		}
		cur, gerr := e.cfg.Lease.Get(ctx)
		if gerr != nil {
			// Unknown: the caller may try again, but not with a
			// record known to be stale.
			return LeaseRecord{}, fmt.Errorf("%s: %w", op, gerr)
		}
		e.observe(cur)
		if cur.Holder != e.cfg.Identity || cur.Token != last.Token {
			return LeaseRecord{}, err
		}
		last = cur
	}
}
