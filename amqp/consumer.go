package amqp

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

// ConsumerConfig configures a Consumer.
type ConsumerConfig struct {
	// Queue to consume from (required); a server-named queue's first
	// name is followed through its renames.
	Queue string
	// Handler is called with each delivery, one at a time, on the
	// Consumer's Run goroutine (required). It must Ack, Nack or Reject
	// the delivery, now or later from any goroutine; a delivery left
	// unacked when its channel ends is redelivered by the broker.
	Handler func(ctx context.Context, d *Delivery)
	// Prefetch is basic.qos prefetch-count; zero means 100.
	// (oslo.messaging's rabbit_qos_prefetch_count defaults to 0,
	// unlimited, which lets one consumer hoard a queue.)
	Prefetch int
	// Tag is the consumer tag; empty lets the library choose.
	Tag string
	// Exclusive asks to be the queue's only consumer.
	Exclusive bool
	// Args are basic.consume arguments (x-priority, ...).
	Args amqp091.Table
	// ResubscribeDelay is the wait before consuming again after the
	// broker cancelled the consumer (basic.cancel: queue deleted, quorum
	// leader moved, node down); zero means 1s.
	ResubscribeDelay time.Duration
	// StallTimeout: when nothing was delivered for this long while
	// fewer than Prefetch deliveries are held unsettled (settle them
	// through Delivery's Ack, Nack or Reject, not the embedded
	// amqp091.Delivery's, or they count as held), the Consumer checks
	// the queue with a passive declare and, if messages
	// wait in it (or the check fails), drops the connection to consume
	// through another. On RabbitMQ 3.10, a consumer on a channel opened
	// while a quorum queue elected its leader can receive nothing for
	// good. On a single-active-consumer queue declared through the
	// Client, no consumer is taken for stalled while the queue has an
	// active consumer (RabbitMQ does not tell a standby from the active
	// one). Zero means 15s;
	// negative never checks.
	StallTimeout time.Duration
}

// Consumer consumes a queue with manual acks and subscribes again on
// every new channel: after failover, after basic.cancel, after a stall.
type Consumer struct {
	c       *Client
	cfg     ConsumerConfig
	running atomic.Bool
	closed  chan struct{}
	once    sync.Once

	mu sync.Mutex
	st ConsumerStats
}

// NewConsumer checks cfg and returns a Consumer on c; start its Run.
func (c *Client) NewConsumer(cfg ConsumerConfig) (*Consumer, error) {
	switch {
	case cfg.Queue == "":
		return nil, errors.New("amqp: ConsumerConfig.Queue is empty")
	case cfg.Handler == nil:
		return nil, errors.New("amqp: ConsumerConfig.Handler is nil")
	case cfg.Prefetch < 0:
		return nil, fmt.Errorf("amqp: ConsumerConfig.Prefetch %d is negative", cfg.Prefetch)
	case cfg.ResubscribeDelay < 0:
		return nil, fmt.Errorf("amqp: ConsumerConfig.ResubscribeDelay %v is negative", cfg.ResubscribeDelay)
	}
	if cfg.Prefetch == 0 {
		cfg.Prefetch = 100
	}
	if cfg.ResubscribeDelay == 0 {
		cfg.ResubscribeDelay = time.Second
	}
	if cfg.StallTimeout == 0 {
		cfg.StallTimeout = 15 * time.Second
	}
	return &Consumer{c: c, cfg: cfg, closed: make(chan struct{})}, nil
}

// Run consumes until ctx ends or Close is called; it returns nil after
// Close, ctx.Err() otherwise.
func (k *Consumer) Run(ctx context.Context) error {
	if !k.running.CompareAndSwap(false, true) {
		return errors.New("amqp: Consumer.Run called twice")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-k.closed:
			cancel()
		case <-ctx.Done():
		}
	}()
	for {
		ch, s, err := k.c.channel(ctx)
		if err != nil {
			break
		}
		err = k.serve(ctx, ch, s)
		k.c.log("amqp consumer channel ended", "queue", k.cfg.Queue, "url", Redact(s.url), "err", err)
		if ctx.Err() != nil {
			break
		}
		wait := k.cfg.ResubscribeDelay
		select {
		case <-s.done:
			wait = 0 // the Client waits before the next connection
		default:
		}
		if !sleep(ctx, wait) {
			break
		}
	}
	select {
	case <-k.closed:
		return nil
	default:
		return ctx.Err()
	}
}

// chanState is one channel's life as its deliveries see it.
type chanState struct {
	ch     Channel
	closed atomic.Bool
	held   atomic.Int64 // delivered and not yet acked, nacked or rejected
}

