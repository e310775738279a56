//go:build integration && linux

package hakit_test

import (
	"bufio"
	"bytes"
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
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hakit/hakit"
	"github.com/hakit/hakit/internal/testenv"
)

// scriptedBackend answers haproxy's health checks (GET /check) from a
// script, "+" for 200 and "-" for 503 (200 once the script is used up), and
// everything else with the status in errStatus. It holds each check's
// answer until the test releases it, so that a test reads haproxy's status
// between two checks without guessing how long haproxy takes: when check
// n+1 has arrived, haproxy has applied the result of check n, and the
// result of n+1 is not in yet.
type scriptedBackend struct {
	mu        sync.Mutex
	script    string
	errStatus int
	checks    chan heldCheck
}

// heldCheck is one check haproxy is waiting on; closing release answers it.
type heldCheck struct {
	pass    bool
	release chan struct{}
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
	if !holdCheck(b.checks, r, pass) {
		return
	}
	if pass {
		w.WriteHeader(http.StatusOK)
	} else {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
}

// holdCheck announces a check on checks and waits until the test releases
// it. It returns false if the request ended first.
func holdCheck(checks chan heldCheck, r *http.Request, pass bool) bool {
	c := heldCheck{pass: pass, release: make(chan struct{})}
	select {
	case checks <- c:
	case <-r.Context().Done():
		return false
	}
	select {
	case <-c.release:
		return true
	case <-r.Context().Done():
		return false
	}
}

// next waits for haproxy's next check, held. The bound only turns a
// haproxy that stopped checking into a failure; checks come every 1.5s at
// most.
func (b *scriptedBackend) next() (heldCheck, error) {
	select {
	case c := <-b.checks:
		return c, nil
	case <-time.After(30 * time.Second):
		return heldCheck{}, errors.New("haproxy made no check within 30s")
	}
}

// startHAProxy runs the real haproxy with cfg (whose "%s" is replaced by
// the stats socket path), one thread so that a state change is applied
// before the stats socket is served again. haproxy dies with the test
// binary (Pdeathsig) and is stopped by its pid at cleanup.
func startHAProxy(t *testing.T, cfg string) *haproxyProc {
	t.Helper()
	bin := testenv.Command(t, "haproxy")
	dir := t.TempDir()
	h := &haproxyProc{sock: filepath.Join(dir, "stats.sock")}
	path := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(path, []byte(fmt.Sprintf(cfg, h.sock)), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-db", "-f", path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var logs syncBuffer
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
	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, err := net.Dial("unix", h.sock); err == nil {
			c.Close()
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("haproxy did not open its stats socket within 10s:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// haproxyProc talks to a running haproxy's admin socket. Its methods
// return errors, so any goroutine may call them.
type haproxyProc struct{ sock string }

func (h *haproxyProc) send(cmd string) ([]byte, error) {
	c, err := net.Dial("unix", h.sock)
	if err != nil {
		return nil, fmt.Errorf("haproxy stats socket: %w", err)
	}
	defer c.Close()
	fmt.Fprintf(c, "%s\n", cmd)
	return io.ReadAll(bufio.NewReader(c))
}

// command runs an admin command that answers nothing on success.
func (h *haproxyProc) command(cmd string) error {
	out, err := h.send(cmd)
	if err == nil && len(bytes.TrimSpace(out)) > 0 {
		err = fmt.Errorf("haproxy %q: %s", cmd, bytes.TrimSpace(out))
	}
	return err
}

// status returns a server's status as haproxy's stats page shows it.
func (h *haproxyProc) status(proxy, server string) (string, error) {
	return h.field(proxy, server, "status")
}

// field returns one column of a server's "show stat" row.
func (h *haproxyProc) field(proxy, server, column string) (string, error) {
	data, err := h.send("show stat")
	if err != nil {
		return "", err
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(data), "# "))).ReadAll()
	if err != nil {
		return "", fmt.Errorf("show stat: %w\n%s", err, data)
	}
	col := slices.Index(rows[0], column)
	if col < 0 {
		return "", fmt.Errorf("show stat has no column %q", column)
	}
	for _, row := range rows[1:] {
		if len(row) > col && row[0] == proxy && row[1] == server {
			return row[col], nil
		}
	}
	return "", fmt.Errorf("show stat has no %s/%s:\n%s", proxy, server, data)
}

// haproxyHeader is the start of every test's haproxy configuration: the
// admin socket ("%s" for startHAProxy), one thread, and the check timeout.
// Tests that hold checks give a long one, so that a loaded machine never
// times out a check the test holds.
func haproxyHeader(checkTimeout string) string {
	return `global
	stats socket %s mode 600 level admin
	nbthread 1
defaults
	mode http
	timeout connect 1s
	timeout client 5s
	timeout server 5s
	timeout check ` + checkTimeout + "\n"
}

// syncBuffer is a strings.Builder that exec's copying goroutines and the
// test may use at once.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
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
	cfg := haproxyHeader("20s") + `backend app
	option httpchk GET /check
`
	backends := make([]*scriptedBackend, len(servers))
	for i, s := range servers {
		addr := fmt.Sprintf("127.0.0.1:%d", 18101+i)
		backends[i] = &scriptedBackend{script: script, checks: make(chan heldCheck, 1)}
		serveBackend(t, addr, backends[i])
		cfg += fmt.Sprintf("\tserver %s %s check inter 300 rise %d fall %d\n", s.name, addr, s.rise, s.fall)
	}
	hp := startHAProxy(t, cfg)

	var wg sync.WaitGroup
	for i, s := range servers {
		wg.Go(func() {
			// haproxy: the status read while check k+1 is held
			// shows the result of check k.
			var theirs []string
			for k := 0; k <= len(script); k++ {
				c, err := backends[i].next()
				if err != nil {
					t.Errorf("%s: check %d: %v", s.name, k+1, err)
					return
				}
				if k > 0 {
					st, err := hp.status("app", s.name)
					if err != nil {
						t.Errorf("%s: %v", s.name, err)
						return
					}
					theirs = append(theirs, st)
				}
				if k < len(script) && c.pass != (script[k] == '+') {
					t.Errorf("%s: check %d answered pass=%v, the script says %c", s.name, k+1, c.pass, script[k])
				}
				close(c.release)
			}
			ours, err := monitorTrail(script, s.rise, s.fall)
			if err != nil {
				t.Errorf("%s: %v", s.name, err)
				return
			}
			if strings.Join(theirs, ",") != strings.Join(ours, ",") {
				t.Errorf("%s (rise %d fall %d), checks %s:\nhaproxy %s\nhakit   %s", s.name, s.rise, s.fall, script, strings.Join(theirs, ","), strings.Join(ours, ","))
			}
		})
	}
	wg.Wait()
}

// monitorTrail runs a Monitor with rise and fall through script's check
// outcomes and returns its status after each.
func monitorTrail(script string, rise, fall int) ([]string, error) {
	outcomes := make(chan error, len(script))
	m, err := hakit.NewMonitor(hakit.MonitorConfig{
		Checker: hakit.CheckerFunc(func(context.Context) error { return <-outcomes }),
		Rise:    rise, Fall: fall,
	})
	if err != nil {
		return nil, err
	}
	var trail []string
	for _, c := range script {
		if c == '+' {
			outcomes <- nil
		} else {
			outcomes <- errors.New("503")
		}
		runOne(m)
		trail = append(trail, m.Status().String())
	}
	return trail, nil
}

// runOne lets a Monitor's Run make exactly one check.
func runOne(m *hakit.Monitor) {
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
	cfg := haproxyHeader("20s")
	backends := make([]*scriptedBackend, len(modes))
	for i, md := range modes {
		addr := fmt.Sprintf("127.0.0.1:%d", 18105+i)
		backends[i] = &scriptedBackend{errStatus: http.StatusInternalServerError, checks: make(chan heldCheck, 1)}
		serveBackend(t, addr, backends[i])
		cfg += fmt.Sprintf("listen p%d\n\tbind 127.0.0.1:%d\n\toption httpchk GET /check\n\tserver s %s check inter 300 rise 2 fall 3 observe layer7 error-limit 3 on-error %s\n",
			i, 18081+i, addr, md.keyword)
	}
	hp := startHAProxy(t, cfg)

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
			proxy := fmt.Sprintf("p%d", i)
			// One passed check makes the server fully up; the second
			// check, held, shows it applied and keeps the next result
			// out until the errors have been seen.
			first, err := backends[i].next()
			if err != nil {
				t.Errorf("%s: %v", md.keyword, err)
				return
			}
			close(first.release)
			runOne(m)
			second, err := backends[i].next()
			if err != nil {
				t.Errorf("%s: %v", md.keyword, err)
				return
			}
			defer close(second.release)
			var theirs, ours []string
			st, err := hp.status(proxy, "s")
			if err != nil {
				t.Errorf("%s: %v", md.keyword, err)
				return
			}
			theirs = append(theirs, st)
			ours = append(ours, m.Status().String())
			// Three 500s through the proxy reach the error limit;
			// haproxy applies it before it serves the stats socket
			// again (one thread).
			for range 3 {
				resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", 18081+i))
				if err != nil {
					t.Errorf("%s: request through haproxy: %v", md.keyword, err)
					return
				}
				resp.Body.Close()
				m.Report(fmt.Errorf("HTTP %d", resp.StatusCode))
			}
			if st, err = hp.status(proxy, "s"); err != nil {
				t.Errorf("%s: %v", md.keyword, err)
				return
			}
			theirs = append(theirs, st)
			ours = append(ours, m.Status().String())
			if strings.Join(theirs, ",") != strings.Join(ours, ",") {
				t.Errorf("on-error %s after 3 errors:\nhaproxy %s\nhakit   %s", md.keyword, strings.Join(theirs, ","), strings.Join(ours, ","))
			}
		})
	}
	wg.Wait()
}

