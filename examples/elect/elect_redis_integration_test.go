//go:build integration

package main

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/hakit/hakit/internal/testenv"
)

// TestElectRedis runs the three-process scenario (SIGSTOP, SIGCONT and
// SIGTERM of the leader) on a cache.RedisLease in the real Redis master.
func TestElectRedis(t *testing.T) {
	env := testenv.Redis(t)
	runElectScenario(t, "redis", env.Master)
}

// TestElectRedisReleaseAgainstFrozenRedis freezes the Redis master with
// SIGSTOP under a leader and terminates the leader: the release it tries
// on SIGTERM gets no answer, and it must still exit 0 within the contract's
// 5 s. Without a bound of its own on each call, go-redis would wait out its
// ReadTimeout (3 s) for the renewal in flight and again for the release,
// each retried, well past 5 s.
func TestElectRedisReleaseAgainstFrozenRedis(t *testing.T) {
	testenv.Exclusive(t, "redis")
	env := testenv.Redis(t)
	t.Cleanup(func() { env.Restore(t) })
	name := fmt.Sprintf("elect-frozen-%d", rand.Uint32())
	p := startElect(t, "redis", env.Master, name, "p1")
	leading, _ := waitLeading(t, map[string]*electProc{"p1": p}, 15*time.Second)
	t.Logf("p1 leads with token %d", *leading.Token)

	pid := env.PID(t, env.Master)
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	// Cleanups run last in, first out: the master resumes before Restore.
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGCONT) })
	// Let a renewal go out into the silence: the retry period is 500ms, so
	// one left 100 to 600ms ago. Unbounded, it would block 2.4 s more and
	// the release 3 s after it: at least 5.4 s.
	time.Sleep(600 * time.Millisecond)
	start := time.Now()
	p.terminate(t) // exit 0 within 5 s, or the test fails
	// Bounded, the release ends by the 2 s renew deadline; 4 s leaves room
	// for a loaded machine and still rules out go-redis' 3 s ReadTimeout
	// on top of the renewal's remaining wait.
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("exit took %v after SIGTERM against a frozen Redis, want the release bounded by the 2s renew deadline", took)
	}
	if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
}
