package cache_test

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/alicebob/miniredis/v2/server"
	"github.com/hakit/hakit/cache"
	"github.com/redis/go-redis/v9"
)

func TestParseSentinelEvent(t *testing.T) {
	for _, tc := range []struct {
		channel, payload string
		want             cache.SentinelEvent
	}{
		{"+sdown", "master hakit 127.0.0.1 16379", cache.SentinelEvent{
			Channel: "+sdown", Instance: cache.SentinelInstance{Type: "master", Name: "hakit", IP: "127.0.0.1", Port: 16379}}},
		{"+sdown", "slave 127.0.0.1:16380 127.0.0.1 16380 @ hakit 127.0.0.1 16379", cache.SentinelEvent{
			Channel:  "+sdown",
			Instance: cache.SentinelInstance{Type: "slave", Name: "127.0.0.1:16380", IP: "127.0.0.1", Port: 16380},
			Master:   cache.SentinelInstance{Type: "master", Name: "hakit", IP: "127.0.0.1", Port: 16379}}},
		// sentinel.c: sentinelEvent(LL_WARNING,"+odown",ri,"%@ #quorum %d/%d",...)
		{"+odown", "master hakit 127.0.0.1 16379 #quorum 2/2", cache.SentinelEvent{
			Channel: "+odown", Instance: cache.SentinelInstance{Type: "master", Name: "hakit", IP: "127.0.0.1", Port: 16379}, Rest: "#quorum 2/2"}},
		// "%s %s %d %s %d": name, old ip, old port, new ip, new port.
		{"+switch-master", "hakit 127.0.0.1 16379 127.0.0.1 16381", cache.SentinelEvent{
			Channel:   "+switch-master",
			Instance:  cache.SentinelInstance{Type: "master", Name: "hakit", IP: "127.0.0.1", Port: 16381},
			OldMaster: cache.SentinelInstance{Type: "master", Name: "hakit", IP: "127.0.0.1", Port: 16379}}},
		{"+new-epoch", "12", cache.SentinelEvent{Channel: "+new-epoch", Rest: "12"}},
	} {
		got, err := cache.ParseSentinelEvent(tc.channel, tc.payload)
		if err != nil || got != tc.want {
			t.Errorf("ParseSentinelEvent(%q, %q) = %+v, %v; want %+v", tc.channel, tc.payload, got, err, tc.want)
		}
		if p := got.Payload(); p != tc.payload {
			t.Errorf("Payload() = %q, want %q", p, tc.payload)
		}
	}
	sw, _ := cache.ParseSentinelEvent("+switch-master", "hakit ::1 16379 ::1 16381")
	if sw.MasterName() != "hakit" || sw.OldMaster.Addr() != "[::1]:16379" || sw.Instance.Addr() != "[::1]:16381" {
		t.Errorf("IPv6 switch: %+v", sw)
	}
	for _, bad := range [][2]string{
		{"+switch-master", "hakit 127.0.0.1 16379"},
		{"+switch-master", "hakit 127.0.0.1 x 127.0.0.1 16381"},
		{"+sdown", "garbage"},
		{"+sdown", "slave 127.0.0.1:16380 127.0.0.1 16380"},
		{"+sdown", "master hakit 127.0.0.1 16379 @ other 127.0.0.1 1"},
		{"+odown", "master hakit 127.0.0.1 65536"},
		{"+failover-end", "slave a 1.2.3.4 5 @ m 1.2.3.4"},
	} {
		if _, err := cache.ParseSentinelEvent(bad[0], bad[1]); err == nil {
			t.Errorf("ParseSentinelEvent(%q, %q) accepted", bad[0], bad[1])
		}
	}
}

// recorder collects a watcher's callbacks.
type recorder struct {
	mu       sync.Mutex
	lines    []string
	connects []string
}

func (r *recorder) add(s string) { r.mu.Lock(); r.lines = append(r.lines, s); r.mu.Unlock() }

func (r *recorder) snapshot() ([]string, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.lines...), append([]string(nil), r.connects...)
}

func (r *recorder) config(addrs ...string) cache.SentinelWatcherConfig {
	return cache.SentinelWatcherConfig{
		Addrs:         addrs,
		MasterName:    "hakit",
		RetryInterval: 10 * time.Millisecond,
		PingInterval:  500 * time.Millisecond, // three round trips must fit: room for a stalled machine
		OnSDown: func(ev cache.SentinelEvent, down bool) {
			r.add("sdown " + ev.Instance.Addr() + " " + map[bool]string{true: "down", false: "up"}[down])
		},
		OnODown: func(ev cache.SentinelEvent, down bool) {
			r.add("odown " + map[bool]string{true: "down", false: "up"}[down])
		},
		OnSwitchMaster: func(ev cache.SentinelEvent) { r.add("switch " + ev.OldMaster.Addr() + " -> " + ev.Instance.Addr()) },
		OnFailoverEnd:  func(ev cache.SentinelEvent) { r.add("failover-end") },
		OnConnect:      func(addr string) { r.mu.Lock(); r.connects = append(r.connects, addr); r.mu.Unlock() },
	}
}

