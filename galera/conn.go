package galera

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// trackedConn is a client connection's socket, known to its node so that
// the Router can close it when the node goes down.
type trackedConn struct {
	net.Conn
	n    *rnode
	once sync.Once
}

// trackedSysConn is a trackedConn over a socket with a file descriptor.
// Exposing it keeps go-sql-driver's liveness check (CheckConnLiveness)
// working: a dead idle connection is found before reuse and answers
// driver.ErrBadConn, rather than failing the next statement with an
// unknown outcome. Connections without one (an in-memory pipe) are not
// checked, as go-sql-driver does for them.
type trackedSysConn struct {
	*trackedConn
	sc syscall.Conn
}

func (c trackedSysConn) SyscallConn() (syscall.RawConn, error) { return c.sc.SyscallConn() }

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.n.connsMu.Lock()
		delete(c.n.conns, c)
		c.n.connsMu.Unlock()
	})
	return c.Conn.Close()
}

// dialer wraps the configured dial function (or a net.Dialer) to track
// the node's client sockets.
func (n *rnode) dialer(base func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		var c net.Conn
		var err error
		if base != nil {
			c, err = base(ctx, network, addr)
		} else {
			var d net.Dialer
			c, err = d.DialContext(ctx, network, addr)
		}
		if err != nil {
			return nil, err
		}
		tc := &trackedConn{Conn: c, n: n}
		n.connsMu.Lock()
		n.conns[tc] = struct{}{}
		n.connsMu.Unlock()
		if sc, ok := c.(syscall.Conn); ok {
			return trackedSysConn{tc, sc}, nil
		}
		return tc, nil
	}
}

func (n *rnode) closeConns() {
	n.connsMu.Lock()
	cs := make([]*trackedConn, 0, len(n.conns))
	for c := range n.conns {
		cs = append(cs, c)
	}
	n.connsMu.Unlock()
	for _, c := range cs {
		c.Close()
	}
}

func (n *rnode) connCount() int {
	n.connsMu.Lock()
	defer n.connsMu.Unlock()
	return len(n.conns)
}

// Writer returns the connector for writes: every connection it opens goes
// to the current writer, and a connection whose node stopped being the
// writer is refused reuse (driver.ErrBadConn from ResetSession, false from
// IsValid, ErrBadConn from any statement or commit not yet sent), so
// database/sql discards it and no statement runs on a demoted node.
// When no node qualifies, Connect fails at once with ErrNoWriter.
func (r *Router) Writer() driver.Connector { return writerConnector{r} }

// Reader returns the connector for reads, balanced round-robin over the
// readers chosen by RouterConfig.Readers. A connection whose node stops
// being a reader is retired as the writer's are.
func (r *Router) Reader() driver.Connector { return readerConnector{r} }

type writerConnector struct{ r *Router }

func (c writerConnector) Driver() driver.Driver { return routerDriver{} }

func (c writerConnector) Connect(ctx context.Context) (driver.Conn, error) {
	r := c.r
	if err := r.waitReady(ctx); err != nil {
		return nil, err
	}
	var lastErr error
	for range len(r.nodes) + 1 {
		if err := r.waitElection(ctx); err != nil {
			return nil, err
		}
		r.mu.Lock()
		w := r.writer
		gen := r.writerGen.Load()
		if w < 0 {
			r.stats.NoWriter++
			r.mu.Unlock()
			if lastErr != nil {
				return nil, fmt.Errorf("%w (last: %v)", ErrNoWriter, lastErr)
			}
			return nil, ErrNoWriter
		}
		n := r.nodes[w]
		r.mu.Unlock()
		conn, err := n.connector.Connect(ctx)
		if err == nil {
			r.mu.Lock()
			r.stats.Opened++
			r.mu.Unlock()
			return &routedConn{r: r, n: n, writer: true, gen: gen, inner: conn}, nil
		}
		lastErr = &NodeError{Node: n.addr, Op: "connect", Err: err}
		if ctx.Err() != nil || !nodeSuspect(err) {
			return nil, lastErr
		}
		// The writer did not take the connection: probe it now and, if
		// that moves the role, connect to the new writer.
		if !r.confirmDown(ctx, n, gen, err) {
			return nil, lastErr
		}
	}
	return nil, lastErr
}

