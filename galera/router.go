package galera

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Defaults of RouterConfig.
const (
	// DefaultProbeInterval is ProxySQL's
	// mysql-monitor_galera_healthcheck_interval (1000 ms).
	DefaultProbeInterval = time.Second
	// DefaultProbeTimeout bounds one probe: dial, handshake and the two
	// status queries.
	DefaultProbeTimeout = time.Second
	// DefaultFall is the number of consecutive failed probes that take an
	// up node down. One slow answer is not a failure worth demoting a
	// writer for: HAProxy's default is fall 3, the OpenStack HA guide's
	// Galera backends use fall 5, and ProxySQL's
	// mysql-monitor_galera_healthcheck_max_timeout_count defaults to 3.
	// Two keeps detection within two probe timeouts, the second probe
	// running FastInterval after the first failure.
	DefaultFall = 2
	// DefaultRise is HAProxy's default rise: two good probes in a row
	// bring a node back, so one lucky answer from a flapping node does
	// not move the writer back to it.
	DefaultRise = 2
)

// NodeConfig is one node of the cluster.
type NodeConfig struct {
	// Addr is host:port. Required.
	Addr string
	// Priority ranks writer candidates as MaxScale galeramon's priority
	// does with use_priority: when any node has a non-zero priority, the
	// lowest positive one is preferred and a node whose priority is 0 or
	// less is never the writer (it may still read), so a galeramon
	// configuration ports unchanged. When every priority is zero, the
	// default, the lowest wsrep_local_index wins, as galeramon without
	// use_priority. Among equal priorities the lowest index wins.
	Priority int
}

// RouterConfig configures a Router. Nodes and Driver are required; every
// other zero value is a documented default.
type RouterConfig struct {
	// Nodes lists the cluster's nodes, at least one.
	Nodes []NodeConfig
	// Driver holds the credentials, database, TLS and parameters for
	// every connection; its Addr is replaced by each node's. The Router
	// keeps its own copy. Probes use the same credentials without the
	// database, with wsrep_sync_wait=0 for their session, and need the
	// PROCESS privilege.
	Driver *mysql.Config

	// ProbeInterval is the time between active probes of each node; zero
	// means 1s. Sub-second values work: a probe costs two status queries
	// on a kept-open connection.
	ProbeInterval time.Duration
	// ProbeTimeout bounds one probe (dial, handshake, queries); zero
	// means 1s. A node that cannot answer in time is down: its client
	// connections are closed, which fails their in-flight statements at
	// once instead of leaving them hanging on a stopped server.
	ProbeTimeout time.Duration
	// Rise is the number of consecutive probes a node needs, after it
	// went down or lost the writer role, to count as up or fit for the
	// role again; zero means 2, HAProxy's rise. Fall is the number of
	// consecutive failed probes (no answer within ProbeTimeout, garbage)
	// that take an up node down and close its client connections, and
	// the number of consecutive soft states (Donor/Desynced, Joined,
	// read_only, wsrep_reject_queries, pxc_maint_mode) that take the
	// writer role from a node; zero means DefaultFall (2). A probe sees
	// such a state at most once if it lasts less than ProbeInterval, so a
	// brief wsrep_desync never moves the writer. Hard facts act at once:
	// a refused connection (mysqld is gone), a non-Primary component,
	// wsrep_ready OFF, a Joining or Initialized node, a node the Primary
	// component's members no longer list in wsrep_incoming_addresses.
	Rise, Fall int
	// FastInterval is the time between probes of an up node that failed
	// fewer than Fall probes in a row, as HAProxy's fastinter: it
	// confirms a failure sooner than ProbeInterval would. Zero means
	// ProbeInterval/4.
	FastInterval time.Duration

	// Sticky keeps the writer role on a node while it stays fit, even
	// when a better-ranked node is fit again (MaxScale galeramon's
	// disable_master_failback). Zero means failback: once the preferred
	// node has passed Rise probes, the role returns to it, as HAProxy
	// returns from its backup servers to the active one. Failback is what
	// makes Routers in different processes agree again after a failover;
	// stickiness is decided by each process alone, so two processes may
	// then keep different writers until one of them loses its own.
	Sticky bool
	// Readers says which nodes serve reads; zero means ReadersStandbys.
	Readers ReaderPolicy
	// NoReaderFallback makes the reader connector fail with ErrNoReader
	// when no node qualifies as a reader. Zero means it connects to the
	// writer then.
	NoReaderFallback bool
	// ReaderMaxRecvQueue, when positive, sheds readers whose
	// wsrep_local_recv_queue exceeds it (ProxySQL's
	// max_transactions_behind). Zero means no bound.
	ReaderMaxRecvQueue int64
	// ReadFromDonors lets Donor/Desynced nodes serve reads (unless they
	// reject queries during a state transfer).
	ReadFromDonors bool
	// ReadOnlyTxToReaders sends a transaction begun on the writer
	// connector with sql.TxOptions{ReadOnly: true} to a reader, over a
	// connection of the reader connector opened for it and closed when it
	// ends (ReaderSyncWait applies to it). Zero keeps it on the writer:
	// a read-only transaction there sees the last commit, on a reader
	// only what the node applied, unless ReaderSyncWait is set.
	ReadOnlyTxToReaders bool
	// ReaderSyncWait, when non-zero, is the session's wsrep_sync_wait on
	// every connection the reader connector opens (a bitmask: 1 makes
	// reads causal, waiting until the node has applied every commit
	// ordered before them; MariaDB accepts up to 15). The writer's
	// connections keep the server's setting, so a service pays for
	// causal reads only where it reads from other nodes. Zero leaves the
	// server's setting (0 by default).
	ReaderSyncWait int

	// OnWriterChange is called when the writer changes; to is "" when no
	// node qualifies. Calls come from one goroutine, in order, and must
	// not block for long.
	OnWriterChange func(from, to string)
	// OnNodeChange is called when a node goes up or down or changes role,
	// from the same goroutine as OnWriterChange, in order.
	OnNodeChange func(NodeStatus)
	// Logger receives role and health changes. Nil means silent.
	Logger *slog.Logger
}