// startWatcher runs a watcher with cfg until the test ends, then checks
// that Run returned the cancellation.
func startWatcher(t *testing.T, cfg cache.SentinelWatcherConfig) *cache.SentinelWatcher {
	t.Helper()
	w, err := cache.NewSentinelWatcher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != context.Canceled {
			t.Errorf("Run returned %v", err)
		}
	})
	return w
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSentinelWatcher(t *testing.T) {
	s1, s2 := miniredis.RunT(t), miniredis.RunT(t)
	var rec recorder
	w, err := cache.NewSentinelWatcher(rec.config(s1.Addr(), s2.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	waitUntil(t, "subscribed to the first sentinel", func() bool { _, c := rec.snapshot(); return len(c) == 1 })

	// What Sentinel publishes during a failover of master hakit.
	for _, m := range [][2]string{
		{"+sdown", "master hakit 127.0.0.1 16379"},
		{"+sdown", "master other 127.0.0.1 7000"}, // another master: filtered out
		{"+odown", "master hakit 127.0.0.1 16379 #quorum 2/2"},
		{"+sdown", "garbage"}, // malformed: counted, not delivered
		{"+try-failover", "master hakit 127.0.0.1 16379"},
		{"+switch-master", "hakit 127.0.0.1 16379 127.0.0.1 16381"},
		{"+sdown", "slave 127.0.0.1:16379 127.0.0.1 16379 @ hakit 127.0.0.1 16381"},
		{"+failover-end", "master hakit 127.0.0.1 16379"},
		{"-sdown", "slave 127.0.0.1:16379 127.0.0.1 16379 @ hakit 127.0.0.1 16381"},
		{"-odown", "master hakit 127.0.0.1 16379"},
	} {
		s1.Publish(m[0], m[1])
	}
	want := []string{
		"sdown 127.0.0.1:16379 down",
		"odown down",
		"switch 127.0.0.1:16379 -> 127.0.0.1:16381",
		"sdown 127.0.0.1:16379 down",
		"failover-end",
		"sdown 127.0.0.1:16379 up",
		"odown up",
	}
	waitUntil(t, "the events", func() bool { l, _ := rec.snapshot(); return len(l) >= len(want) })
	got, _ := rec.snapshot()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("callbacks:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	st := w.Stats()
	if st.Events != 8 || st.Malformed != 1 || st.Sentinel != s1.Addr() {
		t.Errorf("stats %+v", st)
	}

	// The first Sentinel dies: the watcher moves to the second.
	s1.Close()
	waitUntil(t, "subscribed to the second sentinel", func() bool { _, c := rec.snapshot(); return len(c) >= 2 }) // a brief failure of the second may add more
	s2.Publish("+switch-master", "hakit 127.0.0.1 16381 127.0.0.1 16380")
	waitUntil(t, "an event from the second sentinel", func() bool { l, _ := rec.snapshot(); return len(l) == len(want)+1 })
	if st := w.Stats(); st.Failures < 1 || st.Sentinel != s2.Addr() || st.LastError == nil {
		t.Errorf("stats after a sentinel failed: %+v", st)
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("Run returned %v", err)
	}
}

func TestNewSentinelWatcherValidates(t *testing.T) {
	for _, cfg := range []cache.SentinelWatcherConfig{
		{},
		{Addrs: []string{"a:1"}, RetryInterval: -1},
		{Addrs: []string{"a:1"}, PingInterval: -1},
	} {
		if _, err := cache.NewSentinelWatcher(cfg); err == nil || !strings.Contains(err.Error(), "SentinelWatcherConfig.") {
			t.Errorf("NewSentinelWatcher(%+v) = %v", cfg, err)
		}
	}
	// A custom client constructor is used.
	called := false
	w, _ := cache.NewSentinelWatcher(cache.SentinelWatcherConfig{Addrs: []string{"127.0.0.1:1"}, NewClient: func(addr string) *redis.SentinelClient {
		called = true
		return redis.NewSentinelClient(&redis.Options{Addr: addr, MaxRetries: -1})
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	w.Run(ctx)
	if !called || w.Stats().Failures == 0 {
		t.Errorf("NewClient called %v, stats %+v", called, w.Stats())
	}
}

// swallowProxy forwards TCP connections to target until swallow is
// called; from then on it reads and discards everything in both
// directions and never closes: a peer that vanished without a FIN.
func swallowProxy(t *testing.T, target string) (addr string, swallow func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var swallowing atomic.Bool
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	pipe := func(dst, src net.Conn) {
		defer wg.Done()
		buf := make([]byte, 4096)
		for {
			n, err := src.Read(buf)
			if err != nil {
				return
			}
			if !swallowing.Load() {
				if _, err := dst.Write(buf[:n]); err != nil {
					return
				}
			}
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, c, u)
			mu.Unlock()
			wg.Add(2)
			go pipe(u, c)
			go pipe(c, u)
		}
	}()
	return ln.Addr().String(), func() { swallowing.Store(true) }
}

func TestSentinelWatcherHalfOpen(t *testing.T) {
	s1, s2 := newFakeSentinel(t, "127.0.0.1", "16379"), newFakeSentinel(t, "127.0.0.1", "16379")
	proxy, swallow := swallowProxy(t, s1.Addr())
	var rec recorder
	w := startWatcher(t, rec.config(proxy, s2.Addr()))
	waitUntil(t, "subscribed through the proxy", func() bool { _, c := rec.snapshot(); return len(c) == 1 })
	// Swallow only once the catch-up question is answered, so that it is
	// the subscription's PING that goes unanswered.
	waitUntil(t, "the master's address", func() bool { return w.Stats().Master != "" })
	// The Sentinel behind the proxy goes silent: writes still succeed,
	// nothing comes back. The unanswered PING must fail it.
	swallow()
	waitUntil(t, "moved to the second sentinel", func() bool { _, c := rec.snapshot(); return len(c) >= 2 }) // a brief failure of the second may add more
	if _, c := rec.snapshot(); c[1] != s2.Addr() {
		t.Errorf("connects %v", c)
	}
	if st := w.Stats(); st.Failures < 1 || st.LastError == nil || !strings.Contains(st.LastError.Error(), "PING") {
		t.Errorf("stats %+v", st)
	}
}

// A Sentinel that accepts the subscription but never answers the
// catch-up question must fail within PingInterval, whatever the client's
// own read timeout and retries would allow.
func TestSentinelWatcherUnansweredCatchUp(t *testing.T) {
	s1, s2 := newFakeSentinel(t, "127.0.0.1", "16379"), newFakeSentinel(t, "127.0.0.1", "16379")
	s1.mu.Lock()
	s1.mute = true
	s1.mu.Unlock()
	var rec recorder
	w := startWatcher(t, rec.config(s1.Addr(), s2.Addr()))
	start := time.Now()
	waitUntil(t, "moved to the second sentinel", func() bool { _, c := rec.snapshot(); return len(c) >= 2 }) // a brief failure of the second may add more
	// PingInterval is 500ms; the client's default read timeout alone is
	// 3s, and it retries.
	if d := time.Since(start); d > 2500*time.Millisecond {
		t.Errorf("moved on after %v", d)
	}
	if st := w.Stats(); st.Failures < 1 || st.LastError == nil || !strings.Contains(st.LastError.Error(), "sentinel master") {
		t.Errorf("stats %+v", st)
	}
}

func TestSentinelWatcherCancelPrompt(t *testing.T) {
	s := miniredis.RunT(t)
	var rec recorder
	cfg := rec.config(s.Addr())
	cfg.PingInterval = time.Minute
	w, err := cache.NewSentinelWatcher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	waitUntil(t, "subscribed", func() bool { _, c := rec.snapshot(); return len(c) == 1 })
	cancel()
	select {
	case err := <-done:
		if err != context.Canceled {
			t.Errorf("Run returned %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not return within 2s of cancel (PingInterval 1m)")
	}
}

// fakeSentinel is a miniredis that also answers SENTINEL MASTER hakit
// and SENTINEL GET-MASTER-ADDR-BY-NAME hakit with the address set (none:
// an error, a null) and config epoch, or, once muted, never answers them.
type fakeSentinel struct {
	*miniredis.Miniredis
	mu     sync.Mutex
	master []string
	epoch  int
	asked  int           // questions answered
	muted  chan struct{} // closed when the fake stops: muted questions end then
	mute   bool
}

func newFakeSentinel(t *testing.T, master ...string) *fakeSentinel {
	f := &fakeSentinel{Miniredis: miniredis.RunT(t), master: master, muted: make(chan struct{})}
	t.Cleanup(func() { close(f.muted) })
	err := f.Server().Register("SENTINEL", func(c *server.Peer, cmd string, args []string) {
		if len(args) != 2 || !strings.EqualFold(args[0], "get-master-addr-by-name") && !strings.EqualFold(args[0], "master") {
			c.WriteError("ERR unsupported")
			return
		}
		f.mu.Lock()
		mute := f.mute
		f.mu.Unlock()
		if mute {
			<-f.muted
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		f.asked++
		byName := strings.EqualFold(args[0], "get-master-addr-by-name")
		switch {
		case (args[1] != "hakit" || f.master == nil) && byName:
			c.WriteNull()
		case args[1] != "hakit" || f.master == nil:
			c.WriteError("ERR No such master with that name")
		case byName:
			c.WriteStrings(f.master)
		default:
			c.WriteStrings([]string{"name", "hakit", "ip", f.master[0], "port", f.master[1],
				"flags", "master", "config-epoch", strconv.Itoa(f.epoch)})
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestSentinelWatcherCatchesUpOnReconnect(t *testing.T) {
	s1 := newFakeSentinel(t, "127.0.0.1", "16379")
	// The failover happened while the watcher was between Sentinels: s2
	// already knows the new master, and nobody publishes +switch-master.
	s2 := newFakeSentinel(t, "127.0.0.1", "16381")
	var rec recorder
	w := startWatcher(t, rec.config(s1.Addr(), s2.Addr()))
	waitUntil(t, "subscribed to the first sentinel", func() bool { _, c := rec.snapshot(); return len(c) == 1 })
	waitUntil(t, "the master's address", func() bool { return w.Stats().Master == "127.0.0.1:16379" })
	if l, _ := rec.snapshot(); len(l) != 0 {
		t.Errorf("callbacks on the first answer: %v", l)
	}
	s1.Close()
	waitUntil(t, "the missed switch", func() bool { l, _ := rec.snapshot(); return len(l) == 1 })
	if l, _ := rec.snapshot(); l[0] != "switch 127.0.0.1:16379 -> 127.0.0.1:16381" {
		t.Errorf("callbacks %v", l)
	}
	if st := w.Stats(); st.Missed != 1 || st.Master != "127.0.0.1:16381" {
		t.Errorf("stats %+v", st)
	}
	// A published switch moves the last address too: no duplicate later.
	s2.Publish("+switch-master", "hakit 127.0.0.1 16381 127.0.0.1 16380")
	waitUntil(t, "the published switch", func() bool { return w.Stats().Master == "127.0.0.1:16380" })
}

// A Sentinel that has not yet heard of a failover still gives the old
// master, at the old config epoch: the watcher that saw the switch must
// not report a switch back to the old master when it moves to that
// Sentinel.
func TestSentinelWatcherIgnoresStaleEpoch(t *testing.T) {
	s1 := newFakeSentinel(t, "127.0.0.1", "16379")
	s1.epoch = 1
	s2 := newFakeSentinel(t, "127.0.0.1", "16379") // has not heard of the failover
	s2.epoch = 1
	var rec recorder
	w := startWatcher(t, rec.config(s1.Addr(), s2.Addr()))
	waitUntil(t, "subscribed to the first sentinel", func() bool { _, c := rec.snapshot(); return len(c) == 1 })
	waitUntil(t, "the master's address", func() bool { return w.Stats().Master == "127.0.0.1:16379" })
	s1.Publish("+switch-master", "hakit 127.0.0.1 16379 127.0.0.1 16381")
	waitUntil(t, "the published switch", func() bool { l, _ := rec.snapshot(); return len(l) == 1 })
	s1.Close()
	waitUntil(t, "subscribed to the second sentinel", func() bool { _, c := rec.snapshot(); return len(c) >= 2 })
	// The watcher asks before it reads events: once this event arrives,
	// the answer has been handled.
	s2.Publish("+sdown", "master hakit 127.0.0.1 16379")
	waitUntil(t, "an event after the catch-up", func() bool {
		l, _ := rec.snapshot()
		return len(l) >= 2 && l[len(l)-1] == "sdown 127.0.0.1:16379 down"
	})
	want := []string{"switch 127.0.0.1:16379 -> 127.0.0.1:16381", "sdown 127.0.0.1:16379 down"}
	if l, _ := rec.snapshot(); strings.Join(l, "\n") != strings.Join(want, "\n") {
		t.Errorf("callbacks:\n%s\nwant:\n%s", strings.Join(l, "\n"), strings.Join(want, "\n"))
	}
	if st := w.Stats(); st.Master != "127.0.0.1:16381" || st.Missed != 0 || st.Stale < 1 || st.Epoch != 2 {
		t.Errorf("stats %+v", st)
	}
}