type readerConnector struct{ r *Router }

func (c readerConnector) Driver() driver.Driver { return routerDriver{} }

func (c readerConnector) Connect(ctx context.Context) (driver.Conn, error) {
	r := c.r
	if err := r.waitReady(ctx); err != nil {
		return nil, err
	}
	r.mu.Lock()
	readers := append([]int(nil), r.readers...)
	r.mu.Unlock()
	if len(readers) == 0 {
		return nil, ErrNoReader
	}
	start := int(r.rr.Add(1))
	var lastErr error
	for k := range readers {
		n := r.nodes[readers[(start+k)%len(readers)]]
		gen := n.readerGen.Load()
		conn, err := n.connector.Connect(ctx)
		if err == nil && r.cfg.ReaderSyncWait != 0 {
			_, err = conn.(driver.ExecerContext).ExecContext(ctx,
				"SET SESSION wsrep_sync_wait = "+strconv.Itoa(r.cfg.ReaderSyncWait), nil)
			if err != nil {
				conn.Close()
			}
		}
		if err == nil {
			r.mu.Lock()
			r.stats.Opened++
			r.mu.Unlock()
			return &routedConn{r: r, n: n, gen: gen, inner: conn}, nil
		}
		lastErr = &NodeError{Node: n.addr, Op: "connect", Err: err}
		if ctx.Err() != nil {
			return nil, lastErr
		}
		if nodeSuspect(err) {
			r.suspect(n, err)
		}
	}
	return nil, lastErr
}

// confirmDown probes n, the writer of generation gen, now after a client
// failed to connect to it with err, and again at once while it keeps
// failing, up to Fall probes. It reports whether the writer role moved.
func (r *Router) confirmDown(ctx context.Context, n *rnode, gen uint64, err error) bool {
	for range r.cfg.Fall {
		failed := time.Now()
		r.suspect(n, err)
		if !r.waitProbeAfter(ctx, n, failed) {
			return false
		}
		if r.writerGen.Load() != gen {
			return true
		}
		r.mu.Lock()
		recovered := n.failStreak == 0
		r.mu.Unlock()
		if recovered {
			return false
		}
	}
	return r.writerGen.Load() != gen
}

// waitProbeAfter waits until a probe of n that began at or after t has
// completed, bounded by ctx and the probe timeout. It reports whether one
// did.
func (r *Router) waitProbeAfter(ctx context.Context, n *rnode, t time.Time) bool {
	timer := time.NewTimer(r.cfg.ProbeTimeout + 100*time.Millisecond)
	defer timer.Stop()
	for {
		r.mu.Lock()
		started, probed := n.probeStart, n.probed
		r.mu.Unlock()
		if !started.Before(t) {
			return true
		}
		select {
		case <-probed:
		case <-ctx.Done():
			return false
		case <-r.done:
			return false
		case <-timer.C:
			return false
		}
	}
}

// waitElection waits while the Router chooses a new writer on fresh
// probes, bounded by ctx and twice the probe timeout.
func (r *Router) waitElection(ctx context.Context) error {
	var t *time.Timer
	for {
		r.mu.Lock()
		electing, changed := r.electing, r.changed
		r.mu.Unlock()
		if !electing {
			return nil
		}
		if t == nil {
			t = time.NewTimer(2 * r.cfg.ProbeTimeout)
			defer t.Stop()
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		case <-r.done:
			return ErrClosed
		case <-t.C:
			return nil
		}
	}
}

// waitReady waits for the first probe round, bounded by ctx and by twice
// the probe timeout (the Router may not be running yet).
func (r *Router) waitReady(ctx context.Context) error {
	select {
	case <-r.ready:
	default:
		t := time.NewTimer(2*r.cfg.ProbeTimeout + r.cfg.ProbeInterval)
		defer t.Stop()
		select {
		case <-r.ready:
		case <-ctx.Done():
			return ctx.Err()
		case <-r.done:
		case <-t.C:
			return fmt.Errorf("%w: no probe round completed (is Router.Run running?)", ErrNoWriter)
		}
	}
	select {
	case <-r.done:
		return ErrClosed
	default:
		return nil
	}
}