// Role is a node's role in the Router.
type Role int

// Roles.
const (
	RoleDown    Role = iota // not reachable, or its state forbids any use
	RoleStandby             // healthy, not used (e.g. a backup writer under ReadersReadOnly)
	RoleReader              // serves reads
	RoleWriter              // the writer (it may also read, see ReaderPolicy)
)

// String returns the role's name.
func (r Role) String() string {
	switch r {
	case RoleDown:
		return "down"
	case RoleStandby:
		return "standby"
	case RoleReader:
		return "reader"
	case RoleWriter:
		return "writer"
	}
	return "Role(?)"
}

// NodeStatus is the Router's view of one node.
type NodeStatus struct {
	Addr     string
	Role     Role
	Up       bool          // the last probes read a state (Rise/Fall applied)
	State    NodeState     // the last state read; zero before the first
	Err      error         // the last probe's error; nil when it read a state
	Probes   uint64        // probes run
	Failures uint64        // probes that failed
	Suspects uint64        // immediate probes asked for by client connection errors
	Latency  time.Duration // duration of the last probe
	Conns    int           // open client connections to the node
}

// RouterStats is a snapshot of a Router.
type RouterStats struct {
	Writer        string // the writer's address, "" when none
	WriterChanges uint64 // times the writer changed (the first choice counts)
	NoWriter      uint64 // writer Connect calls answered ErrNoWriter
	Opened        uint64 // client connections opened
	Retired       uint64 // client connections refused reuse because their node lost its role
	Nodes         []NodeStatus
}

