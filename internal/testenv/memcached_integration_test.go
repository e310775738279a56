//go:build integration

package testenv_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/hakit/hakit/internal/testenv"
)

// TestMemcachedSmoke stores and reads a key on each instance.
func TestMemcachedSmoke(t *testing.T) {
	for i, addr := range testenv.Memcached(t) {
		c := memcache.New(addr)
		c.Timeout = 5 * time.Second
		key := fmt.Sprintf("testenv_smoke_%d_%d", i, time.Now().UnixNano())
		want := []byte("on " + addr)
		if err := c.Set(&memcache.Item{Key: key, Value: want, Expiration: 60}); err != nil {
			t.Fatalf("%s: set: %v", addr, err)
		}
		it, err := c.Get(key)
		if err != nil {
			t.Fatalf("%s: get: %v", addr, err)
		}
		if string(it.Value) != string(want) {
			t.Fatalf("%s: got %q, want %q", addr, it.Value, want)
		}
		_ = c.Close()
	}
}

// TestNutcrackerSmoke stores keys through each pool and reads them back
// through the same pool.
func TestNutcrackerSmoke(t *testing.T) {
	env := testenv.Nutcracker(t)
	for _, pool := range []string{env.MD5, env.FNV1a64} {
		c := memcache.New(pool)
		c.Timeout = 5 * time.Second
		for i := range 20 {
			key := fmt.Sprintf("testenv_nc_%d_%d", i, time.Now().UnixNano())
			want := []byte(fmt.Sprintf("value %d via %s", i, pool))
			if err := c.Set(&memcache.Item{Key: key, Value: want, Expiration: 60}); err != nil {
				t.Fatalf("%s: set: %v", pool, err)
			}
			it, err := c.Get(key)
			if err != nil {
				t.Fatalf("%s: get %s: %v", pool, key, err)
			}
			if string(it.Value) != string(want) {
				t.Fatalf("%s: got %q, want %q", pool, it.Value, want)
			}
		}
		_ = c.Close()
	}
	if len(env.Servers) != 4 || len(env.Weights) != 4 {
		t.Fatalf("servers %v weights %v", env.Servers, env.Weights)
	}
}
