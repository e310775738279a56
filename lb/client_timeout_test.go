package lb_test

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hakit/hakit/lb"
)

// "timeout client" also bounds a client that stops reading its answer, as
// in HAProxy: the proxy gives up the write, and with it the server's
// connection slot. Without it the slot stays taken for as long as the
// client stays stuck: here past the 5s bound, where a 300ms timeout frees
// it well inside.
func TestHTTPClientTimeoutStuckReader(t *testing.T) {
	chunk := make([]byte, 1<<20)
	big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// 256MB is far more than the loopback socket buffers hold.
		for range 256 {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer big.Close()
	addr, b := serveFrontend(t, lb.FrontendConfig{Name: "fe", Mode: lb.ModeHTTP, ClientTimeout: 300 * time.Millisecond},
		lb.BackendConfig{Servers: []lb.ServerConfig{{Name: "big", Addr: big.Listener.Addr().String()}}})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	s := b.Server("big")
	deadline := time.Now().Add(5 * time.Second)
	for s.Conns() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if s.Conns() == 0 {
		t.Fatal("the request never reached the server")
	}
	// The client reads nothing from here on.
	for s.Conns() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("server slot still taken after 5s by a client that stopped reading")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
