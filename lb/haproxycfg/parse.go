package haproxycfg

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Parse reads a configuration. The first error stops it and names its line.
func Parse(r io.Reader) (*Config, error) {
	p := &parser{cfg: &Config{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		p.line++
		p.text = strings.TrimSpace(sc.Text())
		words, err := split(sc.Text())
		if err != nil {
			return nil, p.errf(nil, "%v", err)
		}
		if len(words) == 0 {
			continue
		}
		if err := p.statement(words); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("haproxycfg: reading line %d: %w", p.line+1, err)
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	return p.cfg, nil
}

type parser struct {
	cfg      *Config
	line     int
	text     string
	section  string // "global", "defaults", or a proxy kind
	defaults Proxy
	cur      *Proxy
}

func (p *parser) errf(err error, format string, args ...any) error {
	return &ParseError{Line: p.line, Text: p.text, Msg: fmt.Sprintf(format, args...), Err: err}
}

func (p *parser) unsupported(what string) error {
	return &ParseError{Line: p.line, Text: p.text, Msg: fmt.Sprintf("%q in %s", what, p.section), Err: ErrUnsupported}
}

// split cuts a line into words as HAProxy does: blanks separate, '#' starts
// a comment, quotes group, a backslash escapes the next character.
func split(line string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord := false
	quote := byte(0)
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			w.WriteByte(c)
		case c == '\\' && i+1 < len(line):
			i++
			w.WriteByte(line[i])
			inWord = true
		case c == '"' || c == '\'':
			quote = c
			inWord = true
		case c == '#':
			i = len(line)
		case c == ' ' || c == '\t' || c == '\r':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated quote")
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, nil
}

func (p *parser) statement(w []string) error {
	switch w[0] {
	case "global", "defaults":
		if len(w) > 1 && w[0] == "global" {
			return p.errf(nil, "global takes no name")
		}
		p.section, p.cur = w[0], nil
		if w[0] == "defaults" {
			p.defaults = Proxy{}
			if len(w) > 1 {
				return p.unsupported("named defaults")
			}
		}
		return nil
	case "frontend", "backend", "listen":
		if len(w) != 2 {
			return p.errf(nil, "%s needs exactly one name", w[0])
		}
		for _, q := range p.cfg.Proxies {
			if q.Name == w[1] && (q.Frontend() && w[0] != "backend" || q.Backend() && w[0] != "frontend") {
				return p.errf(nil, "%s %q: name already used at line %d", w[0], w[1], q.Line)
			}
		}
		px := p.defaults
		px.Kind, px.Name, px.Line = w[0], w[1], p.line
		px.Binds, px.Servers = nil, nil
		if px.HTTPCheck != nil {
			hc := *px.HTTPCheck
			px.HTTPCheck = &hc
		}
		if w[0] == "backend" {
			px.MaxConn = 0
		}
		p.section, p.cur = w[0], &px
		p.cfg.Proxies = append(p.cfg.Proxies, &px)
		return nil
	}
	switch p.section {
	case "":
		return p.errf(nil, "%q outside any section", w[0])
	case "global":
		if w[0] == "maxconn" {
			n, err := p.number(w, 1)
			p.cfg.MaxConn = n
			return err
		}
		return p.unsupported(w[0])
	case "defaults":
		return p.proxyKeyword(&p.defaults, w)
	}
	return p.proxyKeyword(p.cur, w)
}

// arg returns w[i] or an error saying the keyword needs it.
func (p *parser) arg(w []string, i int) (string, error) {
	if i >= len(w) {
		return "", p.errf(nil, "%q needs an argument", strings.Join(w[:i], " "))
	}
	return w[i], nil
}

func (p *parser) number(w []string, i int) (int, error) {
	s, err := p.arg(w, i)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, p.errf(nil, "%s: %q is not a non-negative integer", w[i-1], s)
	}
	return n, nil
}

func (p *parser) duration(w []string, i int) (time.Duration, error) {
	s, err := p.arg(w, i)
	if err != nil {
		return 0, err
	}
	d, err := ParseTime(s)
	if err != nil {
		return 0, p.errf(err, "%s", w[i-1])
	}
	return d, nil
}

// ParseTime parses a HAProxy time: an integer with an optional unit, us,
// ms, s, m, h or d; no unit means milliseconds.
func ParseTime(s string) (time.Duration, error) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, fmt.Errorf("time %q does not start with a number", s)
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("time %q: %w", s, err)
	}
	units := map[string]time.Duration{"": time.Millisecond, "us": time.Microsecond, "ms": time.Millisecond, "s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour}
	u, ok := units[s[i:]]
	if !ok {
		return 0, fmt.Errorf("time %q: unknown unit %q (want us, ms, s, m, h or d)", s, s[i:])
	}
	if n > int64(1<<62)/int64(u) {
		return 0, fmt.Errorf("time %q is too large", s)
	}
	return time.Duration(n) * u, nil
}

