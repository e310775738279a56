package hakit

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Defaults of ElectorConfig: client-go's leaderelection defaults for core
// clients (LeaseDuration 15s, RenewDeadline 10s, RetryPeriod 2s) and its
// JitterFactor 1.2.
const (
	DefaultLeaseDuration = 15 * time.Second
	DefaultRenewDeadline = 10 * time.Second
	DefaultRetryPeriod   = 2 * time.Second
	DefaultJitterFactor  = 1.2
)

// releasedDuration is the Duration written into a released record, as
// client-go writes one second, so that observers that missed the release
// still take over quickly.
const releasedDuration = time.Second

// ElectorConfig configures an Elector. Lease and Identity are required; the
// zero value of every other field is a documented default.
type ElectorConfig struct {
	// Lease is the record the candidates contend for. Required.
	Lease Lease
	// Identity names this candidate; it must be unique among them.
	// Required.
	Identity string

	// LeaseDuration is how long a non-leader waits, from when it last saw
	// the record change, before it takes the lease over. Zero means 15s.
	LeaseDuration time.Duration
	// RenewDeadline is how long the leader keeps leading after the start
	// of its last successful renewal; past it, leadership is in doubt and
	// ends. It must be shorter than LeaseDuration: the difference is the
	// clock-rate skew between candidates that the election tolerates.
	// Zero means 10s.
	RenewDeadline time.Duration
	// RetryPeriod is how often the leader renews and non-leaders retry.
	// Zero means 2s.
	RetryPeriod time.Duration
	// JitterFactor spreads non-leaders' retries over RetryPeriod ×
	// [1, 1+JitterFactor]. Zero means 1.2; a negative value means none.
	// RenewDeadline must exceed RetryPeriod × JitterFactor, as client-go
	// requires.
	JitterFactor float64

	// ReleaseOnCancel makes the leader release the lease when Run's ctx
	// is cancelled, so that another candidate takes over at its next retry
	// instead of after LeaseDuration.
	ReleaseOnCancel bool

	// OnStartedLeading, if not nil, is called on a new goroutine when
	// this candidate becomes leader, with the fencing token of its
	// leadership. Its ctx is cancelled the moment leadership is in doubt:
	// when RenewDeadline passes without a renewal, when the lease turns
	// out to be someone else's, or when Run's ctx is cancelled. Run waits
	// for it to return before contending again, so it must return soon
	// after ctx is done.
	OnStartedLeading func(ctx context.Context, token uint64)
	// OnStoppedLeading, if not nil, is called from Run's goroutine after
	// each leadership has ended and OnStartedLeading has returned. Unlike
	// client-go's, it is not called when Run ends without having led.
	OnStoppedLeading func()
	// OnNewLeader, if not nil, is called from Run's goroutine whenever
	// the observed holder changes to a new non-empty identity, this
	// candidate's own included. A released lease (no holder) is not
	// reported, unlike in client-go. It must not block.
	OnNewLeader func(identity string)

	// Logger, if not nil, receives a line for every change of leadership.
	Logger *slog.Logger
}

// withDefaults returns a copy of c with zero fields set to their defaults,
// or an error naming the first invalid field, with client-go's checks.
func (c ElectorConfig) withDefaults() (ElectorConfig, error) {
	if c.Lease == nil {
		return c, fmt.Errorf("hakit: ElectorConfig.Lease is nil")
	}
	if c.Identity == "" {
		return c, fmt.Errorf("hakit: ElectorConfig.Identity is empty")
	}
	// Errors about relations say which values are defaults, so that a
	// caller who set one field sees why the other does not fit.
	lease, renew, retry := "", "", ""
	if c.LeaseDuration == 0 {
		c.LeaseDuration, lease = DefaultLeaseDuration, " (default)"
	}
	if c.RenewDeadline == 0 {
		c.RenewDeadline, renew = DefaultRenewDeadline, " (default)"
	}
	if c.RetryPeriod == 0 {
		c.RetryPeriod, retry = DefaultRetryPeriod, " (default)"
	}
	switch {
	case c.JitterFactor == 0:
		c.JitterFactor = DefaultJitterFactor
	case c.JitterFactor < 0:
		c.JitterFactor = 0
	}
	switch {
	case c.LeaseDuration < 0:
		return c, fmt.Errorf("hakit: ElectorConfig.LeaseDuration %v is negative", c.LeaseDuration)
	case c.RenewDeadline < 0:
		return c, fmt.Errorf("hakit: ElectorConfig.RenewDeadline %v is negative", c.RenewDeadline)
	case c.RetryPeriod < 0:
		return c, fmt.Errorf("hakit: ElectorConfig.RetryPeriod %v is negative", c.RetryPeriod)
	case c.RenewDeadline >= c.LeaseDuration:
		return c, fmt.Errorf("hakit: ElectorConfig.RenewDeadline %v%s must be shorter than LeaseDuration %v%s", c.RenewDeadline, renew, c.LeaseDuration, lease)
	}
	// client-go's check: the deadline must outlast the longest jitter.
	if jitter := time.Duration(float64(c.RetryPeriod) * c.JitterFactor); c.RenewDeadline <= jitter {
		return c, fmt.Errorf("hakit: ElectorConfig.RenewDeadline %v%s must be longer than RetryPeriod %v%s × JitterFactor %g = %v",
			c.RenewDeadline, renew, c.RetryPeriod, retry, c.JitterFactor, jitter)
	}

	return c, nil
}