// Administrative states ("set server ... state drain|maint|ready") and
// checks interleaved move our Monitor and the real haproxy through the same
// statuses.
func TestMonitorMatchesHAProxyAdmin(t *testing.T) {
	// Ops: an admin state, or the outcome of haproxy's next check.
	ops := []string{"+", "drain", "-", "ready", "+", "maint", "ready", "+", "drain", "-", "-", "-", "ready", "+", "+"}
	var script string
	for _, op := range ops {
		if op == "+" || op == "-" {
			script += op
		}
	}
	cfg := haproxyHeader("20s") + `backend app
	option httpchk GET /check
	server s1 127.0.0.1:18111 check inter 300 rise 2 fall 3
`
	b := &scriptedBackend{script: script, checks: make(chan heldCheck, 1)}
	serveBackend(t, "127.0.0.1:18111", b)
	hp := startHAProxy(t, cfg)

	outcomes := make(chan error, len(script))
	m, err := hakit.NewMonitor(hakit.MonitorConfig{Checker: hakit.CheckerFunc(func(context.Context) error { return <-outcomes })})
	if err != nil {
		t.Fatal(err)
	}
	held, err := b.next()
	if err != nil {
		t.Fatal(err)
	}
	var theirs, ours []string
	for _, op := range ops {
		switch op {
		case "+", "-":
			// Answer the held check; the next one's arrival shows
			// this one applied.
			close(held.release)
			if held, err = b.next(); err != nil {
				t.Fatal(err)
			}
			if op == "+" {
				outcomes <- nil
			} else {
				outcomes <- errors.New("503")
			}
			runOne(m)
		default:
			if err := hp.command("set server app/s1 state " + op); err != nil {
				t.Fatal(err)
			}
			admin := map[string]hakit.AdminState{"ready": hakit.AdminReady, "drain": hakit.AdminDrain, "maint": hakit.AdminMaint}[op]
			if err := m.SetAdmin(admin); err != nil {
				t.Fatal(err)
			}
		}
		st, err := hp.status("app", "s1")
		if err != nil {
			t.Fatal(err)
		}
		theirs = append(theirs, op+":"+st)
		ours = append(ours, op+":"+m.Status().String())
	}
	close(held.release)
	t.Logf("haproxy %s", strings.Join(theirs, ","))
	if strings.Join(theirs, ",") != strings.Join(ours, ",") {
		t.Errorf("admin states and checks:\nhaproxy %s\nhakit   %s", strings.Join(theirs, ","), strings.Join(ours, ","))
	}
}

