//go:build integration

package lb_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hakit/hakit/internal/testenv"
	"github.com/hakit/hakit/lb"
	"github.com/hakit/hakit/lb/haproxycfg"
	"github.com/hakit/hakit/lb/lbtest"
)

// peer is one balancer under comparison: the real haproxy or lb, serving
// the same configuration text.
type peer struct {
	name  string
	fe    string // frontend address
	stats string // stats listen address
}

// freeAddr returns a loopback address with a free port.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// statsSection is the stats listen both peers get.
const statsSection = `
listen stats
    bind %s
    mode http
    stats enable
    stats uri /stats
    http-request use-service prometheus-exporter if { path /metrics }
`

// startPeers runs haproxy and lb on body, a configuration whose frontend
// binds "FE" (replaced per peer), plus the stats listen.
func startPeers(t testing.TB, body string) (hap, ours peer) {
	t.Helper()
	hap = peer{name: "haproxy", fe: freeAddr(t), stats: freeAddr(t)}
	ours = peer{name: "lb", fe: freeAddr(t), stats: freeAddr(t)}
	startHAProxy(t, strings.ReplaceAll(body, "FE", hap.fe)+fmt.Sprintf(statsSection, hap.stats))
	startLB(t, strings.ReplaceAll(body, "FE", ours.fe)+fmt.Sprintf(statsSection, ours.stats))
	// Only the stats ports: haproxy counts a connection closed without a
	// request as a 4xx on its frontend. Each peer binds every listener
	// before it serves any.
	for _, p := range []peer{hap, ours} {
		waitDial(t, p.stats)
	}
	return hap, ours
}

func waitDial(t testing.TB, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
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

func startHAProxy(t testing.TB, cfg string) {
	t.Helper()
	bin := testenv.Command(t, "haproxy")
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-db", "-f", path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		if t.Failed() {
			t.Logf("haproxy output:\n%s\nconfig:\n%s", logs.String(), cfg)
		}
	})
}

// startLB builds cfg with haproxycfg and serves it in this process, as lbd
// does.
func startLB(t testing.TB, cfg string) *haproxycfg.Runtime {
	t.Helper()
	c, err := haproxycfg.Parse(strings.NewReader(cfg))
	if err != nil {
		t.Fatalf("%v\n%s", err, cfg)
	}
	rt, err := haproxycfg.Build(context.Background(), c, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var lns []net.Listener
	for _, b := range rt.Backends {
		wg.Go(func() { b.Run(ctx) })
	}
	for _, l := range rt.Listeners {
		ln, err := net.Listen("tcp", l.Addr)
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		if l.Frontend != nil {
			wg.Go(func() { l.Frontend.Serve(ctx, ln) })
		} else {
			srv := &http.Server{Handler: l.Handler}
			go srv.Serve(ln)
			t.Cleanup(func() { srv.Close() })
		}
	}
	t.Cleanup(func() {
		cancel()
		for _, l := range rt.Listeners {
			if l.Frontend != nil {
				l.Frontend.Close()
			}
		}
		wg.Wait()
		for _, ln := range lns {
			ln.Close()
		}
	})
	return rt
}

func backends(t testing.TB, n int) []*lbtest.Backend {
	t.Helper()
	var bs []*lbtest.Backend
	for i := range n {
		b, err := lbtest.NewBackend(fmt.Sprintf("s%d", i+1), "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(b.Close)
		bs = append(bs, b)
	}
	return bs
}

// sequence makes n requests on one kept-alive connection and returns who
// answered each (or the status when it was not 200).
func sequence(t testing.TB, addr string, n int) []string {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}, Timeout: 30 * time.Second}
	defer c.CloseIdleConnections()
	var got []string
	for range n {
		resp, err := c.Get("http://" + addr + "/")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			got = append(got, fmt.Sprint(resp.StatusCode))
			continue
		}
		got = append(got, strings.TrimSpace(string(b)))
	}
	return got
}

const httpDefaults = `defaults
    mode http
    timeout connect 1s
    timeout client 10s
    timeout server 10s
`

