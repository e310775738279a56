package lb

import (
	"context"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hakit/hakit"
)

// slowstart: after a server comes back UP its weight ramps from almost
// nothing to its full weight over the slowstart period (HAProxy's
// "slowstart"), and it takes a matching share of new connections.
func TestSlowStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var healthy atomic.Bool
		healthy.Store(true)
		check := hakit.CheckerFunc(func(context.Context) error {
			if healthy.Load() {
				return nil
			}
			return errors.New("down")
		})
		mon := hakit.MonitorConfig{Inter: time.Second, Rise: 1, Fall: 1}
		b, err := NewBackend(BackendConfig{Servers: []ServerConfig{
			{Name: "a", Addr: "127.0.0.1:1", Weight: 10, Check: check, Monitor: mon, SlowStart: 20 * time.Second},
			{Name: "b", Addr: "127.0.0.1:2", Weight: 10},
		}})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go b.Run(ctx)
		synctest.Wait()
		weight := func() int { return b.Stats().Servers[0].EffectiveWeight }
		if w := weight(); w != 10 {
			t.Fatalf("at start: weight %d, want 10 (no ramp before a recovery)", w)
		}
		healthy.Store(false)
		time.Sleep(1500 * time.Millisecond)
		synctest.Wait()
		healthy.Store(true)
		time.Sleep(time.Second) // the check that marks it UP
		synctest.Wait()
		var seen []int
		for range 4 {
			seen = append(seen, weight())
			time.Sleep(5 * time.Second)
			synctest.Wait()
		}
		seen = append(seen, weight())
		// 0.5s after UP (ticks are every 250ms) the weight is 1 of 10;
		// it then grows with the elapsed share of 20s and ends at 10.
		for i := 1; i < len(seen); i++ {
			if seen[i] <= seen[i-1] && seen[i] != 10 {
				t.Fatalf("weights %v do not ramp up", seen)
			}
		}
		if seen[0] > 2 || seen[len(seen)-1] != 10 {
			t.Fatalf("weights %v: want a start near 1 and an end at 10", seen)
		}
	})
}

// Envoy's outlier detection: Consecutive failures eject a server for
// BaseEjection, and no more than MaxEjectionPercent of servers (at least
// one) are ejected at once.
func TestOutlierEjection(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newTestBackend(t, BackendConfig{Outlier: OutlierConfig{Consecutive: 3, BaseEjection: 10 * time.Second, MaxEjectionPercent: 10}}, 1, 1, 1)
		fail := errors.New("refused")
		s1, s2 := b.servers[0], b.servers[1]
		for range 2 {
			b.observe(s1, fail, ObserveLayer4)
		}
		b.observe(s1, nil, ObserveLayer4) // a success resets the count
		for range 2 {
			b.observe(s1, fail, ObserveLayer4)
		}
		if b.Stats().Servers[0].Ejected {
			t.Fatal("ejected without 3 consecutive failures")
		}
		b.observe(s1, fail, ObserveLayer4)
		if !b.Stats().Servers[0].Ejected {
			t.Fatal("not ejected after 3 consecutive failures")
		}
		if c := count(pickN(t, b, 10, nil)); c["s1"] != 0 {
			t.Fatalf("ejected server picked: %v", c)
		}
		for range 3 {
			b.observe(s2, fail, ObserveLayer4)
		}
		if b.Stats().Servers[1].Ejected {
			t.Fatal("a second ejection of 3 servers exceeds max(1, 10%)")
		}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go b.Run(ctx)
		time.Sleep(10*time.Second + tickEvery)
		synctest.Wait()
		if b.Stats().Servers[0].Ejected {
			t.Fatal("still ejected after BaseEjection")
		}
	})
}

// on-marked-down shutdown-sessions closes the server's connections when it
// goes DOWN; without it they stay.
func TestShutdownSessions(t *testing.T) {
	for _, shut := range []bool{false, true} {
		b, err := NewBackend(BackendConfig{Servers: []ServerConfig{{Name: "a", Addr: "127.0.0.1:1", ShutdownOnDown: shut}}})
		if err != nil {
			t.Fatal(err)
		}
		s := b.servers[0]
		c1, c2 := net.Pipe()
		defer c2.Close()
		s.track(c1)
		b.setHealth(s, false)
		c1.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
		_, err = c1.Read(make([]byte, 1))
		closed := errors.Is(err, io.ErrClosedPipe)
		if closed != shut {
			t.Errorf("shutdown-sessions %v: connection closed %v (%v)", shut, closed, err)
		}
		c1.Close()
	}
}

// on-marked-up shutdown-backup-sessions closes the backup servers'
// connections when an active server with it comes UP, so that clients move
// back to the active servers; without it they stay, and an active server
// going DOWN closes nothing.
func TestShutdownBackupSessions(t *testing.T) {
	for _, shut := range []bool{false, true} {
		b, err := NewBackend(BackendConfig{Servers: []ServerConfig{
			{Name: "a", Addr: "127.0.0.1:1", ShutdownBackupOnUp: shut},
			{Name: "bk", Addr: "127.0.0.1:2", Backup: true},
		}})
		if err != nil {
			t.Fatal(err)
		}
		a, bk := b.servers[0], b.servers[1]
		c1, c2 := net.Pipe()
		defer c2.Close()
		bk.track(c1)
		closed := func() bool {
			c1.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
			_, err := c1.Read(make([]byte, 1))
			return errors.Is(err, io.ErrClosedPipe)
		}
		b.setHealth(a, false)
		if closed() {
			t.Fatalf("shutdown-backup-sessions %v: backup connection closed when the active server went DOWN", shut)
		}
		b.setHealth(a, true)
		if got := closed(); got != shut {
			t.Errorf("shutdown-backup-sessions %v: backup connection closed %v when the active server came UP", shut, got)
		}
		c1.Close()
	}
}

// observe layer7: 5xx answers (not 501 or 505) count as errors for the
// server's Monitor, and error-limit of them with on-error mark-down marks
// it DOWN.
func TestObserveLayer7(t *testing.T) {
	mon := hakit.MonitorConfig{ErrorLimit: 2, OnError: hakit.OnErrorMarkDown}
	ok := hakit.CheckerFunc(func(context.Context) error { return nil })
	b, err := NewBackend(BackendConfig{Servers: []ServerConfig{{Name: "a", Addr: "127.0.0.1:1", Check: ok, Monitor: mon, Observe: ObserveLayer7}}})
	if err != nil {
		t.Fatal(err)
	}
	s := b.servers[0]
	for _, code := range []int{501, 505, 200} {
		if layer7Failure(code) {
			t.Fatalf("%d counted as a server error", code)
		}
	}
	b.observe(s, statusError(503), ObserveLayer7)
	b.observe(s, statusError(500), ObserveLayer7)
	if st := b.Stats().Servers[0]; st.Up {
		t.Fatalf("still UP after 2 layer 7 errors with error-limit 2 and mark-down: %+v", st.Health)
	}
}
