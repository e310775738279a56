package cache

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
)

// Defaults of ClientConfig, nutcracker's (conf/README: auto_eject_hosts,
// server_failure_limit, server_retry_timeout; nc_conf.h).
const (
	// DefaultFailureLimit is nutcracker's server_failure_limit default.
	DefaultFailureLimit = 2
	// DefaultRetryTimeout is nutcracker's server_retry_timeout default
	// (30000 ms).
	DefaultRetryTimeout = 30 * time.Second
)

// ClientConfig configures a Client. The zero value of each field but Ring
// is a documented default.
type ClientConfig struct {
	// Ring is the placement of keys; Ring.Servers is required.
	Ring RingConfig
	// FailureLimit is how many consecutive failed requests eject a server
	// from the ring. Zero means DefaultFailureLimit (2).
	FailureLimit int
	// RetryTimeout is how long an ejected server stays out before one
	// request probes it (memcached's version command, within Timeout) and
	// puts it back if it answers; if it does not, it stays out for another
	// RetryTimeout. Zero means DefaultRetryTimeout (30s).
	RetryTimeout time.Duration
	// Timeout is the socket read/write timeout of each request. Zero means
	// gomemcache's memcache.DefaultTimeout (500ms).
	Timeout time.Duration
	// MaxIdleConns is the idle connections kept per server. Zero means
	// gomemcache's memcache.DefaultMaxIdleConns (2).
	MaxIdleConns int
	// OnEject, if not nil, is called after a server is ejected, on the
	// goroutine of the request whose failure ejected it, with no lock
	// held. It should return quickly.
	OnEject func(Ejection)
	// OnReturn, if not nil, is called after an ejected server is put
	// back, on the goroutine of the request that put it back, with no lock
	// held. It should return quickly.
	OnReturn func(index int, s Server)
	// Logger, if not nil, gets ejections and returns at Warn and Info.
	Logger *slog.Logger
}

// Ejection describes a server taken out of the ring.
type Ejection struct {
	Index  int       // the server's index in Ring.Servers
	Server Server    // the server
	Err    error     // the failure that ejected it
	Until  time.Time // when the next request will probe it
}

// ServerStats is one server's part of ClientStats.
type ServerStats struct {
	Server       Server
	Live         bool      // in the ring now
	Failures     int       // consecutive failures so far
	EjectedUntil time.Time // zero when live
	Ejections    int       // times ejected
	Returns      int       // times put back
	Requests     uint64    // requests whose outcome was counted
	Errors       uint64    // of which failed
	LastError    error     // the last failure, if any
}

// ClientStats is a snapshot of a Client.
type ClientStats struct {
	Live    int // servers in the ring
	Servers []ServerStats
}

// Client is a memcached client that places keys like nutcracker or
// libmemcached (its Ring) and ejects failing servers as nutcracker does
// with auto_eject_hosts: after FailureLimit consecutive failed requests a
// server leaves the ring, the ring is rebuilt over the live servers (whose
// keys mostly stay put), and after RetryTimeout one request probes it and
// puts it back if it answers, while the others keep to the live servers
// (nutcracker sends the next request to it, answering or not). It wraps a gomemcache client; it is safe for concurrent use.
//
// A failure is what makes nutcracker count one: the server could not be
// reached or did not answer in time (connection refused or reset, timeout,
// connection closed). An answer, even an error such as SERVER_ERROR or a
// cache miss, shows the server alive and resets its count. A restarted
// memcached leaves every idle connection to it dead (up to MaxIdleConns),
// and each fails once when reused; such peer-closed failures (EOF,
// connection reset) count once per server until a connection dialled
// since fails as well, so a server that restarted and is already serving
// is not ejected. Failures to connect and timeouts count each time.
type Client struct {
	cfg  ClientConfig
	base *Ring
	sel  *Selector
	mc   *memcache.Client

	// dials counts the connections dialled to each server, by dial
	// address.
	dials map[string]*atomic.Uint64

	nextReturn atomic.Int64 // UnixNano of the next due return; 0 none

	mu sync.Mutex
	ej *ejector
}

// NewClient validates cfg and returns a Client. It does no I/O.
func NewClient(cfg ClientConfig) (*Client, error) {
	if cfg.FailureLimit < 0 {
		return nil, fmt.Errorf("cache: ClientConfig.FailureLimit %d is negative", cfg.FailureLimit)
	}
	if cfg.RetryTimeout < 0 {
		return nil, fmt.Errorf("cache: ClientConfig.RetryTimeout %v is negative", cfg.RetryTimeout)
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("cache: ClientConfig.Timeout %v is negative", cfg.Timeout)
	}
	if cfg.MaxIdleConns < 0 {
		return nil, fmt.Errorf("cache: ClientConfig.MaxIdleConns %d is negative", cfg.MaxIdleConns)
	}
	if cfg.FailureLimit == 0 {
		cfg.FailureLimit = DefaultFailureLimit
	}
	if cfg.RetryTimeout == 0 {
		cfg.RetryTimeout = DefaultRetryTimeout
	}
	r, err := NewRing(cfg.Ring)
	if err != nil {
		return nil, err
	}
	cfg.Ring = r.Config()
	c := &Client{cfg: cfg, base: r, sel: NewSelector(r), ej: newEjector(r.Len(), cfg.FailureLimit, cfg.RetryTimeout)}
	c.dials = make(map[string]*atomic.Uint64, r.Len())
	for i := range r.Len() {
		c.dials[r.Server(i).DialAddr()] = new(atomic.Uint64)
	}
	c.mc = memcache.NewFromSelector(c.sel)
	c.mc.DialContext = c.dial
	c.mc.Timeout = cfg.Timeout
	c.mc.MaxIdleConns = cfg.MaxIdleConns
	return c, nil
}

