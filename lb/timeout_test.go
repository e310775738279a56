package lb_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/hakit/hakit/lb"
)

// hungBackend answers every request with head (nothing if empty) and then
// stays silent, holding the connection until the test ends.
func hungBackend(t *testing.T, head string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	t.Cleanup(func() { close(done); ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
					return
				}
				io.WriteString(c, head)
				<-done
			})
		}
	})
	return ln.Addr().String()
}

// "timeout server" bounds the server's silence at any point of the answer,
// as in HAProxy: before the headers the client gets 504, in the middle of
// the body the connection is cut. Without it the client waits as long as the
// server stays silent, here past the client's 5s limit; with a 200ms
// timeout the answer ends well inside it.
func TestHTTPServerTimeout(t *testing.T) {
	for _, tc := range []struct {
		name, head string
	}{
		{"before headers", ""},
		{"mid body", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr, _ := serve(t, lb.ModeHTTP, lb.BackendConfig{
				ServerTimeout: 200 * time.Millisecond,
				Servers:       []lb.ServerConfig{{Name: "hung", Addr: hungBackend(t, tc.head)}},
			})
			c := &http.Client{Timeout: 5 * time.Second}
			defer c.CloseIdleConnections()
			start := time.Now()
			resp, err := c.Get("http://" + addr + "/")
			if err == nil {
				_, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			took := time.Since(start)
			if tc.head == "" {
				if err != nil || resp.StatusCode != http.StatusGatewayTimeout {
					t.Fatalf("after %v: %v, want 504", took, err)
				}
			} else if err == nil {
				// The cut may come before or after the headers reach
				// the client; either way the answer must not be whole.
				t.Fatalf("body read whole from a server that sent 7 of 100 bytes")
			}
			if took > 4*time.Second {
				t.Fatalf("answer ended after %v: timeout server not honoured", took)
			}
			t.Logf("ended after %v: %v", took, err)
		})
	}
}
