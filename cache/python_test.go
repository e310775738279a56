package cache

import (
	"fmt"
	"testing"
)

// The answers below are the libraries' own, from
// testdata/python_clients_ring.py (Debian's python3-memcache 1.59 and
// python3-pymemcache 3.5.2); TestPythonClientsPlacement checks random cases
// the same way under the integration tag.
func TestPythonModesKnownKeys(t *testing.T) {
	servers := []Server{{Addr: "10.0.0.1:11211", Weight: 1}, {Addr: "10.0.0.2:11211", Weight: 2}, {Addr: "10.0.0.3:11211", Weight: 1}}
	for _, tc := range []struct {
		mode Mode
		dead []int
		want [12]int // keys k0 ... k11
	}{
		{ModePythonMemcached, nil, [12]int{1, 1, 2, 0, 0, 2, 1, 1, 1, 1, 2, 0}},
		// server 1 dead: its keys rehash str(hash)+str(i) onto the others
		{ModePythonMemcached, []int{1}, [12]int{0, 0, 2, 0, 0, 2, 2, 0, 2, 2, 2, 0}},
		{ModePythonMemcached, []int{0, 1, 2}, [12]int{-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1}},
		// weights ignored: server 1 gets a third of the keys, not half
		{ModePymemcache, nil, [12]int{0, 0, 0, 0, 0, 1, 2, 0, 2, 2, 1, 2}},
		// server 1 removed: only its keys move
		{ModePymemcache, []int{1}, [12]int{0, 0, 0, 0, 0, 2, 2, 0, 2, 2, 0, 2}},
		{ModePymemcache, []int{0, 1, 2}, [12]int{-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1}},
	} {
		r, err := NewRing(RingConfig{Servers: servers, Mode: tc.mode})
		if err != nil {
			t.Fatal(err)
		}
		dead := map[int]bool{}
		for _, i := range tc.dead {
			dead[i] = true
		}
		r = r.WithLive(func(i int) bool { return !dead[i] })
		for i, want := range tc.want {
			if got := r.IndexString(fmt.Sprintf("k%d", i)); got != want {
				t.Errorf("%v dead %v: k%d -> %d, the library %d", tc.mode, tc.dead, i, got, want)
			}
		}
	}
}

func TestPythonHashes(t *testing.T) {
	// memcache.cmemcache_hash(b"user:42")
	if got := cmemcacheHash([]byte("user:42")); got != 25711 {
		t.Errorf("cmemcache_hash(user:42) = %d, want 25711", got)
	}
	// pymemcache.client.murmur3.murmur3_32 over a str: one byte per
	// character, its code point & 0xff.
	for _, tc := range []struct {
		node, key string
		want      uint32
	}{
		{"10.0.0.1:11211", "token:abc", 1447757060},
		{"10.0.0.2:11211", "clé-ü€", 306324699},
	} {
		var m murmur3Py
		m.writeText([]byte(tc.node))
		m.writeChar('-')
		m.writeText([]byte(tc.key))
		if got := m.sum(); got != tc.want {
			t.Errorf("murmur3_32(%q) = %d, want %d", tc.node+"-"+tc.key, got, tc.want)
		}
	}
}

func TestPythonModesRefuseOtherSettings(t *testing.T) {
	s := []Server{{Addr: "a:1"}, {Addr: "b:1"}}
	for _, mode := range []Mode{ModePythonMemcached, ModePymemcache} {
		for _, cfg := range []RingConfig{
			{Servers: s, Mode: mode, Hash: HashMD5},
			{Servers: s, Mode: mode, Distribution: DistModula},
			{Servers: s, Mode: mode, HashTag: "{}"},
			{Servers: []Server{{Addr: "a:1", Name: "x"}}, Mode: mode},
		} {
			if _, err := NewRing(cfg); err == nil {
				t.Errorf("%v: NewRing(%+v) accepted", mode, cfg)
			}
		}
		if m, err := ParseMode(mode.String()); err != nil || m != mode {
			t.Errorf("ParseMode(%q) = %v, %v", mode.String(), m, err)
		}
	}
}
