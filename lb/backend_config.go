package lb

import (
	"log/slog"
	"net/http"
	"time"
)

// Defaults of BackendConfig, from HAProxy's configuration manual.
const (
	// DefaultRetries is HAProxy's "retries" default.
	DefaultRetries = 3
	// DefaultRandomDraws is the default <draws> of "balance random".
	DefaultRandomDraws = 2
	// DefaultConnectTimeout stands in for an unset "timeout connect",
	// which HAProxy warns about and treats as infinite; a balancer that
	// waits forever on a dead server is never what is meant.
	DefaultConnectTimeout = 5 * time.Second
)

// BackendConfig is a HAProxy backend: its servers and how to balance over
// them. The zero value of each field but Servers is HAProxy's default.
type BackendConfig struct {
	// Name identifies the backend in stats ("pxname").
	Name string
	// Servers are the backend's servers, in HAProxy's declaration order
	// (which "first" and the stats follow). At least one.
	Servers []ServerConfig

	// Balance is the algorithm; zero is RoundRobin, HAProxy's default.
	Balance Algorithm
	// Param is the argument of URLParam (the parameter name) and Hdr (the
	// header name).
	Param string
	// RandomDraws is the <draws> of Random; zero means 2, HAProxy's
	// default.
	RandomDraws int
	// HashType applies to Source, URI, URLParam and Hdr; zero is
	// HashMapBased, HAProxy's default.
	HashType HashType
	// BalanceFactor is HAProxy's "hash-balance-factor" for HashConsistent:
	// no server takes more than BalanceFactor percent of the average load.
	// Zero means no bound; otherwise at least 100.
	BalanceFactor int

	// Cookie, if not empty, is the name of the persistence cookie (HAProxy's
	// "cookie <name> insert", HTTP only): a request carrying it goes to the
	// server it names while that server is UP and not in maintenance
	// (draining servers keep their sessions, as in HAProxy), and a response
	// from a server the request did not name sets it.
	Cookie string

	// AllBackups: when no active server is usable, balance over every
	// usable backup instead of only the first (HAProxy's "option
	// allbackups").
	AllBackups bool

	// Retries is how many times a failed connection attempt is retried
	// (HAProxy's "retries"). Zero means 3, HAProxy's default; negative
	// means none.
	Retries int
	// Redispatch lets the last retry go to another server (HAProxy's
	// "option redispatch"); without it every retry goes to the same
	// server.
	Redispatch bool

	// ConnectTimeout bounds one connection attempt ("timeout connect").
	// Zero means DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// ServerTimeout is the longest the server may stay silent ("timeout
	// server"). Zero means no limit.
	ServerTimeout time.Duration
	// QueueTimeout is the longest a connection waits for a free server
	// slot ("timeout queue"); after it HTTP gets 503 and TCP a close. Zero
	// means ConnectTimeout, as in HAProxy.
	QueueTimeout time.Duration

	// Outlier, if Consecutive is set, ejects servers that fail repeatedly,
	// as Envoy's outlier detection does.
	Outlier OutlierConfig

	// OnServerChange, if not nil, is called after a server is marked UP or
	// DOWN, from the goroutine that observed it (a check's, or a proxied
	// connection's for passive health). It must not block.
	OnServerChange func(server string, up bool)

	// Logger, if not nil, receives server state changes and proxy errors.
	Logger *slog.Logger
}

// OutlierConfig is Envoy's outlier detection (consecutive errors, base
// ejection time, maximum ejection percent).
type OutlierConfig struct {
	// Consecutive failures (connection errors and 5xx) that eject a
	// server; zero disables outlier detection. Envoy's default is 5.
	Consecutive int
	// BaseEjection is the first ejection's length; each further ejection
	// of the same server lasts one more BaseEjection. Zero means 30s,
	// Envoy's default.
	BaseEjection time.Duration
	// MaxEjectionPercent bounds the share of servers ejected at once.
	// Zero means 10, Envoy's default; at least one server may always be
	// ejected.
	MaxEjectionPercent int
}

func (c BackendConfig) withDefaults() (BackendConfig, error) {
	if len(c.Servers) == 0 {
		return c, configErr("Servers", "", "a backend needs at least one server")
	}
	if c.Balance < RoundRobin || c.Balance > SH {
		return c, configErr("Balance", c.Balance.String(), "not an Algorithm")
	}
	if (c.Balance == URLParam || c.Balance == Hdr) && c.Param == "" {
		return c, configErr("Param", c.Param, "%s needs a parameter name", c.Balance)
	}
	if c.Balance == Hdr {
		c.Param = http.CanonicalHeaderKey(c.Param)
	}
	if c.RandomDraws < 0 {
		return c, configErr("RandomDraws", itoa(c.RandomDraws), "is negative")
	}
	if c.RandomDraws == 0 {
		c.RandomDraws = DefaultRandomDraws
	}
	if c.RandomDraws > maxDraws {
		c.RandomDraws = maxDraws
	}
	if c.BalanceFactor != 0 && c.BalanceFactor < 100 {
		return c, configErr("BalanceFactor", itoa(c.BalanceFactor), "must be 0 or at least 100")
	}
	switch {
	case c.Retries == 0:
		c.Retries = DefaultRetries
	case c.Retries < 0:
		c.Retries = 0
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"ConnectTimeout", c.ConnectTimeout}, {"ServerTimeout", c.ServerTimeout}, {"QueueTimeout", c.QueueTimeout}, {"Outlier.BaseEjection", c.Outlier.BaseEjection}} {
		if d.v < 0 {
			return c, configErr(d.name, d.v.String(), "is negative")
		}
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.QueueTimeout == 0 {
		c.QueueTimeout = c.ConnectTimeout
	}
	if c.Outlier.BaseEjection == 0 {
		c.Outlier.BaseEjection = 30 * time.Second
	}
	if c.Outlier.MaxEjectionPercent == 0 {
		c.Outlier.MaxEjectionPercent = 10
	}
	seen := make(map[string]bool, len(c.Servers))
	servers := make([]ServerConfig, len(c.Servers))
	for i, s := range c.Servers {
		field := "Servers[" + itoa(i) + "]"
		if s.Name == "" {
			return c, configErr(field+".Name", s.Name, "is empty")
		}
		if seen[s.Name] {
			return c, configErr(field+".Name", s.Name, "is used twice")
		}
		seen[s.Name] = true
		if s.Weight < 0 || s.Weight > weightLimit {
			return c, configErr(field+".Weight", itoa(s.Weight), "must be 1 to 256")
		}
		if s.Weight == 0 {
			s.Weight = 1
		}
		if s.MaxConn < 0 {
			return c, configErr(field+".MaxConn", itoa(s.MaxConn), "is negative")
		}
		if s.SlowStart < 0 {
			return c, configErr(field+".SlowStart", s.SlowStart.String(), "is negative")
		}
		if s.Admin < AdminReady || s.Admin > AdminMaint {
			return c, configErr(field+".Admin", s.Admin.String(), "not an AdminState")
		}
		if s.Observe != ObserveNone && s.Check == nil {
			return c, configErr(field+".Observe", itoa(int(s.Observe)), "needs a Check")
		}
		servers[i] = s
	}
	c.Servers = servers
	return c, nil
}
