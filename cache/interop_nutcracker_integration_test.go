//go:build integration

package cache

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/hakit/hakit/internal/testenv"
)

// memcacheKey returns a random key memcached's text protocol carries: 1 to
// 250 bytes, none of them a space or control character, UTF-8 or not.
func memcacheKey(rng *rand.Rand) string {
	n := 1 + rng.IntN(250)
	if rng.IntN(4) == 0 {
		n = 1 + rng.IntN(10)
	}
	k := make([]byte, n)
	for i := range k {
		for {
			b := byte(0x21 + rng.UintN(0xff-0x21+1))
			if b != 0x7f {
				k[i] = b
				break
			}
		}
	}
	return string(k)
}

func randomName(rng *rand.Rand) string {
	const chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"
	b := make([]byte, 1+rng.IntN(30))
	for i := range b {
		b[i] = chars[rng.IntN(len(chars))]
	}
	return string(b)
}

// deadServer is an address nothing listens on, on port 11211, so that its
// hashed name is the host alone: keys nutcracker sends there fail.
const deadServer = "127.0.0.2:11211"

// TestNutcrackerKetama writes random keys through a real nutcracker
// (distribution ketama) in front of the real memcached instances, with
// random weights, names, server order and host spellings, then finds each
// key on the memcached that holds it and requires the Ring to name that
// server for every key. It covers every hash nutcracker has; md5 and
// fnv1a_64 get the most server sets.
func TestNutcrackerKetama(t *testing.T) {
	testNutcracker(t, DistKetama)
}

// TestNutcrackerModula is TestNutcrackerKetama for distribution modula.
func TestNutcrackerModula(t *testing.T) {
	testNutcracker(t, DistModula)
}

func testNutcracker(t *testing.T, dist Distribution) {
	env := testenv.Nutcracker(t)
	backends := env.Servers
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	deadOK := true
	if c, err := net.DialTimeout("tcp", deadServer, time.Second); err == nil {
		c.Close()
		deadOK = false
		t.Logf("%s accepts connections here, so no server set includes a dead 11211 server", deadServer)
	}
	direct := make([]*memcache.Client, len(backends))
	for i, a := range backends {
		direct[i] = memcache.New(a)
		direct[i].Timeout = 2 * time.Second
	}
	total := 0
	for h := HashOneAtATime; h < hashEnd; h++ {
		sets := 2
		if h == HashMD5 || h == HashFNV1a_64 {
			sets = 6
		}
		if dist == DistModula {
			sets = 1
		}
		for range sets {
			total += nutcrackerCase(t, env, rng, h, dist, backends, direct, deadOK)
		}
	}
	t.Logf("%d keys placed as nutcracker placed them", total)
}

