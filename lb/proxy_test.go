package lb_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hakit/hakit"
	"github.com/hakit/hakit/lb"
	"github.com/hakit/hakit/lb/lbtest"
)

func httpBackends(t *testing.T, n int) []*lbtest.Backend {
	t.Helper()
	var bs []*lbtest.Backend
	for i := range n {
		b, err := lbtest.NewBackend(fmt.Sprintf("s%d", i+1), "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(b.Close)
		bs = append(bs, b)
	}
	return bs
}

// serve starts a frontend on an ephemeral port and returns its address.
func serve(t *testing.T, mode lb.Mode, bcfg lb.BackendConfig) (string, *lb.Backend) {
	t.Helper()
	return serveFrontend(t, lb.FrontendConfig{Name: "fe", Mode: mode}, bcfg)
}

// serveFrontend is serve with the frontend's configuration; its Backend is
// built from bcfg.
func serveFrontend(t *testing.T, fcfg lb.FrontendConfig, bcfg lb.BackendConfig) (string, *lb.Backend) {
	t.Helper()
	b, err := lb.NewBackend(bcfg)
	if err != nil {
		t.Fatal(err)
	}
	fcfg.Backend = b
	f, err := lb.NewFrontend(fcfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { b.Run(ctx) })
	wg.Go(func() { f.Serve(ctx, ln) })
	t.Cleanup(func() {
		cancel()
		f.Close()
		wg.Wait()
		ln.Close()
	})
	return ln.Addr().String(), b
}

func get(t *testing.T, c *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(body))
}

// In mode http every request on a kept-alive connection is balanced again,
// in HAProxy's roundrobin order.
func TestHTTPRoundRobinKeepAlive(t *testing.T) {
	bs := httpBackends(t, 3)
	cfg := lb.BackendConfig{Name: "be"}
	for i, b := range bs {
		cfg.Servers = append(cfg.Servers, lb.ServerConfig{Name: b.Name, Addr: b.Addr(), Weight: i + 1})
	}
	addr, _ := serve(t, lb.ModeHTTP, cfg)
	c := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}}
	defer c.CloseIdleConnections()
	var got []string
	for range 12 {
		_, body := get(t, c, "http://"+addr+"/")
		got = append(got, body)
	}
	if g, want := strings.Join(got, " "), "s3 s2 s3 s1 s3 s2 s3 s2 s3 s1 s3 s2"; g != want {
		t.Fatalf("got  %s\nwant %s", g, want)
	}
}

// TCP mode passes a client's half-close to the server and still brings the
// answer back.
func TestTCPHalfClose(t *testing.T) {
	tb, err := lbtest.NewTCPBackend("echo", "")
	if err != nil {
		t.Fatal(err)
	}
	defer tb.Close()
	addr, _ := serve(t, lb.ModeTCP, lb.BackendConfig{Servers: []lb.ServerConfig{{Name: "echo", Addr: tb.Addr()}}})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "hello")
	c.(*net.TCPConn).CloseWrite()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "echo\nhello" {
		t.Fatalf("got %q", got)
	}
}

// deadAddr returns a loopback address nothing listens on.
func deadAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := ln.Addr().String()
	ln.Close()
	return a
}

// Without redispatch every retry goes to the same (dead) server and the
// request fails with 503; with it the last retry goes to another server.
// HAProxy's "retries" and "option redispatch".
func TestRetryAndRedispatch(t *testing.T) {
	for _, redispatch := range []bool{false, true} {
		t.Run(fmt.Sprint("redispatch=", redispatch), func(t *testing.T) {
			live := httpBackends(t, 1)[0]
			dead := deadAddr(t)
			addr, b := serve(t, lb.ModeHTTP, lb.BackendConfig{
				Retries: 2, Redispatch: redispatch, ConnectTimeout: 50 * time.Millisecond,
				Servers: []lb.ServerConfig{{Name: "dead", Addr: dead}, {Name: "live", Addr: live.Addr()}},
			})
			code, body := get(t, http.DefaultClient, "http://"+addr+"/")
			want := 503
			if redispatch {
				want = 200
			}
			if code != want {
				t.Fatalf("status %d (%s), want %d", code, body, want)
			}
			st := b.Stats()
			dst := st.Servers[0]
			// As haproxy 2.6 counts them: econ once per request that
			// failed, wretr per retry on the same server, wredis on
			// the server a retry left.
			counts := [3]int64{1, 2, 0}
			if redispatch {
				counts = [3]int64{0, 0, 1}
			}
			if got := [3]int64{dst.ConnectErrors, dst.Retries, dst.Redispatches}; got != counts {
				t.Fatalf("dead server econ, wretr, wredis: %v, want %v", got, counts)
			}
		})
	}
}

