//go:build integration

package cache_test

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/hakit/hakit"
	"github.com/hakit/hakit/cache"
	"github.com/hakit/hakit/internal/testenv"
	"github.com/redis/go-redis/v9"
)

// TestRedisLeaseTokenAfterWipedStore loses the record and the token counter
// on the real master, as a failover to a replica that had neither would,
// and requires the next holder's token to exceed every token granted
// before. The newcomer has never seen a record (Token 0 asked for), so only
// the clock floor can make its token greater: without it the empty counter
// would give 1.
func TestRedisLeaseTokenAfterWipedStore(t *testing.T) {
	env := testenv.Redis(t)
	c := failoverClient(t, env)
	key := uniqueKey(t, c)
	ctx := context.Background()
	open := func() *cache.RedisLease {
		l, err := cache.NewRedisLease(cache.RedisLeaseConfig{Client: c, Key: key})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	l := open()
	now := time.Now()
	a, err := l.Create(ctx, hakit.LeaseRecord{Holder: "a", Acquired: now, Renewed: now, Duration: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	// Hand over a few times so the counter runs ahead of the first token.
	last := a
	for _, holder := range []string{"b", "c", "d"} {
		next := last
		next.Holder, next.Token = holder, last.Token+1
		if last, err = l.Update(ctx, last, next); err != nil {
			t.Fatal(err)
		}
	}
	for round := range 3 {
		if n, err := c.Del(ctx, l.Key(), l.CounterKey()).Result(); err != nil || n != 2 {
			t.Fatalf("deleting the record and the counter: %d keys, %v", n, err)
		}
		if _, err := l.Get(ctx); !errors.Is(err, hakit.ErrNoLease) {
			t.Fatalf("after the wipe Get = %v, want ErrNoLease", err)
		}
		fresh := open()
		now = time.Now()
		r, err := fresh.Create(ctx, hakit.LeaseRecord{Holder: "newcomer", Acquired: now, Renewed: now, Duration: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		if r.Token <= last.Token {
			t.Fatalf("round %d: token %d after the wipe, not above %d granted before it", round, r.Token, last.Token)
		}
		t.Logf("round %d: token %d before the wipe, %d after", round, last.Token, r.Token)
		last = r
	}
}

// TestRedisLeaseWaitOnAMinoritySide freezes one of the two replicas, as a
// partition that leaves the master with one replica while the Sentinels'
// majority, on the other side, may promote the other: WaitReplicas 1 still
// succeeds there, so it neither fences that master nor keeps its writes
// through such a failover; only WaitReplicas 2, every replica, fails there
// (ErrNotReplicated), as the package documentation says.
func TestRedisLeaseWaitOnAMinoritySide(t *testing.T) {
	testenv.Exclusive(t, "redis")
	env := testenv.Redis(t)
	t.Cleanup(func() { env.Restore(t) })
	c := redis.NewClient(&redis.Options{Addr: env.Master, ReadTimeout: 3 * time.Second})
	t.Cleanup(func() { c.Close() })
	ctx := context.Background()
	key := uniqueKey(t, c)
	pid := env.PID(t, env.Replicas[1])
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGCONT) })
	now := time.Now()
	rec := hakit.LeaseRecord{Holder: "a", Acquired: now, Renewed: now, Duration: time.Minute}
	one, err := cache.NewRedisLease(cache.RedisLeaseConfig{Client: c, Key: key, WaitReplicas: 1, WaitTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := one.Create(ctx, rec); err != nil {
		t.Fatalf("WaitReplicas 1 with one replica answering: %v, want success", err)
	}
	all, err := cache.NewRedisLease(cache.RedisLeaseConfig{Client: c, Key: key + ":all", WaitReplicas: 2, WaitTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Del(context.Background(), all.Key(), all.CounterKey()) })
	if _, err := all.Create(ctx, rec); !errors.Is(err, cache.ErrNotReplicated) {
		t.Fatalf("WaitReplicas 2 with one replica frozen: %v, want ErrNotReplicated", err)
	}
}