func (p *parser) onlyIn(kinds ...string) error {
	for _, k := range kinds {
		if p.section == k {
			return nil
		}
	}
	return p.errf(nil, "%q is not allowed in a %s section", strings.Fields(p.text)[0], p.section)
}

func (p *parser) proxyKeyword(px *Proxy, w []string) error {
	var err error
	switch w[0] {
	case "mode":
		var m string
		if m, err = p.arg(w, 1); err == nil {
			if m != "tcp" && m != "http" {
				return p.errf(nil, "mode %q: want tcp or http", m)
			}
			px.Mode = m
		}
	case "bind":
		if err = p.onlyIn("frontend", "listen"); err != nil {
			return err
		}
		var a string
		if a, err = p.arg(w, 1); err != nil {
			return err
		}
		if len(w) > 2 {
			return p.unsupported("bind option " + w[2])
		}
		for _, one := range strings.Split(a, ",") {
			addr, err := bindAddr(one)
			if err != nil {
				return p.errf(err, "bind")
			}
			px.Binds = append(px.Binds, Bind{Addr: addr, Line: p.line})
		}
	case "default_backend":
		if err = p.onlyIn("frontend", "listen", "defaults"); err == nil {
			px.DefaultBackend, err = p.arg(w, 1)
		}
	case "maxconn":
		px.MaxConn, err = p.number(w, 1)
	case "balance":
		err = p.balance(px, w)
	case "hash-type":
		var t string
		if t, err = p.arg(w, 1); err == nil {
			if t != "map-based" && t != "consistent" {
				return p.errf(nil, "hash-type %q: want map-based or consistent", t)
			}
			if len(w) > 2 {
				return p.unsupported("hash-type function " + w[2])
			}
			px.HashType = t
		}
	case "hash-balance-factor":
		if px.BalanceFactor, err = p.number(w, 1); err == nil && px.BalanceFactor != 0 && px.BalanceFactor < 100 {
			return p.errf(nil, "hash-balance-factor %d: want 0 or at least 100", px.BalanceFactor)
		}
	case "server":
		if err = p.onlyIn("backend", "listen"); err == nil {
			err = p.server(px, w)
		}
	case "timeout":
		err = p.timeout(px, w)
	case "retries":
		var n int
		if n, err = p.number(w, 1); err == nil {
			px.Retries = &n
		}
	case "option":
		err = p.option(px, w)
	case "http-check":
		if len(w) == 4 && w[1] == "expect" && w[2] == "status" {
			n, err := p.number(w, 3)
			if err != nil {
				return err
			}
			if px.HTTPCheck == nil {
				px.HTTPCheck = &HTTPCheck{Method: "GET", URI: "/"}
			}
			px.HTTPCheck.ExpectStatus = n
			return nil
		}
		return p.unsupported(strings.Join(w[:min(len(w), 3)], " "))
	case "cookie":
		if len(w) != 3 || w[2] != "insert" {
			return p.unsupported("cookie other than \"cookie <name> insert\"")
		}
		px.Cookie = w[1]
	case "stats":
		err = p.stats(px, w)
	case "http-request":
		// Only the exporter HAProxy 2.6 ships, on a path.
		if len(w) == 8 && w[1] == "use-service" && w[2] == "prometheus-exporter" && w[3] == "if" && w[4] == "{" && w[5] == "path" && w[7] == "}" {
			px.Prometheus = w[6]
			return nil
		}
		return p.unsupported(strings.Join(w[:min(len(w), 2)], " "))
	default:
		return p.unsupported(w[0])
	}
	if err == nil && len(w) > 0 {
		return nil
	}
	return err
}