// A request that waits in the queue longer than timeout queue gets 503.
func TestQueueTimeout(t *testing.T) {
	slow := httpBackends(t, 1)[0]
	slow.Set(lbtest.Slow, 2*time.Second)
	addr, b := serve(t, lb.ModeHTTP, lb.BackendConfig{
		QueueTimeout: 100 * time.Millisecond,
		Servers:      []lb.ServerConfig{{Name: "slow", Addr: slow.Addr(), MaxConn: 1}},
	})
	first := make(chan int)
	go func() {
		resp, err := http.Get("http://" + addr + "/")
		if err != nil {
			first <- 0
			return
		}
		resp.Body.Close()
		first <- resp.StatusCode
	}()
	// Wait until the first request holds the only slot.
	for b.Server("slow").Conns() == 0 {
		time.Sleep(time.Millisecond)
	}
	if code, _ := get(t, http.DefaultClient, "http://"+addr+"/"); code != 503 {
		t.Fatalf("queued request: status %d, want 503", code)
	}
	if code := <-first; code != 200 {
		t.Fatalf("first request: %d", code)
	}
	if q := b.Stats().QueueMax; q != 1 {
		t.Fatalf("qmax %d, want 1", q)
	}
}

// Active checks through hakit.Monitor take a failing server out and put it
// back after rise checks.
func TestActiveCheck(t *testing.T) {
	bs := httpBackends(t, 2)
	// Timeout well above what a check takes on a loaded machine: a slow
	// check must not mark the healthy server down.
	mon := hakit.MonitorConfig{Inter: 20 * time.Millisecond, Timeout: 5 * time.Second, Rise: 2, Fall: 2}
	changes := make(chan string, 10)
	cfg := lb.BackendConfig{OnServerChange: func(s string, up bool) { changes <- fmt.Sprint(s, up) }}
	for _, b := range bs {
		cfg.Servers = append(cfg.Servers, lb.ServerConfig{Name: b.Name, Addr: b.Addr(), Check: b.Checker(), Monitor: mon})
	}
	addr, _ := serve(t, lb.ModeHTTP, cfg)
	bs[0].Set(lbtest.Failing, 0)
	if c := <-changes; c != "s1false" {
		t.Fatalf("change %s", c)
	}
	for range 4 {
		if _, body := get(t, http.DefaultClient, "http://"+addr+"/"); body != "s2" {
			t.Fatalf("served by %s while s1 is down", body)
		}
	}
	bs[0].Set(lbtest.Healthy, 0)
	if c := <-changes; c != "s1true" {
		t.Fatalf("change %s", c)
	}
}

// Cookie persistence ("cookie SERVERID insert"): the first answer sets the
// cookie, and requests carrying it stay on that server, draining or not,
// until it is in maintenance.
func TestCookiePersistence(t *testing.T) {
	bs := httpBackends(t, 2)
	addr, b := serve(t, lb.ModeHTTP, lb.BackendConfig{Cookie: "SERVERID", Servers: []lb.ServerConfig{
		{Name: "s1", Addr: bs[0].Addr()}, {Name: "s2", Addr: bs[1].Addr(), Cookie: "two"},
	}})
	req := func(cookie string) (string, string) {
		r, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
		if cookie != "" {
			r.Header.Set("Cookie", "SERVERID="+cookie)
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return strings.TrimSpace(string(body)), resp.Header.Get("Set-Cookie")
	}
	if who, set := req(""); who != "s1" || set != "SERVERID=s1; path=/" {
		t.Fatalf("first request: %s, Set-Cookie %q", who, set)
	}
	for range 3 {
		if who, set := req("two"); who != "s2" || set != "" {
			t.Fatalf("with cookie two: %s, Set-Cookie %q", who, set)
		}
	}
	b.SetState("s2", lb.AdminDrain)
	if who, _ := req("two"); who != "s2" {
		t.Fatalf("draining s2 lost its session: %s", who)
	}
	b.SetState("s2", lb.AdminMaint)
	if who, set := req("two"); who != "s1" || set != "SERVERID=s1; path=/" {
		t.Fatalf("s2 in maintenance: %s, Set-Cookie %q", who, set)
	}
}

// timeout client: a TCP client silent for longer than ClientTimeout loses
// its connection; one that keeps talking does not.
func TestTCPIdleTimeout(t *testing.T) {
	tb, err := lbtest.NewTCPBackend("echo", "")
	if err != nil {
		t.Fatal(err)
	}
	defer tb.Close()
	b, err := lb.NewBackend(lb.BackendConfig{Servers: []lb.ServerConfig{{Name: "echo", Addr: tb.Addr()}}})
	if err != nil {
		t.Fatal(err)
	}
	f, err := lb.NewFrontend(lb.FrontendConfig{Backend: b, ClientTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.Serve(ctx, ln); close(done) }()
	defer func() { cancel(); f.Close(); <-done }()

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Talking every 50ms keeps it open past 4 timeouts.
	buf := make([]byte, 64)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(c, buf[:5]); err != nil {
		t.Fatal(err)
	}
	for range 16 {
		io.WriteString(c, "x")
		if _, err := io.ReadFull(c, buf[:1]); err != nil {
			t.Fatalf("an active connection was closed: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Silence: closed after 200ms (225ms at most, by the deadline's
	// step); 10s rules out a timeout that never fires.
	start := time.Now()
	c.SetReadDeadline(start.Add(10 * time.Second))
	_, err = c.Read(buf)
	if ne, ok := err.(net.Error); err == nil || ok && ne.Timeout() {
		t.Fatalf("the silent connection was not closed by lb: %v", err)
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Fatalf("closed after %v, want about 200ms", d)
	}
}