// serve consumes on one channel until it ends.
func (k *Consumer) serve(ctx context.Context, ch Channel, s *session) error {
	cs := &chanState{ch: ch}
	defer func() {
		cs.closed.Store(true)
		ch.Close()
	}()
	if err := ch.Qos(k.cfg.Prefetch, 0, false); err != nil {
		return fmt.Errorf("qos: %w", err)
	}
	cancels := ch.NotifyCancel(make(chan string, 1))
	queue := k.c.QueueName(k.cfg.Queue)
	msgs, err := ch.ConsumeWithContext(ctx, queue, k.cfg.Tag, false, k.cfg.Exclusive, false, false, k.cfg.Args)
	if err != nil {
		return fmt.Errorf("consume %q: %w", queue, err)
	}
	k.mu.Lock()
	k.st.Subscribes++
	k.mu.Unlock()
	var stall <-chan time.Time
	var timer *time.Timer
	if k.cfg.StallTimeout > 0 {
		timer = time.NewTimer(k.cfg.StallTimeout)
		defer timer.Stop()
		stall = timer.C
	}
	for {
		select {
		case m, ok := <-msgs:
			if !ok {
				select {
				case tag := <-cancels:
					return k.cancelled(tag)
				default:
					return errors.New("deliveries ended")
				}
			}
			k.mu.Lock()
			k.st.Delivered++
			if m.Redelivered {
				k.st.Redelivered++
			}
			k.mu.Unlock()
			cs.held.Add(1)
			k.cfg.Handler(ctx, &Delivery{Delivery: m, cs: cs})
			if timer != nil {
				timer.Reset(k.cfg.StallTimeout)
			}
		case tag := <-cancels:
			return k.cancelled(tag)
		case <-s.done:
			return errors.New("connection lost")
		case <-stall:
			// With prefetch full of deliveries the handler still holds,
			// the broker rightly sends nothing more: a slow handler,
			// not a stall.
			if cs.held.Load() < int64(k.cfg.Prefetch) && k.stalled(ctx, queue) {
				k.mu.Lock()
				k.st.Stalls++
				k.mu.Unlock()
				reason := fmt.Sprintf("consumer of %q stalled for %v", queue, k.cfg.StallTimeout)
				k.c.drop(s, reason)
				return errors.New(reason)
			}
			timer.Reset(k.cfg.StallTimeout)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (k *Consumer) cancelled(tag string) error {
	k.mu.Lock()
	k.st.Cancels++
	k.mu.Unlock()
	return fmt.Errorf("broker cancelled consumer %q", tag)
}

// stalled reports whether queue holds ready messages (or cannot be
// checked) although nothing was delivered for StallTimeout.
func (k *Consumer) stalled(ctx context.Context, queue string) bool {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	q, err := k.c.Inspect(ctx, queue)
	if err != nil {
		k.c.log("amqp consumer stall check failed", "queue", queue, "err", err)
		return ctx.Err() == nil || errors.Is(err, context.DeadlineExceeded)
	}
	// On a single-active-consumer queue, every consumer but the active
	// one gets nothing while messages wait: standing by, not stalled.
	// RabbitMQ counts only the active consumer in queue.declare-ok, so
	// a standby cannot be told from a stuck active one: with an active
	// consumer there, none is taken for stalled.
	if q.Consumers > 0 && k.c.singleActive(k.cfg.Queue) {
		return false
	}
	return q.Messages > 0
}

// Close stops Run.
func (k *Consumer) Close() error {
	k.once.Do(func() { close(k.closed) })
	return nil
}

// Delivery is one message delivered to a Consumer's Handler.
type Delivery struct {
	amqp091.Delivery
	cs   *chanState
	done atomic.Bool // settled through Ack, Nack or Reject
}

// Ack acknowledges the delivery. It returns an error wrapping
// ErrStaleDelivery, and sends nothing, when the channel it came on has
// ended: the broker has requeued the message and will deliver it again,
// and acking its tag on another channel would close that channel with
// 406 PRECONDITION_FAILED.
func (d *Delivery) Ack() error {
	if err := d.stale(); err != nil {
		return err
	}
	return d.settled(d.Delivery.Ack(false))
}

// Nack negatively acknowledges the delivery, requeueing it if requeue.
// Errors as for Ack.
func (d *Delivery) Nack(requeue bool) error {
	if err := d.stale(); err != nil {
		return err
	}
	return d.settled(d.Delivery.Nack(false, requeue))
}

// Reject rejects the delivery, requeueing it if requeue. Errors as for Ack.
func (d *Delivery) Reject(requeue bool) error {
	if err := d.stale(); err != nil {
		return err
	}
	return d.settled(d.Delivery.Reject(requeue))
}

func (d *Delivery) stale() error {
	if d.cs == nil || d.cs.closed.Load() {
		return fmt.Errorf("%w: delivery tag %d", ErrStaleDelivery, d.DeliveryTag)
	}
	return nil
}

// settled counts the delivery as no longer held once it is settled, at
// most once, and wraps err.
func (d *Delivery) settled(err error) error {
	if err == nil && d.done.CompareAndSwap(false, true) {
		d.cs.held.Add(-1)
	}
	return d.wrap(err)
}

func (d *Delivery) wrap(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, amqp091.ErrClosed) {
		return fmt.Errorf("%w: delivery tag %d: %w", ErrStaleDelivery, d.DeliveryTag, err)
	}
	return fmt.Errorf("amqp: ack delivery tag %d: %w", d.DeliveryTag, err)
}

// ConsumerStats is a snapshot of a Consumer.
type ConsumerStats struct {
	Subscribes  uint64 // basic.consume that succeeded
	Delivered   uint64 // deliveries handed to Handler
	Redelivered uint64 // of which flagged redelivered
	Cancels     uint64 // basic.cancel from the broker
	Stalls      uint64 // connections dropped for a stall
}

// Stats returns a snapshot.
func (k *Consumer) Stats() ConsumerStats {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.st
}
