package lb_test

import (
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/hakit/hakit/lb"
)

// A frontend that stops leaves no goroutine behind: no server connection
// in the transport's pool, no client connection, no health check.
func TestNoGoroutinesAfterStop(t *testing.T) {
	for _, mode := range []lb.Mode{lb.ModeHTTP, lb.ModeTCP} {
		t.Run(mode.String(), func(t *testing.T) {
			bs := httpBackends(t, 2)
			before := runtime.NumGoroutine()
			stopped := make(chan struct{})
			t.Run("serve", func(t *testing.T) {
				defer close(stopped)
				addr, _ := serve(t, mode, lb.BackendConfig{Servers: []lb.ServerConfig{
					{Name: "s1", Addr: bs[0].Addr()}, {Name: "s2", Addr: bs[1].Addr()},
				}})
				c := &http.Client{Transport: &http.Transport{}}
				for range 20 {
					if code, _ := get(t, c, "http://"+addr+"/"); code != 200 {
						t.Fatalf("status %d", code)
					}
				}
				c.CloseIdleConnections()
			})
			<-stopped
			// The backends' own goroutines for the closed connections
			// end shortly after; 5s is ample on a loaded machine, and a
			// leak never ends.
			deadline := time.Now().Add(5 * time.Second)
			for runtime.NumGoroutine() > before {
				if time.Now().After(deadline) {
					buf := make([]byte, 1<<16)
					t.Fatalf("%d goroutines after stop, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}
