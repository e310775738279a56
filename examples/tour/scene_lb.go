package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hakit/hakit"
	"github.com/hakit/hakit/lb"
	"github.com/hakit/hakit/lb/lbtest"
)

// sceneLB balances HTTP over three fake backends in HAProxy's weighted
// order, loses one to its health check, and falls back to a backup server.
func sceneLB(ctx context.Context, w io.Writer) error {
	tl := newTimeline(w)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var backs []*lbtest.Backend
	for _, name := range []string{"web1", "web2", "web3", "sorry"} {
		b, err := lbtest.NewBackend(name, "")
		if err != nil {
			return err
		}
		defer b.Close()
		backs = append(backs, b)
	}
	changes := make(chan string, 16)
	mon := hakit.MonitorConfig{Inter: 50 * time.Millisecond, Timeout: 5 * time.Second, Rise: 2, Fall: 2}
	cfg := lb.BackendConfig{Name: "app", OnServerChange: func(s string, up bool) {
		state := "DOWN"
		if up {
			state = "UP"
		}
		changes <- s + " is " + state
	}}
	for i, b := range backs {
		cfg.Servers = append(cfg.Servers, lb.ServerConfig{Name: b.Name, Addr: b.Addr(), Weight: i + 1, Check: b.Checker(), Monitor: mon, Backup: b.Name == "sorry"})
	}
	be, err := lb.NewBackend(cfg)
	if err != nil {
		return err
	}
	fe, err := lb.NewFrontend(lb.FrontendConfig{Name: "web", Mode: lb.ModeHTTP, Backend: be})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() { be.Run(ctx) })
	wg.Go(func() { fe.Serve(ctx, ln) })
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	get := func(n int) (string, error) {
		var got []string
		for range n {
			resp, err := client.Get("http://" + ln.Addr().String() + "/")
			if err != nil {
				return "", err
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			got = append(got, strings.TrimSpace(string(body)))
		}
		return strings.Join(got, " "), nil
	}
	// wait prints health changes until every one of wants has come.
	wait := func(wants ...string) error {
		for len(wants) > 0 {
			select {
			case c := <-changes:
				tl.printf("health check: %s", c)
				for i, w := range wants {
					if c == w {
						wants = append(wants[:i], wants[i+1:]...)
						break
					}
				}
			case <-ctx.Done():
				return fmt.Errorf("waiting for %q: %w", wants, ctx.Err())
			}
		}
		return nil
	}

	tl.printf("backend app: web1, web2, web3 with weights 1, 2, 3 and a backup, sorry; checks every 50ms, fall 2")
	order, err := get(6)
	if err != nil {
		return err
	}
	tl.printf("6 requests on one kept-alive connection: %s (HAProxy's roundrobin order)", order)

	tl.printf("web3 starts failing its checks")
	backs[2].Set(lbtest.Failing, 0)
	if err := wait("web3 is DOWN"); err != nil {
		return err
	}
	if order, err = get(6); err != nil {
		return err
	}
	tl.printf("6 requests: %s", order)

	tl.printf("web1 and web2 fail too")
	backs[0].Set(lbtest.Failing, 0)
	backs[1].Set(lbtest.Failing, 0)
	if err := wait("web1 is DOWN", "web2 is DOWN"); err != nil {
		return err
	}
	if order, err = get(2); err != nil {
		return err
	}
	tl.printf("2 requests: %s (only the backup is left)", order)

	backs[2].Set(lbtest.Healthy, 0)
	if err := wait("web3 is UP"); err != nil {
		return err
	}
	if order, err = get(2); err != nil {
		return err
	}
	tl.printf("2 requests: %s (an active server is back, the backup rests)", order)
	return nil
}