// Same weighted roundrobin order as haproxy, per request on a kept-alive
// connection: with weights 1/2/3, s3 s2 s3 s1 s3 s2.
func TestHAProxySameRoundRobinOrder(t *testing.T) {
	bs := backends(t, 3)
	cfg := httpDefaults + "frontend fe\n    bind FE\n    default_backend be\nbackend be\n    balance roundrobin\n"
	for i, b := range bs {
		cfg += fmt.Sprintf("    server %s %s weight %d\n", b.Name, b.Addr(), i+1)
	}
	hap, ours := startPeers(t, cfg)
	theirs, mine := sequence(t, hap.fe, 24), sequence(t, ours.fe, 24)
	if strings.Join(theirs, " ") != strings.Join(mine, " ") {
		t.Fatalf("haproxy: %v\nlb:      %v", theirs, mine)
	}
	if want := strings.Repeat("s3 s2 s3 s1 s3 s2 ", 4); strings.Join(mine, " ")+" " != want {
		t.Fatalf("order %v, want %s", mine, want)
	}
}

// statCSV reads a peer's /stats;csv into rows keyed by "pxname/svname".
func statCSV(t testing.TB, p peer) (header []string, rows map[string]map[string]string, raw string) {
	t.Helper()
	resp, err := http.Get("http://" + p.stats + "/stats;csv")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	raw = string(b)
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(raw, "# "))).ReadAll()
	if err != nil {
		t.Fatalf("%s csv: %v\n%s", p.name, err, raw)
	}
	header = recs[0]
	rows = map[string]map[string]string{}
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, v := range r {
			m[header[i]] = v
		}
		rows[r[0]+"/"+r[1]] = m
	}
	return header, rows, raw
}

// waitStatus polls both peers' CSV until server's status is want in both.
func waitStatus(t testing.TB, peers []peer, key, want string, within time.Duration) {
	t.Helper()
	waitStatusCol(t, peers, key, "status", want, within)
}

