//go:build integration

package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"
)

// TestPythonModesAgreeWithLibraries runs ketama -mode python-memcached and
// -mode pymemcache with -dead on random server lists and keys, and requires
// every line to name the server (or "-") that python-memcached's
// memcache.Client and pymemcache's HashClient pick themselves
// (cache/testdata/python_clients_ring.py drives the libraries).
func TestPythonModesAgreeWithLibraries(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	type pyCase struct {
		Client  string   `json:"client"`
		Servers [][3]any `json:"servers"`
		Dead    []int    `json:"dead"`
		Keys    []string `json:"keys"`
	}
	const cases, keysPerCase = 60, 200
	var req struct {
		Cases []pyCase `json:"cases"`
	}
	var outputs []string
	for c := range cases {
		pc := pyCase{Client: []string{"python-memcached", "pymemcache"}[c%2], Dead: []int{}}
		n := 1 + rng.IntN(8)
		var specs, dead []string
		for i := range n {
			host := fmt.Sprintf("127.0.%d.%d", rng.IntN(3), 1+rng.IntN(254))
			port := 11311 + i
			w := 1 + rng.IntN(20)
			specs = append(specs, fmt.Sprintf("%s:%d:%d", host, port, w))
			pc.Servers = append(pc.Servers, [3]any{host, port, w})
			if rng.IntN(3) == 0 || c%15 == 7 {
				pc.Dead = append(pc.Dead, i)
				dead = append(dead, fmt.Sprintf("%s:%d", host, port))
			}
		}
		var in strings.Builder
		for range keysPerCase {
			// Keys are lines: any bytes but "\n".
			k := make([]byte, 1+rng.IntN(40))
			for i := range k {
				k[i] = byte(rng.UintN(256))
				if rng.IntN(3) == 0 {
					k[i] = 'a' + byte(rng.IntN(26))
				}
				if k[i] == '\n' {
					k[i] = 'n'
				}
			}
			if rng.IntN(2) == 0 {
				k = []byte(fmt.Sprintf("tok:%x:é€😀%d", rng.Uint32(), rng.IntN(1000)))
			}
			in.Write(k)
			in.WriteByte('\n')
			pc.Keys = append(pc.Keys, hex.EncodeToString(k))
		}
		args := []string{"-mode", pc.Client, "-servers", strings.Join(specs, ","), "-dead", strings.Join(dead, ",")}
		var out, errOut bytes.Buffer
		if code := run(args, strings.NewReader(in.String()), &out, &errOut); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut.String())
		}
		outputs = append(outputs, out.String())
		req.Cases = append(req.Cases, pc)
	}
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/usr/bin/python3", "../../cache/testdata/python_clients_ring.py")
	cmd.Stdin = bytes.NewReader(body)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("python helper: %v: %s", err, stderr.String())
	}
	var resp struct {
		Index [][]int `json:"index"`
	}
	if err := json.Unmarshal(raw, &resp); err != nil {
		t.Fatal(err)
	}
	bad, none := 0, 0
	for c, pc := range req.Cases {
		lines := strings.Split(strings.TrimSuffix(outputs[c], "\n"), "\n")
		if len(lines) != keysPerCase {
			t.Fatalf("case %d: %d lines, want %d", c, len(lines), keysPerCase)
		}
		for i, line := range lines {
			key, _ := hex.DecodeString(pc.Keys[i])
			want := "-"
			if j := resp.Index[c][i]; j >= 0 {
				want = fmt.Sprintf("%s:%d", pc.Servers[j][0], pc.Servers[j][1])
			} else {
				none++
			}
			if line != string(key)+"\t"+want {
				bad++
				if bad <= 10 {
					t.Errorf("%s %v dead %v: printed %q, the library %q", pc.Client, pc.Servers, pc.Dead, line, want)
				}
			}
		}
	}
	if none == 0 {
		t.Error("no key went without a server: the cases never exercised \"-\"")
	}
	if bad > 0 {
		t.Errorf("%d of %d lines differ from the Python clients", bad, cases*keysPerCase)
	}
}