// Ring returns the ring keys are placed on now, without the ejected
// servers.
func (c *Client) Ring() *Ring { return c.sel.Ring() }

// Memcache returns the gomemcache client underneath, for the operations
// Client does not wrap. Requests made through it place keys on the same
// ring but are not counted towards ejection.
func (c *Client) Memcache() *memcache.Client { return c.mc }

// Close closes idle connections.
func (c *Client) Close() error { return c.mc.Close() }

// Stats returns a snapshot of the servers' state.
func (c *Client) Stats() ClientStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := ClientStats{Servers: make([]ServerStats, len(c.ej.servers))}
	for i, s := range c.ej.servers {
		live := c.ej.live(i)
		if live {
			st.Live++
		}
		st.Servers[i] = ServerStats{
			Server: c.base.Server(i), Live: live, Failures: s.failures, EjectedUntil: s.until,
			Ejections: s.ejections, Returns: s.returns, Requests: s.requests, Errors: s.errors, LastError: s.lastErr,
		}
	}
	return st
}

// dial connects to a server for gomemcache, counting the dials.
func (c *Client) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if n := c.dials[addr]; n != nil {
		n.Add(1)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// peerClosed reports whether err is the server closing or resetting an
// established connection, rather than a failure to connect or a timeout.
func peerClosed(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return false
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// isFailure reports whether err means the server could not be reached or
// did not answer: nutcracker's server_failure cases (connect error, timeout,
// connection closed or reset). Answers from the server are not failures.
func isFailure(err error) bool {
	if err == nil {
		return false
	}
	var ne net.Error
	var cte *memcache.ConnectTimeoutError
	return errors.As(err, &ne) || errors.As(err, &cte) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed)
}

// answered reports whether err shows the server answered (so its failure
// count starts over). Errors raised before any request was sent are
// neither answers nor failures.
func answered(err error) bool {
	return !isFailure(err) && !errors.Is(err, memcache.ErrMalformedKey) && !errors.Is(err, memcache.ErrNoServers)
}

// returnDue probes the servers whose retry time has come and puts back
// those that answer. Where nutcracker puts a server back at the first
// request after its next_rebuild time and sends it that request, dead or
// not, one probe (a connection and memcached's version command, bounded by
// Timeout) goes first, from the request that noticed, while the other
// requests keep going to the live servers; a server that does not answer
// stays out for another RetryTimeout.
func (c *Client) returnDue() {
	next := c.nextReturn.Load()
	if next == 0 {
		return
	}
	now := time.Now()
	if now.UnixNano() < next {
		return
	}
	c.mu.Lock()
	due := c.ej.probeDue(now)
	c.rebuild() // the next due return, past the servers being probed
	c.mu.Unlock()
	for _, i := range due {
		s := c.base.Server(i)
		ok := c.probe(s) == nil
		c.mu.Lock()
		c.ej.probeDone(i, time.Now(), ok)
		c.rebuild()
		c.mu.Unlock()
		if !ok {
			continue
		}
		if c.cfg.Logger != nil {
			c.cfg.Logger.Info("cache: memcached server back in the ring", "server", s.Addr, "index", i)
		}
		if c.cfg.OnReturn != nil {
			c.cfg.OnReturn(i, s)
		}
	}
}

// probe connects to s and asks memcached's version, within the request
// timeout (gomemcache's default when Timeout is zero).
func (c *Client) probe(s Server) error {
	timeout := c.mc.Timeout
	if timeout <= 0 {
		timeout = memcache.DefaultTimeout
	}
	deadline := time.Now().Add(timeout)
	d := net.Dialer{Deadline: deadline}
	conn, err := d.Dial("tcp", s.DialAddr())
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(deadline)
	if _, err := io.WriteString(conn, "version\r\n"); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "VERSION ") {
		return fmt.Errorf("cache: probe of %s: answer %q to version", s.Addr, line)
	}
	return nil
}

// rebuild sets the ring to the live servers. c.mu is held.
func (c *Client) rebuild() {
	c.sel.SetRing(c.base.WithLive(c.ej.live))
	if next := c.ej.nextReturn(); next.IsZero() {
		c.nextReturn.Store(0)
	} else {
		c.nextReturn.Store(next.UnixNano())
	}
}