// routerDriver is what the connectors return from Driver; opening by name
// is not supported (use sql.OpenDB with a connector).
type routerDriver struct{}

func (routerDriver) Open(string) (driver.Conn, error) {
	return nil, errors.New("galera: open a Router's connectors with sql.OpenDB")
}

// The interfaces go-sql-driver's connection implements, which routedConn
// passes through.
type innerConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ExecerContext
	driver.QueryerContext
	driver.ConnPrepareContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
	driver.NamedValueChecker
}

// routedConn is a client connection handed out by a Router connector. It
// refuses to run anything once its node lost the role it was opened for.
type routedConn struct {
	r      *Router
	n      *rnode
	writer bool
	gen    uint64
	inner  driver.Conn
	// broken is set when a COMMIT or ROLLBACK failed: the transaction may
	// still be open on the server, so the connection is never reused.
	broken atomic.Bool
	// side carries a read-only transaction begun on a writer connection
	// to a reader (RouterConfig.ReadOnlyTxToReaders) until it ends.
	// database/sql uses a connection from one goroutine at a time.
	side *routedConn
}

var (
	_ driver.Conn               = (*routedConn)(nil)
	_ driver.ConnBeginTx        = (*routedConn)(nil)
	_ driver.ExecerContext      = (*routedConn)(nil)
	_ driver.QueryerContext     = (*routedConn)(nil)
	_ driver.ConnPrepareContext = (*routedConn)(nil)
	_ driver.Pinger             = (*routedConn)(nil)
	_ driver.SessionResetter    = (*routedConn)(nil)
	_ driver.Validator          = (*routedConn)(nil)
	_ driver.NamedValueChecker  = (*routedConn)(nil)
)

// stale reports whether the connection's node no longer has its role,
// or the connection is broken.
func (c *routedConn) stale() bool {
	if c.broken.Load() {
		return true
	}
	if c.writer {
		return c.r.writerGen.Load() != c.gen
	}
	return c.n.readerGen.Load() != c.gen
}

// observe passes a statement's error through, asking for an immediate
// probe when it says something about the node.
func (c *routedConn) observe(err error) error {
	if err != nil && !errors.Is(err, driver.ErrSkip) && nodeSuspect(err) {
		c.r.suspect(c.n, err)
	}
	return err
}

func (c *routedConn) retire() error {
	c.r.mu.Lock()
	c.r.stats.Retired++
	c.r.mu.Unlock()
	return driver.ErrBadConn
}

func (c *routedConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *routedConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if c.side != nil {
		return c.side.PrepareContext(ctx, query)
	}
	if c.stale() {
		return nil, c.retire()
	}
	var s driver.Stmt
	var err error
	if p, ok := c.inner.(driver.ConnPrepareContext); ok {
		s, err = p.PrepareContext(ctx, query)
	} else {
		s, err = c.inner.Prepare(query)
	}
	if err != nil {
		return nil, c.observe(err)
	}
	return &routedStmt{c: c, inner: s}, nil
}

func (c *routedConn) Close() error {
	if c.side != nil {
		c.side.Close()
		c.side = nil
	}
	return c.inner.Close()
}

func (c *routedConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *routedConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if c.stale() {
		return nil, c.retire()
	}
	if c.writer && opts.ReadOnly && c.r.cfg.ReadOnlyTxToReaders {
		return c.beginOnReader(ctx, opts)
	}
	tx, err := c.inner.(innerConn).BeginTx(ctx, opts)
	if err != nil {
		return nil, c.observe(err)
	}
	return &routedTx{c: c, inner: tx}, nil
}

func (c *routedConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if c.side != nil {
		return c.side.ExecContext(ctx, query, args)
	}
	if c.stale() {
		return nil, c.retire()
	}
	res, err := c.inner.(innerConn).ExecContext(ctx, query, args)
	return res, c.observe(err)
}

func (c *routedConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if c.side != nil {
		return c.side.QueryContext(ctx, query, args)
	}
	if c.stale() {
		return nil, c.retire()
	}
	rows, err := c.inner.(innerConn).QueryContext(ctx, query, args)
	return rows, c.observe(err)
}

