package haproxycfg

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

const sample = `# an OpenStack-style haproxy.cfg
global
    maxconn 4096

defaults
    mode http
    timeout connect 5s
    timeout client 1m
    timeout server 60000      # a bare number is milliseconds
    timeout queue 2s
    retries 2
    option redispatch

listen stats
    bind 127.0.0.1:18099
    stats enable
    stats uri /stats
    http-request use-service prometheus-exporter if { path /metrics }

frontend api
    bind :18090
    default_backend api_back

backend api_back
    balance hdr(X-Tenant)
    hash-type consistent
    hash-balance-factor 150
    cookie SERVERID insert
    option httpchk GET /healthz
    http-check expect status 200
    server a 127.0.0.1:18101 check inter 2s fastinter 500ms downinter 5s rise 2 fall 3 weight 10
    server b 127.0.0.1:18102 check backup maxconn 100 slowstart 30s port 9200 cookie bee

listen galera
    bind 127.0.0.1:18091
    mode tcp
    balance leastconn
    option mysql-check
    server g1 127.0.0.1:13301 check observe layer4 error-limit 5 on-error mark-down on-marked-down shutdown-sessions
`

func TestParseSample(t *testing.T) {
	c, err := Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxConn != 4096 || len(c.Proxies) != 4 {
		t.Fatalf("maxconn %d, %d proxies", c.MaxConn, len(c.Proxies))
	}
	be := c.Proxies[2]
	if be.Mode != "http" || be.ServerTimeout != time.Minute || be.QueueTimeout != 2*time.Second || *be.Retries != 2 || !be.Redispatch {
		t.Errorf("defaults not applied: %+v", be)
	}
	if be.Balance != "hdr" || be.BalanceArg != "X-Tenant" || be.HashType != "consistent" || be.BalanceFactor != 150 {
		t.Errorf("balance: %+v", be)
	}
	if hc := be.HTTPCheck; hc == nil || hc.Method != "GET" || hc.URI != "/healthz" || hc.ExpectStatus != 200 {
		t.Errorf("httpchk: %+v", be.HTTPCheck)
	}
	a, b := be.Servers[0], be.Servers[1]
	if !a.Check || a.Inter != 2*time.Second || a.FastInter != 500*time.Millisecond || a.DownInter != 5*time.Second || a.Rise != 2 || a.Fall != 3 || a.Weight != 10 || a.Line != 31 {
		t.Errorf("server a: %+v", a)
	}
	if !b.Backup || b.MaxConn != 100 || b.SlowStart != 30*time.Second || b.Port != 9200 || b.Cookie != "bee" || be.Cookie != "SERVERID" {
		t.Errorf("server b: %+v", b)
	}
	g := c.Proxies[3]
	if g.Mode != "tcp" || g.Balance != "leastconn" || !g.MySQLCheck || g.Servers[0].Observe != "layer4" || !g.Servers[0].ShutdownOnDown || g.Servers[0].OnError != "mark-down" {
		t.Errorf("galera: %+v %+v", g, g.Servers[0])
	}
	if st := c.Proxies[0]; !st.StatsEnable || st.StatsURI != "/stats" || st.Prometheus != "/metrics" {
		t.Errorf("stats: %+v", st)
	}
	if fe := c.Proxies[1]; fe.Binds[0].Addr != ":18090" || fe.DefaultBackend != "api_back" {
		t.Errorf("frontend: %+v", fe)
	}
}

