package haproxycfg

import (
	"errors"
	"fmt"
	"time"
)

// ErrUnsupported is wrapped by a ParseError for a keyword HAProxy knows but
// this subset does not implement.
var ErrUnsupported = errors.New("unsupported keyword")

// ParseError is an error at one line of the configuration.
type ParseError struct {
	Line int    // 1-based
	Text string // the line, trimmed
	Msg  string
	Err  error
}

func (e *ParseError) Error() string {
	s := fmt.Sprintf("haproxycfg: line %d: %s", e.Line, e.Msg)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s + fmt.Sprintf(" (%q)", e.Text)
}

func (e *ParseError) Unwrap() error { return e.Err }

// Config is a parsed configuration.
type Config struct {
	MaxConn int      // global maxconn; 0 if unset
	Proxies []*Proxy // frontends, backends and listens in file order
}

// Proxy is one "frontend", "backend" or "listen" section, with what its
// "defaults" section gave it already applied.
type Proxy struct {
	Kind string // "frontend", "backend" or "listen"
	Name string
	Line int

	Mode           string // "tcp" or "http"
	Binds          []Bind
	DefaultBackend string
	MaxConn        int

	Balance       string // algorithm keyword
	BalanceArg    string // url_param's parameter, hdr's name, random's draws
	HashType      string
	BalanceFactor int
	Servers       []Server

	ConnectTimeout, ClientTimeout, ServerTimeout, QueueTimeout time.Duration
	Retries                                                    *int
	Redispatch, AllBackups                                     bool
	HTTPCheck                                                  *HTTPCheck
	MySQLCheck                                                 bool

	Cookie string // "cookie <name> insert"

	StatsEnable bool
	StatsURI    string
	Prometheus  string // path served by the prometheus-exporter service
}

// Bind is one "bind" address.
type Bind struct {
	Addr string
	Line int
}

// HTTPCheck is "option httpchk [<method>] <uri>" with "http-check expect
// status <code>".
type HTTPCheck struct {
	Method, URI  string
	ExpectStatus int // 0: any 2xx or 3xx
}

// Server is one "server" line.
type Server struct {
	Name, Addr string
	Line       int

	Check                       bool
	Inter, FastInter, DownInter time.Duration
	Rise, Fall                  int
	Weight                      int
	Backup, Disabled            bool
	MaxConn                     int
	SlowStart                   time.Duration
	Port                        int
	Observe                     string
	ErrorLimit                  int
	OnError                     string
	ShutdownOnDown              bool
	ShutdownBackupOnUp          bool
	Cookie                      string
}

// Frontend reports whether the proxy accepts connections.
func (p *Proxy) Frontend() bool { return p.Kind != "backend" }

// Backend reports whether the proxy has servers to balance over.
func (p *Proxy) Backend() bool { return p.Kind != "frontend" }
