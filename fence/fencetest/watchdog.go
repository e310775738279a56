package fencetest

import (
	"errors"
	"sync"
	"time"

	"github.com/hakit/hakit/fence"
)

// Watchdog is a fake fence.Watchdog with a timeout, on the time package's
// clock (use it under testing/synctest): it records keep-alives and
// "fires" when a keep-alive comes later than Timeout after the previous
// one (or after NewWatchdog), or when Fired is asked after such a gap.
type Watchdog struct {
	Timeout time.Duration

	mu         sync.Mutex
	last       time.Time
	keepalives []time.Time
	fired      bool
	closed     bool
	failNext   error
}

var _ fence.Watchdog = (*Watchdog)(nil)

// NewWatchdog returns an armed fake watchdog.
func NewWatchdog(timeout time.Duration) *Watchdog {
	return &Watchdog{Timeout: timeout, last: time.Now()}
}

// Keepalive implements fence.Watchdog.
func (w *Watchdog) Keepalive() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.failNext; err != nil {
		w.failNext = nil
		return err
	}
	if w.closed {
		return errors.New("fencetest: watchdog closed")
	}
	w.check()
	now := time.Now()
	w.keepalives = append(w.keepalives, now)
	w.last = now
	return nil
}

func (w *Watchdog) check() {
	if !w.closed && time.Since(w.last) > w.Timeout {
		w.fired = true
	}
}

// Close implements fence.Watchdog: it disarms the fake.
func (w *Watchdog) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.check()
	w.closed = true
	return nil
}

// FailNext makes the next Keepalive return err.
func (w *Watchdog) FailNext(err error) {
	w.mu.Lock()
	w.failNext = err
	w.mu.Unlock()
}

// Fired reports whether the machine would have been reset by now.
func (w *Watchdog) Fired() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.check()
	return w.fired
}

// Keepalives returns the times of the keep-alives.
func (w *Watchdog) Keepalives() []time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Time(nil), w.keepalives...)
}
