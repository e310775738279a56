package amqptest

import (
	"slices"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/hakit/hakit/amqp"
)

// Conn is one connection to a Broker.
type Conn struct {
	b            *Broker
	url          string
	closed       bool
	trapped      bool
	pendingBlock bool
	channels     []*Channel
	closeL       []chan *amqp091.Error
	blockL       []chan amqp091.Blocking
}

// URL returns the URL the connection was dialled with.
func (c *Conn) URL() string { return c.url }

// Channel opens a channel.
func (c *Conn) Channel() (amqp.Channel, error) {
	c.b.mu.Lock()
	defer c.b.mu.Unlock()
	if c.closed {
		return nil, amqp091.ErrClosed
	}
	ch := &Channel{conn: c, unacked: map[uint64]unacked{}, consumers: map[string]*consumer{}}
	c.channels = append(c.channels, ch)
	return ch, nil
}

// NotifyClose registers l for the connection's close error; l is closed
// when the connection closes (after the error, if any, was sent).
func (c *Conn) NotifyClose(l chan *amqp091.Error) chan *amqp091.Error {
	c.b.mu.Lock()
	defer c.b.mu.Unlock()
	if c.closed {
		close(l)
		return l
	}
	c.closeL = append(c.closeL, l)
	return l
}

// NotifyBlocked registers l for connection.blocked and unblocked.
func (c *Conn) NotifyBlocked(l chan amqp091.Blocking) chan amqp091.Blocking {
	c.b.mu.Lock()
	if c.closed {
		c.b.mu.Unlock()
		close(l)
		return l
	}
	c.blockL = append(c.blockL, l)
	pending, reason := c.pendingBlock, c.b.blocked
	c.b.mu.Unlock()
	if pending && reason != "" {
		l <- amqp091.Blocking{Active: true, Reason: reason}
	}
	return l
}

// Close closes the connection.
func (c *Conn) Close() error {
	if !c.shutdown(nil) {
		return amqp091.ErrClosed
	}
	return nil
}

func (c *Conn) notifyBlocked(bl amqp091.Blocking) {
	c.b.mu.Lock()
	if c.closed {
		c.b.mu.Unlock()
		return
	}
	c.pendingBlock = false
	ls := slices.Clone(c.blockL)
	c.b.mu.Unlock()
	for _, l := range ls {
		l <- bl
	}
}

// shutdown closes c with err (nil for a clean close); false if it was
// closed already.
func (c *Conn) shutdown(err *amqp091.Error) bool {
	b := c.b
	b.mu.Lock()
	if c.closed {
		b.mu.Unlock()
		return false
	}
	c.closed = true
	b.conns = slices.DeleteFunc(b.conns, func(x *Conn) bool { return x == c })
	var finish []func()
	for _, ch := range slices.Clone(c.channels) {
		finish = append(finish, ch.closeLocked(err))
	}
	for _, q := range b.queues {
		if q.exclusive && q.owner == c {
			for _, k := range b.deleteQueueLocked(q) {
				finish = append(finish, func() { k.ch.notifyCancel(k.tag) })
			}
		}
	}
	closeL, blockL := c.closeL, c.blockL
	c.closeL, c.blockL = nil, nil
	b.mu.Unlock()
	for _, f := range finish {
		f()
	}
	for _, l := range closeL {
		if err != nil {
			l <- err
		}
		close(l)
	}
	for _, l := range blockL {
		close(l)
	}
	return true
}