// Router routes database/sql connections of a Galera cluster: Writer
// returns a driver.Connector whose connections all go to the one writer,
// Reader one whose connections are balanced over the readers. Both are
// used with sql.OpenDB. Run probes the nodes and must be running for the
// connectors to work.
type Router struct {
	cfg   RouterConfig
	nodes []*rnode
	log   *slog.Logger

	running atomic.Bool
	ready   chan struct{} // closed after the first probe round
	done    chan struct{} // closed when Run returns

	mu         sync.Mutex
	el         *election
	started    bool // the first probe round is complete
	electing   bool // the writer was lost; waiting for fresh probes
	freshAfter time.Time
	lostWriter int           // the writer whose loss started the election
	reported   int           // the writer last reported to OnWriterChange
	changed    chan struct{} // closed and replaced at every recompute
	writer     int
	writerGen  atomic.Uint64 // changes with every writer change
	readers    []int
	rr         atomic.Uint64
	stats      RouterStats

	cbMu   sync.Mutex
	cbq    []func()
	cbWake chan struct{}
}

// rnode is one node's state inside the Router.
type rnode struct {
	idx       int
	addr      string
	connector driver.Connector // client connections
	probeConn driver.Connector // probes
	probeDB   *sql.DB          // opened by Run
	kick      chan struct{}    // asks for an immediate probe
	readerGen atomic.Uint64    // changes when the node stops being a reader

	// guarded by Router.mu
	up         bool
	seen       bool
	okStreak   int
	failStreak int
	state      NodeState
	err        error
	role       Role
	probes     uint64
	failures   uint64
	suspects   uint64
	latency    time.Duration
	probeStart time.Time     // when the last completed probe began
	probed     chan struct{} // closed and replaced after every probe

	connsMu sync.Mutex
	conns   map[*trackedConn]struct{}
}

// NewRouter validates cfg and returns a Router. It does no I/O.
func NewRouter(cfg RouterConfig) (*Router, error) {
	if len(cfg.Nodes) == 0 {
		return nil, errors.New("galera: RouterConfig.Nodes is empty")
	}
	if cfg.Driver == nil {
		return nil, errors.New("galera: RouterConfig.Driver is required")
	}
	switch {
	case cfg.ProbeInterval < 0:
		return nil, fmt.Errorf("galera: RouterConfig.ProbeInterval %v must not be negative", cfg.ProbeInterval)
	case cfg.ProbeTimeout < 0:
		return nil, fmt.Errorf("galera: RouterConfig.ProbeTimeout %v must not be negative", cfg.ProbeTimeout)
	case cfg.Rise < 0:
		return nil, fmt.Errorf("galera: RouterConfig.Rise %d must not be negative", cfg.Rise)
	case cfg.Fall < 0:
		return nil, fmt.Errorf("galera: RouterConfig.Fall %d must not be negative", cfg.Fall)
	case cfg.FastInterval < 0:
		return nil, fmt.Errorf("galera: RouterConfig.FastInterval %v must not be negative", cfg.FastInterval)
	case cfg.ReaderMaxRecvQueue < 0:
		return nil, fmt.Errorf("galera: RouterConfig.ReaderMaxRecvQueue %d must not be negative", cfg.ReaderMaxRecvQueue)
	case cfg.ReaderSyncWait < 0 || cfg.ReaderSyncWait > 15:
		return nil, fmt.Errorf("galera: RouterConfig.ReaderSyncWait %d must be within [0, 15] (a wsrep_sync_wait bitmask)", cfg.ReaderSyncWait)
	case cfg.Readers < ReadersStandbys || cfg.Readers > ReadersReadOnly:
		return nil, fmt.Errorf("galera: RouterConfig.Readers %d is not a ReaderPolicy", cfg.Readers)
	}
	if cfg.ProbeInterval == 0 {
		cfg.ProbeInterval = DefaultProbeInterval
	}
	if cfg.ProbeTimeout == 0 {
		cfg.ProbeTimeout = DefaultProbeTimeout
	}
	if cfg.Rise == 0 {
		cfg.Rise = DefaultRise
	}
	if cfg.Fall == 0 {
		cfg.Fall = DefaultFall
	}
	if cfg.FastInterval == 0 {
		cfg.FastInterval = cfg.ProbeInterval / 4
	}
	cfg.Nodes = append([]NodeConfig(nil), cfg.Nodes...)
	cfg.Driver = cfg.Driver.Clone()
	prios := make([]int, len(cfg.Nodes))
	for i, nc := range cfg.Nodes {
		prios[i] = nc.Priority
	}
	r := &Router{el: newElection(prios, cfg.Rise, cfg.Fall, cfg.Sticky), cfg: cfg, log: cfg.Logger, writer: -1, reported: -1, changed: make(chan struct{}), ready: make(chan struct{}), done: make(chan struct{}), cbWake: make(chan struct{}, 1)}
	seen := map[string]bool{}
	for i, nc := range cfg.Nodes {
		if nc.Addr == "" {
			return nil, fmt.Errorf("galera: RouterConfig.Nodes[%d].Addr is empty", i)
		}
		if _, _, err := net.SplitHostPort(nc.Addr); err != nil {
			return nil, fmt.Errorf("galera: RouterConfig.Nodes[%d].Addr %q: %w", i, nc.Addr, err)
		}
		if seen[nc.Addr] {
			return nil, fmt.Errorf("galera: RouterConfig.Nodes[%d].Addr %q is listed twice", i, nc.Addr)
		}
		seen[nc.Addr] = true
		n := &rnode{idx: i, addr: nc.Addr, kick: make(chan struct{}, 1),
			probed: make(chan struct{}), conns: map[*trackedConn]struct{}{}}
		dc := cfg.Driver.Clone()
		dc.Addr = nc.Addr
		if dc.Net == "" {
			dc.Net = "tcp"
		}
		dc.DialFunc = n.dialer(cfg.Driver.DialFunc)
		conn, err := mysql.NewConnector(dc)
		if err != nil {
			return nil, fmt.Errorf("galera: RouterConfig.Driver for node %s: %w", nc.Addr, err)
		}
		n.connector = conn
		pc, err := mysql.NewConnector(probeConfig(dc, cfg.ProbeTimeout))
		if err != nil {
			return nil, fmt.Errorf("galera: RouterConfig.Driver for node %s: %w", nc.Addr, err)
		}
		n.probeConn = pc
		r.nodes = append(r.nodes, n)
	}
	return r, nil
}

