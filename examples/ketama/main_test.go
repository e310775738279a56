package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/hakit/hakit/cache"
)

func TestRunPlacesEveryLine(t *testing.T) {
	const servers = "127.0.0.1:11311:1,127.0.0.1:11312:2,127.0.0.1:11211:3"
	in := "alpha\nbeta\n\nnon-utf8 \xff\xfe\r\nlast-without-newline"
	for _, args := range [][]string{
		{"-mode", "twemproxy", "-hash", "md5", "-servers", servers},
		{"-mode", "twemproxy", "-hash", "fnv1a_64", "-servers", servers},
		{"-mode", "libmemcached", "-hash", "md5", "-servers", servers},
	} {
		var out, errOut bytes.Buffer
		if code := run(args, strings.NewReader(in), &out, &errOut); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut.String())
		}
		mode, _ := cache.ParseMode(args[1])
		hash, _ := cache.ParseHash(args[3])
		ring, err := cache.NewRing(cache.RingConfig{Servers: mustParse(t, servers), Mode: mode, Hash: hash})
		if err != nil {
			t.Fatal(err)
		}
		keys := []string{"alpha", "beta", "", "non-utf8 \xff\xfe\r", "last-without-newline"}
		var want strings.Builder
		for _, k := range keys {
			s, _ := ring.PickString(k)
			want.WriteString(k + "\t" + s.Addr + "\n")
		}
		if out.String() != want.String() {
			t.Errorf("%v:\n got %q\nwant %q", args, out.String(), want.String())
		}
	}
}

func TestRunLongLine(t *testing.T) {
	key := strings.Repeat("k", 200<<10)
	var out, errOut bytes.Buffer
	if code := run([]string{"-servers", "a:1:1,b:1:1"}, strings.NewReader(key+"\nshort\n"), &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], key+"\t") || !strings.HasPrefix(lines[1], "short\t") {
		t.Errorf("got %d lines", len(lines))
	}
}

func TestRunBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "-servers is required"},
		{[]string{"-servers", "a:1:0"}, "weight"},
		{[]string{"-servers", "a:1:1,"}, "empty server"},
		{[]string{"-servers", "a:x:1"}, "port"},
		{[]string{"-mode", "ketama", "-servers", "a:1:1"}, "-mode"},
		{[]string{"-hash", "sha1", "-servers", "a:1:1"}, "-hash"},
		{[]string{"-mode", "libmemcached", "-hash", "fnv1a_64", "-servers", "a:1:1"}, "md5 only"},
		{[]string{"-servers", "a:1:1", "extra"}, "unexpected"},
		{[]string{"-nope"}, "not defined"},
	} {
		var out, errOut bytes.Buffer
		code := run(tc.args, strings.NewReader("k\n"), &out, &errOut)
		if code != 2 || !strings.Contains(errOut.String(), tc.want) || out.Len() != 0 {
			t.Errorf("%v: exit %d, stderr %q, stdout %q; want exit 2 mentioning %q", tc.args, code, errOut.String(), out.String(), tc.want)
		}
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"-h"}, strings.NewReader("k\n"), &out, &errOut); code != 0 || !strings.Contains(errOut.String(), "-servers") || out.Len() != 0 {
		t.Errorf("-h: exit %d, stderr %q; want the usage and exit 0", code, errOut.String())
	}
}

