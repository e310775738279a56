package haproxycfg

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"

	"github.com/hakit/hakit"
	"github.com/hakit/hakit/lb"
)

// Listener is one bind address of a proxy and what serves it: a Frontend,
// or for a stats proxy an HTTP Handler.
type Listener struct {
	Proxy    *Proxy
	Addr     string // host:port
	Frontend *lb.Frontend
	Handler  http.Handler
}

// Runtime is a configuration built into lb objects, not yet running.
type Runtime struct {
	Listeners []Listener
	Backends  []*lb.Backend
	Proxies   []lb.Proxy // for the stats, in file order
}

// Build resolves server addresses and makes the frontends, backends and
// stats handlers of c. Errors name the line. It does not listen.
func Build(ctx context.Context, c *Config, logger *slog.Logger) (*Runtime, error) {
	rt := &Runtime{}
	backends := map[string]*lb.Backend{}
	modes := map[string]string{}
	for _, px := range c.Proxies {
		if !px.Backend() || len(px.Servers) == 0 {
			continue
		}
		b, err := buildBackend(ctx, px, logger)
		if err != nil {
			return nil, err
		}
		backends[px.Name] = b
		modes[px.Name] = px.Mode
		rt.Backends = append(rt.Backends, b)
	}
	for _, px := range c.Proxies {
		mode := lb.ModeTCP
		if px.Mode == "http" {
			mode = lb.ModeHTTP
		}
		sp := lb.Proxy{Name: px.Name, Mode: mode, Listen: px.Kind == "listen"}
		if px.Backend() {
			sp.Backend = backends[px.Name]
		}
		var handler http.Handler
		var fe *lb.Frontend
		switch {
		case px.StatsEnable || px.Prometheus != "":
			if len(px.Servers) > 0 || px.DefaultBackend != "" {
				return nil, &ParseError{Line: px.Line, Text: px.Kind + " " + px.Name, Msg: "a stats proxy with servers or a default_backend", Err: ErrUnsupported}
			}
			if mode != lb.ModeHTTP {
				return nil, &ParseError{Line: px.Line, Text: px.Kind + " " + px.Name, Msg: "stats need mode http"}
			}
			uri := px.StatsURI
			if uri == "" && px.StatsEnable {
				uri = "/haproxy?stats" // HAProxy's default stats URI
			}
			handler = lb.StatsHandler(uri, px.Prometheus, func() []lb.Proxy { return rt.Proxies })
		case px.Frontend():
			target := px.Name
			if px.Kind == "frontend" {
				target = px.DefaultBackend
			}
			b := backends[target]
			if bm := modes[target]; bm != px.Mode && !(bm == "" && px.Mode == "tcp" || bm == "tcp" && px.Mode == "") {
				return nil, &ParseError{Line: px.Line, Text: px.Kind + " " + px.Name, Msg: fmt.Sprintf("mode %s, but backend %s is mode %s", orTCP(px.Mode), target, orTCP(bm))}
			}
			var err error
			fe, err = lb.NewFrontend(lb.FrontendConfig{Name: px.Name, Mode: mode, Backend: b, ClientTimeout: px.ClientTimeout, MaxConn: px.MaxConn, Logger: logger})
			if err != nil {
				return nil, &ParseError{Line: px.Line, Text: px.Kind + " " + px.Name, Msg: "frontend", Err: err}
			}
			sp.Frontend = fe
		}
		for _, bd := range px.Binds {
			rt.Listeners = append(rt.Listeners, Listener{Proxy: px, Addr: bd.Addr, Frontend: fe, Handler: handler})
		}
		rt.Proxies = append(rt.Proxies, sp)
	}
	return rt, nil
}

func orTCP(m string) string {
	if m == "" {
		return "tcp"
	}
	return m
}

