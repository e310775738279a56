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
	if err == nil && c.flaky > 0 && rand.Float64() < c.flaky {
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