// waitStatusCol polls both peers' CSV until column col of row key is want
// in both.
func waitStatusCol(t testing.TB, peers []peer, key, col, want string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		var got []string
		for _, p := range peers {
			_, rows, _ := statCSV(t, p)
			got = append(got, rows[key][col])
		}
		if got[0] == want && got[1] == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s %v (haproxy, lb), want %s in both", key, col, got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The same CSV: header byte for byte, the same rows, and in each row the
// same values for what both know after the same traffic; lb leaves empty
// only columns haproxy fills with what lb does not track, and fills none
// haproxy leaves empty.
func TestHAProxySameCSV(t *testing.T) {
	bs := backends(t, 3)
	cfg := httpDefaults + "frontend fe\n    bind FE\n    default_backend be\nbackend be\n    balance roundrobin\n    option httpchk GET /check\n"
	cfg += fmt.Sprintf("    server s1 %s check inter 100 weight 3\n", bs[0].Addr())
	cfg += fmt.Sprintf("    server s2 %s weight 2\n", bs[1].Addr())
	cfg += fmt.Sprintf("    server s3 %s check inter 100 backup\n", bs[2].Addr())
	cfg += fmt.Sprintf("    server s4 %s check inter 100\n", deadAddr(t))
	hap, ours := startPeers(t, cfg)
	peers := []peer{hap, ours}
	waitStatus(t, peers, "be/s4", "DOWN", 10*time.Second)
	sequence(t, hap.fe, 10)
	sequence(t, ours.fe, 10)
	// The client has closed its connection; each peer notices in its own
	// time.
	waitStatusCol(t, peers, "fe/FRONTEND", "scur", "0", 5*time.Second)

	hh, hrows, hraw := statCSV(t, hap)
	oh, orows, oraw := statCSV(t, ours)
	if strings.Join(hh, ",") != strings.Join(oh, ",") {
		t.Fatalf("headers differ:\nhaproxy %v\nlb      %v", hh, oh)
	}
	for _, raw := range []string{hraw, oraw} {
		for _, line := range strings.Split(strings.TrimSpace(raw), "\n") {
			if !strings.HasSuffix(line, ",") {
				t.Errorf("line without a final comma: %q", line)
			}
		}
	}
	keys := func(m map[string]map[string]string) []string {
		var k []string
		for key := range m {
			k = append(k, key)
		}
		sort.Strings(k)
		return k
	}
	if a, b := keys(hrows), keys(orows); strings.Join(a, " ") != strings.Join(b, " ") {
		t.Fatalf("rows differ:\nhaproxy %v\nlb      %v", a, b)
	}
	same := []string{"pxname", "svname", "status", "weight", "uweight", "act", "bck", "stot", "scur", "lbtot", "hrsp_2xx", "hrsp_5xx", "type", "sid", "mode", "check_rise", "check_fall", "check_health", "chkdown", "econ", "wretr", "wredis", "qcur"}
	for key, h := range hrows {
		o := orows[key]
		if strings.HasPrefix(key, "stats/") {
			continue // the stats proxy's own request counts differ by design
		}
		for _, col := range same {
			if h[col] != o[col] {
				t.Errorf("%s %s: haproxy %q, lb %q", key, col, h[col], o[col])
			}
		}
		for _, col := range hh {
			if o[col] != "" && h[col] == "" {
				t.Errorf("%s %s: lb fills %q where haproxy leaves it empty", key, col, o[col])
			}
		}
	}
}

// Prometheus: every metric lb exports has haproxy's name and labels, and
// the values both know agree.
func TestHAProxySamePrometheus(t *testing.T) {
	bs := backends(t, 2)
	cfg := httpDefaults + "frontend fe\n    bind FE\n    default_backend be\nbackend be\n    balance roundrobin\n"
	cfg += fmt.Sprintf("    server s1 %s weight 1\n    server s2 %s weight 2\n", bs[0].Addr(), bs[1].Addr())
	hap, ours := startPeers(t, cfg)
	sequence(t, hap.fe, 6)
	sequence(t, ours.fe, 6)
	read := func(p peer) map[string]string {
		resp, err := http.Get("http://" + p.stats + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		m := map[string]string{}
		for _, line := range strings.Split(string(b), "\n") {
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			i := strings.LastIndexByte(line, ' ')
			m[line[:i]] = line[i+1:]
		}
		return m
	}
	theirs, mine := read(hap), read(ours)
	if len(mine) < 50 {
		t.Fatalf("lb exports only %d samples", len(mine))
	}
	// Values that depend on time or on the stats requests themselves.
	volatile := []string{"_last_change_seconds", "proxy=\"stats\"", "_bytes_"}
	for series, v := range mine {
		hv, ok := theirs[series]
		if !ok {
			t.Errorf("lb exports %s, haproxy does not", series)
			continue
		}
		skip := false
		for _, s := range volatile {
			skip = skip || strings.Contains(series, s)
		}
		if !skip && hv != v {
			t.Errorf("%s: haproxy %s, lb %s", series, hv, v)
		}
	}
}

// The same check outcomes mark the same servers DOWN and then UP again.
func TestHAProxySameHealth(t *testing.T) {
	bs := backends(t, 2)
	cfg := httpDefaults + "frontend fe\n    bind FE\n    default_backend be\nbackend be\n    option httpchk GET /check\n"
	for _, b := range bs {
		cfg += fmt.Sprintf("    server %s %s check inter 100 rise 2 fall 3\n", b.Name, b.Addr())
	}
	hap, ours := startPeers(t, cfg)
	peers := []peer{hap, ours}
	waitStatus(t, peers, "be/s1", "UP", 10*time.Second)
	bs[0].Set(lbtest.Failing, 0)
	waitStatus(t, peers, "be/s1", "DOWN", 10*time.Second)
	waitStatus(t, peers, "be/s2", "UP", time.Second)
	// Both send everything to s2 now.
	if a, b := sequence(t, hap.fe, 4), sequence(t, ours.fe, 4); strings.Join(a, " ") != "s2 s2 s2 s2" || strings.Join(b, " ") != "s2 s2 s2 s2" {
		t.Fatalf("with s1 down: haproxy %v, lb %v", a, b)
	}
	bs[0].Set(lbtest.Healthy, 0)
	waitStatus(t, peers, "be/s1", "UP", 10*time.Second)
}

// Backups: used only when no active server is up; the first one alone, or
// all with option allbackups.
func TestHAProxySameBackups(t *testing.T) {
	for _, all := range []bool{false, true} {
		t.Run(fmt.Sprint("allbackups=", all), func(t *testing.T) {
			bs := backends(t, 3)
			cfg := httpDefaults + "frontend fe\n    bind FE\n    default_backend be\nbackend be\n    option httpchk GET /check\n"
			if all {
				cfg += "    option allbackups\n"
			}
			cfg += fmt.Sprintf("    server s1 %s check inter 100 fall 1\n", bs[0].Addr())
			cfg += fmt.Sprintf("    server s2 %s check inter 100 backup\n", bs[1].Addr())
			cfg += fmt.Sprintf("    server s3 %s check inter 100 backup\n", bs[2].Addr())
			hap, ours := startPeers(t, cfg)
			peers := []peer{hap, ours}
			if a, b := sequence(t, hap.fe, 4), sequence(t, ours.fe, 4); strings.Join(a, " ") != strings.Join(b, " ") {
				t.Fatalf("all up: haproxy %v, lb %v", a, b)
			}
			bs[0].Set(lbtest.Failing, 0)
			waitStatus(t, peers, "be/s1", "DOWN", 10*time.Second)
			a, b := sequence(t, hap.fe, 6), sequence(t, ours.fe, 6)
			if strings.Join(a, " ") != strings.Join(b, " ") {
				t.Fatalf("s1 down: haproxy %v, lb %v", a, b)
			}
			want := "s2 s2 s2 s2 s2 s2"
			if all {
				want = "s2 s3 s2 s3 s2 s3"
			}
			if strings.Join(b, " ") != want {
				t.Fatalf("s1 down: %v, want %s", b, want)
			}
		})
	}
}

// Retries go to the same server without redispatch (the request fails), and
// the last one goes to another server with it; the CSV counts the same
// retries and redispatches.
func TestHAProxySameRetryRedispatch(t *testing.T) {
	for _, redispatch := range []bool{false, true} {
		t.Run(fmt.Sprint("redispatch=", redispatch), func(t *testing.T) {
			live := backends(t, 1)[0]
			cfg := httpDefaults + "    retries 2\n"
			if redispatch {
				cfg += "    option redispatch\n"
			}
			cfg += "frontend fe\n    bind FE\n    default_backend be\nbackend be\n    balance roundrobin\n"
			cfg += fmt.Sprintf("    server dead %s weight 2\n    server live %s weight 1\n", deadAddr(t), live.Addr())
			hap, ours := startPeers(t, cfg)
			a, b := sequence(t, hap.fe, 1), sequence(t, ours.fe, 1)
			if a[0] != b[0] {
				t.Fatalf("first request: haproxy %v, lb %v", a, b)
			}
			want := "503"
			if redispatch {
				want = "s1"
			}
			if b[0] != want {
				t.Fatalf("answer %s, want %s", b[0], want)
			}
			_, hrows, _ := statCSV(t, hap)
			_, orows, _ := statCSV(t, ours)
			for _, key := range []string{"be/dead", "be/live", "be/BACKEND"} {
				for _, col := range []string{"econ", "wretr", "wredis"} {
					if hrows[key][col] != orows[key][col] {
						t.Errorf("%s %s: haproxy %s, lb %s", key, col, hrows[key][col], orows[key][col])
					}
				}
			}
		})
	}
}

var _ = lb.ModeHTTP

// load sends n GET requests from 4 clients with keep-alive and counts the
// ones that did not get a 200.
func load(t *testing.T, addr string, n int, during func()) (failed int) {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	var sent sync.WaitGroup
	sent.Add(n / 4)
	jobs := make(chan int)
	for range 4 {
		wg.Go(func() {
			c := &http.Client{Timeout: 30 * time.Second}
			defer c.CloseIdleConnections()
			for range jobs {
				resp, err := c.Get("http://" + addr + "/")
				ok := err == nil && resp.StatusCode == 200
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				if !ok {
					mu.Lock()
					failed++
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		if i == n/4 {
			during()
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return failed
}

// Killing a backend mid-load loses no request that haproxy would not lose
// with the same retries and redispatch: the requests that find it dead are
// redispatched by both.
func TestHAProxyKillBackendMidLoad(t *testing.T) {
	var failed [2]int
	for i, name := range []string{"haproxy", "lb"} {
		bs := backends(t, 3)
		cfg := httpDefaults + "    retries 3\n    option redispatch\nfrontend fe\n    bind FE\n    default_backend be\nbackend be\n    balance roundrobin\n"
		for _, b := range bs {
			cfg += fmt.Sprintf("    server %s %s\n", b.Name, b.Addr())
		}
		hap, ours := startPeers(t, cfg)
		addr := hap.fe
		if name == "lb" {
			addr = ours.fe
		}
		// 2000 requests; s2 dies after the first 500, and no check
		// notices it: only retries and redispatch keep requests whole.
		failed[i] = load(t, addr, 2000, bs[1].Stop)
		t.Logf("%s: %d of 2000 requests failed", name, failed[i])
	}
	if failed[1] > failed[0] {
		t.Fatalf("lb lost %d requests, haproxy %d", failed[1], failed[0])
	}
}
