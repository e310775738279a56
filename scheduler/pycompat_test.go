package scheduler

import (
	"encoding/json"
	"math"
	"os"
	"strconv"
	"testing"
)

// pyCases are CPython 3.11's and nova 26's own answers, written by
// testdata/gen_pycases.py.
type pyCases struct {
	Int      [][2]json.RawMessage `json:"int"`
	Float    [][2]json.RawMessage `json:"float"`
	Repr     [][2]string          `json:"repr"`
	ReprStr  [][2]string          `json:"reprstr"`
	Lower    [][2]string          `json:"lower"`
	Match    [][3]json.RawMessage `json:"match"`
	IPs      []string             `json:"ips"`
	Nets     [][2]json.RawMessage `json:"nets"`
	IPStr    [][2]string          `json:"ipstr"`
	Versions []int64              `json:"versions"`
	VStr     [][2]json.RawMessage `json:"vstr"`
	Preds    [][2]json.RawMessage `json:"preds"`
	Random   []struct {
		Seed    uint64     `json:"seed"`
		Below   [][2]int64 `json:"below"`
		Shuffle []int      `json:"shuffle"`
		Choice  []int      `json:"choice"`
	} `json:"random"`
}

type pyResult struct {
	OK  bool            `json:"ok"`
	V   json.RawMessage `json:"v"`
	Err string          `json:"err"`
	In  []bool          `json:"in"`
	Sat []pyResult      `json:"sat"`
}

