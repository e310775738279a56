package amqp

import (
	"context"
	"errors"
	"fmt"
	"sync"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

// Exchange is an exchange declaration (exchange.declare).
type Exchange struct {
	Name       string
	Kind       string // "direct", "fanout", "topic", "headers"
	Durable    bool
	AutoDelete bool
	Internal   bool
	Args       amqp091.Table
}

// Queue is a queue declaration (queue.declare). An empty Name asks the
// server for a name (amq.gen-...); such a queue gets a new name on every
// connection, which Client.QueueName tracks. Exclusive queues belong to
// the connection that declared them and auto-delete queues go with their
// last consumer, so both are re-declared, empty, on every new connection
// (RabbitMQ's queues guide); their messages do not survive a failover.
// QuorumQueue fills Args for a quorum queue.
type Queue struct {
	Name       string
	Durable    bool
	AutoDelete bool
	Exclusive  bool
	Args       amqp091.Table
}

// Binding binds Queue to Exchange with Key (queue.bind).
type Binding struct {
	Queue, Exchange, Key string
	Args                 amqp091.Table
}

// topology records what was declared through a Client, in declaration
// order, to declare it again on every new connection: exchanges, then
// queues, then bindings, as RabbitMQ's Java client recovers. Consumers
// re-subscribe themselves once the Client hands out the new connection.
type topology struct {
	mu        sync.Mutex // held across a declaration and its recording, and across recover
	exchanges []Exchange
	queues    []*queueRecord
	bindings  []Binding
	names     map[string]string // every name a server-named queue had -> its current one
}

type queueRecord struct {
	decl Queue
	name string // current name
}

func (t *topology) resolve(name string) string {
	if n, ok := t.names[name]; ok {
		return n
	}
	return name
}

// recover declares everything recorded on conn.
func (t *topology) recover(conn Conn) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.exchanges)+len(t.queues)+len(t.bindings) == 0 {
		return nil
	}
	ch, err := conn.Channel()
	if err != nil {
		return err
	}
	defer ch.Close()
	for _, e := range t.exchanges {
		if err := ch.ExchangeDeclare(e.Name, e.Kind, e.Durable, e.AutoDelete, e.Internal, false, e.Args); err != nil {
			return fmt.Errorf("exchange %q: %w", e.Name, err)
		}
	}
	for _, q := range t.queues {
		got, err := ch.QueueDeclare(q.decl.Name, q.decl.Durable, q.decl.AutoDelete, q.decl.Exclusive, false, q.decl.Args)
		if err != nil {
			return fmt.Errorf("queue %q: %w", q.name, err)
		}
		if got.Name != q.name {
			for old, cur := range t.names {
				if cur == q.name {
					t.names[old] = got.Name
				}
			}
			t.names[q.name] = got.Name
			q.name = got.Name
		}
	}
	for _, b := range t.bindings {
		if err := ch.QueueBind(t.resolve(b.Queue), b.Key, b.Exchange, false, b.Args); err != nil {
			return fmt.Errorf("binding %q to %q key %q: %w", b.Queue, b.Exchange, b.Key, err)
		}
	}
	return nil
}

// declare runs f on a channel of the current connection with the
// topology locked, so that a connection opened meanwhile recovers what f
// records. It retries on the next connection when the connection is lost
// under f; a channel error from the server (a 4xx reply such as 406
// PRECONDITION_FAILED) is returned as it is.
func (c *Client) declare(ctx context.Context, f func(ch Channel) error) error {
	for {
		s, err := c.session(ctx)
		if err != nil {
			return err
		}
		c.topo.mu.Lock()
		err = func() error {
			ch, err := openChannel(ctx, s.conn)
			if err != nil {
				return err
			}
			defer ch.Close()
			return f(ch)
		}()
		c.topo.mu.Unlock()
		if err == nil || permanent(err) {
			return err
		}
		select {
		case <-s.done:
		case <-ctx.Done():
			return fmt.Errorf("%w (last error: %w)", ctx.Err(), err)
		}
	}
}

// permanent reports whether err is the server refusing a command, which
// the same command on another connection would get again.
func permanent(err error) bool {
	var ae *amqp091.Error
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.Code {
	case amqp091.AccessRefused, amqp091.NotFound, amqp091.ResourceLocked,
		amqp091.PreconditionFailed, amqp091.NotAllowed, amqp091.NotImplemented,
		amqp091.CommandInvalid, amqp091.SyntaxError:
		return true
	}
	return false
}

