package lb_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/hakit/hakit/lb"
)

// A frontend's maxconn holds in both modes: while one kept-alive client
// holds the only slot, a second connection waits in the accept queue and is
// served once the first closes, as with haproxy's frontend maxconn.
func TestFrontendMaxConn(t *testing.T) {
	for _, mode := range []lb.Mode{lb.ModeHTTP, lb.ModeTCP} {
		t.Run(mode.String(), func(t *testing.T) { testFrontendMaxConn(t, mode) })
	}
}

func testFrontendMaxConn(t *testing.T, mode lb.Mode) {
	bs := httpBackends(t, 1)
	addr, _ := serveFrontend(t, lb.FrontendConfig{Name: "fe", Mode: mode, MaxConn: 1},
		lb.BackendConfig{Servers: []lb.ServerConfig{{Name: "s1", Addr: bs[0].Addr()}}})

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
