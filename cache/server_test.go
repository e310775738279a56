package cache

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParseServer(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Server
	}{
		{"127.0.0.1:11211:1", Server{Addr: "127.0.0.1:11211", Weight: 1}},
		{" cache-a:11311:20 ", Server{Addr: "cache-a:11311", Weight: 20}},
		// nutcracker's "host:port:weight name" form.
		{"10.0.0.1:11211:3 server1", Server{Addr: "10.0.0.1:11211", Weight: 3, Name: "server1"}},
		// Parsed from the end, so an IPv6 host needs no brackets.
		{"::1:11311:2", Server{Addr: "::1:11311", Weight: 2}},
		{"[::1]:11311:2", Server{Addr: "[::1]:11311", Weight: 2}},
		{"h:65535:2147483647", Server{Addr: "h:65535", Weight: MaxWeight}},
	} {
		got, err := ParseServer(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseServer(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

func TestParseServerErrorsNameTheField(t *testing.T) {
	for _, tc := range []struct {
		in, field, text string
	}{
		{"", "servers", "empty"},
		{"host", "weight", "missing"},
		{"host:11211", "port", "missing"},
		{"host:11211:", "weight", "missing"},
		{"host:11211:0", "weight", "as nutcracker refuses it"},
		{"host:11211:-1", "weight", `"-1"`},
		{"host:11211:x", "weight", `"x"`},
		{"host:11211:2147483648", "weight", `"2147483648"`},
		{"host:0:1", "port", `"0"`},
		{"host:65536:1", "port", `"65536"`},
		{"host:port:1", "port", `"port"`},
		{":11211:1", "host", "missing"},
		{"host:11211:1  name", "host", "contains a space"},
		{"host:11211:1 na\tme", "name", "control"},
		{"ho\x00st:11211:1", "host", "control"},
	} {
		_, err := ParseServer(tc.in)
		var se *SpecError
		if !errors.As(err, &se) {
			t.Errorf("ParseServer(%q) = %v, want a *SpecError", tc.in, err)
			continue
		}
		if !errors.Is(err, ErrInvalidServer) {
			t.Errorf("ParseServer(%q): %v does not wrap ErrInvalidServer", tc.in, err)
		}
		if se.Field != tc.field || !strings.Contains(err.Error(), tc.text) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("ParseServer(%q) = %v (field %q), want field %q mentioning %q", tc.in, err, se.Field, tc.field, tc.text)
		}
	}
}

func TestParseServers(t *testing.T) {
	got, err := ParseServers("a:1:1, b:2:2 bee ,c:3:3")
	if err != nil {
		t.Fatal(err)
	}
	want := []Server{{Addr: "a:1", Weight: 1}, {Addr: "b:2", Weight: 2, Name: "bee"}, {Addr: "c:3", Weight: 3}}
	if len(got) != len(want) {
		t.Fatalf("got %d servers", len(got))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("server %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if s := FormatServers(got); s != "a:1:1,b:2:2 bee,c:3:3" {
		t.Errorf("FormatServers = %q", s)
	}
	for _, bad := range []string{"", " ", "a:1:1,", "a:1:1,,b:1:1", "a:1:1,b:1:0"} {
		if _, err := ParseServers(bad); !errors.Is(err, ErrInvalidServer) {
			t.Errorf("ParseServers(%q) = %v, want ErrInvalidServer", bad, err)
		}
	}
}

func TestDialAddr(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:11211": "127.0.0.1:11211",
		"::1:11311":       "[::1]:11311",
		"[::1]:11311":     "[::1]:11311",
		"cache-a:11311":   "cache-a:11311",
	} {
		if got := (Server{Addr: in}).DialAddr(); got != want {
			t.Errorf("DialAddr(%q) = %q, want %q", in, got, want)
		}
	}
}

// Weights that each fit a C int may add up to more than nutcracker's uint32
// total; ParseServers refuses what NewRing would refuse.
func TestParseServersRefusesTotalWeightOverflow(t *testing.T) {
	_, err := ParseServers("a:1:2147483647,b:1:2147483647,c:1:2")
	var se *SpecError
	if !errors.As(err, &se) || se.Field != "weight" || !strings.Contains(err.Error(), "add up to 4294967296") {
		t.Fatalf("ParseServers = %v, want a *SpecError on the total weight", err)
	}
	list, err := ParseServers("a:1:2147483647,b:1:2147483647,c:1:1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewRing(RingConfig{Servers: list}); err != nil {
		t.Fatalf("a total of exactly MaxUint32 parses but NewRing refuses it: %v", err)
	}
}

// A zero Weight is 1 wherever a Server value goes, and never reaches a
// placement as 0; only the text form refuses a written 0, as nutcracker's
// conf_add_server does.
func TestZeroWeightMeansOne(t *testing.T) {
	zero := []Server{{Addr: "10.0.0.1:11211"}, {Addr: "10.0.0.2:11211", Weight: 3}}
	one := []Server{{Addr: "10.0.0.1:11211", Weight: 1}, {Addr: "10.0.0.2:11211", Weight: 3}}
	if s := zero[0].String(); s != "10.0.0.1:11211:1" {
		t.Errorf("String = %q, want weight 1", s)
	}
	if back, err := ParseServers(FormatServers(zero)); err != nil || back[0].Weight != 1 {
		t.Errorf("FormatServers then ParseServers = %+v, %v; want weight 1", back, err)
	}
	for _, mode := range []Mode{ModeTwemproxy, ModeLibmemcached, ModePythonMemcached, ModePymemcache} {
		rz, err := NewRing(RingConfig{Servers: zero, Mode: mode})
		if err != nil {
			t.Fatal(err)
		}
		r1, err := NewRing(RingConfig{Servers: one, Mode: mode})
		if err != nil {
			t.Fatal(err)
		}
		if w := rz.Server(0).Weight; w != 1 {
			t.Errorf("%v: Ring.Server(0).Weight = %d, want 1", mode, w)
		}
		for i := range 2000 {
			k := fmt.Sprintf("key-%d", i)
			if rz.IndexString(k) != r1.IndexString(k) {
				t.Fatalf("%v: key %s placed differently with weight 0 and weight 1", mode, k)
			}
		}
	}
	if _, err := ParseServer("10.0.0.1:11211:0"); err == nil {
		t.Error("ParseServer accepted a written weight 0")
	}
}
