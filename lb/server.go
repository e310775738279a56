package lb

import (
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hakit/hakit"
)

// AdminState is a server's administrative state, as HAProxy's runtime API
// sets it with "set server BACKEND/SERVER state ready|drain|maint".
type AdminState int

const (
	// AdminReady: the server takes traffic when healthy.
	AdminReady AdminState = iota
	// AdminDrain: the server takes no new traffic from the balancer;
	// established connections go on.
	AdminDrain
	// AdminMaint: the server takes no traffic and its checks stop counting;
	// stats show MAINT.
	AdminMaint
)

// String returns HAProxy's keyword for the state.
func (s AdminState) String() string {
	switch s {
	case AdminReady:
		return "ready"
	case AdminDrain:
		return "drain"
	case AdminMaint:
		return "maint"
	}
	return fmt.Sprintf("AdminState(%d)", int(s))
}

// ServerConfig is one "server" line of a HAProxy backend. The zero value of
// each field but Name and Addr is HAProxy's default.
type ServerConfig struct {
	// Name identifies the server in stats and the runtime setters.
	// Required, unique in the backend.
	Name string
	// Addr is host:port. Required; New resolves it once.
	Addr string
	// Weight is the relative share of traffic, 1 to 256. Zero means 1,
	// HAProxy's default "weight". Use Drain for a server that should take
	// no new traffic.
	Weight int
	// Backup: the server takes traffic only when no active server is
	// usable (HAProxy's "backup").
	Backup bool
	// MaxConn bounds the concurrent connections (TCP) or requests (HTTP)
	// sent to the server; more wait in the backend's queue. Zero means no
	// limit, HAProxy's default.
	MaxConn int
	// SlowStart ramps the weight up from almost nothing to Weight over this
	// long after the server comes back UP (HAProxy's "slowstart"). Zero
	// means none.
	SlowStart time.Duration
	// Cookie is the value of the persistence cookie that names this
	// server (HAProxy's server "cookie"). Zero means Name.
	Cookie string
	// Admin is the initial administrative state. Zero is AdminReady;
	// HAProxy's "disabled" is AdminMaint.
	Admin AdminState

	// Check, if not nil, is the active health check (HAProxy's "check"):
	// the server is usable only while a hakit.Monitor over it says UP.
	// Servers with a check start UP, as in HAProxy.
	Check hakit.Checker
	// Monitor holds the check schedule (inter, fastinter, downinter, rise,
	// fall, error-limit, on-error); its Checker and OnChange are set by the
	// backend. Zero values are HAProxy's defaults (see hakit.MonitorConfig).
	Monitor hakit.MonitorConfig
	// Observe feeds the outcome of live traffic to the check's Monitor
	// (HAProxy's "observe layer4|layer7"). Needs Check.
	Observe Observe

	// ShutdownOnDown closes the server's connections when it is marked
	// DOWN (HAProxy's "on-marked-down shutdown-sessions").
	ShutdownOnDown bool
	// ShutdownBackupOnUp closes every backup server's connections when
	// this server is marked UP (HAProxy's "on-marked-up
	// shutdown-backup-sessions").
	ShutdownBackupOnUp bool
}

// Observe is HAProxy's "observe" mode: which failures of live traffic count
// as errors for the server's Monitor.
type Observe int

const (
	// ObserveNone: live traffic does not touch health.
	ObserveNone Observe = iota
	// ObserveLayer4: failed connections count.
	ObserveLayer4
	// ObserveLayer7: failed connections and HTTP 5xx answers (but 501 and
	// 505) count, as in HAProxy.
	ObserveLayer7
)

// Server is one server of a Backend. Its methods are safe for concurrent
// use.
type Server struct {
	b    *Backend
	cfg  ServerConfig
	idx  int // position in the backend, HAProxy's server id minus one
	addr string
	mon  *hakit.Monitor

	// Under b.mu.
	admin     AdminState
	uweight   int       // user weight, set by SetWeight
	eweight   int       // effective weight scaled by weightScale; 0 = unusable
	up        bool      // health: the monitor says UP (always with no check)
	ejected   time.Time // outlier ejection ends then; zero if not ejected
	ejections int       // times ejected, which lengthens the next ejection
	upSince   time.Time // start of the slow start ramp
	lastChg   time.Time
	downSum   time.Duration // total time DOWN, HAProxy's "downtime"
	downAt    time.Time     // when it last went DOWN, zero while UP
	chkDown   uint64        // UP to DOWN transitions
	rr        rrState

	// Counters for stats.
	cur, max, tot       atomic.Int64
	queued, qmax        atomic.Int64
	bin, bout           atomic.Int64
	econ, eresp, retr   atomic.Int64
	redisp              atomic.Int64
	hrsp                [6]atomic.Int64 // 1xx..5xx, other
	consecutiveFailures atomic.Int64

	connMu sync.Mutex
	conns  map[net.Conn]struct{} // live proxied connections, for shutdown-sessions
}

// Name returns the server's name.
func (s *Server) Name() string { return s.cfg.Name }

// Addr returns the resolved host:port the server is dialled at.
func (s *Server) Addr() string { return s.addr }

// Backup reports whether the server is a backup server.
func (s *Server) Backup() bool { return s.cfg.Backup }

// Conns returns the server's current connections (or requests in HTTP).
func (s *Server) Conns() int { return int(s.cur.Load()) }

// weightScale is HAProxy's BE_WEIGHT_SCALE: effective weights are user
// weights times 16, so that slow start can ramp in fine steps.
const weightScale = 16

// usable reports whether the balancer may pick s; b.mu held.
func (s *Server) usable(now time.Time) bool {
	return s.admin == AdminReady && s.up && s.eweight > 0 && !now.Before(s.ejected)
}

// full reports whether s is at its maxconn.
func (s *Server) full() bool {
	return s.cfg.MaxConn > 0 && s.cur.Load() >= int64(s.cfg.MaxConn)
}

// load is the server's connections per unit of weight, scaled so that
// comparisons stay in integers: HAProxy's fwlc key.
func (s *Server) load(extra int64) int64 {
	return (s.cur.Load() + s.queued.Load() + extra) * 4096 / int64(s.eweight)
}

// computeWeight sets eweight from the user weight and the slow start ramp;
// b.mu held. It reports whether the ramp is still under way.
func (s *Server) computeWeight(now time.Time) bool {
	w := s.uweight * weightScale
	ramping := false
	if ss := s.cfg.SlowStart; ss > 0 && !s.upSince.IsZero() {
		if el := now.Sub(s.upSince); el < ss {
			// HAProxy's server_recalc_eweight: weight * elapsed /
			// slowstart, at least 1.
			w = int((int64(w)*int64(el) + int64(ss) - 1) / int64(ss))
			if w < 1 {
				w = 1
			}
			ramping = true
		}
	}
	s.eweight = w
	return ramping
}

func (s *Server) track(c net.Conn) {
	s.connMu.Lock()
	if s.conns == nil {
		s.conns = make(map[net.Conn]struct{})
	}
	s.conns[c] = struct{}{}
	s.connMu.Unlock()
}

func (s *Server) untrack(c net.Conn) {
	s.connMu.Lock()
	delete(s.conns, c)
	s.connMu.Unlock()
}

// shutdownSessions closes every connection to the server.
func (s *Server) shutdownSessions() {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	for c := range s.conns {
		c.Close()
	}
}
