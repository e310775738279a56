//go:build integration

package cache_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hakit/hakit/cache"
	"github.com/hakit/hakit/internal/testenv"
	"github.com/redis/go-redis/v9"
)

// TestSentinelWatcherEpochOnRealSentinels forces a failover with SENTINEL
// FAILOVER and checks that the watcher reads the real Sentinels' config
// epoch, reports the switch once, and ends at the epoch the Sentinels give
// for the new configuration with no answer counted stale.
func TestSentinelWatcherEpochOnRealSentinels(t *testing.T) {
	testenv.Exclusive(t, "redis")
	env := testenv.Redis(t)
	t.Cleanup(func() { env.Restore(t) })
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	var mu sync.Mutex
	var switches []string
	w, err := cache.NewSentinelWatcher(cache.SentinelWatcherConfig{
		Addrs:      env.Sentinels,
		MasterName: env.MasterName,
		OnSwitchMaster: func(ev cache.SentinelEvent) {
			mu.Lock()
			switches = append(switches, ev.OldMaster.Addr()+" -> "+ev.Instance.Addr())
			mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	wctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(wctx) }()
	defer func() { stop(); <-done }()

	epochOf := func(addr string) int64 {
		t.Helper()
		sc := redis.NewSentinelClient(&redis.Options{Addr: addr})
		defer sc.Close()
		m, err := sc.Master(ctx, env.MasterName).Result()
		if err != nil {
			t.Fatal(err)
		}
		e, err := strconv.ParseInt(m["config-epoch"], 10, 64)
		if err != nil {
			t.Fatalf("config-epoch %q: %v", m["config-epoch"], err)
		}
		return e
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for !cond() {
			if ctx.Err() != nil {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	before := epochOf(env.Sentinels[0])
	waitFor("the watcher's catch-up", func() bool { return w.Stats().Master == env.Master })
	if st := w.Stats(); st.Epoch != before {
		t.Fatalf("watcher epoch %d, Sentinel gives %d", st.Epoch, before)
	}

	sc := redis.NewSentinelClient(&redis.Options{Addr: env.Sentinels[0]})
	defer sc.Close()
	if err := sc.Failover(ctx, env.MasterName).Err(); err != nil {
		t.Fatal(err)
	}
	waitFor("+switch-master", func() bool { mu.Lock(); defer mu.Unlock(); return len(switches) > 0 })
	waitFor("all Sentinels at the new epoch", func() bool {
		for _, s := range env.Sentinels {
			if epochOf(s) <= before {
				return false
			}
		}
		return true
	})
	after := epochOf(env.Sentinels[0])
	st := w.Stats()
	// The published switch gives a lower bound, one above the old epoch;
	// the real epoch may be higher when Sentinels voted more than once.
	if st.Epoch <= before || st.Epoch > after || st.Master == env.Master || st.Stale != 0 || st.Missed != 0 {
		t.Errorf("stats %+v; epochs before %d after %d, old master %s", st, before, after, env.Master)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(switches) != 1 || switches[0] != env.Master+" -> "+st.Master {
		t.Errorf("switches %v", switches)
	}
}
