package lb_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/hakit/hakit/lb"
)

// A frontend's maxconn holds in HTTP mode too: while one kept-alive client
// holds the only slot, a second connection waits in the accept queue and is
// served once the first closes, as with haproxy's frontend maxconn.
func TestHTTPFrontendMaxConn(t *testing.T) {
	bs := httpBackends(t, 1)
	b, err := lb.NewBackend(lb.BackendConfig{Servers: []lb.ServerConfig{{Name: "s1", Addr: bs[0].Addr()}}})
	if err != nil {
		t.Fatal(err)
	}
	f, err := lb.NewFrontend(lb.FrontendConfig{Name: "fe", Mode: lb.ModeHTTP, Backend: b, MaxConn: 1})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { f.Serve(ctx, ln) })
	defer func() { cancel(); f.Close(); wg.Wait() }()
	addr := ln.Addr().String()

	first, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	io.WriteString(first, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(first), nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	second := make(chan int, 1)
	go func() {
		c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := c.Get("http://" + addr + "/")
		if err != nil {
			second <- 0
			return
		}
		resp.Body.Close()
		second <- resp.StatusCode
	}()
	// Served over the limit, the second request answers within
	// milliseconds; 500ms leaves it ample time to show that.
	select {
	case code := <-second:
		t.Fatalf("second connection served (%d) while the first held the only slot", code)
	case <-time.After(500 * time.Millisecond):
	}
	first.Close()
	if code := <-second; code != 200 {
		t.Fatalf("second request after the first closed: %d, want 200", code)
	}
}
