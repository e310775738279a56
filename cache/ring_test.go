package cache

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestNewRingValidates(t *testing.T) {
	srv := []Server{{Addr: "a:11211", Weight: 1}}
	for _, tc := range []struct {
		cfg  RingConfig
		want string
	}{
		{RingConfig{}, "Servers is empty"},
		{RingConfig{Servers: srv, Mode: 7}, "Mode"},
		{RingConfig{Servers: srv, Hash: 99}, "Hash"},
		{RingConfig{Servers: srv, Distribution: 9}, "Distribution"},
		{RingConfig{Servers: srv, HashTag: "{"}, "HashTag"},
		{RingConfig{Servers: srv, Mode: ModeLibmemcached, Hash: HashFNV1a_64}, "md5 only"},
		{RingConfig{Servers: srv, Mode: ModeLibmemcached, HashTag: "{}"}, "HashTag"},
		{RingConfig{Servers: []Server{{Addr: "a:1", Name: "n"}}, Mode: ModeLibmemcached}, "Servers[0].Name"},
		{RingConfig{Servers: []Server{{Addr: "a"}}}, "Servers[0].Addr"},
		{RingConfig{Servers: []Server{{Addr: "a:0"}}}, "Servers[0].Addr"},
		{RingConfig{Servers: []Server{{Addr: "a:1", Weight: -1}}}, "Servers[0].Weight"},
		{RingConfig{Servers: []Server{{Addr: "a:1", Weight: MaxWeight}, {Addr: "b:1", Weight: MaxWeight}, {Addr: "c:1", Weight: 2}}}, "total weight"},
	} {
		_, err := NewRing(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "cache: ") {
			t.Errorf("NewRing(%+v) = %v, want an error about %q", tc.cfg, err, tc.want)
		}
	}
}

func TestRingDefaults(t *testing.T) {
	r, err := NewRing(RingConfig{Servers: []Server{{Addr: "a:1"}, {Addr: "b:1"}}})
	if err != nil {
		t.Fatal(err)
	}
	c := r.Config()
	if c.Hash != HashFNV1a_64 || c.Mode != ModeTwemproxy || c.Distribution != DistKetama {
		t.Errorf("defaults: %+v", c)
	}
	if r.Server(0).Weight != 1 {
		t.Errorf("zero weight became %d, want 1", r.Server(0).Weight)
	}
	if r.Points(0) != 160 || r.Points(1) != 160 {
		t.Errorf("points %d, %d; want 160 each", r.Points(0), r.Points(1))
	}
	r, err = NewRing(RingConfig{Servers: []Server{{Addr: "a:1"}}, Mode: ModeLibmemcached})
	if err != nil {
		t.Fatal(err)
	}
	if r.Config().Hash != HashMD5 {
		t.Errorf("libmemcached default hash %v", r.Config().Hash)
	}
}

func TestRingCopiesServers(t *testing.T) {
	in := []Server{{Addr: "a:1", Weight: 1}, {Addr: "b:1", Weight: 1}}
	r, err := NewRing(RingConfig{Servers: in})
	if err != nil {
		t.Fatal(err)
	}
	in[0].Addr = "changed:1"
	out := r.Servers()
	out[1].Addr = "changed:2"
	if r.Server(0).Addr != "a:1" || r.Server(1).Addr != "b:1" {
		t.Errorf("ring shares its servers slice: %v", r.Servers())
	}
}

func TestSingleServerAndEmptyKey(t *testing.T) {
	r, _ := NewRing(RingConfig{Servers: []Server{{Addr: "a:1"}}})
	if r.IndexString("anything") != 0 {
		t.Error("single server not picked")
	}
	// nutcracker hashes an empty key as 0: the owner of the first point.
	r, _ = NewRing(RingConfig{Servers: mustServers(t, "a:1:1,b:1:1,c:1:1")})
	if got, want := r.IndexString(""), int(r.owners[0]); got != want {
		t.Errorf("empty key -> %d, want the first point's owner %d", got, want)
	}
}