func mustParse(t *testing.T, s string) []cache.Server {
	t.Helper()
	l, err := cache.ParseServers(s)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// Without -hash each mode uses its tool's default: nutcracker's hash is
// fnv1a_64, libmemcached's KETAMA_WEIGHTED is md5.
func TestRunDefaultHashPerMode(t *testing.T) {
	const servers = "127.0.0.1:11311:1,127.0.0.1:11312:2,127.0.0.1:11313:3"
	var keys strings.Builder
	for i := range 200 {
		fmt.Fprintf(&keys, "key:%d\n", i)
	}
	for _, tc := range []struct{ mode, hash string }{
		{"twemproxy", "fnv1a_64"},
		{"libmemcached", "md5"},
	} {
		var def, explicit, errOut bytes.Buffer
		if code := run([]string{"-mode", tc.mode, "-servers", servers}, strings.NewReader(keys.String()), &def, &errOut); code != 0 {
			t.Fatalf("%s: exit %d: %s", tc.mode, code, errOut.String())
		}
		if code := run([]string{"-mode", tc.mode, "-hash", tc.hash, "-servers", servers}, strings.NewReader(keys.String()), &explicit, &errOut); code != 0 {
			t.Fatalf("%s -hash %s: exit %d: %s", tc.mode, tc.hash, code, errOut.String())
		}
		if def.String() != explicit.String() {
			t.Errorf("-mode %s without -hash differs from -hash %s", tc.mode, tc.hash)
		}
	}
	// The two differ for these keys, so the comparison above means something.
	var md5, fnv, errOut bytes.Buffer
	run([]string{"-hash", "md5", "-servers", servers}, strings.NewReader(keys.String()), &md5, &errOut)
	run([]string{"-hash", "fnv1a_64", "-servers", servers}, strings.NewReader(keys.String()), &fnv, &errOut)
	if md5.String() == fnv.String() {
		t.Fatal("md5 and fnv1a_64 place these keys alike")
	}
}

// The Python modes: -dead names servers as written in -servers, a key with
// no live server prints "-", and the flags of the other kind of mode are
// refused. The placements are the libraries' own (cache's
// TestPythonModesKnownKeys); python_integration_test.go asks them.
func TestRunPythonModes(t *testing.T) {
	const servers = "10.0.0.1:11211:1,10.0.0.2:11211:2,10.0.0.3:11211:1"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-mode", "python-memcached", "-servers", servers}, "k0\t10.0.0.2:11211\nk3\t10.0.0.1:11211\nk5\t10.0.0.3:11211\n"},
		{[]string{"-mode", "python-memcached", "-servers", servers, "-dead", ""}, "k0\t10.0.0.2:11211\nk3\t10.0.0.1:11211\nk5\t10.0.0.3:11211\n"},
		{[]string{"-mode", "python-memcached", "-servers", servers, "-dead", "10.0.0.2:11211"}, "k0\t10.0.0.1:11211\nk3\t10.0.0.1:11211\nk5\t10.0.0.3:11211\n"},
		{[]string{"-mode", "pymemcache", "-servers", servers}, "k0\t10.0.0.1:11211\nk3\t10.0.0.1:11211\nk5\t10.0.0.2:11211\n"},
		{[]string{"-mode", "pymemcache", "-servers", servers, "-dead", "10.0.0.2:11211"}, "k0\t10.0.0.1:11211\nk3\t10.0.0.1:11211\nk5\t10.0.0.3:11211\n"},
		{[]string{"-mode", "pymemcache", "-servers", servers, "-dead", "10.0.0.1:11211,10.0.0.2:11211,10.0.0.3:11211"}, "k0\t-\nk3\t-\nk5\t-\n"},
	} {
		var out, errOut bytes.Buffer
		if code := run(tc.args, strings.NewReader("k0\nk3\nk5\n"), &out, &errOut); code != 0 {
			t.Fatalf("%v: exit %d: %s", tc.args, code, errOut.String())
		}
		if out.String() != tc.want {
			t.Errorf("%v:\n got %q\nwant %q", tc.args, out.String(), tc.want)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-mode", "pymemcache", "-hash", "md5", "-servers", "a:1:1"}, "own hash"},
		{[]string{"-mode", "python-memcached", "-servers", "a:1:1", "-dead", "b:1"}, "not one of -servers"},
		{[]string{"-mode", "python-memcached"}, "-servers is required"},
		{[]string{"-mode", "twemproxy", "-servers", "a:1:1", "-dead", "a:1"}, "-dead"},
		{[]string{"-mode", "pymemcache", "-servers", "a:1:1 name"}, "no names"},
	} {
		var out, errOut bytes.Buffer
		code := run(tc.args, strings.NewReader("k\n"), &out, &errOut)
		if code != 2 || !strings.Contains(errOut.String(), tc.want) || out.Len() != 0 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 mentioning %q", tc.args, code, errOut.String(), tc.want)
		}
	}
}