// The same faults get the same check_status class from haproxy and from
// our Monitor, whose Checker is a plain net/http GET: a refused port is
// L4CON, a target that accepts and never answers L7TOUT, both derived from
// the errors Go returns; a 503 is L7STS (with its code) and a 200 L7OK.
func TestMonitorMatchesHAProxyCheckStatus(t *testing.T) {
	// 18113: nothing listens. 18114: accepts, never answers.
	silent, err := net.Listen("tcp", "127.0.0.1:18114")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { silent.Close() })
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	for _, b := range []struct {
		addr string
		code int
	}{{"127.0.0.1:18115", http.StatusServiceUnavailable}, {"127.0.0.1:18116", http.StatusOK}} {
		ln, err := net.Listen("tcp", b.addr)
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(b.code) })}
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Close() })
	}
	servers := []struct{ name, addr, want string }{
		{"refused", "127.0.0.1:18113", "L4CON"},
		{"silent", "127.0.0.1:18114", "L7TOUT"},
		{"unavailable", "127.0.0.1:18115", "L7STS/503"},
		{"ok", "127.0.0.1:18116", "L7OK"},
	}
	cfg := haproxyHeader("1s") + `backend app
	option httpchk GET /check
`
	for _, s := range servers {
		cfg += fmt.Sprintf("\tserver %s %s check inter 500\n", s.name, s.addr)
	}
	hp := startHAProxy(t, cfg)

	httpCheck := func(addr string) hakit.Checker {
		return hakit.CheckerFunc(func(ctx context.Context) error {
			req, err := http.NewRequestWithContext(ctx, "GET", "http://"+addr+"/check", nil)
			if err != nil {
				return err
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			resp.Body.Close()
			// haproxy's httpchk passes 2xx and 3xx.
			if resp.StatusCode >= 400 {
				return &hakit.CheckError{Status: hakit.CheckL7Status, Code: resp.StatusCode}
			}
			return nil
		})
	}
	for _, s := range servers {
		m, err := hakit.NewMonitor(hakit.MonitorConfig{Checker: httpCheck(s.addr), Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		runOne(m)
		st := m.Stats()
		ours := st.CheckStatus.String()
		if st.CheckCode != 0 {
			ours += fmt.Sprintf("/%d", st.CheckCode)
		}
		// haproxy's first check of each server ends within its 1s
		// timeout; the bound only turns a haproxy that never checks
		// into a failure.
		var theirs string
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			class, err := hp.field("app", s.name, "check_status")
			if err != nil {
				t.Fatal(err)
			}
			code, err := hp.field("app", s.name, "check_code")
			if err != nil {
				t.Fatal(err)
			}
			theirs = strings.TrimPrefix(class, "* ") // "* " marks a check in progress
			if code != "" && theirs != "L7OK" {
				theirs += "/" + code
			}
			if (class != "" && class != "INI" && !strings.HasPrefix(class, "* ")) || time.Now().After(deadline) {
				break
			}
		}
		if theirs != s.want || ours != s.want {
			t.Errorf("%s: haproxy %s, hakit %s, want %s (hakit's error: %v)", s.name, theirs, ours, s.want, st.LastError)
		}
	}
}

// The real haproxy probing a Health with "http-check disable-on-404" reads
// its answers as intended: 200 keeps the server UP, the 404 of a drained
// Health takes it out of load balancing (NOLB, check class L7OKC), and the
// 503 of a critical component DOWN marks it DOWN.
func TestHealthProbedByHAProxy(t *testing.T) {
	var h hakit.Health
	db, err := hakit.NewMonitor(hakit.MonitorConfig{Checker: hakit.CheckerFunc(func(context.Context) error { return nil }),
		InitState: hakit.InitStateFullyUp, ErrorLimit: 1, OnError: hakit.OnErrorMarkDown})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Add("db", db); err != nil {
		t.Fatal(err)
	}
	checks := make(chan heldCheck, 1)
	held := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if holdCheck(checks, r, true) {
			h.ServeHTTP(w, r)
		}
	})
	// A port of the kernel's choosing: the fixed backend ports are
	// shared with other packages' tests that may run at the same time.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: held}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	hp := startHAProxy(t, haproxyHeader("20s")+`backend app
	option httpchk GET /healthz
	http-check disable-on-404
	server s1 `+ln.Addr().String()+` check inter 300 rise 1 fall 1
`)
	b := &scriptedBackend{checks: checks}
	steps := []struct {
		name string
		do   func() error
		want string
	}{
		{"every component UP", func() error { return nil }, "UP L7OK"},
		{"the Health drained", func() error { return h.SetAdmin(hakit.AdminDrain) }, "NOLB L7OKC"},
		{"ready again, db DOWN", func() error {
			db.Report(errors.New("connection refused"))
			return h.SetAdmin(hakit.AdminReady)
		}, "DOWN L7STS"},
	}
	c, err := b.next()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatal(err)
		}
		// Answer the held check; the next one's arrival shows it applied.
		close(c.release)
		if c, err = b.next(); err != nil {
			t.Fatal(err)
		}
		// While a check is in progress (the one held) haproxy marks
		// the last class with "* ".
		var got []string
		for _, col := range []string{"status", "check_status"} {
			v, err := hp.field("app", "s1", col)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, strings.TrimPrefix(v, "* "))
		}
		if g := strings.Join(got, " "); g != s.want {
			t.Errorf("%s: haproxy shows %s, want %s", s.name, g, s.want)
		}
	}
	close(c.release)
}