func TestHashTag(t *testing.T) {
	r, err := NewRing(RingConfig{Servers: mustServers(t, "a:1:1,b:1:1,c:1:1,d:1:1"), HashTag: "{}"})
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := NewRing(RingConfig{Servers: mustServers(t, "a:1:1,b:1:1,c:1:1,d:1:1")})
	for i := range 200 {
		user := fmt.Sprintf("user%d", i)
		// Keys with the same tag go where the tag alone goes.
		want := plain.IndexString(user)
		for _, k := range []string{"{" + user + "}", "x{" + user + "}y", "session:{" + user + "}:a"} {
			if got := r.IndexString(k); got != want {
				t.Fatalf("%q -> %d, want %d (the tag %q)", k, got, want, user)
			}
		}
		// No tag, or an empty one: the whole key is hashed.
		for _, k := range []string{user + "{", "{}" + user, "}" + user + "{"} {
			if got, want := r.IndexString(k), plain.IndexString(k); got != want {
				t.Fatalf("%q -> %d, want %d (whole key)", k, got, want)
			}
		}
	}
}

func TestModula(t *testing.T) {
	servers := mustServers(t, "a:1:1,b:1:2,c:1:1")
	r, err := NewRing(RingConfig{Servers: servers, Distribution: DistModula, Hash: HashCRC32a})
	if err != nil {
		t.Fatal(err)
	}
	// nutcracker's modula: the table a, b, b, c indexed by hash % 4.
	table := []int{0, 1, 1, 2}
	for i := range 1000 {
		k := fmt.Sprint("key", i)
		if got, want := r.IndexString(k), table[HashCRC32a.SumString(k)%4]; got != want {
			t.Fatalf("%q -> %d, want %d", k, got, want)
		}
	}
	lm, err := NewRing(RingConfig{Servers: servers, Distribution: DistModula, Mode: ModeLibmemcached})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		k := fmt.Sprint("key", i)
		if got, want := lm.IndexString(k), int(HashMD5.SumString(k)%3); got != want {
			t.Fatalf("libmemcached modula %q -> %d, want %d", k, got, want)
		}
	}
}

// share returns the fraction of n keys each server gets.
func share(r *Ring, n int) []float64 {
	counts := make([]float64, r.Len())
	for i := range n {
		counts[r.IndexString(fmt.Sprint("key:", i))]++
	}
	for i := range counts {
		counts[i] /= float64(n)
	}
	return counts
}

func TestDistributionsFollowWeights(t *testing.T) {
	servers := mustServers(t, "a:1:1,b:1:2,c:1:3,d:1:4")
	for _, d := range []Distribution{DistKetama, DistModula, DistRendezvous} {
		for _, h := range []Hash{HashMD5, HashFNV1a_64, HashMurmur} {
			r, err := NewRing(RingConfig{Servers: servers, Distribution: d, Hash: h})
			if err != nil {
				t.Fatal(err)
			}
			got := share(r, 40000)
			for i, s := range got {
				want := float64(i+1) / 10
				if math.Abs(s-want) > 0.05 {
					t.Errorf("%v/%v: server %d gets %.3f of keys, want about %.2f", d, h, i, s, want)
				}
			}
		}
	}
}

// moved returns the fraction of n keys whose server differs between a and b.
func moved(a, b *Ring, n int) float64 {
	m := 0
	for i := range n {
		k := fmt.Sprint("key:", i)
		if a.Server(a.IndexString(k)).Addr != b.Server(b.IndexString(k)).Addr {
			m++
		}
	}
	return float64(m) / float64(n)
}

func TestConsistentDistributionsMoveFewKeys(t *testing.T) {
	const n = 10
	var servers []Server
	for i := range n + 1 {
		servers = append(servers, Server{Addr: fmt.Sprintf("10.0.0.%d:11211", i+1), Weight: 1})
	}
	for _, d := range []Distribution{DistKetama, DistRendezvous} {
		small, _ := NewRing(RingConfig{Servers: servers[:n], Distribution: d})
		big, _ := NewRing(RingConfig{Servers: servers, Distribution: d})
		if f := moved(small, big, 20000); f < 0.5/(n+1) || f > 1.5/(n+1) {
			t.Errorf("%v: adding one server to %d moved %.3f of keys, want about %.3f", d, n, f, 1.0/(n+1))
		}
	}
}

