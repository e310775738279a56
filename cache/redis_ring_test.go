package cache

import (
	"fmt"
	"testing"
)

// The hash RedisRingHash gives go-redis names the shard of the Ring's
// server for each key, rebuilt over the shards go-redis reports up as
// nutcracker's auto_eject_hosts rebuilds (Ring.WithLive), and "" when none
// is up.
func TestRedisRingHash(t *testing.T) {
	servers := []Server{{Addr: "10.0.0.1:6379", Weight: 1}, {Addr: "10.0.0.2:6379", Weight: 2, Name: "b"}, {Addr: "10.0.0.3:6379", Weight: 1}}
	cfg := RingConfig{Servers: servers, HashTag: "{}"}
	newHash, err := RedisRingHash(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ring, _ := NewRing(cfg)
	all := newHash([]string{"10.0.0.1:6379", "b", "10.0.0.3:6379"})
	down := newHash([]string{"10.0.0.1:6379", "10.0.0.3:6379", "unknown"})
	ejected := ring.WithLive(func(i int) bool { return i != 1 })
	for i := range 1000 {
		k := fmt.Sprintf("key:%d", i)
		if got, want := all.Get(k), shardName(ring.Server(ring.IndexString(k))); got != want {
			t.Fatalf("%s -> %q, want %q", k, got, want)
		}
		if got, want := down.Get(k), shardName(ejected.Server(ejected.IndexString(k))); got != want {
			t.Fatalf("b down: %s -> %q, want %q", k, got, want)
		}
	}
	if got := newHash(nil).Get("k"); got != "" {
		t.Errorf("no shard up: %q, want \"\"", got)
	}
	for _, bad := range []RingConfig{
		{Servers: servers},                                        // no hash tag: go-redis applies {} anyway
		{Servers: servers, HashTag: "[]"},                         // another hash tag
		{Servers: servers, HashTag: "{}", Mode: ModeLibmemcached}, // not nutcracker
		{Servers: servers, HashTag: "{}", Distribution: DistRendezvous},
	} {
		if _, err := RedisRingHash(bad); err == nil {
			t.Errorf("RedisRingHash(%+v) accepted", bad)
		}
	}
}
