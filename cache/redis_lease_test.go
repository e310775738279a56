package cache_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hakit/hakit"
	"github.com/hakit/hakit/cache"
	"github.com/hakit/hakit/hakittest"
	"github.com/redis/go-redis/v9"
)

func newMiniredis(t *testing.T) (*miniredis.Miniredis, *redis.Client) {
	t.Helper()
	m := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { c.Close() })
	return m, c
}

var leaseSeq atomic.Int64

func TestRedisLeaseConformance(t *testing.T) {
	_, c := newMiniredis(t)
	hakittest.TestLease(t, func(t *testing.T) hakit.Lease {
		l, err := cache.NewRedisLease(cache.RedisLeaseConfig{Client: c, Key: fmt.Sprintf("lease:%d", leaseSeq.Add(1))})
		if err != nil {
			t.Fatal(err)
		}
		return l
	})
}

func TestRedisLeaseTTLNeverBelowDuration(t *testing.T) {
	m, c := newMiniredis(t)
	ctx := context.Background()
	// A TTL shorter than the Duration would let the key expire while the
	// holder still leads, and a newcomer skip the Duration wait.
	l, err := cache.NewRedisLease(cache.RedisLeaseConfig{Client: c, Key: "short", TTL: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	first, err := l.Create(ctx, rec("a", 1)) // Duration 10s
	if err != nil {
		t.Fatal(err)
	}
	if ttl := m.TTL("short"); ttl != 20*time.Second {
		t.Errorf("TTL after Create %v, want 20s (twice the Duration)", ttl)
	}
	m.FastForward(2 * time.Second)
	if _, err := l.Create(ctx, rec("b", 1)); !errors.Is(err, hakit.ErrLeaseConflict) {
		t.Errorf("newcomer's Create within the Duration: %v, want ErrLeaseConflict", err)
	}
	renew := first
	renew.Renewed = renew.Renewed.Add(time.Second)
	if _, err := l.Update(ctx, first, renew); err != nil {
		t.Fatal(err)
	}
	if ttl := m.TTL("short"); ttl != 20*time.Second {
		t.Errorf("TTL after Update %v, want 20s", ttl)
	}
	// A TTL longer than twice the Duration is kept.
	long, _ := cache.NewRedisLease(cache.RedisLeaseConfig{Client: c, Key: "long", TTL: time.Minute})
	if _, err := long.Create(ctx, rec("a", 1)); err != nil {
		t.Fatal(err)
	}
	if ttl := m.TTL("long"); ttl != time.Minute {
		t.Errorf("TTL %v, want 1m", ttl)
	}
}

func rec(holder string, token uint64) hakit.LeaseRecord {
	now := time.Now().Round(0)
	return hakit.LeaseRecord{Holder: holder, Token: token, Acquired: now, Renewed: now, Duration: 10 * time.Second}
}

func TestRedisLeaseTokensSurviveTheRecord(t *testing.T) {
	m, c := newMiniredis(t)
	ctx := context.Background()
	l, _ := cache.NewRedisLease(cache.RedisLeaseConfig{Client: c, Key: "leader"})
	first, err := l.Create(ctx, rec("a", 1))
	if err != nil {
		t.Fatal(err)
	}
	// The token is at least Redis' clock in microseconds.
	if floor := uint64(time.Now().Add(-time.Minute).UnixMicro()); first.Token < floor {
		t.Errorf("token %d below the clock floor %d", first.Token, floor)
	}
	// Renewal keeps the token; the TTL is twice the Duration.
	renew := first
	renew.Renewed = renew.Renewed.Add(time.Second)
	second, err := l.Update(ctx, first, renew)
	if err != nil || second.Token != first.Token {
		t.Fatalf("renewal: %+v, %v; want token %d", second, err, first.Token)
	}
	if ttl := m.TTL("leader"); ttl != 20*time.Second {
		t.Errorf("TTL %v, want 20s", ttl)
	}
	// The record expires; the next Create still gets a higher token.
	m.FastForward(21 * time.Second)
	if _, err := l.Get(ctx); !errors.Is(err, hakit.ErrNoLease) {
		t.Fatalf("Get after the TTL: %v, want ErrNoLease", err)
	}
	m.SetTime(time.Now().Add(-time.Hour)) // even if Redis' clock went back
	third, err := l.Create(ctx, rec("b", 1))
	if err != nil {
		t.Fatal(err)
	}
	if third.Token <= second.Token {
		t.Errorf("token after the record vanished: %d, want above %d", third.Token, second.Token)
	}
	// A token asked for above the counter is stored as given.
	want := third.Token + 1000
	fourth, err := l.Update(ctx, third, rec("c", want))
	if err != nil || fourth.Token != want {
		t.Errorf("Update asking for %d: %+v, %v", want, fourth, err)
	}
	// The same holder taking the lease again gets a new token too.
	fifth, err := l.Update(ctx, fourth, rec("c", fourth.Token+1))
	if err != nil || fifth.Token <= fourth.Token {
		t.Errorf("re-acquire: %+v, %v", fifth, err)
	}
	if _, err := l.Create(ctx, rec("d", cache.MaxRedisToken+1)); err == nil || !strings.Contains(err.Error(), "exceeds") {
		t.Errorf("token above 2^53: %v", err)
	}
}

func TestRedisLeaseWait(t *testing.T) {
	// miniredis has no replicas: WAIT answers 0.
	_, c := newMiniredis(t)
	ctx := context.Background()
	l, _ := cache.NewRedisLease(cache.RedisLeaseConfig{Client: c, Key: "leader", WaitReplicas: 1, WaitTimeout: 10 * time.Millisecond})
	_, err := l.Create(ctx, rec("a", 1))
	if !errors.Is(err, cache.ErrNotReplicated) {
		t.Fatalf("Create with no replica: %v, want ErrNotReplicated", err)
	}
	// The write happened on the master all the same.
	got, err := l.Get(ctx)
	if err != nil || got.Holder != "a" {
		t.Fatalf("Get: %+v, %v", got, err)
	}
	if _, err := l.Create(ctx, rec("b", 1)); !errors.Is(err, hakit.ErrLeaseConflict) {
		t.Errorf("Create over it: %v, want ErrLeaseConflict", err)
	}
	if _, err := l.Update(ctx, rec("x", 1), rec("b", 1)); !errors.Is(err, hakit.ErrLeaseConflict) {
		t.Errorf("stale Update: %v, want ErrLeaseConflict", err)
	}
}

func TestRedisLeaseErrors(t *testing.T) {
	m, c := newMiniredis(t)
	ctx := context.Background()
	l, _ := cache.NewRedisLease(cache.RedisLeaseConfig{Client: c, Key: "leader"})
	m.HSet("leader", "holder", "a", "token", "x", "acquired", "", "renewed", "", "duration", "0")
	if _, err := l.Get(ctx); err == nil || errors.Is(err, hakit.ErrNoLease) || !strings.Contains(err.Error(), "malformed") {
		t.Errorf("malformed record: %v", err)
	}
	m.Del("leader")
	m.HSet("leader", "holder", "a")
	if _, err := l.Get(ctx); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("partial record: %v", err)
	}
	m.Close()
	if _, err := l.Get(ctx); err == nil || errors.Is(err, hakit.ErrNoLease) {
		t.Errorf("Redis down: %v", err)
	}
	if _, err := l.Create(ctx, rec("a", 1)); err == nil || errors.Is(err, hakit.ErrLeaseConflict) {
		t.Errorf("Create with Redis down: %v", err)
	}
	for _, tc := range []struct {
		cfg  cache.RedisLeaseConfig
		want string
	}{
		{cache.RedisLeaseConfig{Key: "k"}, "Client"},
		{cache.RedisLeaseConfig{Client: c}, "Key"},
		{cache.RedisLeaseConfig{Client: c, Key: "k", TTL: -1}, "TTL"},
		{cache.RedisLeaseConfig{Client: c, Key: "k", WaitReplicas: -1}, "WaitReplicas"},
		{cache.RedisLeaseConfig{Client: c, Key: "k", WaitTimeout: -1}, "WaitTimeout"},
	} {
		if _, err := cache.NewRedisLease(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewRedisLease(%+v) = %v, want an error naming %s", tc.cfg, err, tc.want)
		}
	}
}

func TestRedisLeaseWithElector(t *testing.T) {
	_, c := newMiniredis(t)
	l, _ := cache.NewRedisLease(cache.RedisLeaseConfig{Client: c, Key: "elect"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	started := make(chan uint64, 1)
	e, err := hakit.NewElector(hakit.ElectorConfig{
		// The default durations: a stalled machine must not lose the
		// leadership (and so the release) before the test cancels.
		Lease: l, Identity: "a",
		ReleaseOnCancel:  true,
		OnStartedLeading: func(ctx context.Context, token uint64) { started <- token },
		OnStoppedLeading: func() {},
	})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- e.Run(runCtx) }()
	var tok uint64
	select {
	case tok = <-started:
	case <-ctx.Done():
		t.Fatal("elector never led")
	}
	stop()
	<-done
	got, err := l.Get(ctx)
	if err != nil || got.Holder != "" || got.Token != tok {
		t.Errorf("after release: %+v, %v; want no holder, token %d", got, err, tok)
	}
}

// waitArgs records the arguments of every WAIT a client sends.
type waitArgs struct {
	mu   sync.Mutex
	args [][]any
}

func (w *waitArgs) DialHook(next redis.DialHook) redis.DialHook { return next }
func (w *waitArgs) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { w.see(cmd); return next(ctx, cmd) }
}
func (w *waitArgs) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, c := range cmds {
			w.see(c)
		}
		return next(ctx, cmds)
	}
}
func (w *waitArgs) see(cmd redis.Cmder) {
	if strings.EqualFold(cmd.Name(), "wait") {
		w.mu.Lock()
		w.args = append(w.args, cmd.Args())
		w.mu.Unlock()
	}
}

