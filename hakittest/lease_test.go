package hakittest_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hakit/hakit"
	"github.com/hakit/hakit/hakittest"
)

func TestLeaseFaults(t *testing.T) {
	ctx := context.Background()
	store := hakittest.NewLease()
	a := store.Client("a")
	now := time.Now()
	r1 := hakit.LeaseRecord{Holder: "a", Token: 1, Acquired: now, Renewed: now, Duration: time.Second}

	a.LoseWrites(1)
	if _, err := a.Create(ctx, r1); err != nil {
		t.Fatalf("lost write answered %v, want success", err)
	}
	if _, ok := store.Record(); ok {
		t.Fatal("a lost write was applied")
	}
	v1, err := a.Create(ctx, r1)
	if err != nil {
		t.Fatalf("Create after the lost write: %v", err)
	}

	a.LoseReplies(1)
	r2 := v1
	r2.Renewed = now.Add(time.Second)
	if _, err := a.Update(ctx, v1, r2); !errors.Is(err, hakittest.ErrReplyLost) {
		t.Fatalf("write with a lost reply answered %v, want ErrReplyLost", err)
	}
	if got, _ := store.Record(); !got.Renewed.Equal(r2.Renewed) {
		t.Fatalf("a write whose reply was lost was not applied: %+v", got)
	}

	injected := errors.New("boom")
	a.FailNext(2, injected)
	for range 2 {
		if _, err := a.Get(ctx); !errors.Is(err, injected) {
			t.Fatalf("Get = %v, want the injected error", err)
		}
	}
	if _, err := a.Get(ctx); err != nil {
		t.Fatalf("Get after the injected errors: %v", err)
	}

	store.Delete()
	v3, err := a.Create(ctx, r1)
	if err != nil || v3.Token != 2 {
		t.Fatalf("Create after Delete = %+v, %v; want token 2, above every token stored", v3, err)
	}
	if n := len(store.History()); n != 3 {
		t.Fatalf("history has %d records, want 3", n)
	}
}

// A partition that comes while a call is on its way cuts it: before the
// store applied it, it is not applied; either way its caller waits until
// its ctx ends.
func TestLeasePartitionMidCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := hakittest.NewLease()
		a := store.Client("a")
		a.SetLatency(2*time.Second, 0) // 1s there, 1s back
		now := time.Now()
		r := hakit.LeaseRecord{Holder: "a", Token: 1, Acquired: now, Renewed: now, Duration: time.Second}
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		done := make(chan error, 1)
		go func() { _, err := a.Create(ctx, r); done <- err }()
		time.Sleep(500 * time.Millisecond)
		a.Partition()
		if err := <-done; !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Create cut off on its way = %v, want the ctx's error", err)
		}
		if time.Since(now) != 10*time.Second {
			t.Fatalf("returned after %v, want when ctx ended (10s)", time.Since(now))
		}
		if _, ok := store.Record(); ok {
			t.Fatal("a request cut off before the store was applied")
		}

		// Cut after the store applied it: applied, the reply lost.
		a.Heal()
		start := time.Now()
		ctx2, cancel2 := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel2()
		go func() { _, err := a.Create(ctx2, r); done <- err }()
		time.Sleep(1500 * time.Millisecond)
		a.Partition()
		if err := <-done; !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != 10*time.Second {
			t.Fatalf("Create whose reply was cut = %v after %v", err, time.Since(start))
		}
		if _, ok := store.Record(); !ok {
			t.Fatal("a request cut off after the store applied it was not applied")
		}
	})
}

// IgnoreContext: the call outlives its caller's deadline, as a client with a
// long socket timeout does.
func TestLeaseIgnoreContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := hakittest.NewLease()
		a := store.Client("a")
		a.IgnoreContext(5 * time.Second)
		a.Partition()
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		start := time.Now()
		if _, err := a.Get(ctx); err == nil || time.Since(start) != 5*time.Second {
			t.Fatalf("partitioned deaf Get = %v after %v, want an error after the 5s socket timeout", err, time.Since(start))
		}
		a.Heal()
		a.SetLatency(3*time.Second, 0)
		start = time.Now()
		ctx2, cancel2 := context.WithTimeout(t.Context(), time.Second)
		defer cancel2()
		if _, err := a.Get(ctx2); !errors.Is(err, hakit.ErrNoLease) || time.Since(start) != 3*time.Second {
			t.Fatalf("slow deaf Get = %v after %v, want ErrNoLease after the full 3s", err, time.Since(start))
		}
		a.IgnoreContext(0)
		start = time.Now()
		ctx3, cancel3 := context.WithTimeout(t.Context(), time.Second)
		defer cancel3()
		if _, err := a.Get(ctx3); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != time.Second {
			t.Fatalf("slow Get = %v after %v, want the ctx's error at 1s", err, time.Since(start))
		}
	})
}

// Two handles seeded alike delay their calls alike, so a seeded test
// replays; an unseeded pair almost surely differs.
func TestLeaseSetRandReplays(t *testing.T) {
	delays := func(seed uint64) []time.Duration {
		var d []time.Duration
		synctest.Test(t, func(t *testing.T) {
			l := hakittest.NewLease()
			l.SetRand(rand.New(rand.NewPCG(seed, 1)))
			l.SetLatency(0, time.Second)
			for range 20 {
				start := time.Now()
				l.Get(t.Context())
				d = append(d, time.Since(start))
			}
		})
		return d
	}
	a, b, c := delays(17), delays(17), delays(18)
	if !slices.Equal(a, b) {
		t.Fatalf("seed 17 twice gave different delays:\n%v\n%v", a, b)
	}
	if slices.Equal(a, c) {
		t.Fatalf("seeds 17 and 18 gave the same delays %v", a)
	}
	for _, d := range a {
		if d < 0 || d >= time.Second {
			t.Fatalf("delay %v outside the jitter [0, 1s)", d)
		}
	}
}
