package lb

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hakit/hakit"
)

// Backend is a HAProxy backend: servers, their health, and an algorithm
// that picks one per connection (TCP) or per request (HTTP). It is safe for
// concurrent use. Run it to start the health checks and slow start ramps.
type Backend struct {
	cfg      BackendConfig
	servers  []*Server
	byName   map[string]*Server
	byCookie map[string]*Server
	start    time.Time

	mu      sync.Mutex // guards selection state and every Server's b.mu fields
	act     rrGroup
	bck     rrGroup
	cand    []*Server // scratch for the algorithms
	table   []int32   // map-based hash and static-rr: weighted server table
	tableOK bool
	ring    []ringPoint // consistent hashing
	srrPos  int
	lcNext  int
	lvsTab  [lvsTabSize]int32
	lvsOK   bool
	rnd     uint64 // xorshift state for Random
	waitCh  chan struct{}
	waiting int
	waiters atomic.Int64 // waiting, readable without mu
	ejected int

	qcur, qmax     atomic.Int64
	tot, eq        atomic.Int64
	lastChg        time.Time
	downSum        time.Duration
	downAt         time.Time
	chkDownBackend uint64
}

// NewBackend validates cfg and returns a Backend. It does no I/O: server
// addresses are resolved when dialled.
func NewBackend(cfg BackendConfig) (*Backend, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	b := &Backend{cfg: c, byName: make(map[string]*Server), byCookie: make(map[string]*Server), start: now, lastChg: now, rnd: uint64(now.UnixNano()) | 1}
	for i, sc := range c.Servers {
		if _, port, err := net.SplitHostPort(sc.Addr); err != nil || port == "" {
			return nil, &ConfigError{Field: fmt.Sprintf("Servers[%d].Addr", i), Value: fmt.Sprintf("%q", sc.Addr), Msg: "want host:port", Err: err}
		}
		s := &Server{b: b, cfg: sc, idx: i, addr: sc.Addr, admin: sc.Admin, uweight: sc.Weight, up: true, lastChg: now}
		if sc.Check != nil {
			mc := sc.Monitor
			mc.Checker = sc.Check
			mc.OnChange = func(prev, cur hakit.Status) {
				if prev.State != cur.State {
					b.setHealth(s, cur.State == hakit.StateUp)
				}
			}
			mon, err := hakit.NewMonitor(mc)
			if err != nil {
				return nil, fmt.Errorf("lb: Servers[%d].Monitor: %w", i, err)
			}
			s.mon = mon
			s.up = mon.Up()
		}
		s.computeWeight(now)
		b.servers = append(b.servers, s)
		b.byName[sc.Name] = s
		if sc.Cookie == "" {
			s.cfg.Cookie = sc.Name
		}
		b.byCookie[s.cfg.Cookie] = s
		if sc.Backup {
			b.bck.members = append(b.bck.members, s)
		} else {
			b.act.members = append(b.act.members, s)
		}
	}
	b.cand = make([]*Server, 0, len(b.servers))
	b.act.build(now)
	b.bck.build(now)
	return b, nil
}

// Name returns the backend's name.
func (b *Backend) Name() string { return b.cfg.Name }

// Servers returns the servers in declaration order. The slice is the
// caller's; the servers are shared.
func (b *Backend) Servers() []*Server { return append([]*Server(nil), b.servers...) }

// Server returns the named server, or nil.
func (b *Backend) Server(name string) *Server { return b.byName[name] }

// Run runs the servers' health checks, slow start ramps and ejection
// expiries until ctx is done, then returns nil.
func (b *Backend) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, s := range b.servers {
		if s.mon != nil {
			wg.Go(func() { s.mon.Run(ctx) })
		}
	}
	if b.needsTicks() {
		t := time.NewTicker(tickEvery)
		defer t.Stop()
	loop:
		for {
			select {
			case <-ctx.Done():
				break loop
			case <-t.C:
				b.tick()
			}
		}
	}
	wg.Wait()
	return nil
}

// tickEvery is how often slow start weights and ejections are revisited.
// HAProxy moves a slow start ramp at least every second.
const tickEvery = 250 * time.Millisecond

func (b *Backend) needsTicks() bool {
	if b.cfg.Outlier.Consecutive > 0 {
		return true
	}
	for _, s := range b.servers {
		if s.cfg.SlowStart > 0 {
			return true
		}
	}
	return false
}

func (b *Backend) tick() {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	for _, s := range b.servers {
		if !s.upSince.IsZero() || !s.ejected.IsZero() {
			b.refreshLocked(s, now)
		}
	}
}

