package scheduler

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzJSONRequest checks that the schedule tool's request parser round
// trips (parse, marshal, parse again, same request) and that whatever
// parses is answered without a panic.
func FuzzJSONRequest(f *testing.F) {
	for _, seed := range []any{
		workedExampleRequest(),
		benchRequest(4, 2),
		genCase(1), genCase(2), genCase(3),
	} {
		b, _ := json.Marshal(seed)
		f.Add(b)
	}
	// a minimal request: one host, defaults everywhere
	f.Add([]byte(`{"hosts":[{"host":"h"}],"spec":{}}`))
	// hints as a value and as a list, a float hint, a float rule
	f.Add([]byte(`{"hosts":[{"host":"h"}],"spec":{"hints":{"same_host":"x","cidr":["/24"],"n":1.5},"group":{"policy":"anti-affinity","rules":{"max_server_per_host":2.0}}}}`))
	// typed image properties, refused and ignored ones
	f.Add([]byte(`{"hosts":[{"host":"h"}],"spec":{"image_props":{"hw_video_ram":64.5,"hw_qemu_guest_agent":true,"os_distro":7,"vmware_adaptertype":0,"x":null}}}`))
	f.Add([]byte(`{"hosts":[{"host":"h"}],"spec":{"image_props":{"hw_architecture":1,"hw_numa_mem.0":1e400}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := ParseJSONRequest(data)
		if err != nil {
			return
		}
		b1, err := json.Marshal(req)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		req2, err := ParseJSONRequest(b1)
		if err != nil {
			t.Fatalf("re-parse of %s: %v", b1, err)
		}
		b2, _ := json.Marshal(req2)
		if !bytes.Equal(b1, b2) {
			t.Fatalf("round trip differs:\n%s\n%s", b1, b2)
		}
		if len(req.Hosts) > 200 || req.Spec.NumInstances > 50 || len(req.Spec.InstanceUUIDs) > 50 {
			return // keep each run short
		}
		d, err := RunJSON(data, 0)
		if err == nil && d == nil {
			t.Fatal("no decision and no error")
		}
	})
}

// workedExampleRequest is the guides' weighing example as a request.
func workedExampleRequest() map[string]any {
	return map[string]any{
		"conf": map[string]any{"filter_scheduler": map[string]any{"enabled_filters": []string{},
			"weight_classes": []string{"MetricsWeigher", "BuildFailureWeigher"}, "build_failure_weight_multiplier": -1},
			"metrics": map[string]any{"weight_setting": []string{"cpu.frequency=1.0"}}},
		"hosts": []map[string]any{{"host": "a", "metrics": map[string]int{"cpu.frequency": 110}, "failed_builds": 4},
			{"host": "b", "metrics": map[string]int{"cpu.frequency": 20}, "failed_builds": 2}},
		"spec": map[string]any{"memory_mb": 512},
	}
}

// FuzzMatchExtraSpec checks the extra spec matcher against the rules that
// do not depend on Python's float(): a requirement without an operator is
// string equality, s== and <in> compare strings, and nothing panics.
func FuzzMatchExtraSpec(f *testing.F) {
	for _, s := range [][2]string{
		{"8", "= 4"}, {"x86_64", "<or> x86_64 <or> aarch64"}, {"aes mmx", "<all-in> aes mmx"},
		{"abc", "s< b"}, {"1e3", ">= 999.5"}, {"", "<or>"}, {"a", "a b"}, {"nan", "== nan"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, value, req string) {
		got, err := MatchExtraSpec(value, req)
		words := pySplit(req)
		if len(words) == 0 {
			if err != nil || got != (value == req) {
				t.Fatalf("match(%q, %q) = %v, %v: want plain equality", value, req, got, err)
			}
			return
		}
		switch words[0] {
		case "=", "==", "!=", ">=", "<=", "<or>", "<in>", "<all-in>", "s==", "s!=", "s<", "s<=", "s>", "s>=":
		default:
			if err != nil || got != (value == req) {
				t.Fatalf("match(%q, %q) = %v, %v: want plain equality", value, req, got, err)
			}
			return
		}
		if len(words) < 2 {
			if got || (err != nil) != (words[0] == "<or>") {
				t.Fatalf("match(%q, %q) = %v, %v: an operator without operand", value, req, got, err)
			}
			return
		}
		switch words[0] {
		case "s==":
			if got != (value == words[1]) || err != nil {
				t.Fatalf("match(%q, %q) = %v", value, req, got)
			}
		case "<in>":
			if got != strings.Contains(value, words[1]) || err != nil {
				t.Fatalf("match(%q, %q) = %v", value, req, got)
			}
		case "=", ">=":
			x, okx := pyParseFloat(value)
			y, oky := pyParseFloat(words[1])
			if (err == nil) != (okx && oky) || err == nil && got != (x >= y) {
				t.Fatalf("match(%q, %q) = %v, %v", value, req, got, err)
			}
		}
	})
}

// FuzzPyJSON checks the json.loads parser by a round trip: what parses is
// written back as JSON (with Python's NaN and Infinity) and parses again to
// an equal value with the same repr.
func FuzzPyJSON(f *testing.F) {
	for _, s := range []string{
		`["and", [">=", "$free_ram_mb", 1024], ["<", "$num_io_ops", 5]]`,
		`{"a": {"b": [1, 2.5, -0.0, 1e400, NaN, -Infinity]}, "a": null}`,
		`"\ud83d\ude00 \u0000 \\"`, `123456789012345678901234567890`, `[true, false, null, "x"]`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		v, err := parsePyJSON(text)
		if err != nil {
			return
		}
		var b strings.Builder
		writePyJSON(&b, v)
		w, err := parsePyJSON(b.String())
		if err != nil {
			t.Fatalf("%q: re-parse of %q: %v", text, b.String(), err)
		}
		if w.repr() != v.repr() {
			t.Fatalf("%q: round trip %s != %s", text, w.repr(), v.repr())
		}
	})
}

// writePyJSON writes v as json.dumps would.
func writePyJSON(b *strings.Builder, v pyValue) {
	switch v.kind {
	case pyNone:
		b.WriteString("null")
	case pyBool:
		b.WriteString(strconv.FormatBool(v.b))
	case pyInt:
		b.WriteString(v.i.String())
	case pyFloat:
		switch {
		case math.IsNaN(v.f):
			b.WriteString("NaN")
		case math.IsInf(v.f, 1):
			b.WriteString("Infinity")
		case math.IsInf(v.f, -1):
			b.WriteString("-Infinity")
		default:
			b.WriteString(pyFloatRepr(v.f))
		}
	case pyStr:
		s, _ := json.Marshal(v.s)
		b.Write(s)
	case pyList:
		b.WriteByte('[')
		for i, x := range v.list {
			if i > 0 {
				b.WriteString(", ")
			}
			writePyJSON(b, x)
		}
		b.WriteByte(']')
	default:
		b.WriteByte('{')
		for i, k := range v.dict.keys {
			if i > 0 {
				b.WriteString(", ")
			}
			s, _ := json.Marshal(k)
			b.Write(s)
			b.WriteString(": ")
			writePyJSON(b, v.dict.vals[k])
		}
		b.WriteByte('}')
	}
}

// FuzzPythonNumbers checks int() and float() against strconv on the inputs
// both grammars share (ASCII decimal text without underscores), and that
// nothing panics elsewhere.
func FuzzPythonNumbers(f *testing.F) {
	for _, s := range []string{"12", " -3.5e2 ", "1_000", "inf", "0x10", "٣", ".5", "5.", "1e400"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fv, fok := pyParseFloat(s)
		iv, iok := pyParseInt(s)
		_ = pyFloatRepr(fv)
		if !utf8.ValidString(s) || strings.ContainsAny(s, "_xXpPiInN \t\n\v\f\r+") {
			return
		}
		if g, err := strconv.ParseFloat(s, 64); err == nil && (!fok || g != fv && !(math.IsNaN(g) && math.IsNaN(fv))) {
			t.Fatalf("float(%q) = %v, %v; strconv %v", s, fv, fok, g)
		}
		if g, err := strconv.ParseInt(s, 10, 64); err == nil && (!iok || g != iv) {
			t.Fatalf("int(%q) = %v, %v; strconv %v", s, iv, iok, g)
		}
	})
}

// FuzzIPNetwork checks the netaddr network parser: no panic, and a parsed
// network covers its own first and last address.
func FuzzIPNetwork(f *testing.F) {
	for _, s := range []string{"10.0.0.5/24", "10/8", "::1/64", "10.0.0.1/255.255.0.0", " 010.0.0.1/ 24", "1.2.3.4/0.0.0.255"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := parseIPNetwork(s)
		if !ok {
			return
		}
		if !n.contains(n.first) || !n.contains(n.last) || n.first.Compare(n.last) > 0 {
			t.Fatalf("IPNetwork(%q) = %v..%v", s, n.first, n.last)
		}
	})
}

// FuzzVersionPredicate checks the distutils version predicate parser: no
// panic, and a predicate that parses is satisfied or not by any version.
func FuzzVersionPredicate(f *testing.F) {
	for _, s := range []string{">= 6.0", ">=1.0, <2.0b3", "== 6", "!= 1.2.3a4", "", ">= 6.0)("} {
		f.Add(s, int64(6001002))
	}
	f.Fuzz(func(t *testing.T, s string, v int64) {
		conds, err := parseVersionPredicate("image_prop (" + s + ")")
		if err != nil || v < 0 {
			return
		}
		_, _ = satisfied(conds, versionToString(v))
	})
}

// FuzzGeneratedRequests runs the parity tests' request generator on fuzzed
// seeds: every request is answered without a panic, and Explain decides
// as Schedule does.
func FuzzGeneratedRequests(f *testing.F) {
	f.Add(uint64(0))
	f.Add(uint64(12841))
	f.Fuzz(func(t *testing.T, seed uint64) {
		raw, _ := json.Marshal(genCase(seed))
		d, err := RunJSON(raw, 0)
		if err != nil {
			return
		}
		req, _ := ParseJSONRequest(raw)
		s, set, spec, err := req.Prepare()
		if err != nil {
			t.Fatal(err)
		}
		d2, _, err2 := s.Explain(set, spec)
		a, _ := json.Marshal(d)
		b, _ := json.Marshal(NewJSONDecision(s, d2, err2))
		if !bytes.Equal(a, b) {
			t.Fatalf("seed %d: Explain %s, Schedule %s", seed, b, a)
		}
	})
}

// FuzzSortWeighed checks the CPython sort against a naive stable sort on
// NaN-free weights, and that it permutes any input.
func FuzzSortWeighed(f *testing.F) {
	f.Add([]byte{3, 1, 4, 1, 5, 9, 2, 6}, false)
	f.Add([]byte{0, 0, 255, 1, 1, 255, 2}, true)
	f.Fuzz(func(t *testing.T, data []byte, nans bool) {
		p := make([]weighed, len(data))
		for i, b := range data {
			w := float64(b % 16)
			if nans && b >= 240 {
				w = math.NaN()
			}
			p[i] = weighed{w: w, idx: int32(i)}
		}
		want := append([]weighed(nil), p...)
		sortWeighed(p, make([]weighed, len(p)))
		seen := make([]bool, len(p))
		for _, x := range p {
			if seen[x.idx] {
				t.Fatalf("host %d twice", x.idx)
			}
			seen[x.idx] = true
		}
		if nans {
			return
		}
		// naive: stable insertion sort, highest first
		for i := 1; i < len(want); i++ {
			for j := i; j > 0 && want[j].w > want[j-1].w; j-- {
				want[j], want[j-1] = want[j-1], want[j]
			}
		}
		for i := range p {
			if p[i] != want[i] {
				t.Fatalf("sorted %v, naive %v", p, want)
			}
		}
	})
}
