package hakittest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hakit/hakit"
)

// TestLease checks that a hakit.Lease keeps the contract an Elector relies
// on: an empty store answers ErrNoLease, Create and Update are
// compare-and-set, concurrent writers on the same old record have exactly one
// winner, records round-trip with their tokens and durations, a renewal
// keeps the token, and tokens never go down.
//
// newLease must return a Lease on a fresh, empty record each time it is
// called; it may use t.Cleanup to remove it. Every store's Lease runs this
// under the integration tag, and the in-memory one in unit tests, so the
// fake and the real stores cannot drift apart.
func TestLease(t *testing.T, newLease func(t *testing.T) hakit.Lease) {
	t.Helper()
	ctx := func(t *testing.T) context.Context {
		c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		t.Cleanup(cancel)
		return c
	}
	// Records carry the nanosecond times an Elector writes; stores keep
	// them to at least the millisecond and return them as stored.
	rec := func(holder string, token uint64) hakit.LeaseRecord {
		now := time.Now().Round(0)
		return hakit.LeaseRecord{Holder: holder, Token: token, Acquired: now, Renewed: now, Duration: 3 * time.Second}
	}

	t.Run("GetEmpty", func(t *testing.T) {
		_, err := newLease(t).Get(ctx(t))
		if !errors.Is(err, hakit.ErrNoLease) {
			t.Fatalf("Get on an empty store: err = %v, want ErrNoLease", err)
		}
	})

	t.Run("CreateThenGet", func(t *testing.T) {
		l, c := newLease(t), ctx(t)
		want := rec("a", 7)
		stored, err := l.Create(c, want)
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		checkStored(t, "Create", stored, want)
		got, err := l.Get(c)
		if err != nil {
			t.Fatalf("Get after Create: %v", err)
		}
		if !equalRecords(got, stored) {
			t.Fatalf("Get = %+v, want the record Create returned, %+v", got, stored)
		}
	})

	t.Run("CreateConflict", func(t *testing.T) {
		l, c := newLease(t), ctx(t)
		first, err := l.Create(c, rec("a", 1))
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		if _, err := l.Create(c, rec("b", 2)); !errors.Is(err, hakit.ErrLeaseConflict) {
			t.Fatalf("second Create: err = %v, want ErrLeaseConflict", err)
		}
		got, err := l.Get(c)
		if err != nil || !equalRecords(got, first) {
			t.Fatalf("after a refused Create, Get = %+v, %v; want %+v", got, err, first)
		}
	})

	t.Run("UpdateCompareAndSet", func(t *testing.T) {
		l, c := newLease(t), ctx(t)
		if _, err := l.Update(c, rec("a", 1), rec("b", 2)); !errors.Is(err, hakit.ErrLeaseConflict) {
			t.Fatalf("Update on an empty store: err = %v, want ErrLeaseConflict", err)
		}
		v1, err := l.Create(c, rec("a", 1))
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		renew := v1
		renew.Renewed = v1.Renewed.Add(time.Millisecond)
		v2, err := l.Update(c, v1, renew)
		if err != nil {
			t.Fatalf("Update (renewal by the holder): %v", err)
		}
		checkStored(t, "Update", v2, renew)
		// v1 is stale now: a candidate that still holds it must lose.
		if _, err := l.Update(c, v1, rec("b", 2)); !errors.Is(err, hakit.ErrLeaseConflict) {
			t.Fatalf("Update with a stale old record: err = %v, want ErrLeaseConflict", err)
		}
		v3, err := l.Update(c, v2, rec("b", v2.Token+1))
		if err != nil {
			t.Fatalf("Update (takeover): %v", err)
		}
		if v3.Holder != "b" || v3.Token <= v2.Token {
			t.Fatalf("takeover stored %+v, want holder b with a token above %d", v3, v2.Token)
		}
		got, err := l.Get(c)
		if err != nil || !equalRecords(got, v3) {
			t.Fatalf("Get = %+v, %v; want %+v", got, err, v3)
		}
	})

	t.Run("RenewalKeepsToken", func(t *testing.T) {
		// LeaseRecord.Token "stays the same while one holder renews":
		// a leader passes its token downstream once, and a store that
		// raised it on renewal would fence out the leader's own writes.
		l, c := newLease(t), ctx(t)
		cur, err := l.Create(c, rec("a", 3))
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		token := cur.Token
		for i := range 5 {
			renew := cur
			renew.Renewed = cur.Renewed.Add(time.Duration(i+1) * time.Second)
			next, err := l.Update(c, cur, renew)
			if err != nil {
				t.Fatalf("renewal %d: %v", i+1, err)
			}
			if next.Token != token || next.Holder != "a" {
				t.Fatalf("renewal %d stored %+v, want holder a keeping token %d", i+1, next, token)
			}
			checkStored(t, "renewal", next, renew)
			cur = next
		}
		got, err := l.Get(c)
		if err != nil || got.Token != token {
			t.Fatalf("Get after renewals = %+v, %v; want token %d", got, err, token)
		}
	})

	t.Run("ReleaseKeepsToken", func(t *testing.T) {
		l, c := newLease(t), ctx(t)
		v1, err := l.Create(c, rec("a", 5))
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		released := v1
		released.Holder = ""
		released.Duration = time.Second
		v2, err := l.Update(c, v1, released)
		if err != nil {
			t.Fatalf("Update (release): %v", err)
		}
		if v2.Holder != "" || v2.Token < v1.Token {
			t.Fatalf("release stored %+v, want no holder and a token of at least %d", v2, v1.Token)
		}
		v3, err := l.Update(c, v2, rec("b", v2.Token+1))
		if err != nil {
			t.Fatalf("Update (acquire after release): %v", err)
		}
		if v3.Token <= v1.Token {
			t.Fatalf("token after release and takeover = %d, want above %d", v3.Token, v1.Token)
		}
	})

	t.Run("TokensNeverDecrease", func(t *testing.T) {
		l, c := newLease(t), ctx(t)
		cur, err := l.Create(c, rec("h0", 1))
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		for i := 1; i <= 10; i++ {
			next, err := l.Update(c, cur, rec(fmt.Sprintf("h%d", i), cur.Token+1))
			if err != nil {
				t.Fatalf("takeover %d: %v", i, err)
			}
			if next.Token <= cur.Token {
				t.Fatalf("takeover %d stored token %d after %d", i, next.Token, cur.Token)
			}
			cur = next
		}
	})

	t.Run("ConcurrentCreateOneWinner", func(t *testing.T) {
		l, c := newLease(t), ctx(t)
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		stored := make([]hakit.LeaseRecord, n)
		for i := range n {
			wg.Go(func() {
				stored[i], errs[i] = l.Create(c, rec(fmt.Sprintf("c%d", i), 1))
			})
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Fatalf("writers %d and %d both created the record", winner, i)
			case err == nil:
				winner = i
			case !errors.Is(err, hakit.ErrLeaseConflict):
				t.Errorf("writer %d: err = %v, want nil or ErrLeaseConflict", i, err)
			}
		}
		if winner < 0 {
			t.Fatalf("none of %d concurrent creators won", n)
		}
		got, err := l.Get(c)
		if err != nil || !equalRecords(got, stored[winner]) {
			t.Fatalf("Get = %+v, %v; want the winner's record %+v", got, err, stored[winner])
		}
	})

	t.Run("ConcurrentUpdateOneWinner", func(t *testing.T) {
		l, c := newLease(t), ctx(t)
		v1, err := l.Create(c, rec("a", 1))
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				_, errs[i] = l.Update(c, v1, rec(fmt.Sprintf("c%d", i), 2))
			})
		}
		wg.Wait()
		wins := 0
		for i, err := range errs {
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, hakit.ErrLeaseConflict):
				t.Errorf("writer %d: err = %v, want nil or ErrLeaseConflict", i, err)
			}
		}
		if wins != 1 {
			t.Fatalf("%d of %d concurrent writers on the same old record won, want exactly 1", wins, n)
		}
	})
}

// checkStored checks that a store kept what it was given, allowing a higher
// token and times rounded to the millisecond.
func checkStored(t *testing.T, op string, stored, given hakit.LeaseRecord) {
	t.Helper()
	if stored.Holder != given.Holder || stored.Token < given.Token || stored.Duration != given.Duration ||
		!closeTime(stored.Acquired, given.Acquired) || !closeTime(stored.Renewed, given.Renewed) {
		t.Fatalf("%s stored %+v, want %+v (a higher token allowed, times to the millisecond)", op, stored, given)
	}
}

func closeTime(a, b time.Time) bool {
	d := a.Sub(b)
	return d > -time.Millisecond && d < time.Millisecond
}
