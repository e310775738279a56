package hakit_test

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hakit/hakit"
	"github.com/hakit/hakit/hakittest"
)

// HAProxy's process_chk: rv = inter×spread/100, next = inter + rv - 2×rv×u.
func TestSpreadInterval(t *testing.T) {
	s := time.Second
	tests := []struct {
		d    time.Duration
		pct  int
		u    float64
		want time.Duration
	}{
		{2 * s, 0, 0.3, 2 * s},                    // spread-checks 0: HAProxy's default, no jitter
		{2 * s, 5, 0, 2100 * time.Millisecond},    // u = 0: the longest, inter + 5%
		{2 * s, 5, 0.5, 2 * s},                    // the middle
		{2 * s, 5, 0.75, 1950 * time.Millisecond}, // shorter
		{2 * s, 50, 0, 3 * s},                     // the largest spread HAProxy accepts
		{2 * s, 50, 0.9999, 1000200 * time.Microsecond},
	}
	for _, tt := range tests {
		if got := hakit.SpreadInterval(tt.d, tt.pct, tt.u); got != tt.want {
			t.Errorf("spread(%v, %d%%, %g) = %v, want %v", tt.d, tt.pct, tt.u, got, tt.want)
		}
	}
}

// Monitors started together with SpreadChecks make their first checks at
// different moments within one Inter, and every later interval stays
// within ±SpreadChecks% of Inter; without it they probe in lockstep.
func TestMonitorSpreadChecks(t *testing.T) {
	for _, spread := range []int{0, 5} {
		synctest.Test(t, func(t *testing.T) {
			const n = 8
			var mu sync.Mutex
			times := make([][]time.Duration, n)
			start := time.Now()
			ctx, cancel := context.WithCancel(t.Context())
			for i := range n {
				m, err := hakit.NewMonitor(hakit.MonitorConfig{
					Checker: hakit.CheckerFunc(func(context.Context) error {
						mu.Lock()
						times[i] = append(times[i], time.Since(start))
						mu.Unlock()
						return nil
					}),
					SpreadChecks: spread,
				})
				if err != nil {
					t.Fatal(err)
				}
				hakit.SetMonitorRand(m, rand.New(rand.NewPCG(uint64(i), 1)).Float64)
				go m.Run(ctx)
			}
			time.Sleep(time.Minute)
			cancel()
			synctest.Wait()
			mu.Lock()
			defer mu.Unlock()
			firsts := map[time.Duration]bool{}
			gaps := map[time.Duration]bool{}
			lo, hi := hakit.DefaultInter*time.Duration(100-spread)/100, hakit.DefaultInter*time.Duration(100+spread)/100
			for i, ts := range times {
				if len(ts) < 20 {
					t.Fatalf("spread %d%%: monitor %d made %d checks in a minute, want ≥20", spread, i, len(ts))
				}
				if ts[0] < 0 || ts[0] >= hakit.DefaultInter {
					t.Errorf("spread %d%%: monitor %d first check at %v, want within the first 2s", spread, i, ts[0])
				}
				firsts[ts[0]] = true
				for j := 1; j < len(ts); j++ {
					gap := ts[j] - ts[j-1]
					gaps[gap] = true
					if gap < lo || gap > hi {
						t.Errorf("spread %d%%: monitor %d interval %v outside [%v, %v]", spread, i, gap, lo, hi)
					}
				}
			}
			if spread == 0 && (len(firsts) != 1 || !firsts[0] || len(gaps) != 1) {
				t.Errorf("spread 0: first checks at %v, intervals %v; want all at 0s, every 2s", firsts, gaps)
			}
			// Eight seeded draws in [0, 2s) are distinct; lockstep would
			// give one value.
			if spread > 0 && (len(firsts) != n || len(gaps) < n) {
				t.Errorf("spread %d%%: %d distinct first checks and %d distinct intervals, want %d and more", spread, len(firsts), len(gaps), n)
			}
		})
	}
	for _, bad := range []int{-1, 51} {
		if _, err := hakit.NewMonitor(hakit.MonitorConfig{Checker: &hakittest.Checker{}, SpreadChecks: bad}); err == nil {
			t.Errorf("SpreadChecks %d accepted", bad)
		}
	}
}
