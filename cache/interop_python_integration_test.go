//go:build integration

package cache

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"slices"
	"testing"
	"unicode/utf8"
)

// pyCase is one case for testdata/python_clients_ring.py.
type pyCase struct {
	Client  string   `json:"client"`
	Servers [][3]any `json:"servers"`
	Dead    []int    `json:"dead"`
	Keys    []string `json:"keys"`
}

// randomTextKey returns 1 to 60 random characters of any plane, UTF-8
// encoded: keys a Python service builds from str.
func randomTextKey(rng *rand.Rand) []byte {
	var k []byte
	for range 1 + rng.IntN(60) {
		var r rune
		switch rng.IntN(4) {
		case 0:
			r = rune(0x21 + rng.IntN(0x5e)) // printable ASCII
		case 1:
			r = rune(0x80 + rng.IntN(0x780)) // two bytes
		case 2:
			r = rune(0x800 + rng.IntN(0xf800)) // three bytes
		default:
			r = rune(0x10000 + rng.IntN(0x100000)) // four bytes
		}
		if !utf8.ValidRune(r) {
			r = 'x'
		}
		k = utf8.AppendRune(k, r)
	}
	return k
}

// runOracle runs a Python oracle script under Debian's interpreter, which
// imports Debian's libmemcached11, python3-memcache and python3-pymemcache
// (internal/testenv/programs.txt), with req as JSON on its stdin, and decodes
// its JSON answer into resp.
func runOracle(t *testing.T, script string, req, resp any) {
	t.Helper()
	in, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/usr/bin/python3", script)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v: %s", script, err, stderr.String())
	}
	if err := json.Unmarshal(out, resp); err != nil {
		t.Fatalf("%s: %v", script, err)
	}
}

// pythonPlacement runs testdata/python_clients_ring.py on cases and returns
// the library versions and, per case, the index each key went to (-1: no
// server).
func pythonPlacement(t *testing.T, cases []pyCase) (map[string]string, [][]int) {
	t.Helper()
	var resp struct {
		Versions map[string]string `json:"versions"`
		Index    [][]int           `json:"index"`
	}
	runOracle(t, "testdata/python_clients_ring.py", map[string]any{"cases": cases}, &resp)
	if len(resp.Index) != len(cases) {
		t.Fatalf("helper answered %d cases, want %d", len(resp.Index), len(cases))
	}
	return resp.Versions, resp.Index
}

// TestPythonClientsPlacement asks python-memcached's memcache.Client and
// pymemcache's HashClient themselves where random keys go on random server
// lists (weights, order, dead servers, all dead) and requires the Ring in
// ModePythonMemcached and ModePymemcache, and a Selector on it, to agree on
// every key.
func TestPythonClientsPlacement(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 16))
	const casesPerClient, keysPerCase = 150, 300
	var cases []pyCase
	var rings []*Ring
	var keys [][][]byte
	for c := range 2 * casesPerClient {
		mode := ModePythonMemcached
		if c%2 == 1 {
			mode = ModePymemcache
		}
		n := 1 + rng.IntN(10)
		pc := pyCase{Client: mode.String(), Dead: []int{}}
		var servers []Server
		used := map[string]bool{}
		for i := range n {
			host := fmt.Sprintf("127.0.0.%d", 1+rng.IntN(254))
			port := 11211 + rng.IntN(4)*100 + i
			if rng.IntN(3) == 0 {
				port = 1024 + rng.IntN(64000)
			}
			addr := fmt.Sprintf("%s:%d", host, port)
			for used[addr] {
				port++
				addr = fmt.Sprintf("%s:%d", host, port)
			}
			used[addr] = true
			w := 1
			if rng.IntN(2) == 0 {
				w = 1 + rng.IntN(40)
			}
			servers = append(servers, Server{Addr: addr, Weight: w})
			pc.Servers = append(pc.Servers, [3]any{host, port, w})
		}
		// Dead sets: none, some, most, or all (every key without a server).
		deadShare := []int{0, 4, 2, 1, 0}[rng.IntN(5)]
		if c%25 == 3 {
			deadShare = 1
		}
		for i := range n {
			if deadShare > 0 && (deadShare == 1 || rng.IntN(deadShare) == 0) {
				pc.Dead = append(pc.Dead, i)
			}
		}
		ring, err := NewRing(RingConfig{Servers: servers, Mode: mode})
		if err != nil {
			t.Fatal(err)
		}
		ring = ring.WithLive(func(i int) bool { return !slices.Contains(pc.Dead, i) })
		var ks [][]byte
		for range keysPerCase {
			k := randomKey(rng)
			if rng.IntN(2) == 0 {
				k = randomTextKey(rng)
			}
			ks = append(ks, k)
			pc.Keys = append(pc.Keys, hex.EncodeToString(k))
		}
		cases = append(cases, pc)
		rings = append(rings, ring)
		keys = append(keys, ks)
	}
	versions, index := pythonPlacement(t, cases)
	t.Logf("python-memcached %s, pymemcache %s: %d server lists, %d keys each",
		versions["python-memcached"], versions["pymemcache"], len(cases), keysPerCase)
	bad, none := 0, 0
	for c, r := range rings {
		sel := NewSelector(r)
		for i, k := range keys[c] {
			want := index[c][i]
			if want < 0 {
				none++
			}
			got := r.Index(k)
			addr, err := sel.PickServer(string(k))
			selOK := (want < 0 && err != nil) || (want >= 0 && err == nil && addr.String() == r.Server(want).DialAddr())
			if got != want || !selOK {
				bad++
				if bad <= 10 {
					t.Errorf("%s servers %s dead %v: key %x -> %d (selector %v, %v), the library %d",
						cases[c].Client, FormatServers(r.Servers()), cases[c].Dead, k, got, addr, err, want)
				}
			}
		}
	}
	t.Logf("%d keys had no server in either", none)
	if none == 0 {
		t.Error("no key went without a server: the cases never exercised giving up")
	}
	if bad > 0 {
		t.Errorf("%d of %d keys placed differently from the Python clients", bad, len(cases)*keysPerCase)
	}
}