// refreshLocked recomputes s's weight and usability and moves it in or out
// of its round robin group; b.mu held.
func (b *Backend) refreshLocked(s *Server, now time.Time) {
	if !s.computeWeight(now) {
		s.upSince = time.Time{}
	}
	if !s.ejected.IsZero() && !now.Before(s.ejected) {
		s.ejected = time.Time{}
		b.ejected--
	}
	g := &b.act
	if s.cfg.Backup {
		g = &b.bck
	}
	switch u := s.usable(now); {
	case u && !s.rr.inGroup:
		g.up(s)
	case !u && s.rr.inGroup:
		g.down(s)
	case u:
		g.reweight(s)
	}
	b.tableOK, b.lvsOK = false, false
	b.wakeLocked()
}

// setHealth records a health transition of s.
func (b *Backend) setHealth(s *Server, up bool) {
	b.mu.Lock()
	now := time.Now()
	if s.up == up {
		b.mu.Unlock()
		return
	}
	wasUp := b.anyUsableLocked(now)
	s.up = up
	s.lastChg = now
	if up {
		if !s.downAt.IsZero() {
			s.downSum += now.Sub(s.downAt)
			s.downAt = time.Time{}
		}
		if s.cfg.SlowStart > 0 {
			s.upSince = now
		}
	} else {
		s.downAt = now
		s.chkDown++
	}
	b.refreshLocked(s, now)
	if isUp := b.anyUsableLocked(now); isUp != wasUp {
		b.lastChg = now
		if isUp {
			b.downSum += now.Sub(b.downAt)
		} else {
			b.downAt = now
			b.chkDownBackend++
		}
	}
	var backups []*Server
	if up && s.cfg.ShutdownBackupOnUp {
		backups = b.bck.members
	}
	b.mu.Unlock()

	if b.cfg.Logger != nil {
		state := "DOWN"
		if up {
			state = "UP"
		}
		b.cfg.Logger.Info("lb: server is "+state, "backend", b.cfg.Name, "server", s.cfg.Name)
	}
	if !up && s.cfg.ShutdownOnDown {
		s.shutdownSessions()
	}
	for _, bk := range backups {
		bk.shutdownSessions()
	}
	if b.cfg.OnServerChange != nil {
		b.cfg.OnServerChange(s.cfg.Name, up)
	}
}

func (b *Backend) anyUsableLocked(now time.Time) bool {
	for _, s := range b.servers {
		if s.usable(now) {
			return true
		}
	}
	return false
}

// SetState sets a server's administrative state, as HAProxy's "set server
// BACKEND/SERVER state ready|drain|maint".
func (b *Backend) SetState(server string, st AdminState) error {
	s := b.byName[server]
	if s == nil {
		return fmt.Errorf("%w %q in backend %q", ErrUnknownServer, server, b.cfg.Name)
	}
	if st < AdminReady || st > AdminMaint {
		return fmt.Errorf("lb: SetState %q: %v is not an AdminState", server, st)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if s.admin != st {
		s.admin = st
		s.lastChg = time.Now()
		b.refreshLocked(s, s.lastChg)
	}
	return nil
}

// SetWeight sets a server's weight, 0 to 256, as HAProxy's "set weight
// BACKEND/SERVER". Weight 0 takes the server out of the rotation.
func (b *Backend) SetWeight(server string, w int) error {
	s := b.byName[server]
	if s == nil {
		return fmt.Errorf("%w %q in backend %q", ErrUnknownServer, server, b.cfg.Name)
	}
	if w < 0 || w > weightLimit {
		return fmt.Errorf("lb: SetWeight %q: weight %d is not 0 to 256", server, w)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	s.uweight = w
	b.ring = nil // consistent hashing places points by weight
	b.refreshLocked(s, time.Now())
	return nil
}

// Key carries what the hashing algorithms hash. Fields an algorithm does not
// use may be left zero.
type Key struct {
	// Source is the client's address (Source, SH).
	Source net.IP
	// Dest is the address the client connected to (DH).
	Dest net.IP
	// URI is the request URI, path and query (URI, URLParam).
	URI string
	// Header is the request's header (Hdr).
	Header map[string][]string
}

// Pick returns the server the algorithm chooses for k, without counting a
// connection on it. It returns ErrNoServer when no server is usable, and
// ErrFull when every server it may choose is at its maxconn (Acquire waits
// instead). Hashing algorithms return their server even when it is full.
// It does not allocate.
func (b *Backend) Pick(k *Key) (*Server, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.pickLocked(k, nil, false)
	switch {
	case s != nil:
		return s, nil
	case b.anyUsableLocked(time.Now()):
		return nil, ErrFull
	}
	return nil, ErrNoServer
}
