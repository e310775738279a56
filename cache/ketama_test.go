package cache

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// exactPoints is the count exact arithmetic would give; ketamaPoints must
// differ from it where C's float rounding does.
func exactPoints(w, total uint32, live int) int {
	return int(math.Floor(float64(w)/float64(total)*pointsPerServer/4*float64(live))) * 4
}

func TestKetamaPointsFloatRounding(t *testing.T) {
	// The weights 11, 51, 58 (total 120): 58/120 in float is a hair
	// below 0.48333..., so the product lands on 57.99999 and floors to 57
	// groups (228 points) in nutcracker and libmemcached, where exact
	// arithmetic gives 58 groups (232).
	if got := ketamaPoints(58, 120, 3); got != 228 {
		t.Errorf("ketamaPoints(58, 120, 3) = %d, want 228", got)
	}
	if got := exactPoints(58, 120, 3); got != 232 {
		t.Errorf("exactPoints(58, 120, 3) = %d, want 232", got)
	}
	if got := ketamaPoints(11, 120, 3); got != 44 {
		t.Errorf("ketamaPoints(11, 120, 3) = %d, want 44", got)
	}
	if got := ketamaPoints(1, 1, 1); got != 160 {
		t.Errorf("ketamaPoints(1, 1, 1) = %d, want 160", got)
	}
}

func TestKetamaPointsDifferFromExactForAboutOnePercent(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	differ, sets := 0, 20000
	for range sets {
		n := 2 + rng.IntN(8)
		ws := make([]uint32, n)
		var total uint32
		for i := range ws {
			ws[i] = 1 + rng.Uint32N(100)
			total += ws[i]
		}
		for _, w := range ws {
			if ketamaPoints(w, total, n) != exactPoints(w, total, n) {
				differ++
				break
			}
		}
	}
	frac := float64(differ) / float64(sets)
	if frac < 0.001 || frac > 0.05 {
		t.Errorf("float and exact point counts differ for %.3f of weight sets, want about 0.01", frac)
	}
}

func TestKetamaName(t *testing.T) {
	for _, tc := range []struct {
		mode Mode
		s    Server
		want string
	}{
		// nutcracker's conf_add_server leaves the port out when it is
		// 11211, "to maintain backward compatibility with libmemcached".
		{ModeTwemproxy, Server{Addr: "10.0.0.1:11211"}, "10.0.0.1"},
		{ModeTwemproxy, Server{Addr: "10.0.0.1:11311"}, "10.0.0.1:11311"},
		{ModeTwemproxy, Server{Addr: "cache-a:011311"}, "cache-a:011311"},
		{ModeTwemproxy, Server{Addr: "10.0.0.1:11311", Name: "server1"}, "server1"},
		{ModeTwemproxy, Server{Addr: "::1:11311"}, "::1:11311"},
		// libmemcached's update_continuum: "%s-%u" on the default
		// port, "%s:%u-%u" otherwise.
		{ModeLibmemcached, Server{Addr: "10.0.0.1:11211"}, "10.0.0.1"},
		{ModeLibmemcached, Server{Addr: "cache-a:011311"}, "cache-a:11311"},
		{ModeLibmemcached, Server{Addr: "[::1]:11311"}, "::1:11311"},
	} {
		if got := ketamaName(tc.mode, tc.s); got != tc.want {
			t.Errorf("%v: ketamaName(%+v) = %q, want %q", tc.mode, tc.s, got, tc.want)
		}
	}
}

// naiveDispatch is the obvious linear version of ketamaDispatch.
func naiveDispatch(values []uint32, owners []int32, h uint32) int {
	for i, v := range values {
		if v >= h {
			return int(owners[i])
		}
	}
	return int(owners[0])
}

func TestKetamaDispatchLowerBound(t *testing.T) {
	values := []uint32{10, 20, 20, 30}
	owners := []int32{0, 1, 2, 3}
	for h, want := range map[uint32]int{0: 0, 10: 0, 11: 1, 20: 1, 21: 3, 30: 3, 31: 0, math.MaxUint32: 0} {
		if got := ketamaDispatch(values, owners, h); got != want {
			t.Errorf("dispatch(%d) = %d, want %d", h, got, want)
		}
	}
	r, err := NewRing(RingConfig{Servers: mustServers(t, "a:1:3,b:2:1,c:3:7")})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 10000 {
		h := rng.Uint32()
		if got, want := ketamaDispatch(r.values, r.owners, h), naiveDispatch(r.values, r.owners, h); got != want {
			t.Fatalf("dispatch(%d) = %d, naive %d", h, got, want)
		}
	}
}

func TestContinuumSortedWithTiesByIndex(t *testing.T) {
	// libmemcached takes two servers of the same address, which have the
	// same points: every tie must go to the one added first.
	r, err := NewRing(RingConfig{Servers: []Server{{Addr: "a:1", Weight: 1}, {Addr: "a:1", Weight: 1}}, Mode: ModeLibmemcached})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(r.values); i++ {
		if r.values[i-1] > r.values[i] {
			t.Fatalf("points not sorted at %d", i)
		}
	}
	for k := range 1000 {
		if got := r.IndexString(string(rune('a'+k%26)) + string(rune(k))); got != 0 {
			t.Fatalf("key went to %d, want 0 (ties by server index)", got)
		}
	}
}

func mustServers(t testing.TB, spec string) []Server {
	t.Helper()
	s, err := ParseServers(spec)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTwemproxyOrdersServersByName(t *testing.T) {
	// conf_validate_server sorts by name length, then bytes.
	servers := mustServers(t, "ccc:1:1,bb:11211:1,a:11211:1 zz,b:1:1")
	order, err := placementOrder(ModeTwemproxy, servers)
	if err != nil {
		t.Fatal(err)
	}
	// Names: "ccc:1", "bb", "zz", "b:1".
	if want := []int{1, 2, 3, 0}; !slices.Equal(order, want) {
		t.Errorf("order %v, want %v", order, want)
	}
	if order, _ := placementOrder(ModeLibmemcached, servers); !slices.Equal(order, []int{0, 1, 2, 3}) {
		t.Errorf("libmemcached order %v", order)
	}
	// Modula follows that order: a 2-entry table bb, ccc for weights 1.
	r, err := NewRing(RingConfig{Servers: mustServers(t, "ccc:1:1,bb:11211:1"), Distribution: DistModula, Hash: HashCRC32a})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		k := fmt.Sprint(i)
		if got, want := r.IndexString(k), []int{1, 0}[HashCRC32a.SumString(k)%2]; got != want {
			t.Fatalf("%q -> %d, want %d", k, got, want)
		}
	}
	for _, dup := range []string{"a:1:1,a:1:2", "a:11211:1,b:1:1 a", "x:1:1 n,y:2:1 n"} {
		if _, err := NewRing(RingConfig{Servers: mustServers(t, dup)}); err == nil || !strings.Contains(err.Error(), "same name") {
			t.Errorf("%s: %v, want a duplicate name error", dup, err)
		}
	}
}
