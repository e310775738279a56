//go:build integration

package testenv_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hakit/hakit/internal/testenv"
)

// TestRedisSmoke writes on the master, waits for both replicas to
// acknowledge it, reads it from each replica, and asks a Sentinel for the
// master's address.
func TestRedisSmoke(t *testing.T) {
	env := testenv.Redis(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	m := redis.NewClient(&redis.Options{Addr: env.Master})
	defer m.Close()
	key := "testenv:smoke:" + t.Name()
	want := time.Now().Format(time.RFC3339Nano)
	if err := m.Set(ctx, key, want, time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	n, err := m.Wait(ctx, 2, 5*time.Second).Result()
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("WAIT 2: %d replicas acknowledged", n)
	}
	for _, addr := range env.Replicas {
		r := redis.NewClient(&redis.Options{Addr: addr})
		got, err := r.Get(ctx, key).Result()
		r.Close()
		if err != nil {
			t.Fatalf("replica %s: %v", addr, err)
		}
		if got != want {
			t.Fatalf("replica %s: GET = %q, want %q", addr, got, want)
		}
	}

	s := redis.NewSentinelClient(&redis.Options{Addr: env.Sentinels[1]})
	defer s.Close()
	hp, err := s.GetMasterAddrByName(ctx, env.MasterName).Result()
	if err != nil {
		t.Fatal(err)
	}
	if got := net.JoinHostPort(hp[0], hp[1]); got != env.Master {
		t.Fatalf("sentinel %s: master %s, want %s", env.Sentinels[1], got, env.Master)
	}
	if pid := env.PID(t, env.Master); pid <= 1 {
		t.Fatalf("PID(master) = %d", pid)
	}
}
