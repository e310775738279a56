//go:build integration

package lb_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/hakit/hakit/internal/testenv"
)

var requestsPerSec = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)

// wrk runs wrk against addr for two seconds on 16 kept-alive connections
// and returns the requests per second.
func wrk(b *testing.B, addr string) float64 {
	b.Helper()
	out, err := exec.Command(testenv.Command(b, "wrk"), "-t2", "-c16", "-d2s", "http://"+addr+"/").CombinedOutput()
	if err != nil {
		b.Fatalf("wrk: %v\n%s", err, out)
	}
	m := requestsPerSec.FindSubmatch(out)
	if m == nil {
		b.Fatalf("wrk printed no Requests/sec:\n%s", out)
	}
	rps, _ := strconv.ParseFloat(string(m[1]), 64)
	return rps
}

// benchPeers measures haproxy and lb on the same configuration and the same
// backends, alternating two rounds each so that a change in the machine's
// load hits both, and reports both rates and their ratio.
func benchPeers(b *testing.B, mode string, goal float64) {
	bs := backends(b, 2)
	cfg := fmt.Sprintf("defaults\n    mode %s\n    timeout connect 1s\n    timeout client 10s\n    timeout server 10s\n", mode)
	cfg += "frontend fe\n    bind FE\n    default_backend be\nbackend be\n    balance roundrobin\n"
	for _, s := range bs {
		cfg += fmt.Sprintf("    server %s %s\n", s.Name, s.Addr())
	}
	// Both balancers run as their own process, lb as lbd: in this process
	// lb would share its CPU with the backends, which haproxy does not.
	hap := peer{name: "haproxy", fe: freeAddr(b), stats: freeAddr(b)}
	ours := peer{name: "lbd", fe: freeAddr(b), stats: freeAddr(b)}
	startHAProxy(b, strings.ReplaceAll(cfg, "FE", hap.fe))
	startLBD(b, strings.ReplaceAll(cfg, "FE", ours.fe))
	waitDial(b, hap.fe)
	waitDial(b, ours.fe)
	for b.Loop() {
		var theirs, mine float64
		for range 2 {
			theirs += wrk(b, hap.fe) / 2
			mine += wrk(b, ours.fe) / 2
		}
		ratio := mine / theirs
		b.ReportMetric(theirs, "haproxy-req/s")
		b.ReportMetric(mine, "lb-req/s")
		b.ReportMetric(ratio, "lb/haproxy")
		if ratio < goal {
			b.Logf("lb/haproxy %.2f is below the goal of %.2f (haproxy %.0f req/s, lb %.0f req/s)", ratio, goal, theirs, mine)
		}
	}
}

// HTTP keep-alive: every request balanced again. Goal: 0.6 of haproxy.
func BenchmarkHAProxyHTTP(b *testing.B) { benchPeers(b, "http", 0.6) }

// TCP mode (HTTP over it, one server connection per client connection).
// Goal: 0.9 of haproxy.
func BenchmarkHAProxyTCP(b *testing.B) { benchPeers(b, "tcp", 0.9) }

// startLBD builds examples/lbd and runs it on cfg.
func startLBD(b *testing.B, cfg string) {
	b.Helper()
	dir := b.TempDir()
	bin := filepath.Join(dir, "lbd")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/hakit/hakit/examples/lbd").CombinedOutput(); err != nil {
		b.Fatalf("go build lbd: %v\n%s", err, out)
	}
	path := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin, "-f", path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
}