// bindAddr turns HAProxy's "[addr]:port" (addr empty or "*" for all) into
// host:port.
func bindAddr(a string) (string, error) {
	i := strings.LastIndexByte(a, ':')
	if i < 0 {
		return "", fmt.Errorf("%q has no port", a)
	}
	host, port := a[:i], a[i+1:]
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", fmt.Errorf("%q: port %q is not 0 to 65535", a, port)
	}
	if host == "*" {
		host = ""
	}
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	if strings.Contains(host, ":") {
		return "[" + host + "]:" + port, nil
	}
	return host + ":" + port, nil
}

var algorithms = map[string]bool{
	"roundrobin": true, "static-rr": true, "leastconn": true, "first": true, "source": true,
	"uri": true, "url_param": true, "random": true,
	// LVS schedulers, an extension of the language for TCP services.
	"wlc": true, "sed": true, "nq": true, "dh": true, "sh": true,
}

func (p *parser) balance(px *Proxy, w []string) error {
	a, err := p.arg(w, 1)
	if err != nil {
		return err
	}
	name, arg, hasArg := strings.Cut(a, "(")
	if hasArg {
		if !strings.HasSuffix(arg, ")") {
			return p.errf(nil, "balance %q: unclosed parenthesis", a)
		}
		arg = strings.TrimSuffix(arg, ")")
	}
	switch {
	case name == "hdr":
		if arg == "" {
			return p.errf(nil, "balance hdr needs a header name: hdr(<name>)")
		}
	case name == "random" && hasArg:
		if n, err := strconv.Atoi(arg); err != nil || n < 1 {
			return p.errf(nil, "balance random(%s): draws must be a positive integer", arg)
		}
	case name == "url_param":
		if arg, err = p.arg(w, 2); err != nil {
			return err
		}
		if len(w) > 3 {
			return p.unsupported("url_param option " + w[3])
		}
		w = w[:2]
	case hasArg:
		return p.errf(nil, "balance %q takes no argument", name)
	case !algorithms[name]:
		return p.errf(nil, "balance: unknown or unsupported algorithm %q", name)
	}
	if len(w) > 2 {
		return p.unsupported("balance option " + w[2])
	}
	px.Balance, px.BalanceArg = name, arg
	return nil
}

func (p *parser) timeout(px *Proxy, w []string) error {
	which, err := p.arg(w, 1)
	if err != nil {
		return err
	}
	d, err := p.duration(w, 2)
	if err != nil {
		return err
	}
	switch which {
	case "connect":
		px.ConnectTimeout = d
	case "client":
		px.ClientTimeout = d
	case "server":
		px.ServerTimeout = d
	case "queue":
		px.QueueTimeout = d
	default:
		return p.unsupported("timeout " + which)
	}
	return nil
}

func (p *parser) option(px *Proxy, w []string) error {
	o, err := p.arg(w, 1)
	if err != nil {
		return err
	}
	switch o {
	case "redispatch":
		if len(w) > 2 {
			return p.unsupported("option redispatch interval")
		}
		px.Redispatch = true
	case "allbackups":
		px.AllBackups = true
	case "mysql-check":
		if len(w) > 2 {
			return p.unsupported("option mysql-check " + w[2])
		}
		px.MySQLCheck = true
	case "httpchk":
		hc := &HTTPCheck{Method: "OPTIONS", URI: "/"}
		switch len(w) {
		case 2:
		case 3:
			hc.URI = w[2]
		case 4:
			hc.Method, hc.URI = w[2], w[3]
		default:
			return p.unsupported("option httpchk with a version")
		}
		if px.HTTPCheck != nil {
			hc.ExpectStatus = px.HTTPCheck.ExpectStatus
		}
		px.HTTPCheck = hc
	default:
		return p.unsupported("option " + o)
	}
	return nil
}

func (p *parser) stats(px *Proxy, w []string) error {
	s, err := p.arg(w, 1)
	if err != nil {
		return err
	}
	switch s {
	case "enable":
		px.StatsEnable = true
	case "uri":
		if px.StatsURI, err = p.arg(w, 2); err != nil {
			return err
		}
		px.StatsEnable = true
	default:
		return p.unsupported("stats " + s)
	}
	return nil
}

