package lb

import (
	"fmt"
	"net"
	"strings"
	"testing"
)

func newTestBackend(t testing.TB, cfg BackendConfig, weights ...int) *Backend {
	t.Helper()
	for i, w := range weights {
		cfg.Servers = append(cfg.Servers, ServerConfig{Name: fmt.Sprintf("s%d", i+1), Addr: fmt.Sprintf("127.0.0.1:%d", 18101+i), Weight: w})
	}
	b, err := NewBackend(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func pickN(t testing.TB, b *Backend, n int, key func(i int) *Key) []string {
	t.Helper()
	var out []string
	for i := range n {
		k := &Key{}
		if key != nil {
			k = key(i)
		}
		s, err := b.Pick(k)
		if err != nil {
			t.Fatalf("pick %d: %v", i, err)
		}
		out = append(out, s.Name())
	}
	return out
}

func count(names []string) map[string]int {
	m := map[string]int{}
	for _, n := range names {
		m[n]++
	}
	return m
}

// HAProxy 2.6 with weights 1/2/3 serves s3 s2 s3 s1 s3 s2 on a fresh start,
// repeating (observed on haproxy; the integration test checks it live).
func TestRoundRobinHAProxyOrder(t *testing.T) {
	b := newTestBackend(t, BackendConfig{}, 1, 2, 3)
	got := strings.Join(pickN(t, b, 18, nil), " ")
	want := strings.Repeat("s3 s2 s3 s1 s3 s2 ", 3)
	if got != strings.TrimSpace(want) {
		t.Fatalf("order:\n got %s\nwant %s", got, want)
	}
}

// Every weighted algorithm serves each server in proportion to its weight.
func TestWeightedDistribution(t *testing.T) {
	for _, algo := range []Algorithm{RoundRobin, StaticRR, Random} {
		t.Run(algo.String(), func(t *testing.T) {
			b := newTestBackend(t, BackendConfig{Balance: algo, RandomDraws: 1}, 1, 3, 6)
			c := count(pickN(t, b, 10000, nil))
			for name, w := range map[string]int{"s1": 1, "s2": 3, "s3": 6} {
				// Exact for the deterministic ones; within 10% of
				// the share for random draws, far below the gap
				// between weights.
				want := 1000 * w
				if d := c[name] - want; d > want/10 || d < -want/10 {
					t.Errorf("%s served %d, want about %d (%v)", name, c[name], want, c)
				}
			}
		})
	}
}

// Dynamic weights: a server set to weight 0 leaves the rotation, and one
// whose weight is raised takes its new share.
func TestRoundRobinSetWeight(t *testing.T) {
	b := newTestBackend(t, BackendConfig{}, 1, 1, 1)
	if err := b.SetWeight("s2", 0); err != nil {
		t.Fatal(err)
	}
	if c := count(pickN(t, b, 100, nil)); c["s2"] != 0 || c["s1"] != 50 || c["s3"] != 50 {
		t.Fatalf("weight 0: %v", c)
	}
	if err := b.SetWeight("s2", 2); err != nil {
		t.Fatal(err)
	}
	pickN(t, b, 10, nil) // let the new weight settle into the window
	if c := count(pickN(t, b, 400, nil)); c["s2"] < 190 || c["s2"] > 210 {
		t.Fatalf("weight 2 of 4: %v", c)
	}
	if err := b.SetWeight("nope", 1); err == nil {
		t.Fatal("SetWeight of an unknown server succeeded")
	}
}

func TestAdminStates(t *testing.T) {
	b := newTestBackend(t, BackendConfig{}, 1, 1)
	for _, st := range []AdminState{AdminDrain, AdminMaint} {
		if err := b.SetState("s1", st); err != nil {
			t.Fatal(err)
		}
		if c := count(pickN(t, b, 10, nil)); c["s1"] != 0 {
			t.Fatalf("%v: s1 still picked: %v", st, c)
		}
	}
	b.SetState("s1", AdminReady)
	if c := count(pickN(t, b, 10, nil)); c["s1"] != 5 {
		t.Fatalf("ready again: %v", c)
	}
}

// leastconn sends to the server with the fewest connections per weight, and
// rotates among equals.
func TestLeastConn(t *testing.T) {
	for _, algo := range []Algorithm{LeastConn, WLC, SED, NQ} {
		t.Run(algo.String(), func(t *testing.T) {
			b := newTestBackend(t, BackendConfig{Balance: algo}, 1, 2)
			// Held connections: after 30, s2 (weight 2) holds 20.
			for range 30 {
				if _, err := b.Acquire(t.Context(), &Key{}, nil, false); err != nil {
					t.Fatal(err)
				}
			}
			s1, s2 := b.Server("s1").Conns(), b.Server("s2").Conns()
			if s2 < 19 || s2 > 21 || s1+s2 != 30 {
				t.Fatalf("s1 %d s2 %d, want 10 and 20", s1, s2)
			}
		})
	}
}

// SED differs from WLC on idle servers: with one connection on a weight-3
// server and none on a weight-1 one, WLC picks the idle server and SED the
// heavy one ((1+1)/3 < (0+1)/1). NQ picks the idle one.
func TestLVSSEDvsWLC(t *testing.T) {
	for algo, want := range map[Algorithm]string{WLC: "s1", SED: "s2", NQ: "s1"} {
		b := newTestBackend(t, BackendConfig{Balance: algo}, 1, 3)
		b.Server("s2").cur.Add(1)
		s, _ := b.Pick(&Key{})
		if s.Name() != want {
			t.Errorf("%v picked %s, want %s", algo, s.Name(), want)
		}
	}
}

func TestFirst(t *testing.T) {
	b := newTestBackend(t, BackendConfig{Balance: First}, 1, 1, 1)
	for i := range b.servers {
		b.servers[i].cfg.MaxConn = 2
	}
	var got []string
	for range 5 {
		s, err := b.Acquire(t.Context(), &Key{}, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, s.Name())
	}
	if g := strings.Join(got, " "); g != "s1 s1 s2 s2 s3" {
		t.Fatalf("first: %s", g)
	}
}

func ip(i int) net.IP { return net.IPv4(10, byte(i>>16), byte(i>>8), byte(i)) }

// Hashing algorithms send a key to the same server every time and spread
// many keys over all servers.
func TestHashing(t *testing.T) {
	keys := map[string]func(i int) *Key{
		"source":    func(i int) *Key { return &Key{Source: ip(i)} },
		"uri":       func(i int) *Key { return &Key{URI: fmt.Sprintf("/obj/%d?x=1", i)} },
		"url_param": func(i int) *Key { return &Key{URI: fmt.Sprintf("/p?a=b&user=%d", i)} },
		"hdr":       func(i int) *Key { return &Key{Header: map[string][]string{"X-User": {fmt.Sprint(i)}}} },
		"sh":        func(i int) *Key { return &Key{Source: ip(i)} },
		"dh":        func(i int) *Key { return &Key{Dest: ip(i)} },
	}
	for name, key := range keys {
		for _, ht := range []HashType{HashMapBased, HashConsistent} {
			t.Run(name+"/"+ht.String(), func(t *testing.T) {
				algo, _ := ParseAlgorithm(name)
				b := newTestBackend(t, BackendConfig{Balance: algo, Param: map[Algorithm]string{URLParam: "user", Hdr: "x-user"}[algo], HashType: ht}, 1, 1, 1, 1)
				first := pickN(t, b, 4000, key)
				again := pickN(t, b, 4000, key)
				for i := range first {
					if first[i] != again[i] {
						t.Fatalf("key %d went to %s, then %s", i, first[i], again[i])
					}
				}
				// 4000 keys over 4 equal servers: each within 25%
				// of 1000; a hash that ignores the key puts all on one.
				for s, n := range count(first) {
					if n < 750 || n > 1250 {
						t.Errorf("%s got %d keys: %v", s, n, count(first))
					}
				}
			})
		}
	}
}

// url_param and hdr fall back to round robin without their key (HAProxy's
// documented behaviour).
func TestHashFallback(t *testing.T) {
	b := newTestBackend(t, BackendConfig{Balance: URLParam, Param: "user"}, 1, 1)
	if c := count(pickN(t, b, 10, func(int) *Key { return &Key{URI: "/no-param"} })); c["s1"] != 5 {
		t.Fatalf("fallback: %v", c)
	}
}

// Consistent hashing moves only the keys of a server that goes away.
func TestConsistentMovesOnlyLostKeys(t *testing.T) {
	b := newTestBackend(t, BackendConfig{Balance: URI, HashType: HashConsistent}, 1, 1, 1, 1)
	key := func(i int) *Key { return &Key{URI: fmt.Sprintf("/k%d", i)} }
	before := pickN(t, b, 2000, key)
	b.SetState("s2", AdminMaint)
	after := pickN(t, b, 2000, key)
	for i := range before {
		if before[i] != "s2" && before[i] != after[i] {
			t.Fatalf("key %d moved from %s to %s though s2 went away", i, before[i], after[i])
		}
		if after[i] == "s2" {
			t.Fatalf("key %d still on s2", i)
		}
	}
}

// hash-balance-factor bounds a server's load: with factor 125 no server
// takes more than 125% of the average even when every key is the same.
func TestConsistentBoundedLoad(t *testing.T) {
	b := newTestBackend(t, BackendConfig{Balance: URI, HashType: HashConsistent, BalanceFactor: 125}, 1, 1, 1, 1)
	for range 100 {
		if _, err := b.Acquire(t.Context(), &Key{URI: "/hot"}, nil, false); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range b.servers {
		// ceil(100*1.25/4) = 32 (plus the one being placed).
		if s.Conns() > 32 {
			t.Errorf("%s holds %d of 100, above 125%% of the average", s.Name(), s.Conns())
		}
	}
}

// Backups serve only when no active server is usable: the first backup
// alone, or all of them with allbackups.
func TestBackups(t *testing.T) {
	for _, all := range []bool{false, true} {
		cfg := BackendConfig{AllBackups: all, Servers: []ServerConfig{
			{Name: "a", Addr: "127.0.0.1:1"},
			{Name: "b1", Addr: "127.0.0.1:2", Backup: true},
			{Name: "b2", Addr: "127.0.0.1:3", Backup: true},
		}}
		b, err := NewBackend(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if c := count(pickN(t, b, 4, nil)); c["a"] != 4 {
			t.Fatalf("active up: %v", c)
		}
		b.setHealth(b.Server("a"), false)
		c := count(pickN(t, b, 4, nil))
		if all && (c["b1"] != 2 || c["b2"] != 2) || !all && c["b1"] != 4 {
			t.Fatalf("allbackups=%v: %v", all, c)
		}
		b.setHealth(b.Server("b1"), false)
		b.setHealth(b.Server("b2"), false)
		if _, err := b.Pick(&Key{}); err != ErrNoServer {
			t.Fatalf("all down: %v", err)
		}
	}
}

func TestRandomDrawsLeastLoaded(t *testing.T) {
	b := newTestBackend(t, BackendConfig{Balance: Random, RandomDraws: 2}, 1, 1)
	b.Server("s1").cur.Add(5)
	// Two draws without replacement from two servers always see both.
	if c := count(pickN(t, b, 50, nil)); c["s2"] != 50 {
		t.Fatalf("random(2): %v", c)
	}
}

// Selection allocates nothing, for every algorithm.
func TestPickAllocs(t *testing.T) {
	for algo := RoundRobin; algo <= SH; algo++ {
		b := newTestBackend(t, BackendConfig{Balance: algo, Param: "x", HashType: HashConsistent}, 1, 2, 3)
		k := &Key{Source: ip(1), Dest: ip(2), URI: "/a?x=1", Header: map[string][]string{"X": {"v"}}}
		b.Pick(k) // build tables once
		if n := testing.AllocsPerRun(200, func() { b.Pick(k) }); n != 0 {
			t.Errorf("%v: %v allocs per pick", algo, n)
		}
	}
}

func BenchmarkPick(b *testing.B) {
	for algo := RoundRobin; algo <= SH; algo++ {
		b.Run(algo.String(), func(b *testing.B) {
			be := newTestBackend(b, BackendConfig{Balance: algo, Param: "x"}, 1, 2, 3, 4, 5, 6, 7, 8)
			k := &Key{Source: ip(1), Dest: ip(2), URI: "/a?x=1", Header: map[string][]string{"X": {"v"}}}
			b.ReportAllocs()
			for b.Loop() {
				be.Pick(k)
			}
		})
	}
}
