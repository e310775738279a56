package galera

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/hakit/hakit"
)

// DefaultCheckTimeout is the Checker's default Timeout.
const DefaultCheckTimeout = time.Second

// CheckerConfig configures a Checker. Only Driver is required.
type CheckerConfig struct {
	// Driver says how to reach the node: Addr, User, Passwd and TLS are
	// used. The Checker works on its own copy, with its session's
	// wsrep_sync_wait set to 0. Required.
	Driver *mysql.Config
	// Timeout bounds one Check: dial, handshake and both queries. Zero
	// means 1s. (go-sql-driver's own Timeout covers only the dial: a
	// stopped mysqld accepts TCP connections but never sends its
	// handshake.)
	Timeout time.Duration
	// Policy decides availability from the state read. The zero Policy is
	// clustercheck's defaults.
	Policy Policy
	// Logger receives a line per change of availability. Nil means silent.
	Logger *slog.Logger
}

// Checker is a hakit.Checker for one Galera node with Percona clustercheck's
// semantics: Check returns nil when the node is available under the
// Policy, an *UnavailableError when it answered with an unavailable state,
// and a *NodeError when it could not be queried within Timeout.
//
// A Checker keeps one connection to the node open between checks and
// reopens it after a failure. It is safe for concurrent use.
type Checker struct {
	node    string
	timeout time.Duration
	policy  Policy
	log     *slog.Logger
	db      *sql.DB

	mu    sync.Mutex
	stats CheckerStats
}

var _ hakit.Checker = (*Checker)(nil)

// CheckerStats is a snapshot of a Checker's counters.
type CheckerStats struct {
	Checks      uint64    // Check calls
	Unavailable uint64    // checks that read an unavailable state
	Errors      uint64    // checks that could not read a state
	Last        NodeState // the last state read, zero if none
	LastErr     error     // the last check's result
	LastAt      time.Time // when the last check ended
}

// NewChecker validates cfg and returns a Checker. It does no I/O.
func NewChecker(cfg CheckerConfig) (*Checker, error) {
	if cfg.Driver == nil {
		return nil, errors.New("galera: CheckerConfig.Driver is required")
	}
	if cfg.Driver.Addr == "" {
		return nil, errors.New("galera: CheckerConfig.Driver.Addr is required")
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("galera: CheckerConfig.Timeout %v must not be negative", cfg.Timeout)
	}
	if cfg.Policy.MaxRecvQueue < 0 {
		return nil, fmt.Errorf("galera: CheckerConfig.Policy.MaxRecvQueue %d must not be negative", cfg.Policy.MaxRecvQueue)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultCheckTimeout
	}
	dc := probeConfig(cfg.Driver, cfg.Timeout)
	conn, err := mysql.NewConnector(dc)
	if err != nil {
		return nil, fmt.Errorf("galera: CheckerConfig.Driver: %w", err)
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	return &Checker{node: dc.Addr, timeout: cfg.Timeout, policy: cfg.Policy, log: cfg.Logger, db: db}, nil
}

// probeConfig copies c for health probes: every I/O is bounded by timeout,
// and the probe needs no database (the probed user may lack rights on it).
// The session sets wsrep_sync_wait=0, as Percona's readiness scripts do
// with --init-command: a global wsrep_sync_wait covering SHOW (bit 8)
// would make the status query wait for the cluster, which stalls during
// the eviction of a dead member, and a healthy node would fail its probe.
// The caller's other session parameters are not applied.
func probeConfig(c *mysql.Config, timeout time.Duration) *mysql.Config {
	dc := c.Clone()
	dc.DBName = ""
	dc.Timeout = timeout
	dc.ReadTimeout = timeout
	dc.WriteTimeout = timeout
	dc.Params = map[string]string{"wsrep_sync_wait": "0"}
	dc.Logger = nopLogger{}
	return dc
}

// nopLogger silences go-sql-driver's own log lines for probe connections:
// a probe's failure is reported as its error.
type nopLogger struct{}

func (nopLogger) Print(...any) {}

// Node returns the address of the node checked.
func (c *Checker) Node() string { return c.node }

// State reads the node's state within Timeout (or ctx's deadline, if
// earlier).
func (c *Checker) State(ctx context.Context) (NodeState, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	st, err := ReadNodeState(ctx, c.db, c.node)
	if err != nil && ctx.Err() != nil {
		var ne *NodeError
		if !errors.As(err, &ne) {
			err = &NodeError{Node: c.node, Op: "query", Err: err}
		}
		err = fmt.Errorf("%w (no answer within %v)", err, c.timeout)
	}
	return st, err
}

// Check reads the node's state and evaluates it under the Policy.
func (c *Checker) Check(ctx context.Context) error {
	st, err := c.State(ctx)
	unavailable := false
	if err == nil {
		err = c.policy.Evaluate(st)
		unavailable = err != nil
	}
	c.mu.Lock()
	prev := c.stats.LastErr
	first := c.stats.Checks == 0
	c.stats.Checks++
	if unavailable {
		c.stats.Unavailable++
	} else if err != nil {
		c.stats.Errors++
	}
	if err == nil || unavailable {
		c.stats.Last = st
	}
	c.stats.LastErr = err
	c.stats.LastAt = time.Now()
	c.mu.Unlock()
	if c.log != nil && (first || (prev == nil) != (err == nil)) {
		if err == nil {
			c.log.Info("galera: node available", "node", c.node)
		} else {
			c.log.Warn("galera: node unavailable", "node", c.node, "err", err)
		}
	}
	return err
}

// Stats returns a snapshot of the counters.
func (c *Checker) Stats() CheckerStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// Close closes the Checker's connection.
func (c *Checker) Close() error { return c.db.Close() }
