package amqp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/hakit/hakit"
)

// ErrBlocked is wrapped by Checker errors when the node blocks publishers
// (a memory or disk alarm, connection.blocked).
var ErrBlocked = errors.New("amqp: connection blocked")

// CheckerConfig configures a Checker.
type CheckerConfig struct {
	// URLs are the nodes to probe: one for a node check, all of them for a
	// cluster check. At least one is required.
	URLs []string
	// MinHealthy is how many nodes must pass; zero means all of them.
	MinHealthy int
	// Queue, if set, must exist (passive queue.declare, 404 otherwise).
	Queue string
	// Dial opens connections; nil means DialAMQP. DialTimeout bounds
	// each; zero means 5s.
	Dial        DialFunc
	DialTimeout time.Duration
	// ConnectionName is the connection_name of the probe connections;
	// empty means "hakit amqp check".
	ConnectionName string
}

// Checker is a hakit.Checker for a RabbitMQ node or cluster. Each Check
// opens a connection to every node, opens a channel in confirm mode,
// publishes one unroutable message to the default exchange and waits for
// its confirm (which a node under a resource alarm never sends: it reports
// connection.blocked instead), passively declares Queue if set, and
// closes the connection.
type Checker struct{ cfg CheckerConfig }

var _ hakit.Checker = (*Checker)(nil)

// NewChecker checks cfg; it does no I/O.
func NewChecker(cfg CheckerConfig) (*Checker, error) {
	if len(cfg.URLs) == 0 {
		return nil, errors.New("amqp: CheckerConfig.URLs is empty")
	}
	cfg.URLs = append([]string(nil), cfg.URLs...)
	for i, u := range cfg.URLs {
		if _, err := amqp091.ParseURI(u); err != nil {
			return nil, fmt.Errorf("amqp: CheckerConfig.URLs[%d] %q: %w", i, Redact(u), err)
		}
	}
	if cfg.MinHealthy < 0 || cfg.MinHealthy > len(cfg.URLs) {
		return nil, fmt.Errorf("amqp: CheckerConfig.MinHealthy %d is not between 0 and %d URLs", cfg.MinHealthy, len(cfg.URLs))
	}
	if cfg.MinHealthy == 0 {
		cfg.MinHealthy = len(cfg.URLs)
	}
	if cfg.DialTimeout < 0 {
		return nil, fmt.Errorf("amqp: CheckerConfig.DialTimeout %v is negative", cfg.DialTimeout)
	}
	if cfg.DialTimeout == 0 {
		cfg.DialTimeout = 5 * time.Second
	}
	if cfg.Dial == nil {
		cfg.Dial = DialAMQP
	}
	if cfg.ConnectionName == "" {
		cfg.ConnectionName = "hakit amqp check"
	}
	return &Checker{cfg: cfg}, nil
}

// Check probes every node in parallel and returns nil when at least
// MinHealthy passed, else an error naming each failed node.
func (c *Checker) Check(ctx context.Context) error {
	errs := make([]error, len(c.cfg.URLs))
	var wg sync.WaitGroup
	for i, u := range c.cfg.URLs {
		wg.Go(func() { errs[i] = c.checkNode(ctx, u) })
	}
	wg.Wait()
	var failed []error
	for _, err := range errs {
		if err != nil {
			failed = append(failed, err)
		}
	}
	healthy := len(c.cfg.URLs) - len(failed)
	switch {
	case healthy >= c.cfg.MinHealthy:
		return nil
	case len(c.cfg.URLs) == 1:
		return failed[0]
	}
	// One %w per failed node, so errors.Is and As see each cause.
	format := "amqp: %d of %d nodes healthy, want %d: " + strings.TrimSuffix(strings.Repeat("%w; ", len(failed)), "; ")
	args := []any{healthy, len(c.cfg.URLs), c.cfg.MinHealthy}
	for _, err := range failed {
		args = append(args, err)
	}
	return fmt.Errorf(format, args...)
}

func (c *Checker) checkNode(ctx context.Context, url string) error {
	fail := func(step string, err error) error {
		return fmt.Errorf("amqp: check %s: %s: %w", Redact(url), step, err)
	}
	dctx, cancel := context.WithTimeout(ctx, c.cfg.DialTimeout)
	defer cancel()
	conn, err := c.cfg.Dial(dctx, url, DialConfig{Timeout: c.cfg.DialTimeout, KeepAlive: -1, ConnectionName: c.cfg.ConnectionName})
	if err != nil {
		return fail("connect", err)
	}
	// A node that froze after the handshake (SIGSTOP, a stuck VM) never
	// answers channel.open, confirm.select or queue.declare, which
	// amqp091-go waits for without a deadline: probe in a goroutine,
	// and when ctx ends, close the connection, which ends those waits.
	res := make(chan error, 1)
	go func() { res <- c.probe(ctx, conn, fail) }()
	select {
	case err := <-res:
		conn.Close()
		return err
	case <-ctx.Done():
		go func() {
			conn.Close()
			<-res
		}()
		return fail("probe", fmt.Errorf("no answer: %w", ctx.Err()))
	}
}

// probe runs checkNode's steps on an open connection.
func (c *Checker) probe(ctx context.Context, conn Conn, fail func(string, error) error) error {
	blocked := conn.NotifyBlocked(make(chan amqp091.Blocking, 1))
	// Closing the connection closes the channel; closing the channel
	// first would wait forever for a blocked node's close-ok.
	ch, err := conn.Channel()
	if err != nil {
		return fail("open channel", err)
	}
	if err := ch.Confirm(false); err != nil {
		return fail("confirm.select", err)
	}
	confirms := ch.NotifyPublish(make(chan amqp091.Confirmation, 1))
	if err := ch.PublishWithContext(ctx, "", "hakit.check.unroutable", false, false, amqp091.Publishing{Body: []byte("check")}); err != nil {
		return fail("publish", err)
	}
	select {
	case b := <-blocked:
		if b.Active {
			return fail("publish", fmt.Errorf("%w: %s", ErrBlocked, b.Reason))
		}
	case cf, ok := <-confirms:
		if !ok {
			return fail("publish", errors.New("channel closed before the confirm"))
		}
		if !cf.Ack {
			return fail("publish", errors.New("nacked"))
		}
	case <-ctx.Done():
		return fail("publish", fmt.Errorf("no confirm: %w", ctx.Err()))
	}
	if c.cfg.Queue != "" {
		if _, err := ch.QueueDeclarePassive(c.cfg.Queue, false, false, false, false, nil); err != nil {
			return fail("queue "+c.cfg.Queue, err)
		}
	}
	return nil
}
