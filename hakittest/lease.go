package hakittest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/hakit/hakit"
)

// ErrReplyLost is what a client gets from a write whose reply LoseReplies
// dropped: the write was applied, the client cannot know it.
var ErrReplyLost = errors.New("hakittest: reply lost")

// Lease is an in-memory hakit.Lease with fault injection.
//
// NewLease makes a store with one record slot; Client makes further handles
// on the same slot, each with its own faults, so a test can partition one
// candidate from the store while the others still reach it. Every method is
// safe for concurrent use.
type Lease struct {
	store *leaseStore

	mu          sync.Mutex
	name        string
	latency     time.Duration
	jitter      time.Duration
	partitioned bool
	failNext    int
	failErr     error
	loseReplies int
	loseWrites  int
	deafFor     time.Duration // > 0: calls ignore ctx, giving up after this
	rng         *rand.Rand    // nil: the global source
}

type leaseStore struct {
	mu      sync.Mutex
	rec     *hakit.LeaseRecord
	history []hakit.LeaseRecord
	calls   uint64
	highest uint64 // highest token ever stored, kept across Delete
}

var _ hakit.Lease = (*Lease)(nil)

// NewLease returns a handle on a new, empty store.
func NewLease() *Lease {
	return &Lease{store: &leaseStore{}, name: "default"}
}

// Client returns a new handle on the same store, without faults. The name
// appears in errors.
func (l *Lease) Client(name string) *Lease {
	return &Lease{store: l.store, name: name}
}

// SetLatency delays every call of this handle by d plus a random part of
// jitter, half before the store applies it and half after (request and
// reply).
func (l *Lease) SetLatency(d, jitter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.latency, l.jitter = d, jitter
}

// SetRand makes this handle draw its latency jitter from r instead of the
// global source, so a test that seeds r (rand.New(rand.NewPCG(seed, n)))
// replays the same delays. The handle uses r under its own lock: give each
// handle its own r. A nil r restores the global source.
func (l *Lease) SetRand(r *rand.Rand) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rng = r
}

// Partition cuts this handle off from the store: its calls hang until their
// ctx is done, as over a network that drops packets. A call already on its
// way is cut too: if the partition comes before the store has applied it,
// it is not applied; if after, its reply is lost. Heal undoes it.
func (l *Lease) Partition() { l.setPartitioned(true) }

// Heal reconnects a partitioned handle.
func (l *Lease) Heal() { l.setPartitioned(false) }

func (l *Lease) isPartitioned() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.partitioned
}

func (l *Lease) setPartitioned(p bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partitioned = p
}

// IgnoreContext makes this handle's calls deaf to their ctx, as a client
// whose socket timeout is longer than its caller's deadline: a call ends
// when its reply comes or when timeout has passed since it started,
// whatever its ctx does. A timeout of 0 makes calls honour their ctx again.
func (l *Lease) IgnoreContext(timeout time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.deafFor = timeout
}

// FailNext makes the next n calls of this handle fail with err before
// reaching the store.
func (l *Lease) FailNext(n int, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failNext, l.failErr = n, err
}

// LoseReplies makes the next n successful writes of this handle return
// ErrReplyLost although the store applied them.
func (l *Lease) LoseReplies(n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.loseReplies = n
}

// LoseWrites makes the next n writes of this handle that the store would
// apply answer success without being applied, as a write acknowledged by a
// Redis master and lost in a failover to a replica that had not received
// it. A store that does this breaks compare-and-set: use it to test what
// fencing tokens downstream protect, not to test election safety.
func (l *Lease) LoseWrites(n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.loseWrites = n
}

// Record returns the stored record, bypassing faults; ok is false when there
// is none.
func (l *Lease) Record() (r hakit.LeaseRecord, ok bool) {
	l.store.mu.Lock()
	defer l.store.mu.Unlock()
	if l.store.rec == nil {
		return hakit.LeaseRecord{}, false
	}
	return *l.store.rec, true
}

// History returns every record the store has held, oldest first.
func (l *Lease) History() []hakit.LeaseRecord {
	l.store.mu.Lock()
	defer l.store.mu.Unlock()
	return append([]hakit.LeaseRecord(nil), l.store.history...)
}

// Calls returns how many calls reached the store, from any handle.
func (l *Lease) Calls() uint64 {
	l.store.mu.Lock()
	defer l.store.mu.Unlock()
	return l.store.calls
}

// Get returns the stored record.
func (l *Lease) Get(ctx context.Context) (hakit.LeaseRecord, error) {
	var r hakit.LeaseRecord
	err := l.call(ctx, false, func(s *leaseStore) error {
		if s.rec == nil {
			return fmt.Errorf("hakittest: lease: %w", hakit.ErrNoLease)
		}
		r = *s.rec
		return nil
	})
	return r, err
}