func buildBackend(ctx context.Context, px *Proxy, logger *slog.Logger) (*lb.Backend, error) {
	perr := func(line int, text string, err error, format string, args ...any) error {
		return &ParseError{Line: line, Text: text, Msg: fmt.Sprintf(format, args...), Err: err}
	}
	bc := lb.BackendConfig{
		Name: px.Name, AllBackups: px.AllBackups, Redispatch: px.Redispatch,
		ConnectTimeout: px.ConnectTimeout, ServerTimeout: px.ServerTimeout, QueueTimeout: px.QueueTimeout,
		BalanceFactor: px.BalanceFactor, Cookie: px.Cookie, Logger: logger,
	}
	if px.Retries != nil {
		bc.Retries = *px.Retries
		if bc.Retries == 0 {
			bc.Retries = -1
		}
	}
	if px.Balance != "" {
		a, err := lb.ParseAlgorithm(px.Balance)
		if err != nil {
			return nil, perr(px.Line, px.Kind+" "+px.Name, err, "balance")
		}
		bc.Balance = a
		switch a {
		case lb.URLParam, lb.Hdr:
			bc.Param = px.BalanceArg
		case lb.Random:
			if px.BalanceArg != "" {
				bc.RandomDraws, _ = strconv.Atoi(px.BalanceArg)
			}
		}
	}
	if px.HashType == "consistent" {
		bc.HashType = lb.HashConsistent
	}
	for _, s := range px.Servers {
		host, port, err := net.SplitHostPort(s.Addr)
		if err != nil {
			return nil, perr(s.Line, "server "+s.Name, err, "server %s: address %q", s.Name, s.Addr)
		}
		addrs, err := net.DefaultResolver.LookupHost(ctx, host)
		if err != nil || len(addrs) == 0 {
			return nil, perr(s.Line, "server "+s.Name, err, "server %s: address %q does not resolve", s.Name, s.Addr)
		}
		addr := net.JoinHostPort(addrs[0], port)
		sc := lb.ServerConfig{
			Name: s.Name, Addr: addr, Weight: s.Weight, Backup: s.Backup, MaxConn: s.MaxConn,
			SlowStart: s.SlowStart, Cookie: s.Cookie, ShutdownOnDown: s.ShutdownOnDown, ShutdownBackupOnUp: s.ShutdownBackupOnUp,
		}
		if s.Disabled {
			sc.Admin = lb.AdminMaint
		}
		if s.Check {
			checkAddr := addr
			if s.Port != 0 {
				checkAddr = net.JoinHostPort(addrs[0], strconv.Itoa(s.Port))
			}
			switch {
			case px.HTTPCheck != nil:
				sc.Check = lb.HTTPCheck(px.HTTPCheck.Method, "http://"+checkAddr+px.HTTPCheck.URI, px.HTTPCheck.ExpectStatus)
			case px.MySQLCheck:
				sc.Check = lb.MySQLCheck(checkAddr)
			default:
				sc.Check = lb.TCPCheck(checkAddr)
			}
			sc.Monitor = hakit.MonitorConfig{Inter: s.Inter, FastInter: s.FastInter, DownInter: s.DownInter, Rise: s.Rise, Fall: s.Fall, ErrorLimit: s.ErrorLimit}
			switch s.OnError {
			case "fastinter":
				sc.Monitor.OnError = hakit.OnErrorFastInter
			case "sudden-death":
				sc.Monitor.OnError = hakit.OnErrorSuddenDeath
			case "mark-down":
				sc.Monitor.OnError = hakit.OnErrorMarkDown
			}
			switch s.Observe {
			case "layer4":
				sc.Observe = lb.ObserveLayer4
			case "layer7":
				sc.Observe = lb.ObserveLayer7
			}
		} else if s.Observe != "" {
			return nil, perr(s.Line, "server "+s.Name, nil, "server %s: observe needs check", s.Name)
		}
		bc.Servers = append(bc.Servers, sc)
	}
	b, err := lb.NewBackend(bc)
	if err != nil {
		return nil, perr(px.Line, px.Kind+" "+px.Name, err, "backend %s", px.Name)
	}
	return b, nil
}
