package cache_test

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/hakit/hakit/cache"
	"github.com/hakit/hakit/cache/cachetest"
)

// pool starts n cachetest servers and returns them with their Servers.
func pool(t *testing.T, n int) ([]*cachetest.Server, []cache.Server) {
	t.Helper()
	var fakes []*cachetest.Server
	var servers []cache.Server
	for range n {
		f := cachetest.NewServer()
		t.Cleanup(f.Close)
		fakes = append(fakes, f)
		servers = append(servers, cache.Server{Addr: f.Addr, Weight: 1})
	}
	return fakes, servers
}

// events records a Client's callbacks.
type events struct {
	mu       sync.Mutex
	ejected  []cache.Ejection
	returned []int
}

func (e *events) config(cfg cache.ClientConfig) cache.ClientConfig {
	cfg.OnEject = func(ev cache.Ejection) { e.mu.Lock(); e.ejected = append(e.ejected, ev); e.mu.Unlock() }
	cfg.OnReturn = func(i int, _ cache.Server) { e.mu.Lock(); e.returned = append(e.returned, i); e.mu.Unlock() }
	return cfg
}

func (e *events) counts() (int, int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.ejected), len(e.returned)
}

// keysOn returns n keys the ring places on server i.
func keysOn(r *cache.Ring, i, n int) []string {
	var out []string
	for k := 0; len(out) < n; k++ {
		key := fmt.Sprint("key:", k)
		if r.IndexString(key) == i {
			out = append(out, key)
		}
	}
	return out
}

