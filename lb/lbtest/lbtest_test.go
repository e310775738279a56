package lbtest_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hakit/hakit/lb/lbtest"
)

func status(t *testing.T, url string) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	defer c.CloseIdleConnections()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(body))
}

// Each mode answers as documented: Healthy with the name, Failing with 503
// (checks included), Flapping every other answer and check with 503, Slow
// after its delay.
func TestBackendModes(t *testing.T) {
	b, err := lbtest.NewBackend("s1", "")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	check := b.Checker()
	ctx := context.Background()

	if code, body := status(t, b.URL()+"/"); code != 200 || body != "s1" {
		t.Fatalf("healthy: %d %q", code, body)
	}
	if err := check.Check(ctx); err != nil {
		t.Fatalf("healthy check: %v", err)
	}

	b.Set(lbtest.Failing, 0)
	if code, _ := status(t, b.URL()+"/"); code != 503 {
		t.Fatalf("failing: %d, want 503", code)
	}
	if err := check.Check(ctx); err == nil {
		t.Fatal("failing check passed")
	}

	b.Set(lbtest.Flapping, 0)
	var codes []int
	for range 4 {
		code, _ := status(t, b.URL()+"/")
		codes = append(codes, code)
	}
	if codes[0] == codes[1] || codes[0] != codes[2] || codes[1] != codes[3] || codes[0]+codes[1] != 200+503 {
		t.Fatalf("flapping answers %v, want 200 and 503 alternating", codes)
	}
	var fails int
	for range 4 {
		if check.Check(ctx) != nil {
			fails++
		}
	}
	if fails != 2 {
		t.Fatalf("flapping: %d of 4 checks failed, want 2", fails)
	}

	// 300ms is far above a loopback answer and far below the 5s client
	// limit.
	b.Set(lbtest.Slow, 300*time.Millisecond)
	start := time.Now()
	if code, _ := status(t, b.URL()+"/"); code != 200 || time.Since(start) < 300*time.Millisecond {
		t.Fatalf("slow: %d after %v, want 200 after 300ms", code, time.Since(start))
	}
	if n := b.Requests.Load(); n != 7 {
		t.Fatalf("Requests %d, want 7", n)
	}
}

// Stop refuses connections; Start serves again on the same address.
func TestBackendStopStart(t *testing.T) {
	b, err := lbtest.NewBackend("s1", "")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	addr := b.Addr()
	b.Stop()
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("a stopped backend accepted a connection")
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	if b.Addr() != addr {
		t.Fatalf("restarted on %s, want %s", b.Addr(), addr)
	}
	if code, body := status(t, b.URL()+"/"); code != 200 || body != "s1" {
		t.Fatalf("after Start: %d %q", code, body)
	}
}
