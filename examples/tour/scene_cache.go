package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/bradfitz/gomemcache/memcache"
	"github.com/hakit/hakit"
	"github.com/hakit/hakit/cache"
	"github.com/hakit/hakit/cache/cachetest"
	"github.com/redis/go-redis/v9"
)

// sceneCache shows the cache tier: keys placed as nutcracker places them, a
// memcached server ejected and put back, and a Redis lease whose fencing
// token keeps growing when its record is lost.
func sceneCache(ctx context.Context, w io.Writer) error {
	tl := newTimeline(w)

	// Three in-memory memcached servers on loopback.
	names := []string{"memcached-a", "memcached-b", "memcached-c"}
	var fakes []*cachetest.Server
	var servers []cache.Server
	for range names {
		f := cachetest.NewServer()
		defer f.Close()
		fakes = append(fakes, f)
		servers = append(servers, cache.Server{Addr: f.Addr, Weight: 1})
	}
	name := func(i int) string { return names[i] }
	ringCfg := cache.RingConfig{Servers: servers, Hash: cache.HashMD5}
	twem, err := cache.NewRing(ringCfg)
	if err != nil {
		return err
	}
	lmCfg := ringCfg
	lmCfg.Mode = cache.ModeLibmemcached
	libm, err := cache.NewRing(lmCfg)
	if err != nil {
		return err
	}
	tl.printf("a ketama ring over %v, placing keys as nutcracker (md5) and libmemcached (KETAMA_WEIGHTED) do:", names)
	keys := []string{"user:1", "user:2", "session:9f2c", "cart:77", "feed:home"}
	for _, k := range keys {
		i, j := twem.IndexString(k), libm.IndexString(k)
		tl.printf("  %-13s -> %s (libmemcached: %s)", k, name(i), name(j))
		if i != j {
			return fmt.Errorf("%s: nutcracker and libmemcached placements differ", k)
		}
	}

	ejected := make(chan int, 4)
	returned := make(chan int, 4)
	c, err := cache.NewClient(cache.ClientConfig{
		Ring:         ringCfg,
		RetryTimeout: time.Second,
		Timeout:      time.Second,
		OnEject:      func(e cache.Ejection) { ejected <- e.Index },
		OnReturn:     func(i int, _ cache.Server) { returned <- i },
	})
	if err != nil {
		return err
	}
	defer c.Close()
	for _, k := range keys {
		if err := c.Set(&memcache.Item{Key: k, Value: []byte("v")}); err != nil {
			return err
		}
	}
	victim := twem.IndexString(keys[0])
	tl.printf("%s goes down (nutcracker's defaults: eject after 2 failures; retry after 1s here, 30s there)", name(victim))
	fakes[victim].SetDown(true)
	for i := 0; i < 2; i++ {
		_, err := c.Get(keys[0])
		tl.printf("  get %s: %v", keys[0], err)
	}
	select {
	case <-ejected:
	case <-time.After(2 * time.Second):
		return errors.New("the down server was not ejected")
	}
	moved := c.Ring().IndexString(keys[0])
	tl.printf("%s ejected: %s now goes to %s (a miss, not an error); %d of 3 servers live", name(victim), keys[0], name(moved), c.Stats().Live)
	if _, err := c.Get(keys[0]); !errors.Is(err, memcache.ErrCacheMiss) {
		return fmt.Errorf("get after ejection: %v", err)
	}
	fakes[victim].SetDown(false)
	tl.printf("%s is back; the first request after the retry timeout puts it back in the ring", name(victim))
	deadline := time.Now().Add(5 * time.Second)
	for len(returned) == 0 {
		if time.Now().After(deadline) {
			return errors.New("the server did not return")
		}
		time.Sleep(50 * time.Millisecond)
		c.Get(keys[1])
	}
	if _, err := c.Get(keys[0]); err != nil {
		return fmt.Errorf("get after return: %v", err)
	}
	tl.printf("%s serves %s again (its items survived the outage)", name(<-returned), keys[0])

	// A Redis lease on an in-memory Redis.
	m := miniredis.NewMiniRedis()
	if err := m.Start(); err != nil {
		return err
	}
	defer m.Close()
	rc := redis.NewClient(&redis.Options{Addr: m.Addr()})
	defer rc.Close()
	lease, err := cache.NewRedisLease(cache.RedisLeaseConfig{Client: rc, Key: "leader"})
	if err != nil {
		return err
	}
	now := time.Now().Round(0)
	a, err := lease.Create(ctx, hakit.LeaseRecord{Holder: "node-a", Token: 1, Acquired: now, Renewed: now, Duration: 3 * time.Second})
	if err != nil {
		return err
	}
	tl.printf("node-a takes the Redis lease: fencing token %d (from a counter with Redis' clock in microseconds as its floor)", a.Token)
	m.Del("leader")
	tl.printf("the record is lost (as a failover to a replica that had not received it would lose it)")
	b, err := lease.Create(ctx, hakit.LeaseRecord{Holder: "node-b", Token: 1, Acquired: now, Renewed: now, Duration: 3 * time.Second})
	if err != nil {
		return err
	}
	tl.printf("node-b takes it with token %d, above node-a's: writes node-a still sends are refused downstream", b.Token)
	if b.Token <= a.Token {
		return fmt.Errorf("token went from %d to %d", a.Token, b.Token)
	}
	return nil
}
