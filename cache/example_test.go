package cache_test

import (
	"context"
	"fmt"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/bradfitz/gomemcache/memcache"
	"github.com/hakit/hakit"
	"github.com/hakit/hakit/cache"
	"github.com/hakit/hakit/cache/cachetest"
	"github.com/redis/go-redis/v9"
)

// A ring placing keys as a nutcracker pool with "distribution: ketama" and
// "hash: md5" does, given the servers as its servers: list spells them (the
// third one named "big").
func ExampleRing() {
	servers, err := cache.ParseServers("10.0.0.1:11211:1,10.0.0.2:11211:1,10.0.0.3:11211:2 big")
	if err != nil {
		panic(err)
	}
	ring, err := cache.NewRing(cache.RingConfig{Servers: servers, Hash: cache.HashMD5})
	if err != nil {
		panic(err)
	}
	for _, key := range []string{"user:1", "user:2", "user:3", "session:abc"} {
		s, _ := ring.PickString(key)
		fmt.Printf("%s -> %s\n", key, s.Addr)
	}
	// Output:
	// user:1 -> 10.0.0.2:11211
	// user:2 -> 10.0.0.2:11211
	// user:3 -> 10.0.0.1:11211
	// session:abc -> 10.0.0.3:11211
}

// The same servers placed as libmemcached places them with
// MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED (pylibmc's ketama_weighted), and how
// many ketama points each weight gives.
func ExampleRing_libmemcached() {
	servers, _ := cache.ParseServers("10.0.0.1:11211:11,10.0.0.2:11211:51,10.0.0.3:11211:58")
	ring, err := cache.NewRing(cache.RingConfig{Servers: servers, Mode: cache.ModeLibmemcached})
	if err != nil {
		panic(err)
	}
	for i := range ring.Len() {
		fmt.Printf("%s weight %d: %d points\n", ring.Server(i).Addr, ring.Server(i).Weight, ring.Points(i))
	}
	// Output:
	// 10.0.0.1:11211 weight 11: 44 points
	// 10.0.0.2:11211 weight 51: 204 points
	// 10.0.0.3:11211 weight 58: 228 points
}

// A gomemcache client that finds keys where nutcracker put them.
func ExampleSelector() {
	a, b := cachetest.NewServer(), cachetest.NewServer()
	defer a.Close()
	defer b.Close()
	ring, _ := cache.NewRing(cache.RingConfig{Servers: []cache.Server{{Addr: a.Addr}, {Addr: b.Addr}}})
	mc := memcache.NewFromSelector(cache.NewSelector(ring))
	for _, k := range []string{"k1", "k2", "k3", "k4"} {
		mc.Set(&memcache.Item{Key: k, Value: []byte("v")})
	}
	fmt.Println("items:", a.Len()+b.Len(), "the ring agrees:", a.Len() == countOn(ring, 0, "k1", "k2", "k3", "k4"))
	// Output:
	// items: 4 the ring agrees: true
}

func countOn(r *cache.Ring, i int, keys ...string) int {
	n := 0
	for _, k := range keys {
		if r.IndexString(k) == i {
			n++
		}
	}
	return n
}

// A Client ejects a server that stops answering, after nutcracker's
// server_failure_limit of 2, and its keys go to the others.
func ExampleClient() {
	a, b := cachetest.NewServer(), cachetest.NewServer()
	defer a.Close()
	defer b.Close()
	c, err := cache.NewClient(cache.ClientConfig{
		Ring:    cache.RingConfig{Servers: []cache.Server{{Addr: a.Addr}, {Addr: b.Addr}}},
		OnEject: func(e cache.Ejection) { fmt.Println("ejected server", e.Index) },
	})
	if err != nil {
		panic(err)
	}
	defer c.Close()
	key := "on-a"
	for i := 0; c.Ring().IndexString(key) != 0; i++ {
		key = fmt.Sprint("on-a-", i)
	}
	a.SetDown(true)
	c.Get(key)
	c.Get(key)
	_, err = c.Get(key)
	fmt.Println("live:", c.Stats().Live, "then:", err)
	// Output:
	// ejected server 0
	// live: 1 then: memcache: cache miss
}

// A RedisLease hands out fencing tokens that keep growing, even when the
// record itself is lost.
func ExampleRedisLease() {
	m := miniredis.NewMiniRedis()
	if err := m.Start(); err != nil {
		panic(err)
	}
	defer m.Close()
	rc := redis.NewClient(&redis.Options{Addr: m.Addr()})
	defer rc.Close()
	lease, err := cache.NewRedisLease(cache.RedisLeaseConfig{Client: rc, Key: "{orders}:leader"})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	now := time.Now().Round(0)
	a, _ := lease.Create(ctx, hakit.LeaseRecord{Holder: "node-a", Token: 1, Acquired: now, Renewed: now, Duration: 10 * time.Second})
	_, err = lease.Create(ctx, hakit.LeaseRecord{Holder: "node-b", Token: 1, Acquired: now, Renewed: now, Duration: 10 * time.Second})
	fmt.Println("node-b while node-a holds it:", err)
	m.Del("{orders}:leader") // lost, as a failover can lose it
	b, _ := lease.Create(ctx, hakit.LeaseRecord{Holder: "node-b", Token: 1, Acquired: now, Renewed: now, Duration: 10 * time.Second})
	fmt.Println("node-b's token above node-a's:", b.Token > a.Token)
	fmt.Println("TTL:", m.TTL("{orders}:leader"))
	// Output:
	// node-b while node-a holds it: cache: redis lease "{orders}:leader": create: hakit: lease record changed concurrently
	// node-b's token above node-a's: true
	// TTL: 20s
}

// Sentinel's pub/sub messages, parsed.
func ExampleParseSentinelEvent() {
	ev, _ := cache.ParseSentinelEvent("+switch-master", "hakit 127.0.0.1 16379 127.0.0.1 16380")
	fmt.Println(ev.MasterName(), "moved from", ev.OldMaster.Addr(), "to", ev.Instance.Addr())
	ev, _ = cache.ParseSentinelEvent("+odown", "master hakit 127.0.0.1 16379 #quorum 2/2")
	fmt.Println(ev.Channel, ev.Instance.Type, ev.MasterName(), ev.Rest)
	ev, _ = cache.ParseSentinelEvent("+sdown", "slave 127.0.0.1:16381 127.0.0.1 16381 @ hakit 127.0.0.1 16380")
	fmt.Println(ev.Channel, ev.Instance.Type, ev.Instance.Addr(), "of", ev.MasterName())
	// Output:
	// hakit moved from 127.0.0.1:16379 to 127.0.0.1:16380
	// +odown master hakit #quorum 2/2
	// +sdown slave 127.0.0.1:16381 of hakit
}
