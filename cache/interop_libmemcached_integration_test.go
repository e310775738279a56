//go:build integration

package cache

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"testing"
)

// lmCase is one case for testdata/libmemcached_ring.py.
type lmCase struct {
	Servers [][3]any `json:"servers"`
	Keys    []string `json:"keys"`
	// Distribution is "modula" for MEMCACHED_DISTRIBUTION_MODULA with
	// md5, empty for KETAMA_WEIGHTED.
	Distribution string `json:"distribution,omitempty"`
}

// randomKey returns 0 to 250 random bytes, UTF-8 or not.
func randomKey(rng *rand.Rand) []byte {
	n := rng.IntN(251)
	if rng.IntN(4) == 0 {
		n = rng.IntN(12)
	}
	k := make([]byte, n)
	for i := range k {
		k[i] = byte(rng.UintN(256))
	}
	return k
}

// randomWeights returns n weights: all 1, small, or spread wide.
func randomWeights(rng *rand.Rand, n int) []int {
	w := make([]int, n)
	kind := rng.IntN(4)
	for i := range w {
		switch kind {
		case 0:
			w[i] = 1
		case 1:
			w[i] = 1 + rng.IntN(10)
		case 2:
			w[i] = 1 + rng.IntN(100)
		default:
			w[i] = 1 + rng.IntN(100000)
		}
	}
	return w
}

// TestLibmemcachedKetamaWeighted asks libmemcached itself (Debian's
// libmemcached11, through Python ctypes) where random keys go on random
// server sets with MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED, and, for every third
// set, with MEMCACHED_DISTRIBUTION_MODULA and md5, and requires
// ModeLibmemcached (DistKetama, DistModula) to agree on every key.
func TestLibmemcachedKetamaWeighted(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 6))
	const cases, keysPerCase = 300, 400
	var req struct {
		Cases []lmCase `json:"cases"`
	}
	rings := make([]*Ring, cases)
	keys := make([][][]byte, cases)
	for c := range cases {
		n := 1 + rng.IntN(12)
		if c < 20 {
			n = 2 + c%4
		}
		weights := randomWeights(rng, n)
		var servers []Server
		var lc lmCase
		used := map[string]bool{}
		for i := range n {
			host := fmt.Sprintf("127.0.0.%d", 1+rng.IntN(254))
			port := 11211
			if rng.IntN(3) > 0 {
				port = 1024 + rng.IntN(64000)
			}
			addr := fmt.Sprintf("%s:%d", host, port)
			if used[addr] {
				port = 11311 + i
				addr = fmt.Sprintf("%s:%d", host, port)
			}
			used[addr] = true
			servers = append(servers, Server{Addr: addr, Weight: weights[i]})
			lc.Servers = append(lc.Servers, [3]any{host, port, weights[i]})
		}
		dist := DistKetama
		if c%3 == 2 {
			dist, lc.Distribution = DistModula, "modula"
		}
		r, err := NewRing(RingConfig{Servers: servers, Mode: ModeLibmemcached, Distribution: dist})
		if err != nil {
			t.Fatal(err)
		}
		rings[c] = r
		for range keysPerCase {
			k := randomKey(rng)
			keys[c] = append(keys[c], k)
			lc.Keys = append(lc.Keys, hex.EncodeToString(k))
		}
		req.Cases = append(req.Cases, lc)
	}
	var resp struct {
		Version string  `json:"version"`
		Index   [][]int `json:"index"`
	}
	runOracle(t, "testdata/libmemcached_ring.py", req, &resp)
	if len(resp.Index) != cases {
		t.Fatalf("helper answered %d cases, want %d", len(resp.Index), cases)
	}
	t.Logf("libmemcached %s: %d server sets, %d keys each", resp.Version, cases, keysPerCase)
	bad := 0
	for c, r := range rings {
		for i, k := range keys[c] {
			if got, want := r.Index(k), resp.Index[c][i]; got != want {
				bad++
				if bad <= 10 {
					t.Errorf("%v servers %s: key %x -> %d (%s), libmemcached %d", r.Config().Distribution, FormatServers(r.Servers()), k, got, r.Server(got).Addr, want)
				}
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d keys placed differently from libmemcached", bad, cases*keysPerCase)
	}
}