func TestRedisLeaseWaitTimeoutRoundsUp(t *testing.T) {
	_, c := newMiniredis(t)
	var seen waitArgs
	c.AddHook(&seen)
	// WAIT n 0 blocks forever: a sub-millisecond timeout must not become 0.
	l, err := cache.NewRedisLease(cache.RedisLeaseConfig{Client: c, Key: "w", WaitReplicas: 1, WaitTimeout: 300 * time.Microsecond})
	if err != nil {
		t.Fatal(err)
	}
	l.Create(context.Background(), rec("a", 1)) // miniredis has no replicas: ErrNotReplicated
	seen.mu.Lock()
	defer seen.mu.Unlock()
	if len(seen.args) != 1 || fmt.Sprint(seen.args[0][2]) != "1" {
		t.Errorf("WAIT args %v, want a timeout of 1 ms", seen.args)
	}
}

func TestRedisLeaseWaitTimeoutBelowReadTimeout(t *testing.T) {
	m := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: m.Addr(), ReadTimeout: 500 * time.Millisecond})
	defer c.Close()
	_, err := cache.NewRedisLease(cache.RedisLeaseConfig{Client: c, Key: "w", WaitReplicas: 1, WaitTimeout: time.Second})
	if err == nil || !strings.Contains(err.Error(), "WaitTimeout") || !strings.Contains(err.Error(), "ReadTimeout") {
		t.Errorf("WaitTimeout above the client's ReadTimeout: %v", err)
	}
	// The default (1s) against go-redis' default ReadTimeout (3s) is fine;
	// so is any WaitTimeout without WaitReplicas.
	d := redis.NewClient(&redis.Options{Addr: m.Addr()})
	defer d.Close()
	if _, err := cache.NewRedisLease(cache.RedisLeaseConfig{Client: d, Key: "w", WaitReplicas: 1}); err != nil {
		t.Error(err)
	}
	if _, err := cache.NewRedisLease(cache.RedisLeaseConfig{Client: c, Key: "w", WaitTimeout: time.Second}); err != nil {
		t.Error(err)
	}
}

