//go:build integration

package cache

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hakit/hakit/internal/testenv"
	"github.com/redis/go-redis/v9"
)

// monitorRedis runs MONITOR on addr until the test ends and records, for
// each key with prefix that a GET reaches addr with, addr's index i.
func monitorRedis(t *testing.T, addr string, i int, prefix string, mu *sync.Mutex, seen map[string][]int) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.Write([]byte("MONITOR\r\n")); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if line, err := r.ReadString('\n'); err != nil || line != "+OK\r\n" {
		t.Fatalf("MONITOR on %s: %q, %v", addr, line, err)
	}
	c.SetReadDeadline(time.Time{})
	go func() {
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			// +1700000000.123456 [0 127.0.0.1:5555] "GET" "key"
			f := strings.Fields(strings.TrimSpace(line))
			if len(f) < 5 || !strings.EqualFold(f[len(f)-2], `"get"`) {
				continue
			}
			key := strings.Trim(f[len(f)-1], `"`)
			if strings.HasPrefix(key, prefix) {
				mu.Lock()
				seen[key] = append(seen[key], i)
				mu.Unlock()
			}
		}
	}()
}

// TestRedisRingHashAgreesWithNutcracker sends GETs for random keys (some
// with hash tags) through a nutcracker in redis mode over the three real
// Redis instances and through a go-redis redis.Ring with RedisRingHash over
// the same instances, watches with MONITOR which instance each GET reaches,
// and requires every key to reach the same one both ways.
func TestRedisRingHashAgreesWithNutcracker(t *testing.T) {
	env := testenv.Redis(t)
	nc := testenv.Nutcracker(t) // for its spare ports
	servers := []Server{
		{Addr: env.Servers[0], Weight: 1},
		{Addr: env.Servers[1], Weight: 2},
		{Addr: env.Servers[2], Weight: 3},
	}
	for _, hash := range []Hash{HashFNV1a_64, HashMD5, HashMurmur} {
		t.Run(hash.String(), func(t *testing.T) {
			var b strings.Builder
			fmt.Fprintf(&b, "hkredis:\n  listen: %s\n  hash: %s\n  distribution: ketama\n  redis: true\n  hash_tag: \"{}\"\n  timeout: 2000\n  servers:\n", nc.SpareListen[0], hash)
			for _, s := range servers {
				fmt.Fprintf(&b, "   - %s\n", s)
			}
			startNutcracker(t, nc.SpareListen[0], nc.SpareStats[0], b.String())

			newHash, err := RedisRingHash(RingConfig{Servers: servers, Hash: hash, HashTag: "{}"})
			if err != nil {
				t.Fatal(err)
			}
			addrs := map[string]string{}
			for _, s := range servers {
				addrs[s.Addr] = s.Addr
			}
			ring := redis.NewRing(&redis.RingOptions{Addrs: addrs, NewConsistentHash: newHash})
			t.Cleanup(func() { ring.Close() })

			prefix := fmt.Sprintf("hk-ring-%x-", rand.Uint64())
			var mu sync.Mutex
			seen := map[string][]int{}
			for i, s := range servers {
				monitorRedis(t, s.Addr, i, prefix, &mu, seen)
			}
			rng := rand.New(rand.NewPCG(rand.Uint64(), 5))
			const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:-_."
			var keys []string
			for i := range 400 {
				k := make([]byte, 1+rng.IntN(30))
				for j := range k {
					k[j] = alnum[rng.IntN(len(alnum))]
				}
				key := fmt.Sprintf("%s%d-%s", prefix, i, k)
				switch rng.IntN(4) {
				case 0:
					key += fmt.Sprintf("{tag%d}", rng.IntN(20)) // hashed by the tag alone
				case 1:
					key += "{}" // an empty tag: the whole key
				}
				keys = append(keys, key)
			}

			nconn, err := net.DialTimeout("tcp", nc.SpareListen[0], 2*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer nconn.Close()
			nr := bufio.NewReader(nconn)
			for _, k := range keys {
				fmt.Fprintf(nconn, "*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n", len(k), k)
				nconn.SetReadDeadline(time.Now().Add(5 * time.Second))
				if line, err := nr.ReadString('\n'); err != nil || line != "$-1\r\n" {
					t.Fatalf("GET %s through nutcracker: %q, %v", k, line, err)
				}
			}
			waitSeen(t, &mu, seen, keys, 1)
			ctx := context.Background()
			for _, k := range keys {
				if err := ring.Get(ctx, k).Err(); err != redis.Nil {
					t.Fatalf("GET %s through redis.Ring: %v", k, err)
				}
			}
			waitSeen(t, &mu, seen, keys, 2)
			mu.Lock()
			defer mu.Unlock()
			bad := 0
			per := make([]int, len(servers))
			for _, k := range keys {
				s := seen[k]
				per[s[0]]++
				if s[0] != s[1] {
					bad++
					if bad <= 10 {
						t.Errorf("%s: nutcracker sent it to %s, redis.Ring to %s", k, servers[s[0]].Addr, servers[s[1]].Addr)
					}
				}
			}
			t.Logf("%d keys, per instance %v", len(keys), per)
			for i, n := range per {
				if n == 0 {
					t.Errorf("no key went to %s: the comparison did not cover every shard", servers[i].Addr)
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d keys went elsewhere through redis.Ring", bad, len(keys))
			}
		})
	}
}

// waitSeen waits until MONITOR has seen each key n times.
func waitSeen(t *testing.T, mu *sync.Mutex, seen map[string][]int, keys []string, n int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		mu.Lock()
		missing := ""
		for _, k := range keys {
			if len(seen[k]) < n {
				missing = k
				break
			}
		}
		extra := ""
		for _, k := range keys {
			if len(seen[k]) > n {
				extra = k
			}
		}
		mu.Unlock()
		if extra != "" {
			t.Fatalf("%s reached an instance more than %d times", extra, n)
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("MONITOR did not see GET %s %d times within 15s", missing, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