// DeclareExchange declares e now (waiting for a connection) and on every
// later connection.
func (c *Client) DeclareExchange(ctx context.Context, e Exchange) error {
	if e.Kind == "" {
		return fmt.Errorf("amqp: Exchange %q has no Kind", e.Name)
	}
	return c.declare(ctx, func(ch Channel) error {
		if err := ch.ExchangeDeclare(e.Name, e.Kind, e.Durable, e.AutoDelete, e.Internal, false, e.Args); err != nil {
			return fmt.Errorf("amqp: declare exchange %q: %w", e.Name, err)
		}
		for i, old := range c.topo.exchanges {
			if old.Name == e.Name {
				c.topo.exchanges[i] = e
				return nil
			}
		}
		c.topo.exchanges = append(c.topo.exchanges, e)
		return nil
	})
}

// DeclareQueue declares q now (waiting for a connection) and on every
// later connection, and returns its name (the server's choice when
// q.Name is empty).
func (c *Client) DeclareQueue(ctx context.Context, q Queue) (string, error) {
	var name string
	err := c.declare(ctx, func(ch Channel) error {
		got, err := ch.QueueDeclare(q.Name, q.Durable, q.AutoDelete, q.Exclusive, false, q.Args)
		if err != nil {
			return fmt.Errorf("amqp: declare queue %q: %w", q.Name, err)
		}
		name = got.Name
		if q.Name != "" {
			for _, old := range c.topo.queues {
				if old.decl.Name == q.Name {
					old.decl = q
					return nil
				}
			}
		}
		c.topo.queues = append(c.topo.queues, &queueRecord{decl: q, name: got.Name})
		return nil
	})
	return name, err
}

// BindQueue binds b now (waiting for a connection) and on every later
// connection. b.Queue may be a server-named queue's first name.
func (c *Client) BindQueue(ctx context.Context, b Binding) error {
	return c.declare(ctx, func(ch Channel) error {
		if err := ch.QueueBind(c.topo.resolve(b.Queue), b.Key, b.Exchange, false, b.Args); err != nil {
			return fmt.Errorf("amqp: bind queue %q to %q key %q: %w", b.Queue, b.Exchange, b.Key, err)
		}
		c.topo.bindings = append(c.topo.bindings, b)
		return nil
	})
}

// DeleteQueue deletes the queue and forgets its declaration and bindings.
// It returns how many messages the queue held.
func (c *Client) DeleteQueue(ctx context.Context, name string) (int, error) {
	var n int
	err := c.declare(ctx, func(ch Channel) error {
		cur := c.topo.resolve(name)
		var err error
		if n, err = ch.QueueDelete(cur, false, false, false); err != nil {
			return fmt.Errorf("amqp: delete queue %q: %w", name, err)
		}
		qs := c.topo.queues[:0]
		for _, q := range c.topo.queues {
			if q.name != cur {
				qs = append(qs, q)
			}
		}
		c.topo.queues = qs
		bs := c.topo.bindings[:0]
		for _, b := range c.topo.bindings {
			if c.topo.resolve(b.Queue) != cur {
				bs = append(bs, b)
			}
		}
		c.topo.bindings = bs
		return nil
	})
	return n, err
}

// QueueName returns the current name of the queue first named name: a
// server-named queue is renamed by every connection that re-declares it.
// Other names come back unchanged.
func (c *Client) QueueName(name string) string {
	c.topo.mu.Lock()
	defer c.topo.mu.Unlock()
	return c.topo.resolve(name)
}

// Inspect returns the queue's message and consumer counts through a
// passive declare (queue.declare passive), which fails with 404 NOT_FOUND
// if the queue does not exist.
func (c *Client) Inspect(ctx context.Context, name string) (amqp091.Queue, error) {
	ch, s, err := c.channel(ctx)
	if err != nil {
		return amqp091.Queue{}, err
	}
	type res struct {
		q   amqp091.Queue
		err error
	}
	done := make(chan res, 1)
	go func() {
		q, err := ch.QueueDeclarePassive(c.QueueName(name), false, false, false, false, nil)
		done <- res{q, err}
	}()
	select {
	case r := <-done:
		_ = ch.Close()
		if r.err != nil {
			return r.q, fmt.Errorf("amqp: inspect queue %q: %w", name, r.err)
		}
		return r.q, nil
	case <-ctx.Done():
		// A frozen node answers channel.close no more than the declare.
		go func() {
			<-done
			_ = ch.Close()
		}()
		return amqp091.Queue{}, fmt.Errorf("amqp: inspect queue %q on %s: %w", name, Redact(s.url), ctx.Err())
	}
}

// singleActive reports whether queue name (its first or current name) was
// declared through c with x-single-active-consumer.
func (c *Client) singleActive(name string) bool {
	c.topo.mu.Lock()
	defer c.topo.mu.Unlock()
	for _, q := range c.topo.queues {
		if q.decl.Name == name || q.name == name {
			sac, _ := q.decl.Args["x-single-active-consumer"].(bool)
			return sac
		}
	}
	return false
}
