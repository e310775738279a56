package hakit

import (
	"context"
	"errors"
	"time"
)

// Errors a Lease returns. Implementations wrap them with %w, so callers test
// with errors.Is.
var (
	// ErrNoLease is returned by Lease.Get when the store holds no record.
	ErrNoLease = errors.New("hakit: no lease record")
	// ErrLeaseConflict is returned by Lease.Create when a record already
	// exists, and by Lease.Update when the stored record is no longer old.
	ErrLeaseConflict = errors.New("hakit: lease record changed concurrently")
)

// LeaseRecord is what a Lease stores: who holds it, under which fencing token,
// and for how long the holder promises to renew it.
type LeaseRecord struct {
	// Holder is the identity of the holder; empty means released.
	Holder string
	// Token is the fencing token. It grows with every new holder and stays
	// the same while one holder renews. Downstream systems reject writes
	// that carry a token lower than the highest they have seen.
	Token uint64
	// Acquired is when Holder took the lease, by the holder's wall clock.
	// It is informational: no decision compares it with another clock.
	Acquired time.Time
	// Renewed is when Holder last renewed the lease, by the holder's wall
	// clock. Stores use it, with Holder and Token, to recognise a changed
	// record; observers never compare it with their own clock.
	Renewed time.Time
	// Duration is how long observers must see the record unchanged before
	// they may take the lease over.
	Duration time.Duration
}

// Lease is one record in a store, changed only by compare-and-set.
//
// Implementations live with their stores (galera.Lease, cache.RedisLease,
// mongo.Lease); hakittest.Lease is the in-memory one, and
// hakittest.TestLease checks any implementation against this contract.
//
// A Lease never judges expiry: an Elector does, on its own monotonic clock.
// Errors other than ErrNoLease and ErrLeaseConflict mean the outcome is
// unknown (the write may or may not have been applied); an Elector treats them
// as a failed attempt and tries again.
type Lease interface {
	// Get returns the current record, or an error wrapping ErrNoLease when
	// there is none.
	Get(ctx context.Context) (LeaseRecord, error)
	// Create stores r if no record exists, and returns the record as
	// stored. It returns an error wrapping ErrLeaseConflict if one exists.
	//
	// A store whose records can vanish (a TTL, a failover that loses the
	// last writes) stores a token above every token it has issued before
	// when r.Token is not, keeping a counter that outlives the record:
	// a candidate that never saw the old record asks for token 1.
	Create(ctx context.Context, r LeaseRecord) (LeaseRecord, error)
	// Update replaces the record with r if the stored record still equals
	// old, a record this Lease returned earlier, and returns the record as
	// stored. It returns an error wrapping ErrLeaseConflict otherwise.
	//
	// A store stores r.Token as given, or a larger token when it cannot
	// otherwise guarantee that tokens never repeat; it never stores a
	// smaller one.
	Update(ctx context.Context, old, r LeaseRecord) (LeaseRecord, error)
}