// nutcrackerCase runs one random server set and returns how many keys it
// checked.
func nutcrackerCase(t *testing.T, env testenv.NutcrackerEnv, rng *rand.Rand, h Hash, dist Distribution, backends []string, direct []*memcache.Client, deadOK bool) int {
	t.Helper()
	// A random subset of the backends in random order, each spelled in
	// one of the ways getaddrinfo reads as 127.0.0.1.
	order := rng.Perm(len(backends))[:1+rng.IntN(len(backends))]
	weights := randomWeights(rng, len(order)+1)
	var servers []Server
	backendOf := map[int]int{} // server index -> backend index
	for i, b := range order {
		_, port, _ := net.SplitHostPort(backends[b])
		host := []string{"127.0.0.1", "127.1", "127.0.1"}[rng.IntN(3)]
		s := Server{Addr: host + ":" + port, Weight: weights[i]}
		if rng.IntN(3) == 0 {
			s.Name = randomName(rng)
		}
		backendOf[len(servers)] = b
		servers = append(servers, s)
	}
	dead := -1
	if deadOK && len(servers) > 1 && rng.IntN(2) == 0 {
		dead = rng.IntN(len(servers) + 1)
		servers = append(servers[:dead], append([]Server{{Addr: deadServer, Weight: weights[len(order)]}}, servers[dead:]...)...)
		shifted := map[int]int{}
		for i, b := range backendOf {
			if i >= dead {
				i++
			}
			shifted[i] = b
		}
		backendOf = shifted
	}
	ring, err := NewRing(RingConfig{Servers: servers, Hash: h, Distribution: dist})
	if err != nil {
		t.Fatal(err)
	}
	desc := fmt.Sprintf("%v %v %s", dist, h, FormatServers(servers))
	listen, stats := env.SpareListen[0], env.SpareStats[0]
	stop := startNutcracker(t, listen, stats, nutcrackerPool(listen, h, dist, servers))
	defer stop()

	proxy := memcache.New(listen)
	proxy.Timeout = 5 * time.Second
	defer proxy.Close()
	nonce := []byte(fmt.Sprintf("hakit-%x", rng.Uint64()))
	const n = 500
	keys := make([]string, 0, n)
	seen := map[string]bool{}
	for len(keys) < n {
		k := memcacheKey(rng)
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	var stored []string
	for _, k := range keys {
		err := proxy.Set(&memcache.Item{Key: k, Value: nonce, Expiration: 300})
		want := ring.IndexString(k)
		switch {
		case want == dead && err == nil:
			t.Fatalf("%s: key %q stored, but the ring sends it to the dead %s", desc, k, deadServer)
		case want == dead:
		case err != nil:
			t.Fatalf("%s: set %q through nutcracker: %v (the ring sends it to %s)", desc, k, err, servers[want].Addr)
		default:
			stored = append(stored, k)
		}
	}
	// Find each stored key on the memcached that holds it.
	found := map[string]int{}
	for b, c := range direct {
		for i := 0; i < len(stored); i += 50 {
			items, err := c.GetMulti(stored[i:min(i+50, len(stored))])
			if err != nil {
				t.Fatalf("get from %s: %v", backends[b], err)
			}
			for k, it := range items {
				if string(it.Value) != string(nonce) {
					continue
				}
				if prev, dup := found[k]; dup {
					t.Fatalf("%s: key %q on both %s and %s", desc, k, backends[prev], backends[b])
				}
				found[k] = b
			}
		}
	}
	bad := 0
	for _, k := range stored {
		b, ok := found[k]
		if !ok {
			t.Fatalf("%s: key %q stored through nutcracker but on no memcached", desc, k)
		}
		want := ring.IndexString(k)
		if backendOf[want] != b {
			bad++
			if bad <= 5 {
				t.Errorf("%s: key %x on %s, ring says %s", desc, k, backends[b], servers[want].Addr)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d keys differ from nutcracker", desc, bad, len(stored))
	}
	for _, k := range stored {
		if err := proxy.Delete(k); err != nil && !errors.Is(err, memcache.ErrCacheMiss) {
			t.Fatalf("delete %q: %v", k, err)
		}
	}
	return len(keys)
}

// TestSharedNutcrackerPools writes keys through the shared nutcracker pools
// of scripts/services.sh (ketama, md5 and fnv1a_64, weights 1 to 4) and
// finds each on the memcached the Ring names.
func TestSharedNutcrackerPools(t *testing.T) {
	env := testenv.Nutcracker(t)
	var servers []Server
	for i, a := range env.Servers {
		servers = append(servers, Server{Addr: a, Weight: env.Weights[i]})
	}
	rng := rand.New(rand.NewPCG(rand.Uint64(), 8))
	for _, pool := range []struct {
		addr string
		hash Hash
	}{{env.MD5, HashMD5}, {env.FNV1a64, HashFNV1a_64}} {
		ring, err := NewRing(RingConfig{Servers: servers, Hash: pool.hash})
		if err != nil {
			t.Fatal(err)
		}
		proxy := memcache.New(pool.addr)
		proxy.Timeout = 5 * time.Second
		nonce := []byte(fmt.Sprintf("hakit-%x", rng.Uint64()))
		for range 300 {
			k := memcacheKey(rng)
			if err := proxy.Set(&memcache.Item{Key: k, Value: nonce, Expiration: 60}); err != nil {
				t.Fatalf("%v pool: set %q: %v", pool.hash, k, err)
			}
			want := ring.IndexString(k)
			direct := memcache.New(env.Servers[want])
			it, err := direct.Get(k)
			direct.Close()
			if err != nil || string(it.Value) != string(nonce) {
				t.Errorf("%v pool: key %x not on %s, where the ring puts it: %v", pool.hash, k, env.Servers[want], err)
			}
			proxy.Delete(k)
		}
		proxy.Close()
	}
}
