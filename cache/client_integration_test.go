//go:build integration

package cache

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/hakit/hakit/internal/testenv"
)

// startMemcached runs memcached on 127.0.0.1:port and returns a function
// that stops it by pid and waits for it to exit (t.Cleanup calls it too).
func startMemcached(t *testing.T, port int) (stop func()) {
	t.Helper()
	bin, err := exec.LookPath("memcached")
	if err != nil {
		t.Fatalf("memcached not installed: run scripts/services.sh up memcached (%v)", err)
	}
	args := []string{"-l", "127.0.0.1", "-p", strconv.Itoa(port), "-U", "0", "-m", "16"}
	if os.Geteuid() == 0 {
		args = append(args, "-u", "nobody")
	}
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	var stopped atomic.Bool
	stop = func() {
		if stopped.CompareAndSwap(false, true) {
			cmd.Process.Kill()
			<-exited
		}
	}
	t.Cleanup(stop)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for deadline := time.Now().Add(10 * time.Second); ; {
		select {
		case <-exited:
			t.Fatalf("memcached on %s exited at start", addr)
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return stop
		}
		if time.Now().After(deadline) {
			t.Fatalf("memcached did not listen on %s", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestClientEjectsRealMemcached stops a real memcached behind a Client,
// sees it ejected after two failures (nutcracker's server_failure_limit)
// while the other servers keep serving, restarts it, and sees it put back
// after RetryTimeout.
func TestClientEjectsRealMemcached(t *testing.T) {
	shared := testenv.Memcached(t)
	// A memcached of its own, on a spare port of this package's range
	// (nutcracker's 22124), to stop and restart without disturbing the
	// shared ones.
	own := testenv.Nutcracker(t).SpareListen[1]
	_, p, _ := net.SplitHostPort(own)
	ownPort, _ := strconv.Atoi(p)
	stop := startMemcached(t, ownPort)
	servers := []Server{{Addr: shared[0], Weight: 1}, {Addr: shared[1], Weight: 1}, {Addr: own, Weight: 1}}
	var ejected, returned atomic.Int32
	c, err := NewClient(ClientConfig{
		Ring:         RingConfig{Servers: servers, Hash: HashMD5},
		RetryTimeout: time.Second,
		Timeout:      time.Second,
		OnEject:      func(Ejection) { ejected.Add(1) },
		OnReturn:     func(int, Server) { returned.Add(1) },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	prefix := fmt.Sprintf("hakit-eject-%d-", time.Now().UnixNano())
	var onOwn, onShared []string
	for k := 0; len(onOwn) < 4 || len(onShared) < 4; k++ {
		key := prefix + strconv.Itoa(k)
		if c.Ring().IndexString(key) == 2 {
			onOwn = append(onOwn, key)
		} else {
			onShared = append(onShared, key)
		}
	}
	t.Cleanup(func() {
		for _, k := range append(onOwn, onShared...) {
			c.Delete(k)
		}
	})
	for _, k := range append(onOwn, onShared...) {
		if err := c.Set(&memcache.Item{Key: k, Value: []byte("v"), Expiration: 300}); err != nil {
			t.Fatal(err)
		}
	}

	stop()
	for _, k := range onOwn[:2] {
		if _, err := c.Get(k); !isFailure(err) {
			t.Fatalf("Get(%q) from a stopped memcached = %v, want a connection failure", k, err)
		}
	}
	if ejected.Load() != 1 || c.Stats().Servers[2].Live || c.Stats().Live != 2 {
		t.Fatalf("stopped memcached not ejected: %+v", c.Stats())
	}
	for _, k := range onOwn {
		if _, err := c.Get(k); !errors.Is(err, memcache.ErrCacheMiss) {
			t.Errorf("Get(%q) while ejected = %v, want a miss on a live server", k, err)
		}
	}
	for _, k := range onShared {
		if _, err := c.Get(k); err != nil {
			t.Errorf("Get(%q) on a live server = %v", k, err)
		}
	}

	startMemcached(t, ownPort)
	for deadline := time.Now().Add(10 * time.Second); returned.Load() == 0; {
		if time.Now().After(deadline) {
			t.Fatal("restarted memcached not put back within 10s")
		}
		c.Get(onShared[0])
		time.Sleep(50 * time.Millisecond)
	}
	if st := c.Stats(); st.Live != 3 || !st.Servers[2].Live || st.Servers[2].Returns != 1 {
		t.Fatalf("after return: %+v", st)
	}
	// Keys of the restarted (empty) server go to it again.
	if err := c.Set(&memcache.Item{Key: onOwn[0], Value: []byte("again")}); err != nil {
		t.Fatal(err)
	}
	direct := memcache.New(own)
	defer direct.Close()
	if it, err := direct.Get(onOwn[0]); err != nil || string(it.Value) != "again" {
		t.Fatalf("key not on the returned server: %v, %v", it, err)
	}
}
