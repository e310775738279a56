package vrrptest

import (
	"context"
	"sync"

	"github.com/hakit/hakit/vrrp"
)

// Start runs r.Run in a new goroutine under a context derived from ctx and
// returns a function that cancels it, waits for Run to return (after its
// shutdown: a MASTER's priority 0 advert) and returns Run's error. Calling
// stop more than once returns the same error.
func Start(ctx context.Context, r *vrrp.Router) (stop func() error) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	var err error
	go func() {
		defer close(done)
		err = r.Run(ctx)
	}()
	var once sync.Once
	return func() error {
		once.Do(func() {
			cancel()
			<-done
		})
		return err
	}
}
