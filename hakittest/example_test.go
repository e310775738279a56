package hakittest_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hakit/hakit"
	"github.com/hakit/hakit/hakittest"
)

// Each Client of a Lease is a handle with its own faults on the shared
// record: here one candidate is partitioned from the store.
func ExampleLease() {
	store := hakittest.NewLease()
	a, b := store.Client("a"), store.Client("b")
	ctx := context.Background()

	now := time.Now()
	rec, _ := a.Create(ctx, hakit.LeaseRecord{Holder: "a", Token: 1, Acquired: now, Renewed: now, Duration: time.Second})

	b.Partition()
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	_, err := b.Get(short)
	fmt.Println("b partitioned:", errors.Is(err, context.DeadlineExceeded))

	b.Heal()
	_, err = b.Update(ctx, hakit.LeaseRecord{Holder: "x"}, rec)
	fmt.Println("stale compare-and-set:", errors.Is(err, hakit.ErrLeaseConflict))
	fmt.Println("records stored:", len(store.History()))
	// Output:
	// b partitioned: true
	// stale compare-and-set: true
	// records stored: 1
}

// A Checker answers what the test scripts.
func ExampleChecker() {
	var c hakittest.Checker
	c.Script(nil, errors.New("timeout"))
	c.Set(hakittest.ErrUnhealthy)
	for range 3 {
		fmt.Println(c.Check(context.Background()))
	}
	// Output:
	// <nil>
	// timeout
	// hakittest: unhealthy
}