// Run probes every node each ProbeInterval, and at once when a client
// connection reports an error, until ctx is done; then it closes its probe
// connections and returns ctx's error. It may be called once.
func (r *Router) Run(ctx context.Context) error {
	if !r.running.CompareAndSwap(false, true) {
		return errors.New("galera: Router.Run called twice")
	}
	defer close(r.done)
	for _, n := range r.nodes {
		n.probeDB = sql.OpenDB(n.probeConn)
		n.probeDB.SetMaxOpenConns(1)
		n.probeDB.SetMaxIdleConns(1)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { r.dispatchCallbacks(ctx) })
	var first sync.WaitGroup
	first.Add(len(r.nodes))
	for _, n := range r.nodes {
		wg.Go(func() { r.probeLoop(ctx, n, first.Done) })
	}
	wg.Go(func() {
		first.Wait()
		// Roles are chosen once every node has answered or failed its
		// first probe: choosing on the first answer alone would make the
		// fastest node the writer, and without failback it would stay.
		r.mu.Lock()
		r.started = true
		r.recomputeLocked()
		r.mu.Unlock()
		close(r.ready)
	})
	<-ctx.Done()
	wg.Wait()
	for _, n := range r.nodes {
		n.probeDB.Close()
	}
	r.drainCallbacks()
	return ctx.Err()
}

func (r *Router) probeLoop(ctx context.Context, n *rnode, firstDone func()) {
	t := time.NewTimer(0)
	defer t.Stop()
	first := true
	for {
		select {
		case <-ctx.Done():
			if first {
				firstDone()
			}
			return
		case <-t.C:
		case <-n.kick:
			if !t.Stop() {
				select {
				case <-t.C:
				default:
				}
			}
		}
		r.probe(ctx, n)
		if first {
			first = false
			firstDone()
		}
		r.mu.Lock()
		falling := n.up && n.failStreak > 0
		r.mu.Unlock()
		if falling {
			t.Reset(r.cfg.FastInterval)
		} else {
			t.Reset(r.cfg.ProbeInterval)
		}
	}
}

