//go:build integration

package cache_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hakit/hakit"
	"github.com/hakit/hakit/cache"
	"github.com/hakit/hakit/hakittest"
	"github.com/hakit/hakit/internal/testenv"
	"github.com/redis/go-redis/v9"
)

// failoverClient returns go-redis' Sentinel-aware client for env's master.
func failoverClient(t *testing.T, env testenv.RedisEnv) *redis.Client {
	t.Helper()
	c := redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName:    env.MasterName,
		SentinelAddrs: env.Sentinels,
		DialTimeout:   time.Second,
		ReadTimeout:   2 * time.Second,
		WriteTimeout:  2 * time.Second,
	})
	t.Cleanup(func() { c.Close() })
	return c
}

// uniqueKey returns a key no other test uses and deletes it (and its
// counter) when t ends.
func uniqueKey(t *testing.T, c *redis.Client) string {
	k := fmt.Sprintf("hakit:test:%s:%d", t.Name(), time.Now().UnixNano())
	t.Cleanup(func() { c.Del(context.Background(), k, k+":token") })
	return k
}

func TestRedisLeaseConformanceOnRealRedis(t *testing.T) {
	env := testenv.Redis(t)
	c := failoverClient(t, env)
	hakittest.TestLease(t, func(t *testing.T) hakit.Lease {
		l, err := cache.NewRedisLease(cache.RedisLeaseConfig{Client: c, Key: uniqueKey(t, c), WaitReplicas: 2})
		if err != nil {
			t.Fatal(err)
		}
		return l
	})
}

