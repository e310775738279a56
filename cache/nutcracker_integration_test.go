//go:build integration

package cache

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Ports this package's tests may give their own nutcracker instances
// (DESIGN.md: nutcracker 22121-22124, stats 22131-22134; 22121-22122 are
// the shared instances of scripts/services.sh).
const (
	ownNutcrackerPort      = 22123
	ownNutcrackerStatsPort = 22133
)

// startNutcracker runs nutcracker with the pool configuration yaml (which
// must listen on port) until the test ends, and returns once it accepts
// connections. The returned function stops it (by its pid) and waits for
// it to exit; t.Cleanup calls it too.
func startNutcracker(t *testing.T, port, statsPort int, yaml string) (stop func()) {
	t.Helper()
	bin, err := exec.LookPath("nutcracker")
	if err != nil {
		t.Fatalf("nutcracker not installed: run scripts/services.sh up nutcracker (%v)", err)
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "nutcracker.yml")
	if err := os.WriteFile(conf, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	logf := filepath.Join(dir, "nutcracker.log")
	cmd := exec.Command(bin, "-c", conf, "-s", strconv.Itoa(statsPort), "-a", "127.0.0.1", "-o", logf, "-v", "4")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cmd.Process.Kill()
			<-exited
		})
	}
	t.Cleanup(stop)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case err := <-exited:
			once.Do(func() {})
			log, _ := os.ReadFile(logf)
			t.Fatalf("nutcracker exited: %v\n%s%s\nconfig:\n%s", err, out.String(), log, yaml)
		default:
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return stop
		}
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("nutcracker did not listen on %s within 10s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// nutcrackerPool returns a nutcracker configuration of one memcached pool.
func nutcrackerPool(port int, hash Hash, dist Distribution, servers []Server) string {
	var b strings.Builder
	fmt.Fprintf(&b, "hk:\n  listen: 127.0.0.1:%d\n  hash: %s\n  distribution: %s\n  timeout: 2000\n  servers:\n", port, hash, dist)
	for _, s := range servers {
		fmt.Fprintf(&b, "   - %s\n", s)
	}
	return b.String()
}