func (r *Router) probe(ctx context.Context, n *rnode) {
	start := time.Now()
	pctx, cancel := context.WithTimeout(ctx, r.cfg.ProbeTimeout)
	st, err := ReadNodeState(pctx, n.probeDB, n.addr)
	if err != nil && pctx.Err() != nil && ctx.Err() == nil {
		err = fmt.Errorf("%w (no answer within %v)", err, r.cfg.ProbeTimeout)
	}
	cancel()
	if ctx.Err() != nil {
		return
	}
	r.observe(n, st, err, start)
}

// observe records a probe's result and recomputes the roles.
func (r *Router) observe(n *rnode, st NodeState, err error, start time.Time) {
	r.mu.Lock()
	n.probes++
	n.latency = time.Since(start)
	n.probeStart = start
	wasUp := n.up
	v := judge(st, err)
	r.el.observe(n.idx, v, st.LocalIndex, err == nil)
	r.observeMembersLocked(n, st, err)
	if err == nil {
		n.state, n.err = st, nil
		n.okStreak++
		n.failStreak = 0
		if !n.seen || n.okStreak >= r.cfg.Rise {
			n.up = true
		}
	} else {
		n.err = err
		n.failures++
		n.failStreak++
		n.okStreak = 0
		if !n.seen || n.failStreak >= r.cfg.Fall || v == verdictHard {
			n.up = false
		}
	}
	n.seen = true
	wentDown := wasUp && !n.up
	r.recomputeLocked()
	close(n.probed)
	n.probed = make(chan struct{})
	r.mu.Unlock()
	if wentDown {
		// A node that cannot answer a probe is treated as dead: close its
		// client connections so that statements stuck on it fail now.
		n.closeConns()
	}
}

// observeMembersLocked applies a hard fact one node reports about the
// others: a member of the Primary component whose
// wsrep_incoming_addresses lists itself in the Router's address form, but
// not node m, has evicted m (a stopped or partitioned node), however m's
// own probes are going.
func (r *Router) observeMembersLocked(n *rnode, st NodeState, err error) {
	if err != nil || st.ClusterStatus != ClusterStatusPrimary {
		return
	}
	members := st.Members()
	if !slices.Contains(members, n.addr) {
		return // another address form: nothing to compare with
	}
	for _, m := range r.nodes {
		if m != n && !slices.Contains(members, m.addr) {
			r.el.observe(m.idx, verdictHard, 0, false)
		}
	}
}