func TestRedisCheckersOnRealRedis(t *testing.T) {
	env := testenv.Redis(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	master := redis.NewClient(&redis.Options{Addr: env.Master})
	defer master.Close()
	if err := (cache.RedisRoleChecker{Client: master}).Check(ctx); err != nil {
		t.Errorf("master %s as master: %v", env.Master, err)
	}
	if err := (cache.RedisReplicationChecker{Client: master, MinReplicas: 2, MaxOffsetLag: 1 << 20}).Check(ctx); err != nil {
		t.Errorf("master %s replication: %v", env.Master, err)
	}
	ri, err := cache.Role(ctx, master)
	if err != nil || len(ri.Replicas) != 2 {
		t.Errorf("ROLE of the master: %+v, %v", ri, err)
	}
	for _, addr := range env.Replicas {
		r := redis.NewClient(&redis.Options{Addr: addr})
		defer r.Close()
		if err := (cache.RedisRoleChecker{Client: r, Want: cache.RoleReplica}).Check(ctx); err != nil {
			t.Errorf("replica %s: %v", addr, err)
		}
		if err := (cache.RedisRoleChecker{Client: r}).Check(ctx); err == nil {
			t.Errorf("replica %s passed as master", addr)
		}
		if err := (cache.RedisReplicationChecker{Client: r, MaxLastIO: 10}).Check(ctx); err != nil {
			t.Errorf("replica %s replication: %v", addr, err)
		}
	}
	for _, addr := range env.Sentinels {
		s := redis.NewSentinelClient(&redis.Options{Addr: addr})
		defer s.Close()
		if got, err := cache.SentinelMasterAddr(ctx, s, env.MasterName); err != nil || got != env.Master {
			t.Errorf("sentinel %s: master %q, %v; want %s", addr, got, err, env.Master)
		}
		if err := (cache.SentinelChecker{Sentinel: s, MasterName: env.MasterName}).Check(ctx); err != nil {
			t.Errorf("sentinel %s: %v", addr, err)
		}
		if err := (cache.SentinelChecker{Sentinel: s, MasterName: "no-such-master"}).Check(ctx); err == nil {
			t.Errorf("sentinel %s: an unknown master passed", addr)
		}
	}
}

// TestSentinelFailover kills the real master while an Elector holds a
// RedisLease through go-redis' FailoverClient, sees Sentinel announce
// +switch-master through a SentinelWatcher, and sees the lease go on on the
// new master: the next leader's token is higher.
func TestSentinelFailover(t *testing.T) {
	testenv.Exclusive(t, "redis")
	env := testenv.Redis(t)
	t.Cleanup(func() { env.Restore(t) })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	var mu sync.Mutex
	var events []cache.SentinelEvent
	switched := make(chan cache.SentinelEvent, 1)
	connected := make(chan string, 3)
	w, err := cache.NewSentinelWatcher(cache.SentinelWatcherConfig{
		Addrs:      env.Sentinels,
		MasterName: env.MasterName,
		OnEvent:    func(ev cache.SentinelEvent) { mu.Lock(); events = append(events, ev); mu.Unlock() },
		OnSwitchMaster: func(ev cache.SentinelEvent) {
			select {
			case switched <- ev:
			default:
			}
		},
		OnConnect: func(addr string) {
			select {
			case connected <- addr:
			default: // only the first subscription is waited for
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	wctx, stopWatcher := context.WithCancel(ctx)
	watcherDone := make(chan error, 1)
	go func() { watcherDone <- w.Run(wctx) }()
	defer func() { stopWatcher(); <-watcherDone }()
	select {
	case <-connected:
	case <-ctx.Done():
		t.Fatal("watcher never subscribed")
	}

	c := failoverClient(t, env)
	key := uniqueKey(t, c)
	newElector := func(id string, led chan<- uint64) (*hakit.Elector, context.CancelFunc, chan error) {
		l, err := cache.NewRedisLease(cache.RedisLeaseConfig{Client: c, Key: key, WaitReplicas: 1, WaitTimeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		e, err := hakit.NewElector(hakit.ElectorConfig{
			Lease: l, Identity: id,
			LeaseDuration: 3 * time.Second, RenewDeadline: 2 * time.Second, RetryPeriod: 300 * time.Millisecond,
			ReleaseOnCancel:  true,
			OnStartedLeading: func(_ context.Context, token uint64) { led <- token },
			OnStoppedLeading: func() {},
		})
		if err != nil {
			t.Fatal(err)
		}
		ectx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- e.Run(ectx) }()
		return e, stop, done
	}
	ledA, ledB := make(chan uint64, 8), make(chan uint64, 8)
	a, stopA, doneA := newElector("a", ledA)
	var tokA uint64
	select {
	case tokA = <-ledA:
	case <-ctx.Done():
		t.Fatal("a never led")
	}
	b, stopB, doneB := newElector("b", ledB)
	stoppedA, stoppedB := false, false
	defer func() {
		if !stoppedA {
			stopA()
			<-doneA
		}
		if !stoppedB {
			stopB()
			<-doneB
		}
	}()

	oldMaster := env.Master
	pid := env.PID(t, oldMaster)
	t.Logf("a leads with token %d; killing master %s (pid %d)", tokA, oldMaster, pid)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var sw cache.SentinelEvent
	select {
	case sw = <-switched:
	case <-time.After(60 * time.Second):
		t.Fatal("no +switch-master within 60s of killing the master")
	}
	t.Logf("+switch-master: %s -> %s", sw.OldMaster.Addr(), sw.Instance.Addr())
	if sw.OldMaster.Addr() != oldMaster || sw.Instance.Addr() == oldMaster || !slices.Contains(env.Replicas, sw.Instance.Addr()) {
		t.Errorf("+switch-master %s -> %s, want from %s to one of %v", sw.OldMaster.Addr(), sw.Instance.Addr(), oldMaster, env.Replicas)
	}

	// The lease goes on on the new master. a leads again, or b does: while
	// the master was gone b saw the record unchanged for longer than its
	// Duration and may take it over, with a higher token. The leader then
	// hands over to the other on release, again with a higher token.
	deadline := time.Now().Add(30 * time.Second)
	for !a.IsLeader() && !b.IsLeader() {
		if time.Now().After(deadline) {
			t.Fatal("nobody leads 30s after the failover")
		}
		time.Sleep(100 * time.Millisecond)
	}
	first, second := a, b
	names := map[*hakit.Elector]string{a: "a", b: "b"}
	if !a.IsLeader() {
		first, second = b, a
	}
	firstToken := first.Token()
	if firstToken < tokA || first == b && firstToken == tokA {
		t.Fatalf("%s leads after the failover with token %d; a had %d before it", names[first], firstToken, tokA)
	}
	t.Logf("after the failover %s leads with token %d", names[first], firstToken)
	if first == a {
		stoppedA = true
		stopA()
		<-doneA
	} else {
		stoppedB = true
		stopB()
		<-doneB
	}
	deadline = time.Now().Add(30 * time.Second)
	for !second.IsLeader() {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not take over after %s released the lease", names[second], names[first])
		}
		time.Sleep(50 * time.Millisecond)
	}
	tok := second.Token()
	if tok <= firstToken {
		t.Errorf("%s leads with token %d, not above %s's %d", names[second], tok, names[first], firstToken)
	}
	t.Logf("then %s leads with token %d", names[second], tok)
	mu.Lock()
	defer mu.Unlock()
	var seen []string
	for _, ev := range events {
		seen = append(seen, ev.Channel)
	}
	t.Logf("sentinel events: %v", seen)
	if !slices.Contains(seen, cache.EventSDown) {
		t.Errorf("no +sdown among %v", seen)
	}
}
