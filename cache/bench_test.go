package cache_test

import (
	"fmt"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	rendezvous "github.com/dgryski/go-rendezvous"
	"github.com/golang/groupcache/consistenthash"
	"github.com/hakit/hakit/cache"
	"github.com/serialx/hashring"
)

// The benchmarks compare lookups against Go consistent-hashing libraries in
// the same run: each reports hakit's and the peer's ns per lookup and
// allocations per lookup, and "speedup", the peer's time over hakit's.
//
//	go test -run '^$' -bench . -benchtime 200000x ./cache/

const benchServers = 10

func benchAddrs(n int) []string {
	addrs := make([]string, n)
	for i := range addrs {
		addrs[i] = fmt.Sprintf("10.0.%d.%d:11211", i/250, i%250+1)
	}
	return addrs
}

// benchKeys returns 4096 keys of 10 to 60 bytes, like "user:123:profile".
func benchKeys() []string {
	rng := rand.New(rand.NewPCG(1, 1))
	keys := make([]string, 4096)
	for i := range keys {
		keys[i] = fmt.Sprintf("user:%d:session:%x", rng.IntN(1e9), rng.Uint64()>>uint(rng.IntN(60)))
	}
	return keys
}

func ring(b *testing.B, cfg cache.RingConfig, addrs []string) *cache.Ring {
	for _, a := range addrs {
		cfg.Servers = append(cfg.Servers, cache.Server{Addr: a, Weight: 1})
	}
	r, err := cache.NewRing(cfg)
	if err != nil {
		b.Fatal(err)
	}
	return r
}

// compare times ours and peer over the same keys, b.N lookups each, and
// reports both, their allocations and the ratio.
func compare(b *testing.B, ours, peer func(key string)) {
	keys := benchKeys()
	mask := len(keys) - 1
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		ours(keys[i&mask])
	}
	o := time.Since(start)
	start = time.Now()
	for i := 0; i < b.N; i++ {
		peer(keys[i&mask])
	}
	p := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(o.Nanoseconds())/float64(b.N), "hakit-ns/lookup")
	b.ReportMetric(float64(p.Nanoseconds())/float64(b.N), "peer-ns/lookup")
	b.ReportMetric(float64(p)/float64(o), "speedup")
	k := keys[7]
	b.ReportMetric(testing.AllocsPerRun(100, func() { ours(k) }), "hakit-allocs/lookup")
	b.ReportMetric(testing.AllocsPerRun(100, func() { peer(k) }), "peer-allocs/lookup")
}

// BenchmarkKetama compares the ketama ring (libmemcached placement, MD5)
// with serialx/hashring, a libketama-style ring (MD5, 40 groups of 4
// points per server).
func BenchmarkKetama(b *testing.B) {
	addrs := benchAddrs(benchServers)
	r := ring(b, cache.RingConfig{Mode: cache.ModeLibmemcached}, addrs)
	peer := hashring.New(addrs)
	compare(b, func(k string) { r.IndexString(k) }, func(k string) { peer.GetNode(k) })
}

// BenchmarkKetamaFNV is BenchmarkKetama with nutcracker's fnv1a_64 key hash.
func BenchmarkKetamaFNV(b *testing.B) {
	addrs := benchAddrs(benchServers)
	r := ring(b, cache.RingConfig{Hash: cache.HashFNV1a_64}, addrs)
	peer := hashring.New(addrs)
	compare(b, func(k string) { r.IndexString(k) }, func(k string) { peer.GetNode(k) })
}

// BenchmarkKetamaVsGroupcache compares with groupcache's consistenthash
// (CRC-32 keys, 160 points per server as here), with the ring hashing keys
// with nutcracker's crc32a (the same CRC-32).
func BenchmarkKetamaVsGroupcache(b *testing.B) {
	addrs := benchAddrs(benchServers)
	r := ring(b, cache.RingConfig{Hash: cache.HashCRC32a}, addrs)
	peer := consistenthash.New(160, nil)
	peer.Add(addrs...)
	compare(b, func(k string) { r.IndexString(k) }, func(k string) { peer.Get(k) })
}

