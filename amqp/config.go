package amqp

import (
	"fmt"
	"log/slog"
	"net/url"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

// Order is how the Client walks its list of node URLs when it (re)connects,
// oslo.messaging's kombu_failover_strategy.
type Order int

const (
	// OrderRoundRobin tries the URLs in the order given, starting after the
	// node last connected to (oslo.messaging's default, "round-robin").
	OrderRoundRobin Order = iota
	// OrderShuffle tries the URLs in a random order, drawn afresh for every
	// pass over the list ("shuffle").
	OrderShuffle
)

func (o Order) String() string {
	switch o {
	case OrderRoundRobin:
		return "round-robin"
	case OrderShuffle:
		return "shuffle"
	}
	return fmt.Sprintf("Order(%d)", int(o))
}

// Config configures a Client. The zero value of every field but URLs is a
// documented default.
type Config struct {
	// URLs are the cluster's nodes, amqp:// or amqps:// URLs as amqp091-go
	// parses them. At least one is required.
	URLs []string
	// Order: zero means OrderRoundRobin, oslo.messaging's default.
	Order Order

	// RetryInterval is the wait before the first retry after a failed
	// connection attempt; zero means 1s, oslo.messaging's
	// rabbit_retry_interval. Each further failure multiplies the wait by
	// RetryBackoff (zero means 2), up to RetryMax (zero means 30s,
	// oslo.messaging's rabbit_interval_max). Every wait is jittered by up
	// to a quarter of itself, so clients do not reconnect in step.
	// oslo.messaging grows the wait linearly by rabbit_retry_backoff (2s);
	// this grows it exponentially, reaching the same cap sooner.
	RetryInterval time.Duration
	RetryBackoff  float64
	RetryMax      time.Duration
	// MaxAttempts bounds the connection attempts in a row that fail
	// before Run gives up with ErrGaveUp; zero means retry forever, as
	// oslo.messaging does (rabbit_max_retries 0).
	MaxAttempts int

	// LostDelay is the wait after an open connection is lost before the
	// next node is tried; zero means 2s. A RabbitMQ 3.10 quorum queue
	// elects a new leader about 1.5s after its leader's node dies, and a
	// channel opened on a survivor before that can stay bound to the dead
	// leader (every publish nacked, consumers fed nothing); waiting out
	// the election avoids it. Negative means no wait.
	LostDelay time.Duration

	// Heartbeat is the AMQP heartbeat interval asked of the server; zero
	// means 60s, oslo.messaging's heartbeat_timeout_threshold. Negative
	// disables heartbeats.
	Heartbeat time.Duration
	// KeepAlive is the TCP keepalive period; zero means 15s (Go's
	// net.Dialer default). Negative disables keepalive.
	KeepAlive time.Duration
	// DialTimeout bounds TCP connect plus the AMQP handshake; zero means
	// 30s, amqp091-go's default.
	DialTimeout time.Duration
	// ConnectionName is sent as the connection_name client property, which
	// the management UI and `rabbitmqctl list_connections` show.
	ConnectionName string

	// Dial opens one connection; nil means DialAMQP. amqptest.Broker.Dial
	// plugs the in-memory broker in here.
	Dial DialFunc

	// OnConnect is called after every connection is opened and its
	// topology recovered, before publishers and consumers use it; OnLost
	// after one is lost, with the reason. Both run on the Client's Run
	// goroutine, in order, and delay reconnection while they run.
	OnConnect func(ConnEvent)
	OnLost    func(ConnEvent)
	// OnBlocked is called when the server blocks (Blocked true, with its
	// reason) or unblocks the connection (connection.blocked/unblocked,
	// sent under a memory or disk alarm). It runs on a goroutine of the
	// Client and must not block.
	OnBlocked func(b amqp091.Blocking)

	// Logger receives connection events; nil means silent.
	Logger *slog.Logger
}

// ConnEvent describes one connection opened or lost.
type ConnEvent struct {
	URL     string // the node, password masked
	Attempt int    // connection attempts since the last success, this one included
	Count   uint64 // connections opened so far, this one included
	Err     error  // OnLost: why the connection ended (nil after Close)
	Reason  string // OnLost: a short reason for logs and Stats
}

func (c Config) withDefaults() (Config, error) {
	if len(c.URLs) == 0 {
		return c, fmt.Errorf("amqp: Config.URLs is empty, want at least one amqp:// URL")
	}
	c.URLs = append([]string(nil), c.URLs...)
	for i, u := range c.URLs {
		if _, err := amqp091.ParseURI(u); err != nil {
			return c, fmt.Errorf("amqp: Config.URLs[%d] %q: %w", i, Redact(u), err)
		}
	}
	if c.Order != OrderRoundRobin && c.Order != OrderShuffle {
		return c, fmt.Errorf("amqp: Config.Order %v is not OrderRoundRobin or OrderShuffle", c.Order)
	}
	def := func(d *time.Duration, v time.Duration, name string) error {
		if *d < 0 {
			return fmt.Errorf("amqp: Config.%s %v is negative", name, *d)
		}
		if *d == 0 {
			*d = v
		}
		return nil
	}
	for _, f := range []struct {
		d    *time.Duration
		v    time.Duration
		name string
	}{
		{&c.RetryInterval, time.Second, "RetryInterval"},
		{&c.RetryMax, 30 * time.Second, "RetryMax"},
		{&c.DialTimeout, 30 * time.Second, "DialTimeout"},
	} {
		if err := def(f.d, f.v, f.name); err != nil {
			return c, err
		}
	}
	if c.RetryBackoff == 0 {
		c.RetryBackoff = 2
	}
	if c.RetryBackoff < 1 {
		return c, fmt.Errorf("amqp: Config.RetryBackoff %v is below 1", c.RetryBackoff)
	}
	if c.RetryMax < c.RetryInterval {
		return c, fmt.Errorf("amqp: Config.RetryMax %v is shorter than RetryInterval %v", c.RetryMax, c.RetryInterval)
	}
	if c.MaxAttempts < 0 {
		return c, fmt.Errorf("amqp: Config.MaxAttempts %d is negative", c.MaxAttempts)
	}
	switch {
	case c.LostDelay == 0:
		c.LostDelay = 2 * time.Second
	case c.LostDelay < 0:
		c.LostDelay = 0
	}
	switch {
	case c.Heartbeat == 0:
		c.Heartbeat = 60 * time.Second
	case c.Heartbeat < 0:
		c.Heartbeat = 0
	}
	switch {
	case c.KeepAlive == 0:
		c.KeepAlive = 15 * time.Second
	case c.KeepAlive < 0:
		c.KeepAlive = -1
	}
	if c.Dial == nil {
		c.Dial = DialAMQP
	}
	return c, nil
}

// Redact returns u with its password replaced by "xxxxx", for logs.
func Redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable URL)"
	}
	return p.Redacted()
}
