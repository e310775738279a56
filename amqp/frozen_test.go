package amqp_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/hakit/hakit/amqp"
	"github.com/hakit/hakit/amqp/amqptest"
)

// Freeze modes of a freezable connection: a node stopped with SIGSTOP
// keeps its TCP connections open and answers nothing.
const (
	thawed      = iota
	frozenOpen  // channel.open gets no open-ok
	frozenCalls // queue.declare and channel.close get no reply
)

// freezable wraps an amqptest connection: once frozen, the calls of its
// mode block until the connection is closed, as amqp091-go's do.
type freezable struct {
	amqp.Conn
	mode   *atomic.Int32
	closed chan struct{}
	once   sync.Once
}

func (c *freezable) hang(mode int32) error {
	if c.mode.Load() != mode {
		return nil
	}
	<-c.closed
	return amqp091.ErrClosed
}

func (c *freezable) Channel() (amqp.Channel, error) {
	if err := c.hang(frozenOpen); err != nil {
		return nil, err
	}
	ch, err := c.Conn.Channel()
	if err != nil {
		return nil, err
	}
	return &freezableChannel{Channel: ch, c: c}, nil
}

func (c *freezable) Close() error {
	c.once.Do(func() { close(c.closed) })
	return c.Conn.Close()
}

type freezableChannel struct {
	amqp.Channel
	c *freezable
}

func (ch *freezableChannel) QueueDeclarePassive(name string, durable, autoDelete, exclusive, noWait bool, args amqp091.Table) (amqp091.Queue, error) {
	if err := ch.c.hang(frozenCalls); err != nil {
		return amqp091.Queue{}, err
	}
	return ch.Channel.QueueDeclarePassive(name, durable, autoDelete, exclusive, noWait, args)
}

func (ch *freezableChannel) Close() error {
	if err := ch.c.hang(frozenCalls); err != nil {
		return err
	}
	return ch.Channel.Close()
}

// Inspect returns when its ctx ends on a node that froze after the
// connection opened, whether channel.open or the declare goes unanswered.
func TestInspectFrozenNodeBoundedByCtx(t *testing.T) {
	for _, mode := range []int32{frozenOpen, frozenCalls} {
		synctest.Test(t, func(t *testing.T) {
			b := amqptest.NewBroker()
			var m atomic.Int32
			var conns []*freezable
			var mu sync.Mutex
			r := newRunner(t)
			c, err := amqp.New(amqp.Config{URLs: testURLs, Dial: func(ctx context.Context, url string, cfg amqp.DialConfig) (amqp.Conn, error) {
				conn, err := b.Dial(ctx, url, cfg)
				if err != nil {
					return nil, err
				}
				f := &freezable{Conn: conn, mode: &m, closed: make(chan struct{})}
				mu.Lock()
				conns = append(conns, f)
				mu.Unlock()
				return f, nil
			}})
			if err != nil {
				t.Fatal(err)
			}
			r.run(c.Run)
			if _, err := c.DeclareQueue(r.ctx, amqp.Queue{Name: "q"}); err != nil {
				t.Fatal(err)
			}
			m.Store(mode)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			start := time.Now()
			done := make(chan error, 1)
			go func() {
				_, err := c.Inspect(ctx, "q")
				done <- err
			}()
			select {
			case err = <-done:
			case <-time.After(time.Minute):
				c.Close()
				mu.Lock()
				for _, f := range conns {
					f.Close()
				}
				mu.Unlock()
				<-done
				t.Fatalf("mode %d: Inspect still running a minute after its 2s ctx ended", mode)
			}
			if d := time.Since(start); !errors.Is(err, context.DeadlineExceeded) || d != 2*time.Second {
				t.Errorf("mode %d: Inspect = %v after %v, want DeadlineExceeded after 2s", mode, err, d)
			}
			c.Close()
		})
	}
}
