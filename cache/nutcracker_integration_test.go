//go:build integration

package cache

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// startNutcracker runs nutcracker with the pool configuration yaml (which
// must listen on listen) and its stats on stats (host:port each, one of
// testenv's spare ports) until the test ends, and returns once it accepts
// connections. The returned function stops it (by its pid) and waits for
// it to exit; t.Cleanup calls it too.
func startNutcracker(t *testing.T, listen, stats string, yaml string) (stop func()) {
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
	statsHost, statsPort, err := net.SplitHostPort(stats)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-c", conf, "-s", statsPort, "-a", statsHost, "-o", logf, "-v", "4")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // dies with the test binary
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
	addr := listen
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
func nutcrackerPool(listen string, hash Hash, dist Distribution, servers []Server) string {
	var b strings.Builder
	fmt.Fprintf(&b, "hk:\n  listen: %s\n  hash: %s\n  distribution: %s\n  timeout: 2000\n  servers:\n", listen, hash, dist)
	for _, s := range servers {
		fmt.Fprintf(&b, "   - %s\n", s)
	}
	return b.String()
}