func (c *routedConn) Ping(ctx context.Context) error {
	if c.stale() {
		return c.retire()
	}
	return c.observe(c.inner.(innerConn).Ping(ctx))
}

// ResetSession is called by database/sql before a pooled connection is
// reused: a connection whose node lost its role is refused here.
func (c *routedConn) ResetSession(ctx context.Context) error {
	if c.stale() {
		return c.retire()
	}
	return c.inner.(innerConn).ResetSession(ctx)
}

// IsValid is called by database/sql before a connection returns to the
// pool.
func (c *routedConn) IsValid() bool {
	return !c.stale() && c.inner.(innerConn).IsValid()
}

func (c *routedConn) CheckNamedValue(nv *driver.NamedValue) error {
	return c.inner.(innerConn).CheckNamedValue(nv)
}

// beginOnReader opens a connection to a reader and begins the read-only
// transaction there; c's statements go to it until the transaction ends.
func (c *routedConn) beginOnReader(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	dc, err := readerConnector{c.r}.Connect(ctx)
	if err != nil {
		return nil, err
	}
	side := dc.(*routedConn)
	tx, err := side.BeginTx(ctx, opts)
	if err != nil {
		side.Close()
		return nil, err
	}
	c.side = side
	return sideTx{c: c, inner: tx}, nil
}

// sideTx is a read-only transaction on a reader; ending it closes the
// reader connection and gives the writer connection back its statements.
type sideTx struct {
	c     *routedConn
	inner driver.Tx
}

func (t sideTx) Commit() error   { return t.end(t.inner.Commit()) }
func (t sideTx) Rollback() error { return t.end(t.inner.Rollback()) }

func (t sideTx) end(err error) error {
	t.c.side.Close()
	t.c.side = nil
	return err
}

// routedTx refuses to commit once its node lost its role: it closes the
// connection instead, so the server rolls the transaction back, and
// returns driver.ErrBadConn (the outcome is known: not committed).
type routedTx struct {
	c     *routedConn
	inner driver.Tx
}

func (t *routedTx) Commit() error {
	if t.c.stale() {
		t.c.inner.Close()
		return t.c.retire()
	}
	return t.end(t.inner.Commit())
}

func (t *routedTx) Rollback() error { return t.end(t.inner.Rollback()) }

// end marks the connection broken when COMMIT or ROLLBACK failed: a
// COMMIT refused without being executed (1047, 1205) leaves the
// transaction open on the server, go-sql-driver's ResetSession does not
// reset the session, and the next statement on the connection would
// commit it. database/sql then drops the connection (IsValid, ResetSession).
func (t *routedTx) end(err error) error {
	if err != nil {
		t.c.broken.Store(true)
	}
	return t.c.observe(err)
}

type routedStmt struct {
	c     *routedConn
	inner driver.Stmt
}

var (
	_ driver.StmtExecContext  = (*routedStmt)(nil)
	_ driver.StmtQueryContext = (*routedStmt)(nil)
)

func (s *routedStmt) Close() error  { return s.inner.Close() }
func (s *routedStmt) NumInput() int { return s.inner.NumInput() }

// Exec and Query serve callers of the pre-context interface.
func (s *routedStmt) Exec(args []driver.Value) (driver.Result, error) {
	return s.ExecContext(context.Background(), named(args))
}

func (s *routedStmt) Query(args []driver.Value) (driver.Rows, error) {
	return s.QueryContext(context.Background(), named(args))
}

func named(args []driver.Value) []driver.NamedValue {
	out := make([]driver.NamedValue, len(args))
	for i, v := range args {
		out[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	return out
}

func (s *routedStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	if s.c.stale() {
		return nil, s.c.retire()
	}
	res, err := s.inner.(driver.StmtExecContext).ExecContext(ctx, args)
	return res, s.c.observe(err)
}

func (s *routedStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	if s.c.stale() {
		return nil, s.c.retire()
	}
	rows, err := s.inner.(driver.StmtQueryContext).QueryContext(ctx, args)
	return rows, s.c.observe(err)
}