// Create stores r if the store is empty. After Delete, it raises the token
// above every token stored before, as a store whose records can vanish must.
func (l *Lease) Create(ctx context.Context, r hakit.LeaseRecord) (hakit.LeaseRecord, error) {
	err := l.call(ctx, true, func(s *leaseStore) error {
		if s.rec != nil {
			return fmt.Errorf("hakittest: lease create: %w", hakit.ErrLeaseConflict)
		}
		if r.Token <= s.highest {
			r.Token = s.highest + 1
		}
		s.put(r)
		return nil
	})
	if err != nil {
		return hakit.LeaseRecord{}, err
	}
	return r, nil
}

// Update stores r if the stored record equals old. It rejects a token lower
// than the stored one, which no correct caller asks for.
func (l *Lease) Update(ctx context.Context, old, r hakit.LeaseRecord) (hakit.LeaseRecord, error) {
	err := l.call(ctx, true, func(s *leaseStore) error {
		if s.rec == nil || !equalRecords(*s.rec, old) {
			return fmt.Errorf("hakittest: lease update: %w", hakit.ErrLeaseConflict)
		}
		if r.Token < s.rec.Token {
			return fmt.Errorf("hakittest: lease update: token %d lower than stored token %d", r.Token, s.rec.Token)
		}
		s.put(r)
		return nil
	})
	if err != nil {
		return hakit.LeaseRecord{}, err
	}
	return r, nil
}

func (s *leaseStore) put(r hakit.LeaseRecord) {
	s.rec = &r
	s.history = append(s.history, r)
	s.highest = max(s.highest, r.Token)
}

// Delete removes the record, bypassing faults, as a store loses one that
// expired or did not survive a failover.
func (l *Lease) Delete() {
	l.store.mu.Lock()
	defer l.store.mu.Unlock()
	l.store.rec = nil
}

func equalRecords(a, b hakit.LeaseRecord) bool {
	return a.Holder == b.Holder && a.Token == b.Token && a.Duration == b.Duration &&
		a.Acquired.Equal(b.Acquired) && a.Renewed.Equal(b.Renewed)
}

// call runs op against the store through this handle's faults.
func (l *Lease) call(ctx context.Context, write bool, op func(*leaseStore) error) error {
	l.mu.Lock()
	delay := l.latency
	if l.jitter > 0 {
		if l.rng != nil {
			delay += time.Duration(l.rng.Int64N(int64(l.jitter)))
		} else {
			delay += rand.N(l.jitter)
		}
	}
	var injected error
	if l.failNext > 0 {
		l.failNext--
		injected = l.failErr
	}
	name, deafFor := l.name, l.deafFor
	l.mu.Unlock()
	if deafFor > 0 {
		// The caller's ctx is not watched; the socket timeout ends the
		// whole call.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), deafFor)
		defer cancel()
	}
	cutOff := func() error {
		<-ctx.Done()
		return fmt.Errorf("hakittest: lease client %s partitioned: %w", name, ctx.Err())
	}

	if l.isPartitioned() {
		return cutOff()
	}
	if err := sleep(ctx, delay/2); err != nil {
		return err
	}
	if injected != nil {
		return fmt.Errorf("hakittest: lease client %s: %w", name, injected)
	}
	if l.isPartitioned() {
		return cutOff() // the request never arrived
	}
	l.mu.Lock()
	discard := write && l.loseWrites > 0
	l.mu.Unlock()
	l.store.mu.Lock()
	l.store.calls++
	var err error
	if discard {
		// Run the write against a copy, so its answer is the one the
		// store would have given, and keep the store as it was.
		scratch := &leaseStore{rec: l.store.rec, highest: l.store.highest}
		if err = op(scratch); err == nil {
			l.mu.Lock()
			l.loseWrites--
			l.mu.Unlock()
		}
	} else {
		err = op(l.store)
	}
	l.store.mu.Unlock()
	if err := sleep(ctx, delay-delay/2); err != nil {
		return err // the reply never arrived; the op may have been applied
	}
	if l.isPartitioned() {
		return cutOff() // applied, and the reply never arrived
	}
	if err == nil && write {
		l.mu.Lock()
		lost := l.loseReplies > 0
		if lost {
			l.loseReplies--
		}
		l.mu.Unlock()
		if lost {
			return fmt.Errorf("hakittest: lease client %s: %w", name, ErrReplyLost)
		}
	}
	return err
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("hakittest: lease: %w", ctx.Err())
	case <-t.C:
		return nil
	}
}