func (p *parser) server(px *Proxy, w []string) error {
	if len(w) < 3 {
		return p.errf(nil, "server needs a name and an address")
	}
	for _, s := range px.Servers {
		if s.Name == w[1] {
			return p.errf(nil, "server %q already defined at line %d", w[1], s.Line)
		}
	}
	s := Server{Name: w[1], Addr: w[2], Line: p.line}
	if _, err := bindAddr(s.Addr); err != nil || strings.HasSuffix(s.Addr, ":") {
		if strings.LastIndexByte(s.Addr, ':') < 0 {
			// HAProxy takes the port from the frontend when there is
			// none; this subset needs one.
			return p.errf(nil, "server %s: address %q has no port", s.Name, s.Addr)
		}
		return p.errf(err, "server %s: address %q", s.Name, s.Addr)
	}
	var err error
	for i := 3; i < len(w) && err == nil; i++ {
		switch w[i] {
		case "check":
			s.Check = true
		case "backup":
			s.Backup = true
		case "disabled":
			s.Disabled = true
		case "inter":
			s.Inter, err = p.duration(w, i+1)
			i++
		case "fastinter":
			s.FastInter, err = p.duration(w, i+1)
			i++
		case "downinter":
			s.DownInter, err = p.duration(w, i+1)
			i++
		case "slowstart":
			s.SlowStart, err = p.duration(w, i+1)
			i++
		case "rise", "fall", "weight", "maxconn", "port", "error-limit":
			var n int
			n, err = p.number(w, i+1)
			switch w[i] {
			case "rise":
				s.Rise = n
			case "fall":
				s.Fall = n
			case "weight":
				if n > 256 && err == nil {
					err = p.errf(nil, "server %s: weight %d is above 256", s.Name, n)
				}
				s.Weight = n
			case "maxconn":
				s.MaxConn = n
			case "port":
				if n > 65535 && err == nil {
					err = p.errf(nil, "server %s: port %d is above 65535", s.Name, n)
				}
				s.Port = n
			case "error-limit":
				s.ErrorLimit = n
			}
			i++
		case "observe":
			var v string
			if v, err = p.arg(w, i+1); err == nil && v != "layer4" && v != "layer7" {
				err = p.errf(nil, "server %s: observe %q: want layer4 or layer7", s.Name, v)
			}
			s.Observe = v
			i++
		case "cookie":
			s.Cookie, err = p.arg(w, i+1)
			i++
		case "on-error":
			var v string
			if v, err = p.arg(w, i+1); err == nil {
				switch v {
				case "fastinter", "fail-check", "sudden-death", "mark-down":
				default:
					err = p.errf(nil, "server %s: on-error %q: want fastinter, fail-check, sudden-death or mark-down", s.Name, v)
				}
			}
			s.OnError = v
			i++
		case "on-marked-down":
			var v string
			if v, err = p.arg(w, i+1); err == nil && v != "shutdown-sessions" {
				err = p.unsupported("on-marked-down " + v)
			}
			s.ShutdownOnDown = true
			i++
		case "on-marked-up":
			var v string
			if v, err = p.arg(w, i+1); err == nil && v != "shutdown-backup-sessions" {
				err = p.unsupported("on-marked-up " + v)
			}
			s.ShutdownBackupOnUp = true
			i++
		default:
			err = p.unsupported("server option " + w[i])
		}
	}
	if err != nil {
		return err
	}
	px.Servers = append(px.Servers, s)
	return nil
}

// check validates what spans sections: default_backend names a backend,
// and every proxy that accepts connections has somewhere to send them.
func (p *parser) check() error {
	backends := map[string]bool{}
	for _, px := range p.cfg.Proxies {
		if px.Backend() {
			backends[px.Name] = true
		}
	}
	for _, px := range p.cfg.Proxies {
		p.line, p.text = px.Line, px.Kind+" "+px.Name
		if px.DefaultBackend != "" && !backends[px.DefaultBackend] {
			return p.errf(nil, "%s %s: default_backend %q: no such backend", px.Kind, px.Name, px.DefaultBackend)
		}
		if px.Kind == "frontend" && px.DefaultBackend == "" && !px.StatsEnable && px.Prometheus == "" {
			return p.errf(nil, "frontend %s has no default_backend", px.Name)
		}
		if px.Frontend() && len(px.Binds) == 0 {
			return p.errf(nil, "%s %s has no bind", px.Kind, px.Name)
		}
		if px.Backend() && len(px.Servers) == 0 && !px.StatsEnable && px.Prometheus == "" {
			return p.errf(nil, "%s %s has no server", px.Kind, px.Name)
		}
	}
	return nil
}

// parseBytes is Parse on a byte slice.
func parseBytes(b []byte) (*Config, error) { return Parse(bytes.NewReader(b)) }
