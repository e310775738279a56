package galeratest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Config configures a fake Cluster. The zero Config is three nodes that
// accept user "hakit" with password "hakit".
type Config struct {
	// Nodes is the number of nodes; zero means 3.
	Nodes int
	// User and Password are the only credentials the nodes accept
	// (mysql_native_password). Zero means "hakit" and "hakit".
	User, Password string
	// Now is the clock behind NOW() and UNIX_TIMESTAMP(); nil means
	// time.Now.
	Now func() time.Time
	// InMemory runs the nodes without sockets: addresses are
	// "nodeN.galeratest:3306" and connections are in-memory pipes opened
	// by Cluster.DialContext (DriverConfig sets it as the DialFunc), so
	// tests can run inside a testing/synctest bubble on its fake clock.
	// A killed node refuses with ECONNREFUSED. DSN cannot carry the dial
	// function: open such a cluster through DriverConfig.
	InMemory bool
}

// Cluster is a set of fake Galera nodes sharing one synchronously
// replicated store. Each node listens on its own 127.0.0.1 port and speaks
// enough of the MySQL protocol for go-sql-driver.
//
// Membership follows Galera's quorum rule: the nodes that are alive and
// connected to each other form the Primary component when they are more
// than half of the last Primary component; otherwise they are non-Primary
// (wsrep_local_state 0, wsrep_ready OFF) and refuse queries that touch
// data with error 1047 until enough nodes return or Bootstrap is called.
// Membership changes take effect at once: the fake has no eviction delay.
type Cluster struct {
	cfg   Config
	store *store
	nodes []*Node

	mu          sync.Mutex
	lastPrimary []int // indexes of the last Primary component
	confID      int64
	uuid        string
	certFails   int
	closed      bool
}

// NewCluster starts a cluster of fake nodes on loopback ports.
func NewCluster(cfg Config) (*Cluster, error) {
	if cfg.Nodes < 0 {
		return nil, fmt.Errorf("galeratest: Config.Nodes %d must not be negative", cfg.Nodes)
	}
	if cfg.Nodes == 0 {
		cfg.Nodes = 3
	}
	if cfg.User == "" {
		cfg.User = "hakit"
	}
	if cfg.Password == "" {
		cfg.Password = "hakit"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Cluster{cfg: cfg, store: newStore(), uuid: "6b1f2d10-c9c8-11ef-8a5b-7e3a8c2f3c5e"}
	for i := range cfg.Nodes {
		n := &Node{cluster: c, index: i, conns: map[net.Conn]struct{}{}}
		if cfg.InMemory {
			n.addr = fmt.Sprintf("node%d.galeratest:3306", i+1)
		} else {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				c.Close()
				return nil, fmt.Errorf("galeratest: listen: %w", err)
			}
			n.addr, n.ln = ln.Addr().String(), ln
		}
		c.nodes = append(c.nodes, n)
	}
	for i := range c.nodes {
		c.lastPrimary = append(c.lastPrimary, i)
	}
	c.confID = 1
	c.recompute()
	for _, n := range c.nodes {
		if n.ln != nil {
			n.startAccepting(n.ln)
		}
	}
	return c, nil
}

// DialContext connects to the node at addr without the network: an
// in-memory pipe served by the node, or ECONNREFUSED when the node is
// killed. It is go-sql-driver's Config.DialFunc for InMemory clusters and
// works for the others too.
func (c *Cluster) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	for _, n := range c.nodes {
		if n.addr == addr {
			return n.dialPipe()
		}
	}
	return nil, &net.OpError{Op: "dial", Net: network, Err: fmt.Errorf("galeratest: no node at %s", addr)}
}

func (c *Cluster) now() time.Time { return c.cfg.Now() }

// Node returns node i (0-based).
func (c *Cluster) Node(i int) *Node { return c.nodes[i] }

// Nodes returns the nodes in index order.
func (c *Cluster) Nodes() []*Node { return slices.Clone(c.nodes) }

// Addrs returns the nodes' addresses, "127.0.0.1:port", in index order.
func (c *Cluster) Addrs() []string {
	out := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		out[i] = n.addr
	}
	return out
}

// DriverConfig returns a go-sql-driver configuration with the cluster's
// credentials and database db, for node 0's address. Router users replace
// Addr per node; galera.RouterConfig does that itself.
func (c *Cluster) DriverConfig(db string) *mysql.Config {
	m := mysql.NewConfig()
	m.User, m.Passwd, m.Net, m.Addr, m.DBName = c.cfg.User, c.cfg.Password, "tcp", c.nodes[0].addr, db
	m.Timeout, m.ReadTimeout, m.WriteTimeout = 5*time.Second, 30*time.Second, 30*time.Second
	if c.cfg.InMemory {
		m.DialFunc = c.DialContext
	}
	return m
}

// DSN returns a go-sql-driver DSN for node i and database db.
func (c *Cluster) DSN(i int, db string) string {
	m := c.DriverConfig(db)
	m.Addr = c.nodes[i].addr
	return m.FormatDSN()
}

// CertificationFailures counts transactions rolled back at COMMIT because a
// conflicting transaction committed first (answered with error 1213).
func (c *Cluster) CertificationFailures() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.certFails
}

func (c *Cluster) noteCertFailure() {
	c.mu.Lock()
	c.certFails++
	c.mu.Unlock()
}

// Bootstrap makes the component node i belongs to the Primary component,
// as SET GLOBAL wsrep_provider_options='pc.bootstrap=YES' does on node i.
func (c *Cluster) Bootstrap(i int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.nodes[i]
	if n.isKilled() {
		return errors.New("galeratest: Bootstrap: node " + strconv.Itoa(i) + " is down")
	}
	c.lastPrimary = c.groupOf(i)
	c.confID++
	c.recomputeLocked()
	return nil
}

// groupOf returns the indexes of the live nodes connected to node i.
func (c *Cluster) groupOf(i int) []int {
	if c.nodes[i].isIsolated() {
		return []int{i}
	}
	var g []int
	for j, n := range c.nodes {
		if !n.isKilled() && !n.isIsolated() {
			g = append(g, j)
		}
	}
	return g
}

func (c *Cluster) recompute() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.recomputeLocked()
}

// recomputeLocked applies the quorum rule to every group of live nodes and
// sets each node's membership view.
func (c *Cluster) recomputeLocked() {
	seen := map[int]bool{}
	for i, n := range c.nodes {
		if seen[i] {
			continue
		}
		if n.isKilled() {
			n.setView(view{})
			seen[i] = true
			continue
		}
		g := c.groupOf(i)
		common := 0
		for _, j := range g {
			seen[j] = true
			if slices.Contains(c.lastPrimary, j) {
				common++
			}
		}
		primary := common*2 > len(c.lastPrimary)
		if primary && !slices.Equal(g, c.lastPrimary) {
			c.lastPrimary = g
			c.confID++
		}
		var members []string
		for _, j := range g {
			members = append(members, c.nodes[j].addr)
		}
		for rank, j := range g {
			v := view{members: members, alive: true, primary: primary, size: len(g), index: int64(rank), confID: c.confID}
			if !primary {
				v.index, v.confID = -1, -1
			}
			c.nodes[j].setView(v)
		}
	}
}

// Close stops every node and closes their connections.
func (c *Cluster) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	for _, n := range c.nodes {
		n.stop()
	}
	return nil
}