// account records the outcome err of a request to server i of ring r.
// Outcomes of requests made on a ring that has since changed are not
// counted: gomemcache may have sent them elsewhere.
func (c *Client) account(r *Ring, i int, err error) {
	if i < 0 || c.sel.Ring() != r {
		return
	}
	if !isFailure(err) {
		if answered(err) {
			c.mu.Lock()
			c.ej.success(i)
			c.mu.Unlock()
		}
		return
	}
	now := time.Now()
	var dials uint64
	if n := c.dials[c.base.Server(i).DialAddr()]; n != nil {
		dials = n.Load()
	}
	c.mu.Lock()
	ejected := c.ej.failure(i, now, err, peerClosed(err), dials)
	var ev Ejection
	if ejected {
		c.rebuild()
		ev = Ejection{Index: i, Server: c.base.Server(i), Err: err, Until: c.ej.servers[i].until}
	}
	c.mu.Unlock()
	if !ejected {
		return
	}
	if c.cfg.Logger != nil {
		c.cfg.Logger.Warn("cache: memcached server ejected from the ring", "server", ev.Server.Addr, "index", i, "until", ev.Until, "err", err)
	}
	if c.cfg.OnEject != nil {
		c.cfg.OnEject(ev)
	}
}

// do runs op for key and counts its outcome against the key's server.
func (c *Client) do(key string, op func() error) error {
	c.returnDue()
	r := c.sel.Ring()
	i := r.IndexString(key)
	err := op()
	c.account(r, i, err)
	return err
}

// Get gets the item for key (memcache.ErrCacheMiss if there is none).
func (c *Client) Get(key string) (*memcache.Item, error) {
	var it *memcache.Item
	err := c.do(key, func() (err error) { it, err = c.mc.Get(key); return err })
	return it, err
}

// GetMulti gets the items for keys, asking each server once, in parallel.
// The map holds the items found; the error is the first failure, if any.
func (c *Client) GetMulti(keys []string) (map[string]*memcache.Item, error) {
	c.returnDue()
	r := c.sel.Ring()
	groups := map[int][]string{}
	for _, k := range keys {
		i := r.IndexString(k)
		groups[i] = append(groups[i], k)
	}
	type result struct {
		items map[string]*memcache.Item
		err   error
	}
	results := make(chan result, len(groups))
	for i, ks := range groups {
		go func() {
			items, err := c.mc.GetMulti(ks)
			c.account(r, i, err)
			results <- result{items, err}
		}()
	}
	out := make(map[string]*memcache.Item, len(keys))
	var first error
	for range groups {
		res := <-results
		for k, it := range res.items {
			out[k] = it
		}
		if res.err != nil && first == nil {
			first = res.err
		}
	}
	return out, first
}

// Set stores item unconditionally.
func (c *Client) Set(item *memcache.Item) error {
	return c.do(item.Key, func() error { return c.mc.Set(item) })
}

// Add stores item if its key holds nothing (memcache.ErrNotStored
// otherwise).
func (c *Client) Add(item *memcache.Item) error {
	return c.do(item.Key, func() error { return c.mc.Add(item) })
}

// Replace stores item if its key holds something (memcache.ErrNotStored
// otherwise).
func (c *Client) Replace(item *memcache.Item) error {
	return c.do(item.Key, func() error { return c.mc.Replace(item) })
}

// Append appends item's value to the value stored under its key.
func (c *Client) Append(item *memcache.Item) error {
	return c.do(item.Key, func() error { return c.mc.Append(item) })
}

// Prepend prepends item's value to the value stored under its key.
func (c *Client) Prepend(item *memcache.Item) error {
	return c.do(item.Key, func() error { return c.mc.Prepend(item) })
}

// CompareAndSwap stores item if its key still holds the version Get
// returned (memcache.ErrCASConflict otherwise).
func (c *Client) CompareAndSwap(item *memcache.Item) error {
	return c.do(item.Key, func() error { return c.mc.CompareAndSwap(item) })
}

// Delete deletes key (memcache.ErrCacheMiss if it held nothing).
func (c *Client) Delete(key string) error {
	return c.do(key, func() error { return c.mc.Delete(key) })
}

// Touch sets the expiry of key to seconds from now.
func (c *Client) Touch(key string, seconds int32) error {
	return c.do(key, func() error { return c.mc.Touch(key, seconds) })
}

// Increment adds delta to the number stored under key.
func (c *Client) Increment(key string, delta uint64) (uint64, error) {
	var v uint64
	err := c.do(key, func() (err error) { v, err = c.mc.Increment(key, delta); return err })
	return v, err
}

// Decrement subtracts delta from the number stored under key, stopping at
// zero.
func (c *Client) Decrement(key string, delta uint64) (uint64, error) {
	var v uint64
	err := c.do(key, func() (err error) { v, err = c.mc.Decrement(key, delta); return err })
	return v, err
}
