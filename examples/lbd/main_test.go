package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hakit/hakit/lb/lbtest"
)

// buildLBD compiles lbd once per test.
func buildLBD(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "lbd")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type lbdProc struct {
	cmd  *exec.Cmd
	logs *syncLog
	done chan error
}

// syncLog is lbd's stderr, written by one goroutine and read by the test.
type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *syncLog) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(s)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func startLBD(t *testing.T, bin, cfgPath string) *lbdProc {
	t.Helper()
	cmd := exec.Command(bin, "-f", cfgPath)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	p := &lbdProc{cmd: cmd, logs: &syncLog{}, done: make(chan error, 1)}
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	go func() { p.done <- cmd.Wait(); pw.Close() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
	})
	go func() {
		for l := range lines {
			p.logs.add(l + "\n")
		}
	}()
	return p
}

func waitListening(t *testing.T, addr string) {
	t.Helper()
	// The contract: listening within a second or two. Five allows for a
	// loaded machine and still fails a daemon that never listens.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

const cfgTemplate = `defaults
    mode http
    timeout connect 1s
    timeout client 10s
    timeout server 10s
listen stats
    bind %s
    stats enable
    stats uri /stats
frontend fe
    bind %s
    default_backend be
backend be
    balance roundrobin
    server s1 %s
%s`

// The lbd contract: serves the file, stats HTML and CSV, SIGHUP reloads
// without dropping an established connection, a broken file keeps the
// running configuration and logs its line, SIGTERM drains and exits 0.
func TestLBDContract(t *testing.T) {
	bin := buildLBD(t)
	b1, err := lbtest.NewBackend("one", "")
	if err != nil {
		t.Fatal(err)
	}
	defer b1.Close()
	b2, err := lbtest.NewBackend("two", "")
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	statsAddr, feAddr := freePort(t), freePort(t)
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	write := func(server, extra string) {
		if err := os.WriteFile(path, []byte(fmt.Sprintf(cfgTemplate, statsAddr, feAddr, server, extra)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(b1.Addr(), "")
	p := startLBD(t, bin, path)
	waitListening(t, feAddr)
	waitListening(t, statsAddr)
	if code, body := httpGet(t, "http://"+feAddr+"/"); code != 200 || body != "one\n" {
		t.Fatalf("proxied: %d %q", code, body)
	}
	if code, body := httpGet(t, "http://"+statsAddr+"/stats"); code != 200 || !strings.Contains(body, "<html>") {
		t.Fatalf("stats page: %d", code)
	}
	code, csv := httpGet(t, "http://"+statsAddr+"/stats;csv")
	if code != 200 || !strings.HasPrefix(csv, "# pxname,svname,qcur,") || !strings.Contains(csv, "\nbe,s1,") {
		t.Fatalf("stats csv: %d\n%s", code, csv)
	}

	// A request in flight on an established connection survives a reload.
	b1.Set(lbtest.Slow, 1500*time.Millisecond)
	inflight := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + feAddr + "/")
		if err != nil {
			inflight <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		inflight <- fmt.Sprint(resp.StatusCode, " ", string(b))
	}()
	for b1.Requests.Load() < 2 {
		time.Sleep(5 * time.Millisecond)
	}
	write(b2.Addr(), "")
	p.cmd.Process.Signal(syscall.SIGHUP)
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, body := httpGet(t, "http://"+feAddr+"/")
		if body == "two\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("reload not applied; lbd log:\n%s", p.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := <-inflight; got != "200 one\n" {
		t.Fatalf("request in flight during the reload: %q", got)
	}

	// A broken file keeps the running configuration.
	write(b1.Addr(), "    frobnicate on\n")
	p.cmd.Process.Signal(syscall.SIGHUP)
	deadline = time.Now().Add(10 * time.Second)
	for !strings.Contains(p.logs.String(), "line 16") {
		if time.Now().After(deadline) {
			t.Fatalf("no error naming line 16; lbd log:\n%s", p.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, body := httpGet(t, "http://"+feAddr+"/"); body != "two\n" {
		t.Fatalf("after a broken reload: %q", body)
	}

	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("lbd exit: %v\n%s", err, p.logs.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("lbd did not exit after SIGTERM")
	}
}

// An unsupported keyword at startup is an error naming its line.
func TestLBDUnsupported(t *testing.T) {
	bin := buildLBD(t)
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	os.WriteFile(path, []byte("global\n    daemon\n"), 0o644)
	out, err := exec.Command(bin, "-f", path).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "line 2") || !strings.Contains(string(out), "daemon") {
		t.Fatalf("err %v, output %s", err, out)
	}
}
