package fence

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Watchdog is a timer that resets the machine unless it is fed: the Linux
// /dev/watchdog (DeviceWatchdog) or fencetest.Watchdog.
type Watchdog interface {
	// Keepalive restarts the timer.
	Keepalive() error
	// Close stops the timer where the driver allows it (the Linux magic
	// close); the machine is not reset.
	Close() error
}

// ErrSelfFence is returned by Feeder.Run when it stopped feeding the
// watchdog because Healthy said no: the watchdog will reset this machine.
var ErrSelfFence = errors.New("fence: stopped feeding the watchdog: self-fencing")

// DefaultFeedInterval is how often a Feeder feeds its watchdog, sbd's
// loop period of 1 s.
const DefaultFeedInterval = time.Second

// FeederConfig configures a Feeder.
type FeederConfig struct {
	Watchdog Watchdog // required
	// Healthy is asked before every keep-alive, as sbd asks its
	// watchers; false stops the feeding for good. Typically: this node's
	// partition is quorate (quorum.State.Quorate) or its no-quorum-policy
	// is not suicide. Required. It is called on Run's goroutine.
	Healthy func() bool
	// Interval is the time between keep-alives; zero means
	// DefaultFeedInterval. It must be well below the watchdog's timeout.
	Interval time.Duration
	Logger   *slog.Logger
}

// Feeder feeds a watchdog while the node is healthy, as sbd does: an
// agent that loses quorum stops feeding, and the watchdog resets the
// machine before the surviving partition's fencing timeout runs out.
type Feeder struct {
	cfg FeederConfig

	mu    sync.Mutex
	stats FeederStats
}

// FeederStats counts keep-alives.
type FeederStats struct {
	Keepalives, Errors uint64
	Stopped            bool // feeding stopped: the machine is being reset
}

// NewFeeder checks cfg.
func NewFeeder(cfg FeederConfig) (*Feeder, error) {
	switch {
	case cfg.Watchdog == nil:
		return nil, errors.New("fence: FeederConfig.Watchdog is nil")
	case cfg.Healthy == nil:
		return nil, errors.New("fence: FeederConfig.Healthy is nil")
	case cfg.Interval < 0:
		return nil, fmt.Errorf("fence: FeederConfig.Interval %v is negative", cfg.Interval)
	}
	if cfg.Interval == 0 {
		cfg.Interval = DefaultFeedInterval
	}
	return &Feeder{cfg: cfg}, nil
}

// Run feeds the watchdog every Interval while Healthy is true. When
// Healthy turns false it stops feeding, without disarming, and returns
// ErrSelfFence; the caller must then leave the watchdog open (no
// deferred Close), or Close's magic character disarms it and the machine
// is never reset. When ctx ends it disarms the watchdog (Close) and returns
// nil: a clean stop is not a failure. A keep-alive error is logged and
// counted; the next tick tries again, and the watchdog fires if none
// succeeds in time.
func (f *Feeder) Run(ctx context.Context) error {
	t := time.NewTicker(f.cfg.Interval)
	defer t.Stop()
	for {
		if !f.cfg.Healthy() {
			f.mu.Lock()
			f.stats.Stopped = true
			f.mu.Unlock()
			if f.cfg.Logger != nil {
				f.cfg.Logger.Error("fence: unhealthy, no longer feeding the watchdog; this machine will be reset")
			}
			return ErrSelfFence
		}
		err := f.cfg.Watchdog.Keepalive()
		f.mu.Lock()
		if err != nil {
			f.stats.Errors++
		} else {
			f.stats.Keepalives++
		}
		f.mu.Unlock()
		if err != nil && f.cfg.Logger != nil {
			f.cfg.Logger.Warn("fence: watchdog keep-alive failed", "error", err)
		}
		select {
		case <-ctx.Done():
			return f.cfg.Watchdog.Close()
		case <-t.C:
		}
	}
}

// Stats returns a snapshot of the counters.
func (f *Feeder) Stats() FeederStats {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stats
}
