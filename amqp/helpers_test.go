package amqp_test

import (
	"context"
	"sync"
	"testing"

	"github.com/hakit/hakit/amqp"
	"github.com/hakit/hakit/amqp/amqptest"
)

var testURLs = []string{"amqp://u:p@node1:5672/", "amqp://u:p@node2:5672/", "amqp://u:p@node3:5672/"}

// runner starts Run methods and stops them at the end of the test.
type runner struct {
	t      *testing.T
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	errs   []error
}

func newRunner(t *testing.T) *runner {
	ctx, cancel := context.WithCancel(context.Background())
	r := &runner{t: t, ctx: ctx, cancel: cancel}
	t.Cleanup(func() {
		r.cancel()
		r.wg.Wait()
	})
	return r
}

func (r *runner) run(f func(context.Context) error) {
	r.wg.Go(func() {
		if err := f(r.ctx); err != nil && r.ctx.Err() == nil {
			r.mu.Lock()
			r.errs = append(r.errs, err)
			r.mu.Unlock()
		}
	})
}

// client makes a Client on b, fills in URLs and Dial, and runs it.
func (r *runner) client(b *amqptest.Broker, cfg amqp.Config) *amqp.Client {
	r.t.Helper()
	if cfg.URLs == nil {
		cfg.URLs = testURLs
	}
	cfg.Dial = b.Dial
	c, err := amqp.New(cfg)
	if err != nil {
		r.t.Fatal(err)
	}
	r.run(c.Run)
	return c
}

func (r *runner) publisher(c *amqp.Client, cfg amqp.PublisherConfig) *amqp.Publisher {
	r.t.Helper()
	p, err := c.NewPublisher(cfg)
	if err != nil {
		r.t.Fatal(err)
	}
	r.run(p.Run)
	return p
}

func (r *runner) consumer(c *amqp.Client, cfg amqp.ConsumerConfig) *amqp.Consumer {
	r.t.Helper()
	k, err := c.NewConsumer(cfg)
	if err != nil {
		r.t.Fatal(err)
	}
	r.run(k.Run)
	return k
}

// collector is a Handler that records bodies and acks.
type collector struct {
	mu     sync.Mutex
	bodies []string
	redel  int
	noAck  bool
	held   []*amqp.Delivery
}

func (c *collector) handle(ctx context.Context, d *amqp.Delivery) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.bodies = append(c.bodies, string(d.Body))
	if d.Redelivered {
		c.redel++
	}
	if c.noAck {
		c.held = append(c.held, d)
		return
	}
	_ = d.Ack()
}

func (c *collector) got() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.bodies...)
}

// withQueue runs a Client on a new broker and declares queue "q" through
// it.
func withQueue(t *testing.T, durable bool) (*amqptest.Broker, *runner, *amqp.Client) {
	t.Helper()
	b := amqptest.NewBroker()
	r := newRunner(t)
	c := r.client(b, amqp.Config{})
	if _, err := c.DeclareQueue(r.ctx, amqp.Queue{Name: "q", Durable: durable}); err != nil {
		t.Fatal(err)
	}
	return b, r, c
}