func loadPyCases(t *testing.T) *pyCases {
	t.Helper()
	b, err := os.ReadFile("testdata/pycases.json")
	if err != nil {
		t.Fatal(err)
	}
	var c pyCases
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

func str(t *testing.T, m json.RawMessage) string {
	t.Helper()
	var s string
	if err := json.Unmarshal(m, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func res(t *testing.T, m json.RawMessage) pyResult {
	t.Helper()
	var r pyResult
	if err := json.Unmarshal(m, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// parseRepr reads back a float Python wrote with repr().
func parseRepr(s string) float64 {
	switch s {
	case "inf":
		return math.Inf(1)
	case "-inf":
		return math.Inf(-1)
	case "nan":
		return math.NaN()
	}
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

func TestPythonInt(t *testing.T) {
	for _, c := range loadPyCases(t).Int {
		in, want := str(t, c[0]), res(t, c[1])
		n, ok := pyParseBigInt(in)
		if ok != want.OK {
			t.Errorf("int(%q): ok=%v, Python ok=%v", in, ok, want.OK)
			continue
		}
		if ok && n.String() != str(t, want.V) {
			t.Errorf("int(%q) = %s, Python %s", in, n, want.V)
		}
	}
}

func TestPythonFloat(t *testing.T) {
	for _, c := range loadPyCases(t).Float {
		in, want := str(t, c[0]), res(t, c[1])
		f, ok := pyParseFloat(in)
		if ok != want.OK {
			t.Errorf("float(%q): ok=%v, Python ok=%v", in, ok, want.OK)
			continue
		}
		if !ok {
			continue
		}
		w := parseRepr(str(t, want.V))
		if !(f == w || math.IsNaN(f) && math.IsNaN(w)) || math.Signbit(f) != math.Signbit(w) && !math.IsNaN(w) {
			t.Errorf("float(%q) = %v, Python %v", in, f, w)
		}
	}
}

func TestPythonFloatRepr(t *testing.T) {
	for _, c := range loadPyCases(t).Repr {
		if got := pyFloatRepr(parseRepr(c[0])); got != c[1] {
			t.Errorf("repr(%s) = %q, Python %q", c[0], got, c[1])
		}
	}
}

func TestPythonStr(t *testing.T) {
	c := loadPyCases(t)
	for _, p := range c.ReprStr {
		if got := pyReprStr(p[0]); got != p[1] {
			t.Errorf("repr(%q) = %s, Python %s", p[0], got, p[1])
		}
	}
	for _, p := range c.Lower {
		if got := pyLower(p[0]); got != p[1] {
			t.Errorf("%q.lower() = %q, Python %q", p[0], got, p[1])
		}
	}
}

// TestMatchExtraSpecNova checks MatchExtraSpec against nova's
// extra_specs_ops.match on every value and requirement pair of the table;
// an exception in nova must be an error here.
func TestMatchExtraSpecNova(t *testing.T) {
	for _, c := range loadPyCases(t).Match {
		v, r, want := str(t, c[0]), str(t, c[1]), res(t, c[2])
		got, err := MatchExtraSpec(v, r)
		if (err == nil) != want.OK {
			t.Errorf("match(%q, %q): err=%v, nova ok=%v (%s)", v, r, err, want.OK, want.Err)
			continue
		}
		if err == nil && string(want.V) != strconv.FormatBool(got) {
			t.Errorf("match(%q, %q) = %v, nova %s", v, r, got, want.V)
		}
	}
}

func TestNetaddrNetworks(t *testing.T) {
	c := loadPyCases(t)
	for _, n := range c.Nets {
		in, want := str(t, n[0]), res(t, n[1])
		net, ok := parseIPNetwork(in)
		if ok != want.OK {
			t.Errorf("IPNetwork(%q): ok=%v, netaddr ok=%v", in, ok, want.OK)
			continue
		}
		if !ok {
			continue
		}
		for i, ip := range c.IPs {
			a, _ := parseHostIP(ip)
			if got := net.contains(a); got != want.In[i] {
				t.Errorf("%s in IPNetwork(%q) = %v, netaddr %v", ip, in, got, want.In[i])
			}
		}
	}
	for _, p := range c.IPStr {
		a, ok := parseHostIP(p[0])
		if !ok {
			t.Errorf("parseHostIP(%q) failed", p[0])
			continue
		}
		if got := netaddrString(a); got != p[1] {
			t.Errorf("str(IPAddress(%q)) = %q, netaddr %q", p[0], got, p[1])
		}
	}
}

func TestVersionPredicates(t *testing.T) {
	c := loadPyCases(t)
	for _, v := range c.VStr {
		var n int64
		_ = json.Unmarshal(v[0], &n)
		if got := versionToString(n); got != str(t, v[1]) {
			t.Errorf("convert_version_to_str(%d) = %q, oslo %s", n, got, v[1])
		}
	}
	for _, p := range c.Preds {
		in, want := str(t, p[0]), res(t, p[1])
		conds, err := parseVersionPredicate("image_prop (" + in + ")")
		if (err == nil) != want.OK {
			t.Errorf("VersionPredicate(%q): err=%v, distutils ok=%v", in, err, want.OK)
			continue
		}
		if err != nil {
			continue
		}
		for i, v := range c.Versions {
			sat, err := satisfied(conds, versionToString(v))
			w := want.Sat[i]
			if (err == nil) != w.OK {
				t.Errorf("(%q).satisfied_by(%d): err=%v, distutils ok=%v", in, v, err, w.OK)
				continue
			}
			if err == nil && string(w.V) != strconv.FormatBool(sat) {
				t.Errorf("(%q).satisfied_by(%d) = %v, distutils %s", in, v, sat, w.V)
			}
		}
	}
}

func TestPythonRandom(t *testing.T) {
	for _, c := range loadPyCases(t).Random {
		r := NewPythonRandom(c.Seed)
		for _, b := range c.Below {
			if got := r.IntN(int(b[0])); int64(got) != b[1] {
				t.Fatalf("seed %d: _randbelow(%d) = %d, Python %d", c.Seed, b[0], got, b[1])
			}
		}
		l := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
		for i := len(l) - 1; i >= 1; i-- {
			j := r.IntN(i + 1)
			l[i], l[j] = l[j], l[i]
		}
		for i := range l {
			if l[i] != c.Shuffle[i] {
				t.Fatalf("seed %d: shuffle %v, Python %v", c.Seed, l, c.Shuffle)
			}
		}
		for k, n := range []int{1, 3, 4, 50} {
			if got := r.IntN(n); got != c.Choice[k] {
				t.Fatalf("seed %d: choice(range(%d)) = %d, Python %d", c.Seed, n, got, c.Choice[k])
			}
		}
	}
}