// HAProxy's time units; a bare number is milliseconds (configuration
// manual, section 2.5).
func TestParseTime(t *testing.T) {
	for in, want := range map[string]time.Duration{"100": 100 * time.Millisecond, "10us": 10 * time.Microsecond, "5ms": 5 * time.Millisecond, "2s": 2 * time.Second, "3m": 3 * time.Minute, "1h": time.Hour, "1d": 24 * time.Hour} {
		if got, err := ParseTime(in); err != nil || got != want {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "s", "5x", "-1s", "1.5s"} {
		if _, err := ParseTime(in); err == nil {
			t.Errorf("ParseTime(%q) succeeded", in)
		}
	}
}

// Bad input names the line and the value.
func TestParseErrors(t *testing.T) {
	for _, c := range []struct {
		cfg         string
		line        int
		want        string
		unsupported bool
	}{
		{"global\n  daemon\n", 2, `"daemon" in global`, true},
		{"backend b\n  balance roundrobin\n  server a 127.0.0.1:1 check inter fast\n", 3, `"fast" does not start with a number`, false},
		{"backend b\n  balance sticky\n", 2, `unknown or unsupported algorithm "sticky"`, false},
		{"backend b\n  server a 127.0.0.1\n", 2, `address "127.0.0.1" has no port`, false},
		{"backend b\n  server a 127.0.0.1:1 frobnicate\n", 2, `server option frobnicate`, true},
		{"frontend f\n  bind :1\n  default_backend nope\n", 1, `default_backend "nope": no such backend`, false},
		{"backend b\n  option forwardfor\n", 2, `option forwardfor`, true},
		{"mode http\n", 1, `outside any section`, false},
		{"backend b\n  server a \"127.0.0.1:1\n", 2, `unterminated quote`, false},
		{"backend b\n  server a 127.0.0.1:1 weight 300\n", 2, `weight 300 is above 256`, false},
	} {
		_, err := Parse(strings.NewReader(c.cfg))
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%q: error %v is not a *ParseError", c.cfg, err)
			continue
		}
		if pe.Line != c.line || !strings.Contains(err.Error(), c.want) || errors.Is(err, ErrUnsupported) != c.unsupported {
			t.Errorf("%q: got line %d %q (unsupported %v); want line %d containing %q (unsupported %v)", c.cfg, pe.Line, err, errors.Is(err, ErrUnsupported), c.line, c.want, c.unsupported)
		}
	}
}

func TestBuildUnresolvable(t *testing.T) {
	c, err := Parse(strings.NewReader("backend b\n  server a no-such-host.invalid:80\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Build(t.Context(), c, nil)
	if err == nil || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), `"no-such-host.invalid:80" does not resolve`) {
		t.Fatalf("got %v", err)
	}
}

// clearLines zeroes line numbers, which Format does not keep.
func clearLines(c *Config) {
	for _, px := range c.Proxies {
		px.Line = 0
		for i := range px.Binds {
			px.Binds[i].Line = 0
		}
		for i := range px.Servers {
			px.Servers[i].Line = 0
		}
	}
}

func roundTrip(t *testing.T, data []byte) {
	c1, err := parseBytes(data)
	if err != nil {
		return
	}
	var out bytes.Buffer
	if err := Format(&out, c1); err != nil {
		t.Fatal(err)
	}
	c2, err := Parse(&out)
	if err != nil {
		t.Fatalf("formatted config does not parse: %v\n%s", err, out.String())
	}
	clearLines(c1)
	clearLines(c2)
	var a, b bytes.Buffer
	Format(&a, c1)
	Format(&b, c2)
	if a.String() != b.String() {
		t.Fatalf("round trip changed the config:\n%s\n---\n%s", a.String(), b.String())
	}
}

func TestRoundTripSample(t *testing.T) { roundTrip(t, []byte(sample)) }

// FuzzParse: whatever parses formats to text that parses to the same
// Config; nothing panics.
func FuzzParse(f *testing.F) {
	f.Add([]byte(sample))                                                     // the full subset
	f.Add([]byte("backend b\n server 'a b' 127.0.0.1:1 weight 1\n"))          // a quoted name with a blank
	f.Add([]byte("listen l\n bind [::1]:80\n server a [::1]:81 check\n"))     // IPv6 addresses
	f.Add([]byte("backend b\n balance url_param id\n server a 1.2.3.4:5\n"))  // url_param's argument
	f.Add([]byte("backend b\n balance random(3)\n server a\\#1 1.2.3.4:5\n")) // an escaped comment sign
	f.Add([]byte("defaults\n timeout server 10us\nbackend b\n server a h:1\n"))
	f.Fuzz(roundTrip)
}
