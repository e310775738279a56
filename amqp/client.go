package amqp

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

// Client keeps one connection open to some node of a RabbitMQ cluster,
// failing over to the next node when it is lost, and re-declares the
// topology declared through it on every new connection. Publishers and
// Consumers made from it open their channels on its current connection.
//
// Make one with New, start Run, and Close it when done.
type Client struct {
	cfg  Config
	topo topology

	mu      sync.Mutex
	sess    *session      // nil while disconnected
	changed chan struct{} // closed and replaced whenever sess changes
	next    int           // round-robin position
	order   []int         // shuffle order of the current pass
	closed  chan struct{}
	once    sync.Once
	running atomic.Bool
	st      ClientStats
}

// session is one open connection.
type session struct {
	conn Conn
	url  string
	gen  uint64
	done chan struct{} // closed when the connection is lost

	mu      sync.Mutex
	blocked bool
	blockCh chan struct{} // closed and replaced when blocked changes
	reason  string        // set by drop
}

// New checks cfg and returns a Client; it does no I/O.
func New(cfg Config) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg, changed: make(chan struct{}), closed: make(chan struct{})}
	c.topo.names = map[string]string{}
	return c, nil
}

// Run connects and keeps a connection open until ctx ends or Close is
// called (then it returns nil after Close, ctx.Err() otherwise), or until
// Config.MaxAttempts attempts in a row failed (ErrGaveUp). Call it once.
func (c *Client) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return errors.New("amqp: Client.Run called twice")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-c.closed:
			cancel()
		case <-ctx.Done():
		}
	}()
	attempt := 0
	for {
		url := c.pick()
		attempt++
		s, err := c.open(ctx, url)
		if err != nil {
			if ctx.Err() != nil {
				return c.exitErr(ctx)
			}
			c.mu.Lock()
			c.st.DialFailures++
			c.st.LastError = err.Error()
			c.mu.Unlock()
			c.log("amqp connect failed", "url", Redact(url), "attempt", attempt, "err", err)
			if c.cfg.MaxAttempts > 0 && attempt >= c.cfg.MaxAttempts {
				return fmt.Errorf("%w after %d attempts: %w", ErrGaveUp, attempt, err)
			}
			if !sleep(ctx, c.backoff(attempt)) {
				return c.exitErr(ctx)
			}
			continue
		}
		closeCh := s.conn.NotifyClose(make(chan *amqp091.Error, 1))
		blockCh := s.conn.NotifyBlocked(make(chan amqp091.Blocking, 4))
		go c.watchBlocked(s, blockCh)
		c.mu.Lock()
		c.st.Connects++
		s.gen = c.st.Connects
		c.st.URL = Redact(url)
		c.mu.Unlock()
		ev := ConnEvent{URL: Redact(url), Attempt: attempt, Count: s.gen}
		attempt = 0
		c.log("amqp connected", "url", ev.URL, "count", ev.Count)
		if c.cfg.OnConnect != nil {
			c.cfg.OnConnect(ev)
		}
		c.setSession(s)

		var lostErr error
		select {
		case e, ok := <-closeCh:
			if ok && e != nil {
				lostErr = e
			}
		case <-ctx.Done():
			_ = s.conn.Close()
		}
		s.mu.Lock()
		reason := s.reason
		s.mu.Unlock()
		switch {
		case reason != "":
		case lostErr != nil:
			reason = lostErr.Error()
		case ctx.Err() != nil:
			reason = "closed"
		default:
			reason = "connection closed"
		}
		c.mu.Lock()
		c.sess = nil
		close(c.changed)
		c.changed = make(chan struct{})
		c.st.Lost++
		c.st.LastLost = reason
		c.st.URL = ""
		c.st.Blocked = false
		c.mu.Unlock()
		close(s.done)
		_ = s.conn.Close()
		ev.Err, ev.Reason = lostErr, reason
		c.log("amqp connection lost", "url", ev.URL, "reason", reason)
		if c.cfg.OnLost != nil {
			c.cfg.OnLost(ev)
		}
		if ctx.Err() != nil {
			return c.exitErr(ctx)
		}
		if !sleep(ctx, jitter(c.cfg.LostDelay)) {
			return c.exitErr(ctx)
		}
	}
}

func (c *Client) exitErr(ctx context.Context) error {
	select {
	case <-c.closed:
		return nil
	default:
		return ctx.Err()
	}
}

// open dials url and re-declares the recorded topology on the new
// connection.
func (c *Client) open(ctx context.Context, url string) (*session, error) {
	dctx, cancel := context.WithTimeout(ctx, c.cfg.DialTimeout)
	defer cancel()
	conn, err := c.cfg.Dial(dctx, url, DialConfig{
		Heartbeat:      c.cfg.Heartbeat,
		KeepAlive:      c.cfg.KeepAlive,
		Timeout:        c.cfg.DialTimeout,
		ConnectionName: c.cfg.ConnectionName,
	})
	if err != nil {
		return nil, fmt.Errorf("amqp: dial %s: %w", Redact(url), err)
	}
	if err := c.topo.recover(conn); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("amqp: recover topology on %s: %w", Redact(url), err)
	}
	return &session{conn: conn, url: url, done: make(chan struct{}), blockCh: make(chan struct{})}, nil
}