// BenchmarkRendezvous compares weighted rendezvous hashing with
// dgryski/go-rendezvous (unweighted), both over 10 servers.
func BenchmarkRendezvous(b *testing.B) {
	addrs := benchAddrs(benchServers)
	r := ring(b, cache.RingConfig{Distribution: cache.DistRendezvous}, addrs)
	peer := rendezvous.New(addrs, fnv64)
	compare(b, func(k string) { r.IndexString(k) }, func(k string) { peer.Lookup(k) })
}

func fnv64(s string) uint64 {
	h := uint64(0xcbf29ce484222325)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 0x100000001b3
	}
	return h
}

// BenchmarkSelector compares the gomemcache ServerSelector on the ketama
// ring (nutcracker's default fnv1a_64 key hash) with gomemcache's own
// ServerList (CRC-32 modulo the servers, no consistent hashing).
func BenchmarkSelector(b *testing.B) {
	addrs := benchAddrs(benchServers)
	sel := cache.NewSelector(ring(b, cache.RingConfig{Hash: cache.HashFNV1a_64}, addrs))
	var peer memcache.ServerList
	if err := peer.SetServers(addrs...); err != nil {
		b.Fatal(err)
	}
	var sink net.Addr
	compare(b, func(k string) { sink, _ = sel.PickServer(k) }, func(k string) { sink, _ = peer.PickServer(k) })
	_ = sink
}

// BenchmarkMovedKeys measures once, whatever b.N, and reports the fraction of 100000 keys that change
// server when one server is added to 10 (moved-add) and when one of 11 is
// removed (moved-remove); ideal is 1/11 = 0.0909 for both. Modula is
// there to show what consistent hashing avoids.
func BenchmarkMovedKeys(b *testing.B) {
	addrs := benchAddrs(benchServers + 1)
	keys := make([]string, 100000)
	for i := range keys {
		keys[i] = fmt.Sprint("key:", i)
	}
	moved := func(a, c func(string) string) float64 {
		n := 0
		for _, k := range keys {
			if a(k) != c(k) {
				n++
			}
		}
		return float64(n) / float64(len(keys))
	}
	byAddr := func(r *cache.Ring) func(string) string {
		return func(k string) string { return r.Server(r.IndexString(k)).Addr }
	}
	for _, tc := range []struct {
		name string
		cfg  cache.RingConfig
	}{
		{"ketama-libmemcached", cache.RingConfig{Mode: cache.ModeLibmemcached}},
		{"ketama-twemproxy-fnv1a_64", cache.RingConfig{Hash: cache.HashFNV1a_64}},
		{"rendezvous", cache.RingConfig{Distribution: cache.DistRendezvous}},
		{"modula", cache.RingConfig{Distribution: cache.DistModula}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			small := ring(b, tc.cfg, addrs[:benchServers])
			big := ring(b, tc.cfg, addrs)
			add := moved(byAddr(small), byAddr(big))
			// Remove the third server of 11.
			without := ring(b, tc.cfg, append(append([]string(nil), addrs[:2]...), addrs[3:]...))
			remove := moved(byAddr(big), byAddr(without))
			for range b.N {
				// The fractions are measured once; there is no time to
				// report.
			}
			b.ReportMetric(add, "moved-add")
			b.ReportMetric(remove, "moved-remove")
			b.ReportMetric(1.0/(benchServers+1), "ideal")
		})
	}
	b.Run("peer-serialx-hashring", func(b *testing.B) {
		small, big := hashring.New(addrs[:benchServers]), hashring.New(addrs)
		get := func(h *hashring.HashRing) func(string) string {
			return func(k string) string { s, _ := h.GetNode(k); return s }
		}
		add := moved(get(small), get(big))
		without := hashring.New(append(append([]string(nil), addrs[:2]...), addrs[3:]...))
		remove := moved(get(big), get(without))
		for range b.N {
		}
		b.ReportMetric(add, "moved-add")
		b.ReportMetric(remove, "moved-remove")
		b.ReportMetric(1.0/(benchServers+1), "ideal")
	})
}

// BenchmarkNewRing measures building a ketama ring of 10 servers (1600
// points, 400 MD5 digests).
func BenchmarkNewRing(b *testing.B) {
	addrs := benchAddrs(benchServers)
	b.ReportAllocs()
	for range b.N {
		ring(b, cache.RingConfig{Mode: cache.ModeLibmemcached}, addrs)
	}
}