// A Redis that accepts connections and never answers (a frozen process)
// must not hold a call past its ctx: go-redis without
// ContextTimeoutEnabled would wait its ReadTimeout, set here to a minute so
// that only RedisLease's own bound can end the calls within the 5 s below.
func TestRedisLeaseCallsEndWithTheirContext(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns sync.WaitGroup
	conns.Add(1)
	go func() {
		defer conns.Done()
		var held []net.Conn
		for {
			c, err := ln.Accept()
			if err != nil {
				for _, c := range held {
					c.Close()
				}
				return
			}
			held = append(held, c) // read nothing, answer nothing
		}
	}()
	defer func() { ln.Close(); conns.Wait() }()
	c := redis.NewClient(&redis.Options{Addr: ln.Addr().String(), ReadTimeout: time.Minute, WriteTimeout: time.Minute, MaxRetries: -1})
	defer c.Close()
	l, err := cache.NewRedisLease(cache.RedisLeaseConfig{Client: c, Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	for name, call := range map[string]func(ctx context.Context) error{
		"get":    func(ctx context.Context) error { _, err := l.Get(ctx); return err },
		"create": func(ctx context.Context) error { _, err := l.Create(ctx, hakit.LeaseRecord{Holder: "a"}); return err },
		"update": func(ctx context.Context) error {
			_, err := l.Update(ctx, hakit.LeaseRecord{Holder: "a", Token: 1}, hakit.LeaseRecord{Holder: "a", Token: 1})
			return err
		},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		start := time.Now()
		err := call(ctx)
		cancel()
		if took := time.Since(start); took > 5*time.Second || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: %v after %v, want context.DeadlineExceeded well before the minute of ReadTimeout", name, err, took)
		}
		// A cancellation ends a call too (SIGTERM of a process).
		ctx, cancel = context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		start = time.Now()
		err = call(ctx)
		if took := time.Since(start); took > 5*time.Second || !errors.Is(err, context.Canceled) {
			t.Errorf("%s: %v after %v, want context.Canceled", name, err, took)
		}
	}
	c.Close() // the calls still blocked in go-redis end with their connections
}

// A ClusterClient's pipeline may send WAIT (no key) to another node than
// the write, so WaitReplicas is refused on one; without it the cluster
// client is accepted.
func TestRedisLeaseRefusesWaitOnCluster(t *testing.T) {
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}})
	defer c.Close()
	if _, err := cache.NewRedisLease(cache.RedisLeaseConfig{Client: c, Key: "{l}", WaitReplicas: 1}); err == nil || !strings.Contains(err.Error(), "WaitReplicas") {
		t.Errorf("NewRedisLease on a ClusterClient with WaitReplicas 1 = %v, want an error naming WaitReplicas", err)
	}
	if _, err := cache.NewRedisLease(cache.RedisLeaseConfig{Client: c, Key: "{l}"}); err != nil {
		t.Errorf("NewRedisLease on a ClusterClient without WaitReplicas: %v", err)
	}
}