func (c *Client) setSession(s *session) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sess = s
	close(c.changed)
	c.changed = make(chan struct{})
}

// pick returns the URL to try next.
func (c *Client) pick() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(c.cfg.URLs)
	if c.cfg.Order == OrderShuffle {
		if len(c.order) == 0 {
			c.order = rand.Perm(n)
		}
		i := c.order[0]
		c.order = c.order[1:]
		return c.cfg.URLs[i]
	}
	u := c.cfg.URLs[c.next%n]
	c.next = (c.next + 1) % n
	return u
}

// backoff is the wait after the attempt-th failure in a row.
func (c *Client) backoff(attempt int) time.Duration {
	d := float64(c.cfg.RetryInterval) * math.Pow(c.cfg.RetryBackoff, float64(attempt-1))
	if d > float64(c.cfg.RetryMax) {
		d = float64(c.cfg.RetryMax)
	}
	return jitter(time.Duration(d))
}

// jitter returns d plus up to a quarter of d.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return d + rand.N(d/4+1)
}

func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (c *Client) watchBlocked(s *session, ch <-chan amqp091.Blocking) {
	for b := range ch {
		s.mu.Lock()
		s.blocked = b.Active
		close(s.blockCh)
		s.blockCh = make(chan struct{})
		s.mu.Unlock()
		c.mu.Lock()
		if c.sess == s {
			c.st.Blocked = b.Active
		}
		if b.Active {
			c.st.Blocks++
		}
		c.mu.Unlock()
		c.log("amqp connection blocked", "active", b.Active, "reason", b.Reason)
		if c.cfg.OnBlocked != nil {
			c.cfg.OnBlocked(b)
		}
	}
}

// blockState reports whether s is blocked and a channel closed at the
// next change.
func (s *session) blockState() (bool, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.blocked, s.blockCh
}

// drop closes s if it is still open, recording why: publishers and
// consumers call it when the connection works but a queue behind it does
// not (see Config.LostDelay).
func (c *Client) drop(s *session, reason string) {
	s.mu.Lock()
	if s.reason == "" {
		s.reason = reason
	}
	s.mu.Unlock()
	c.mu.Lock()
	c.st.Drops++
	c.mu.Unlock()
	c.log("amqp dropping connection", "url", Redact(s.url), "reason", reason)
	_ = s.conn.Close()
}

// session waits for an open connection.
func (c *Client) session(ctx context.Context) (*session, error) {
	for {
		c.mu.Lock()
		s, ch := c.sess, c.changed
		c.mu.Unlock()
		select {
		case <-c.closed:
			return nil, ErrClosed
		default:
		}
		if s != nil {
			select {
			case <-s.done:
			default:
				return s, nil
			}
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-c.closed:
			return nil, ErrClosed
		}
	}
}

// channel opens a channel on the current connection, waiting for one.
func (c *Client) channel(ctx context.Context) (Channel, *session, error) {
	for {
		s, err := c.session(ctx)
		if err != nil {
			return nil, nil, err
		}
		ch, err := openChannel(ctx, s.conn)
		if err == nil {
			return ch, s, nil
		}
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		c.log("amqp channel open failed", "url", Redact(s.url), "err", err)
		select {
		case <-s.done:
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
	}
}

// openChannel opens a channel on conn, giving up when ctx ends: a node
// that froze (SIGSTOP) never answers channel.open, and amqp091-go waits
// for the open-ok until the connection dies of missed heartbeats. A
// channel that opens after ctx ended is closed.
func openChannel(ctx context.Context, conn Conn) (Channel, error) {
	type res struct {
		ch  Channel
		err error
	}
	done := make(chan res, 1)
	go func() {
		ch, err := conn.Channel()
		done <- res{ch, err}
	}()
	select {
	case r := <-done:
		return r.ch, r.err
	case <-ctx.Done():
		go func() {
			if r := <-done; r.ch != nil {
				_ = r.ch.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

// Close ends Run and closes the connection. Publishers and Consumers of c
// return ErrClosed.
func (c *Client) Close() error {
	c.once.Do(func() { close(c.closed) })
	c.mu.Lock()
	s := c.sess
	c.mu.Unlock()
	if s != nil {
		_ = s.conn.Close()
	}
	return nil
}

func (c *Client) log(msg string, args ...any) {
	if c.cfg.Logger != nil {
		c.cfg.Logger.Info(msg, args...)
	}
}

// ClientStats is a snapshot of a Client.
type ClientStats struct {
	URL          string // current node, password masked; "" while disconnected
	Connects     uint64 // connections opened
	Lost         uint64 // connections lost (including drops)
	Drops        uint64 // connections closed because a queue behind them stalled
	DialFailures uint64 // connection attempts that failed
	Blocks       uint64 // connection.blocked received
	Blocked      bool   // the current connection is blocked
	LastLost     string // reason the last connection ended
	LastError    string // last failed attempt's error
}

// Stats returns a snapshot.
func (c *Client) Stats() ClientStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st
}
