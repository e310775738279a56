package lb_test

import (
	"context"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/hakit/hakit/lb"
	"github.com/hakit/hakit/lb/lbtest"
)

// A reload hands the listener to the next configuration while the old one
// drains: a request that arrives during the drain is served at once by the
// new frontend, not left in the accept queue until the old frontend's last
// request ends (HAProxy's seamless reload).
func TestHTTPReloadAcceptsDuringDrain(t *testing.T) {
	bs := httpBackends(t, 2)
	slow, fast := bs[0], bs[1]
	// The old generation's request takes 4s; the bound on the new request
	// below is 2s, so a listener blocked for the drain fails it.
	slow.Set(lbtest.Slow, 4*time.Second)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := "http://" + ln.Addr().String() + "/"
	gen := func(backendAddr string) (*lb.Frontend, context.CancelFunc, *sync.WaitGroup) {
		b, err := lb.NewBackend(lb.BackendConfig{Servers: []lb.ServerConfig{{Name: "s", Addr: backendAddr}}})
		if err != nil {
			t.Fatal(err)
		}
		f, err := lb.NewFrontend(lb.FrontendConfig{Name: "fe", Mode: lb.ModeHTTP, Backend: b})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Go(func() { f.Serve(ctx, ln) })
		return f, cancel, &wg
	}
	oldF, oldCancel, oldWG := gen(slow.Addr())
	defer func() { oldCancel(); oldF.Close(); oldWG.Wait() }()

	inflight := make(chan int, 1)
	go func() {
		c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := c.Get(addr)
		if err != nil {
			inflight <- 0
			return
		}
		resp.Body.Close()
		inflight <- resp.StatusCode
	}()
	deadline := time.Now().Add(10 * time.Second)
	for slow.Requests.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the slow request never reached its backend")
		}
		time.Sleep(5 * time.Millisecond)
	}

	newF, newCancel, newWG := gen(fast.Addr())
	defer func() { newCancel(); newF.Close(); newWG.Wait() }()
	oldCancel()
	// Let the old frontend start its drain.
	time.Sleep(100 * time.Millisecond)

	c := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	start := time.Now()
	code, body := get(t, c, addr)
	if code != 200 || body != fast.Name {
		t.Fatalf("request during the drain: %d %q, want 200 %q", code, body, fast.Name)
	}
	t.Logf("served during the drain in %v", time.Since(start))
	if code := <-inflight; code != 200 {
		t.Fatalf("the draining request: status %d, want 200", code)
	}
}