func TestClientPlacesKeysOnTheRing(t *testing.T) {
	fakes, servers := pool(t, 4)
	c, err := cache.NewClient(cache.ClientConfig{Ring: cache.RingConfig{Servers: servers, Hash: cache.HashMD5}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for k := range 200 {
		key := fmt.Sprint("k", k)
		if err := c.Set(&memcache.Item{Key: key, Value: []byte(key)}); err != nil {
			t.Fatal(err)
		}
		want := c.Ring().IndexString(key)
		for i, f := range fakes {
			if _, ok := f.Get(key); ok != (i == want) {
				t.Fatalf("key %q on server %d: %v, ring says %d", key, i, ok, want)
			}
		}
	}
	keys := []string{"k1", "k2", "k3", "k150", "nope"}
	got, err := c.GetMulti(keys)
	if err != nil || len(got) != 4 || string(got["k150"].Value) != "k150" {
		t.Errorf("GetMulti = %v, %v", got, err)
	}
	// The other wrapped operations reach the right server too.
	if err := c.Add(&memcache.Item{Key: "k1", Value: []byte("x")}); !errors.Is(err, memcache.ErrNotStored) {
		t.Errorf("Add = %v", err)
	}
	if err := c.Replace(&memcache.Item{Key: "k1", Value: []byte("1")}); err != nil {
		t.Error(err)
	}
	if err := c.Append(&memcache.Item{Key: "k1", Value: []byte("0")}); err != nil {
		t.Error(err)
	}
	if err := c.Prepend(&memcache.Item{Key: "k1", Value: []byte("2")}); err != nil {
		t.Error(err)
	}
	if v, err := c.Increment("k1", 1); err != nil || v != 211 {
		t.Errorf("Increment = %d, %v", v, err)
	}
	if v, err := c.Decrement("k1", 11); err != nil || v != 200 {
		t.Errorf("Decrement = %d, %v", v, err)
	}
	it, err := c.Get("k1")
	if err != nil {
		t.Fatal(err)
	}
	it.Value = []byte("swapped")
	if err := c.CompareAndSwap(it); err != nil {
		t.Error(err)
	}
	if err := c.Touch("k1", 60); err != nil {
		t.Error(err)
	}
	if err := c.Delete("k1"); err != nil {
		t.Error(err)
	}
	if st := c.Stats(); st.Live != 4 || st.Servers[0].Requests == 0 {
		t.Errorf("stats %+v", st)
	}
}

// waitFor polls cond every 10ms for up to 5s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestClientEjectsADownServerAndPutsItBack(t *testing.T) {
	fakes, servers := pool(t, 3)
	var ev events
	c, err := cache.NewClient(ev.config(cache.ClientConfig{
		Ring: cache.RingConfig{Servers: servers},
		// Long enough that the checks made while it is ejected all run
		// before it may come back, on a loaded machine too.
		RetryTimeout: 2 * time.Second,
		Timeout:      time.Second,
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	full := c.Ring()
	onOne := keysOn(full, 1, 5)
	onZero := keysOn(full, 0, 5)
	for _, k := range append(onOne, onZero...) {
		if err := c.Set(&memcache.Item{Key: k, Value: []byte("v")}); err != nil {
			t.Fatal(err)
		}
	}

	fakes[1].SetDown(true)
	// nutcracker's server_failure_limit 2: the first failure keeps it.
	if _, err := c.Get(onOne[0]); err == nil {
		t.Fatal("Get from a down server succeeded")
	}
	if st := c.Stats(); !st.Servers[1].Live || st.Servers[1].Failures != 1 {
		t.Fatalf("after one failure: %+v", st.Servers[1])
	}
	if _, err := c.Get(onOne[1]); err == nil {
		t.Fatal("Get from a down server succeeded")
	}
	st := c.Stats()
	if st.Live != 2 || st.Servers[1].Live || st.Servers[1].Ejections != 1 || st.Servers[1].LastError == nil {
		t.Fatalf("after two failures: %+v", st)
	}
	if n, _ := ev.counts(); n != 1 || ev.ejected[0].Index != 1 || ev.ejected[0].Server.Addr != servers[1].Addr {
		t.Fatalf("OnEject calls: %+v", ev.ejected)
	}
	// Its keys now go to the live servers (a miss there, not an error);
	// the live servers' keys stay where they were.
	for _, k := range onOne {
		if _, err := c.Get(k); !errors.Is(err, memcache.ErrCacheMiss) {
			t.Errorf("Get(%q) with server 1 ejected = %v, want a miss elsewhere", k, err)
		}
	}
	for _, k := range onZero {
		if _, err := c.Get(k); err != nil {
			t.Errorf("Get(%q) of a live server's key = %v", k, err)
		}
	}

	// Back up; after RetryTimeout the next request returns it.
	fakes[1].SetDown(false)
	waitFor(t, "server 1 back in the ring", func() bool {
		c.Get(onZero[0])
		return c.Stats().Servers[1].Live
	})
	if _, n := ev.counts(); n != 1 {
		t.Errorf("OnReturn calls: %v", ev.returned)
	}
	for _, k := range onOne {
		if _, err := c.Get(k); err != nil {
			t.Errorf("Get(%q) after return = %v", k, err)
		}
	}
}

// ejectedServer0 returns a Client on two fake servers, RetryTimeout 100ms
// and Timeout 2s, whose server 0 went down and was ejected by the failures
// of two of the n keys it holds, and those keys.
func ejectedServer0(t *testing.T, n int) ([]*cachetest.Server, *cache.Client, *events, []string) {
	t.Helper()
	fakes, servers := pool(t, 2)
	ev := &events{}
	c, err := cache.NewClient(ev.config(cache.ClientConfig{Ring: cache.RingConfig{Servers: servers}, RetryTimeout: 100 * time.Millisecond, Timeout: 2 * time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	keys := keysOn(c.Ring(), 0, n)
	fakes[0].SetDown(true)
	c.Get(keys[0])
	c.Get(keys[1])
	if n, _ := ev.counts(); n != 1 {
		t.Fatalf("ejections %d", n)
	}
	return fakes, c, ev, keys
}

// A server still down when its retry time comes fails its probe and stays
// out for another RetryTimeout: no request is sent to it meanwhile.
func TestClientKeepsOutAServerStillDown(t *testing.T) {
	fakes, c, ev, keys := ejectedServer0(t, 4)
	// Several retry periods: each due return probes, fails, and the keys
	// keep going to server 1 (misses, not errors).
	for range 5 {
		time.Sleep(120 * time.Millisecond)
		if _, err := c.Get(keys[2]); !errors.Is(err, memcache.ErrCacheMiss) {
			t.Fatalf("Get with server 0 still down = %v, want a miss on server 1", err)
		}
	}
	if st := c.Stats(); st.Servers[0].Ejections != 1 || st.Servers[0].Returns != 0 || st.Servers[0].Live {
		t.Errorf("stats %+v", st.Servers[0])
	}
	// Back up: the next probe succeeds and puts it back.
	fakes[0].SetDown(false)
	waitFor(t, "server 0 returned", func() bool {
		c.Get(keys[3])
		_, r := ev.counts()
		return r == 1
	})
}

// When a server's retry time comes, one request probes it while the others
// go on to the live servers (single flight); without the probe, every
// request would go to the server that may still be dead.
func TestClientProbesOnceBeforeReturn(t *testing.T) {
	fakes, c, _, keys := ejectedServer0(t, 12)
	fakes[0].SetDown(false)
	fakes[0].SetDelay(300 * time.Millisecond) // the probe's answer takes this long
	before := fakes[0].Stats().Commands
	time.Sleep(150 * time.Millisecond) // the retry time has come
	var wg sync.WaitGroup
	for _, k := range keys[2:] {
		wg.Go(func() { c.Get(k) })
	}
	wg.Wait()
	// The prober's version command and its own get; the nine others went
	// to server 1 while the probe was in flight.
	if got := fakes[0].Stats().Commands - before; got > 2 {
		t.Errorf("server 0 got %d commands while it was probed, want the probe and the prober's own request", got)
	}
	if st := c.Stats(); !st.Servers[0].Live || st.Servers[0].Returns != 1 {
		t.Errorf("stats %+v, want server 0 back after one probe", st.Servers[0])
	}
}

func TestClientEjectsASlowServer(t *testing.T) {
	fakes, servers := pool(t, 2)
	var ev events
	// The Timeout covers the dial too: room for a loaded machine.
	c, _ := cache.NewClient(ev.config(cache.ClientConfig{Ring: cache.RingConfig{Servers: servers}, Timeout: 200 * time.Millisecond}))
	defer c.Close()
	keys := keysOn(c.Ring(), 1, 2)
	fakes[1].SetDelay(time.Second)
	for _, k := range keys {
		_, err := c.Get(k)
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("Get from a slow server = %v, want a timeout", err)
		}
	}
	if n, _ := ev.counts(); n != 1 || c.Stats().Servers[1].Live {
		t.Fatalf("slow server not ejected: %+v", c.Stats().Servers[1])
	}
}

func TestClientKeepsAServerThatAnswersErrors(t *testing.T) {
	fakes, servers := pool(t, 2)
	var ev events
	c, _ := cache.NewClient(ev.config(cache.ClientConfig{Ring: cache.RingConfig{Servers: servers}}))
	defer c.Close()
	keys := keysOn(c.Ring(), 1, 5)
	fakes[1].SetErrors(true)
	for _, k := range keys {
		if err := c.Set(&memcache.Item{Key: k, Value: []byte("v")}); err == nil || !strings.Contains(err.Error(), "SERVER_ERROR") {
			t.Fatalf("Set = %v, want SERVER_ERROR", err)
		}
	}
	// nutcracker counts a SERVER_ERROR as an answer (server_ok), not a
	// failure: the server stays.
	if n, _ := ev.counts(); n != 0 || !c.Stats().Servers[1].Live {
		t.Errorf("server answering errors was ejected")
	}
}

func TestClientAllEjected(t *testing.T) {
	fakes, servers := pool(t, 2)
	c, _ := cache.NewClient(cache.ClientConfig{Ring: cache.RingConfig{Servers: servers}, FailureLimit: 1})
	defer c.Close()
	fakes[0].SetDown(true)
	fakes[1].SetDown(true)
	c.Get(keysOn(c.Ring(), 0, 1)[0])
	c.Get(keysOn(c.Ring(), 1, 1)[0])
	_, err := c.Get("any")
	if !errors.Is(err, cache.ErrNoServers) || !errors.Is(err, memcache.ErrNoServers) {
		t.Errorf("Get with every server ejected = %v, want ErrNoServers", err)
	}
	if _, err := c.GetMulti([]string{"a", "b"}); !errors.Is(err, cache.ErrNoServers) {
		t.Errorf("GetMulti = %v", err)
	}
}

func TestNewClientValidates(t *testing.T) {
	srv := []cache.Server{{Addr: "127.0.0.1:1"}}
	for _, tc := range []struct {
		cfg  cache.ClientConfig
		want string
	}{
		{cache.ClientConfig{}, "Servers"},
		{cache.ClientConfig{Ring: cache.RingConfig{Servers: srv}, FailureLimit: -1}, "FailureLimit"},
		{cache.ClientConfig{Ring: cache.RingConfig{Servers: srv}, RetryTimeout: -1}, "RetryTimeout"},
		{cache.ClientConfig{Ring: cache.RingConfig{Servers: srv}, Timeout: -1}, "Timeout"},
		{cache.ClientConfig{Ring: cache.RingConfig{Servers: srv}, MaxIdleConns: -1}, "MaxIdleConns"},
	} {
		if _, err := cache.NewClient(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewClient(%+v) = %v, want an error naming %s", tc.cfg, err, tc.want)
		}
	}
}

func TestSelector(t *testing.T) {
	servers := []cache.Server{{Addr: "127.0.0.1:11311"}, {Addr: "::1:11312"}, {Addr: "cache-c:11211"}}
	r, err := cache.NewRing(cache.RingConfig{Servers: servers})
	if err != nil {
		t.Fatal(err)
	}
	sel := cache.NewSelector(r)
	for k := range 100 {
		key := fmt.Sprint(k)
		a, err := sel.PickServer(key)
		if err != nil || a.String() != r.Server(r.IndexString(key)).DialAddr() || a.Network() != "tcp" {
			t.Fatalf("PickServer(%q) = %v, %v", key, a, err)
		}
	}
	if allocs := testing.AllocsPerRun(100, func() { sel.PickServer("some-key") }); allocs != 0 {
		t.Errorf("PickServer allocates %v times", allocs)
	}
	var seen []string
	sel.SetRing(r.WithLive(func(i int) bool { return i != 1 }))
	sel.Each(func(a net.Addr) error { seen = append(seen, a.String()); return nil })
	if strings.Join(seen, ",") != "127.0.0.1:11311,cache-c:11211" {
		t.Errorf("Each visited %v", seen)
	}
	stop := errors.New("stop")
	if err := sel.Each(func(net.Addr) error { return stop }); err != stop {
		t.Errorf("Each error %v", err)
	}
	sel.SetRing(r.WithLive(func(int) bool { return false }))
	if _, err := sel.PickServer("k"); !errors.Is(err, memcache.ErrNoServers) {
		t.Errorf("PickServer with none live = %v", err)
	}
}

// A memcached that restarted leaves every idle connection to it dead: each
// fails once with EOF when reused. That is one failure, not one per idle
// connection; the fresh connection that follows finds the server serving.
func TestClientRestartedServerIsNotEjected(t *testing.T) {
	fakes, servers := pool(t, 2)
	var ev events
	c, err := cache.NewClient(ev.config(cache.ClientConfig{
		Ring:         cache.RingConfig{Servers: servers},
		MaxIdleConns: 2,
		Timeout:      time.Second,
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	keys := keysOn(c.Ring(), 1, 4)
	if err := c.Set(&memcache.Item{Key: keys[0], Value: []byte("v")}); err != nil {
		t.Fatal(err)
	}
	// Two requests at once leave two idle connections to server 1.
	fakes[1].SetDelay(100 * time.Millisecond)
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() { defer wg.Done(); c.Get(keys[0]) }()
	}
	wg.Wait()
	fakes[1].SetDelay(0)
	if n := fakes[1].Stats().CurrentConn; n != 2 {
		t.Fatalf("%d connections open to server 1, want 2", n)
	}

	// Restart: both idle connections die.
	if err := fakes[1].SetDown(true); err != nil {
		t.Fatal(err)
	}
	if err := fakes[1].SetDown(false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "connections dropped", func() bool { return fakes[1].Stats().CurrentConn == 0 })
	var errs []error
	for _, k := range keys {
		_, err := c.Get(k)
		if err != nil && !errors.Is(err, memcache.ErrCacheMiss) {
			errs = append(errs, err)
		}
	}
	if len(errs) > 2 {
		t.Errorf("errors after the restart: %v", errs)
	}
	st := c.Stats()
	if n, _ := ev.counts(); n != 0 || !st.Servers[1].Live || st.Servers[1].Ejections != 0 {
		t.Fatalf("restarted server ejected: %+v (errors %v)", st.Servers[1], errs)
	}
	if it, err := c.Get(keys[0]); err != nil || string(it.Value) != "v" {
		t.Errorf("Get after the restart: %v, %v", it, err)
	}
}

// A server that accepts connections but closes them at once fails every
// fresh connection: it is still ejected.
func TestClientEjectsWhenFreshConnectionsFail(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	_, servers := pool(t, 1)
	bad, err := cache.ParseServer(ln.Addr().String() + ":1")
	if err != nil {
		t.Fatal(err)
	}
	servers = append(servers, bad)
	var ev events
	c, err := cache.NewClient(ev.config(cache.ClientConfig{Ring: cache.RingConfig{Servers: servers}, Timeout: time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	keys := keysOn(c.Ring(), 1, 3)
	for _, k := range keys[:2] {
		if _, err := c.Get(k); err == nil {
			t.Fatal("Get from a closing server succeeded")
		}
	}
	if n, _ := ev.counts(); n != 1 {
		t.Fatalf("ejections %d after two failed fresh connections: %+v", n, c.Stats().Servers[1])
	}
}