func TestWithLive(t *testing.T) {
	servers := mustServers(t, "a:1:1,b:1:1,c:1:1,d:1:1")
	for _, d := range []Distribution{DistKetama, DistModula, DistRendezvous} {
		r, _ := NewRing(RingConfig{Servers: servers, Distribution: d})
		down := r.WithLive(func(i int) bool { return i != 2 })
		if down.Live(2) || !down.Live(0) || !r.Live(2) {
			t.Fatalf("%v: Live wrong after WithLive", d)
		}
		if down.Points(2) != 0 {
			t.Errorf("%v: an ejected server keeps %d points", d, down.Points(2))
		}
		stay, live := 0, 0
		for i := range 4000 {
			k := fmt.Sprint("key:", i)
			before, after := r.IndexString(k), down.IndexString(k)
			if after == 2 {
				t.Fatalf("%v: key on an ejected server", d)
			}
			if before != 2 {
				live++
				if before == after {
					stay++
				}
			}
		}
		// Ketama and rendezvous keep every key of a live server
		// where it was (the live servers' points do not change here).
		if d != DistModula && stay != live {
			t.Errorf("%v: %d of %d keys of live servers stayed put", d, stay, live)
		}
		// nutcracker gives live servers the points of a 3-server ring.
		if d == DistKetama {
			three, _ := NewRing(RingConfig{Servers: []Server{servers[0], servers[1], servers[3]}})
			if down.Points(0) != three.Points(0) {
				t.Errorf("ejected ring: %d points for a, want %d", down.Points(0), three.Points(0))
			}
		}
		none := r.WithLive(func(int) bool { return false })
		if i := none.IndexString("k"); i != -1 {
			t.Errorf("%v: no live servers gave %d", d, i)
		}
		if _, err := none.PickString("k"); err != ErrNoServers {
			t.Errorf("%v: Pick with no live servers: %v", d, err)
		}
	}
}

func TestLookupsDoNotAllocate(t *testing.T) {
	servers := mustServers(t, "a:1:1,b:1:2,c:1:3,d:1:4")
	key := []byte("some:key:with:a:reasonable:length:0123456789")
	skey := string(key)
	for _, d := range []Distribution{DistKetama, DistModula, DistRendezvous} {
		for h := HashOneAtATime; h < hashEnd; h++ {
			r, err := NewRing(RingConfig{Servers: servers, Distribution: d, Hash: h, HashTag: "{}"})
			if err != nil {
				t.Fatal(err)
			}
			if a := testing.AllocsPerRun(100, func() { r.Index(key) }); a != 0 {
				t.Errorf("%v/%v: Index allocates %v times", d, h, a)
			}
			if a := testing.AllocsPerRun(100, func() { r.IndexString(skey) }); a != 0 {
				t.Errorf("%v/%v: IndexString allocates %v times", d, h, a)
			}
			if a := testing.AllocsPerRun(100, func() { _, _ = r.PickString(skey) }); a != 0 {
				t.Errorf("%v/%v: PickString allocates %v times", d, h, a)
			}
		}
	}
}

func TestEnumStrings(t *testing.T) {
	for _, s := range []fmt.Stringer{ModeTwemproxy, ModeLibmemcached, Mode(9), DistKetama, DistModula, DistRendezvous, Distribution(9), HashMD5, Hash(99)} {
		if s.String() == "" {
			t.Errorf("%#v has no name", s)
		}
	}
	for _, m := range []Mode{ModeTwemproxy, ModeLibmemcached} {
		if got, err := ParseMode(m.String()); err != nil || got != m {
			t.Errorf("ParseMode(%q) = %v, %v", m, got, err)
		}
	}
	if _, err := ParseMode("ketama"); err == nil {
		t.Error("ParseMode(ketama) gave no error")
	}
}