// recomputeLocked derives roles from the nodes' views and queues the
// callbacks for what changed.
func (r *Router) recomputeLocked() {
	if !r.started {
		return
	}
	views := make([]nodeView, len(r.nodes))
	for i, n := range r.nodes {
		views[i] = nodeView{up: n.up, state: n.state}
	}
	old := r.writer
	// When the writer loses its role, its successor is chosen on states
	// read after that moment: a node that lost quorum together with the
	// writer still looks Primary in its previous probe. The other nodes
	// are probed at once; connections wait for the choice.
	if old >= 0 && !r.el.fit(old) && !r.el.nodes[old].drained && r.freshAfter.IsZero() {
		r.freshAfter = time.Now()
		r.lostWriter = old
		for i, n := range r.nodes {
			if i != old {
				select {
				case n.kick <- struct{}{}:
				default:
				}
			}
		}
	}
	w := -1
	r.electing = false
	if !r.freshAfter.IsZero() {
		// Wait for every node, down ones too (one may have just come
		// back): routers that see the same cluster then pick the same
		// writer. A probe that fails fast (refused) costs nothing; a
		// stopped node holds the choice back for up to ProbeTimeout.
		for i, n := range r.nodes {
			if i != r.lostWriter && n.probeStart.Before(r.freshAfter) {
				r.electing = true
			}
		}
		if !r.electing {
			r.freshAfter = time.Time{}
		}
	}
	if !r.electing {
		w = r.el.choose()
	}
	readers := selectReaders(views, w, r.cfg.Readers, r.cfg.ReadFromDonors, r.cfg.ReaderMaxRecvQueue, !r.cfg.NoReaderFallback)
	isReader := make([]bool, len(r.nodes))
	for _, i := range readers {
		isReader[i] = true
	}
	if w != old {
		r.writer = w
		r.writerGen.Add(1)
	}
	if !r.electing && w != r.reported {
		from, to := r.addrOf(r.reported), r.addrOf(w)
		r.reported = w
		r.stats.WriterChanges++
		if r.log != nil {
			r.log.Warn("galera: writer changed", "from", from, "to", to)
		}
		if f := r.cfg.OnWriterChange; f != nil {
			r.queueCallback(func() { f(from, to) })
		}
	}
	for i, n := range r.nodes {
		role := RoleDown
		switch {
		case i == w:
			role = RoleWriter
		case isReader[i]:
			role = RoleReader
		case n.up && (writerEligible(views[i]) || readerEligible(views[i], true, 0)):
			role = RoleStandby
		}
		if r.readerHas(i, r.readers) && !isReader[i] {
			n.readerGen.Add(1)
		}
		if role != n.role {
			if r.log != nil {
				r.log.Info("galera: node role", "node", n.addr, "from", n.role.String(), "to", role.String(), "err", n.err)
			}
			n.role = role
			if f := r.cfg.OnNodeChange; f != nil {
				st := r.statusLocked(n)
				r.queueCallback(func() { f(st) })
			}
		}
	}
	r.readers = readers
	close(r.changed)
	r.changed = make(chan struct{})
}

func (r *Router) readerHas(i int, readers []int) bool {
	for _, j := range readers {
		if j == i {
			return true
		}
	}
	return false
}

func (r *Router) addrOf(i int) string {
	if i < 0 {
		return ""
	}
	return r.nodes[i].addr
}

func (r *Router) statusLocked(n *rnode) NodeStatus {
	return NodeStatus{Addr: n.addr, Role: n.role, Up: n.up, State: n.state, Err: n.err, Probes: n.probes,
		Failures: n.failures, Suspects: n.suspects, Latency: n.latency, Conns: n.connCount()}
}

// Stats returns a snapshot of the Router.
func (r *Router) Stats() RouterStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.stats
	s.Writer = r.addrOf(r.writer)
	s.Nodes = make([]NodeStatus, len(r.nodes))
	for i, n := range r.nodes {
		s.Nodes[i] = r.statusLocked(n)
	}
	return s
}

// WriterAddr returns the current writer's address, "" when there is none
// or while a new one is being chosen.
func (r *Router) WriterAddr() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.addrOf(r.writer)
}

// suspect asks for an immediate probe of n after a client connection saw
// err.
func (r *Router) suspect(n *rnode, err error) {
	r.mu.Lock()
	n.suspects++
	r.mu.Unlock()
	if r.log != nil {
		r.log.Debug("galera: client error, probing node now", "node", n.addr, "err", err)
	}
	select {
	case n.kick <- struct{}{}:
	default:
	}
}

func (r *Router) queueCallback(f func()) {
	r.cbMu.Lock()
	r.cbq = append(r.cbq, f)
	r.cbMu.Unlock()
	select {
	case r.cbWake <- struct{}{}:
	default:
	}
}

func (r *Router) dispatchCallbacks(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.cbWake:
		}
		r.drainCallbacks()
	}
}

func (r *Router) drainCallbacks() {
	for {
		r.cbMu.Lock()
		q := r.cbq
		r.cbq = nil
		r.cbMu.Unlock()
		if len(q) == 0 {
			return
		}
		for _, f := range q {
			f()
		}
	}
}
