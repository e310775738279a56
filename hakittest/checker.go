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

// ErrUnhealthy is the error a Checker fails with when the test gives none.
var ErrUnhealthy = errors.New("hakittest: unhealthy")

// Checker is a hakit.Checker whose answers a test scripts. The zero value
// answers healthy. It is safe for concurrent use.
type Checker struct {
	mu     sync.Mutex
	script []error
	err    error
	delay  time.Duration
	flaky  float64
	rng    *rand.Rand // nil: the global source
	calls  int
}

var _ hakit.Checker = (*Checker)(nil)

// Set makes every later check answer err (nil for healthy), once the script
// is used up.
func (c *Checker) Set(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.err = err
}

// Script queues answers for the next checks, in order; after them the
// checker answers what Set gave.
func (c *Checker) Script(results ...error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.script = append(c.script, results...)
}

// SetDelay makes every check take d, or until its ctx is done.
func (c *Checker) SetDelay(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.delay = d
}

// SetFlaky makes each check that would pass fail with ErrUnhealthy with
// probability p.
func (c *Checker) SetFlaky(p float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flaky = p
}

// SetRand makes SetFlaky draw from r instead of the global source, so a
// test that seeds r replays the same failures. The Checker uses r under its
// own lock. A nil r restores the global source.
func (c *Checker) SetRand(r *rand.Rand) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rng = r
}

// Calls returns how many checks were made.
func (c *Checker) Calls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

// Check answers the next scripted result.
func (c *Checker) Check(ctx context.Context) error {
	c.mu.Lock()
	c.calls++
	err := c.err
	if len(c.script) > 0 {
		err, c.script = c.script[0], c.script[1:]
	}
	draw := rand.Float64
	if c.rng != nil {
		draw = c.rng.Float64
	}
	if err == nil && c.flaky > 0 && draw() < c.flaky {
		err = ErrUnhealthy
	}
	delay := c.delay
	c.mu.Unlock()

	if delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return fmt.Errorf("hakittest: check: %w", ctx.Err())
		case <-t.C:
		}
	}
	return err
}
