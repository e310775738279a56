//go:build integration

package hakit_test

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
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

	"github.com/hakit/hakit"
	"github.com/hakit/hakit/internal/testenv"
)

// scriptedBackend answers haproxy's health checks (GET /check) from a
// script, "+" for 200 and "-" for 503, and everything else with the status
// in errStatus. Each answered check is announced on checks.
type scriptedBackend struct {
	mu        sync.Mutex
	script    string
	errStatus int
	checks    chan bool
}

func (b *scriptedBackend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/check" {
		b.mu.Lock()
		code := b.errStatus
		b.mu.Unlock()
		w.WriteHeader(code)
		return
	}
	b.mu.Lock()
	pass := true
	if b.script != "" {
		pass, b.script = b.script[0] == '+', b.script[1:]
	}
	b.mu.Unlock()
	if pass {
		w.WriteHeader(http.StatusOK)
	} else {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	select {
	case b.checks <- pass:
	default:
	}
}

// haproxy runs the real haproxy with cfg (whose "%s" is replaced by the
// stats socket path) and returns a function reading a server's status as
// its stats page shows it.
func startHAProxy(t *testing.T, cfg string) func(proxy, server string) string {
	t.Helper()
	bin := testenv.Command(t, "haproxy")
	dir := t.TempDir()
	sock := filepath.Join(dir, "stats.sock")
	path := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(path, []byte(fmt.Sprintf(cfg, sock)), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-db", "-f", path)
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		if t.Failed() {
			t.Logf("haproxy output:\n%s", logs.String())
		}
	})
	status := func(proxy, server string) string {
		t.Helper()
		c, err := net.Dial("unix", sock)
		if err != nil {
			t.Fatalf("haproxy stats socket: %v", err)
		}
		defer c.Close()
		fmt.Fprintf(c, "show stat\n")
		data, err := io.ReadAll(bufio.NewReader(c))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(data), "# "))).ReadAll()
		if err != nil {
			t.Fatalf("show stat: %v\n%s", err, data)
		}
		col := -1
		for i, name := range rows[0] {
			if name == "status" {
				col = i
			}
		}
		for _, row := range rows[1:] {
			if len(row) > col && row[0] == proxy && row[1] == server {
				return row[col]
			}
		}
		t.Fatalf("show stat has no %s/%s:\n%s", proxy, server, data)
		return ""
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return status
		}
		if time.Now().After(deadline) {
			t.Fatalf("haproxy did not open its stats socket within 10s:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func serveBackend(t *testing.T, addr string, b *scriptedBackend) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: b}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
}

// The same check outcomes move our Monitor and the real haproxy through the
// same statuses, as haproxy's stats page shows them.
func TestMonitorMatchesHAProxyChecks(t *testing.T) {
	const script = "+--+---+-++--+-+++"
	servers := []struct {
		name       string
		rise, fall int
	}{{"s1", 2, 3}, {"s2", 3, 2}, {"s3", 1, 1}}
	cfg := `global
	stats socket %s mode 600 level admin
defaults
	mode http
	timeout connect 1s
	timeout client 5s
	timeout server 5s
	timeout check 1s
backend app
	option httpchk GET /check
`
	backends := make([]*scriptedBackend, len(servers))
	for i, s := range servers {
		addr := fmt.Sprintf("127.0.0.1:%d", 18101+i)
		backends[i] = &scriptedBackend{script: script, checks: make(chan bool, len(script)+8)}
		serveBackend(t, addr, backends[i])
		cfg += fmt.Sprintf("\tserver %s %s check inter 1200 rise %d fall %d\n", s.name, addr, s.rise, s.fall)
	}
	status := startHAProxy(t, cfg)

	var wg sync.WaitGroup
	for i, s := range servers {
		wg.Go(func() {
			outcomes := make(chan error, len(script))
			m, err := hakit.NewMonitor(hakit.MonitorConfig{
				Checker: hakit.CheckerFunc(func(context.Context) error { return <-outcomes }),
				Rise:    s.rise, Fall: s.fall,
			})
			if err != nil {
				t.Error(err)
				return
			}
			var theirs, ours []string
			for range len(script) {
				var pass bool
				select {
				case pass = <-backends[i].checks:
				case <-time.After(5 * time.Second):
					t.Errorf("%s: haproxy made no check within 5s", s.name)
					return
				}
				// haproxy applies the result; the next check is 1.2s away:
				// half of that rules out both "not applied yet" and "the
				// next one applied too".
				time.Sleep(600 * time.Millisecond)
				theirs = append(theirs, status("app", s.name))
				if pass {
					outcomes <- nil
				} else {
					outcomes <- errors.New("503")
				}
				runOne(t, m)
				ours = append(ours, m.Status().String())
			}
			if strings.Join(theirs, ",") != strings.Join(ours, ",") {
				t.Errorf("%s (rise %d fall %d), checks %s:\nhaproxy %s\nhakit   %s", s.name, s.rise, s.fall, script, strings.Join(theirs, ","), strings.Join(ours, ","))
			}
		})
	}
	wg.Wait()
}

// runOne lets a Monitor's Run make exactly one check.
func runOne(t *testing.T, m *hakit.Monitor) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	before := m.Stats().Checks
	go func() { m.Run(ctx); close(done) }()
	for m.Stats().Checks == before {
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
}

// Errors seen in live traffic ("observe layer7") trigger each on-error mode
// in our Monitor as in the real haproxy.
func TestMonitorMatchesHAProxyObserve(t *testing.T) {
	modes := []struct {
		keyword string
		mode    hakit.OnError
	}{{"fastinter", hakit.OnErrorFastInter}, {"fail-check", hakit.OnErrorFailCheck}, {"sudden-death", hakit.OnErrorSuddenDeath}, {"mark-down", hakit.OnErrorMarkDown}}
	cfg := `global
	stats socket %s mode 600 level admin
defaults
	mode http
	timeout connect 1s
	timeout client 5s
	timeout server 5s
	timeout check 1s
`
	backends := make([]*scriptedBackend, len(modes))
	for i, md := range modes {
		addr := fmt.Sprintf("127.0.0.1:%d", 18105+i)
		backends[i] = &scriptedBackend{errStatus: http.StatusInternalServerError, checks: make(chan bool, 64)}
		serveBackend(t, addr, backends[i])
		cfg += fmt.Sprintf("listen p%d\n\tbind 127.0.0.1:%d\n\toption httpchk GET /check\n\tserver s %s check inter 1500 rise 2 fall 3 observe layer7 error-limit 3 on-error %s\n",
			i, 18081+i, addr, md.keyword)
	}
	status := startHAProxy(t, cfg)

	var wg sync.WaitGroup
	for i, md := range modes {
		wg.Go(func() {
			m, err := hakit.NewMonitor(hakit.MonitorConfig{
				Checker:    hakit.CheckerFunc(func(context.Context) error { return nil }),
				ErrorLimit: 3, OnError: md.mode,
			})
			if err != nil {
				t.Error(err)
				return
			}
			// One passed check makes the server fully up.
			select {
			case <-backends[i].checks:
			case <-time.After(5 * time.Second):
				t.Errorf("%s: no check within 5s", md.keyword)
				return
			}
			runOne(t, m)
			time.Sleep(500 * time.Millisecond) // applied; the next check is 1.5s away
			var theirs, ours []string
			theirs = append(theirs, status(fmt.Sprintf("p%d", i), "s"))
			ours = append(ours, m.Status().String())
			// Three 500s through the proxy reach the error limit.
			for range 3 {
				resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", 18081+i))
				if err != nil {
					t.Errorf("%s: request through haproxy: %v", md.keyword, err)
					return
				}
				resp.Body.Close()
				m.Report(fmt.Errorf("HTTP %d", resp.StatusCode))
			}
			time.Sleep(500 * time.Millisecond) // applied; the next check is 1.5s away
			theirs = append(theirs, status(fmt.Sprintf("p%d", i), "s"))
			ours = append(ours, m.Status().String())
			if strings.Join(theirs, ",") != strings.Join(ours, ",") {
				t.Errorf("on-error %s after 3 errors:\nhaproxy %s\nhakit   %s", md.keyword, strings.Join(theirs, ","), strings.Join(ours, ","))
			}
		})
	}
	wg.Wait()
}
