package amqptest

import (
	"context"
	"fmt"
	"reflect"
	"slices"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

// Channel is one channel of a Conn. It is also the Acknowledger of the
// deliveries it hands out.
type Channel struct {
	conn      *Conn
	closed    bool
	confirm   bool
	pubSeq    uint64
	tag       uint64
	prefetch  int
	unacked   map[uint64]unacked
	consumers map[string]*consumer
	held      []amqp091.Confirmation // confirms HoldConfirms keeps back

	confirmL []chan amqp091.Confirmation
	returnL  []chan amqp091.Return
	closeL   []chan *amqp091.Error
	cancelL  []chan string
}

type unacked struct {
	q *queue
	m *message
	k *consumer
}

// maxPrefetch stands for "unlimited" (prefetch 0): the most deliveries a
// consumer holds unacked.
const maxPrefetch = 4096

// closeLocked marks ch closed, cancels its consumers and requeues its
// unacked deliveries; the returned func, called without the lock, tells
// the listeners.
func (ch *Channel) closeLocked(err *amqp091.Error) func() {
	if ch.closed {
		return func() {}
	}
	b := ch.conn.b
	ch.closed = true
	ch.conn.channels = slices.DeleteFunc(ch.conn.channels, func(x *Channel) bool { return x == ch })
	for _, k := range ch.consumers {
		b.removeConsumerLocked(k)
	}
	tags := make([]uint64, 0, len(ch.unacked))
	for t := range ch.unacked {
		tags = append(tags, t)
	}
	ch.settleLocked(tags, true)
	confirmL, returnL, closeL, cancelL := ch.confirmL, ch.returnL, ch.closeL, ch.cancelL
	ch.confirmL, ch.returnL, ch.closeL, ch.cancelL = nil, nil, nil, nil
	return func() {
		for _, l := range closeL {
			if err != nil {
				l <- err
			}
			close(l)
		}
		for _, l := range confirmL {
			close(l)
		}
		for _, l := range returnL {
			close(l)
		}
		for _, l := range cancelL {
			close(l)
		}
	}
}

// fail closes ch with a channel error, as the server does, and returns it.
func (ch *Channel) failLocked(code int, format string, args ...any) (func(), error) {
	err := &amqp091.Error{Code: code, Reason: fmt.Sprintf(format, args...), Server: true}
	return ch.closeLocked(err), err
}

// run calls f with the broker locked, then the notifications f returns
// without it.
func (ch *Channel) run(f func() (func(), error)) error {
	ch.conn.b.mu.Lock()
	after, err := f()
	ch.conn.b.mu.Unlock()
	if after != nil {
		after()
	}
	return err
}

func (ch *Channel) notifyCancel(tag string) {
	ch.conn.b.mu.Lock()
	ls := slices.Clone(ch.cancelL)
	ch.conn.b.mu.Unlock()
	for _, l := range ls {
		l <- tag
	}
}

// Confirm puts the channel in confirm mode.
func (ch *Channel) Confirm(noWait bool) error {
	return ch.run(func() (func(), error) {
		if ch.closed {
			return nil, amqp091.ErrClosed
		}
		ch.confirm = true
		return nil, nil
	})
}

// Qos sets the prefetch count of consumers started after it.
func (ch *Channel) Qos(prefetchCount, prefetchSize int, global bool) error {
	return ch.run(func() (func(), error) {
		if ch.closed {
			return nil, amqp091.ErrClosed
		}
		ch.prefetch = prefetchCount
		return nil, nil
	})
}

func notify[T any](ch *Channel, list *[]chan T, l chan T) chan T {
	ch.conn.b.mu.Lock()
	defer ch.conn.b.mu.Unlock()
	if ch.closed {
		close(l)
		return l
	}
	*list = append(*list, l)
	return l
}

// NotifyPublish registers l for confirms, in publish order.
func (ch *Channel) NotifyPublish(l chan amqp091.Confirmation) chan amqp091.Confirmation {
	return notify(ch, &ch.confirmL, l)
}

// NotifyReturn registers l for returned mandatory messages.
func (ch *Channel) NotifyReturn(l chan amqp091.Return) chan amqp091.Return {
	return notify(ch, &ch.returnL, l)
}

// NotifyClose registers l for the channel's close error.
func (ch *Channel) NotifyClose(l chan *amqp091.Error) chan *amqp091.Error {
	return notify(ch, &ch.closeL, l)
}

// NotifyCancel registers l for consumer tags the broker cancels.
func (ch *Channel) NotifyCancel(l chan string) chan string {
	return notify(ch, &ch.cancelL, l)
}

// PublishWithContext routes msg; in confirm mode the confirm is sent to
// the NotifyPublish listeners before it returns (after the basic.return of
// an unroutable mandatory message). While the broker is blocked it returns
// at once but the message waits, unrouted and unconfirmed, until Unblock,
// as RabbitMQ stops reading a blocked connection's socket; it is lost if
// the connection closes first.
func (ch *Channel) PublishWithContext(ctx context.Context, exchange, key string, mandatory, immediate bool, msg amqp091.Publishing) error {
	b := ch.conn.b
	b.mu.Lock()
	if ch.closed {
		b.mu.Unlock()
		return amqp091.ErrClosed
	}
	if b.blocked != "" || len(b.deferred) > 0 {
		msg.Body = slices.Clone(msg.Body)
		b.deferred = append(b.deferred, func() { ch.publish(exchange, key, mandatory, msg) })
		b.mu.Unlock()
		return nil
	}
	b.mu.Unlock()
	ch.publish(exchange, key, mandatory, msg)
	return nil
}

// publish is a publish the broker reads.
func (ch *Channel) publish(exchange, key string, mandatory bool, msg amqp091.Publishing) {
	b := ch.conn.b
	b.mu.Lock()
	if ch.closed {
		b.mu.Unlock()
		return
	}
	ex := b.exchanges[exchange]
	if ex == nil {
		after, _ := ch.failLocked(amqp091.NotFound, "NOT_FOUND - no exchange '%s' in vhost '/'", exchange)
		b.mu.Unlock()
		after()
		return
	}
	var seq uint64
	if ch.confirm {
		ch.pubSeq++
		seq = ch.pubSeq
	}
	ack := true
	var ret *amqp091.Return
	if b.nackNext > 0 || ch.conn.trapped {
		if b.nackNext > 0 {
			b.nackNext--
		}
		ack = false
	} else {
		qs := b.routeLocked(ex, exchange, key)
		if len(qs) == 0 && mandatory {
			ret = &amqp091.Return{ReplyCode: amqp091.NoRoute, ReplyText: "NO_ROUTE", Exchange: exchange, RoutingKey: key,
				ContentType: msg.ContentType, Headers: msg.Headers, MessageId: msg.MessageId, Body: msg.Body}
		}
		for _, q := range qs {
			m := &message{exchange: exchange, key: key, pub: msg}
			m.pub.Body = slices.Clone(msg.Body)
			q.ready = append(q.ready, m)
			b.dispatchLocked(q)
		}
	}
	returnL, confirmL := slices.Clone(ch.returnL), slices.Clone(ch.confirmL)
	held := ch.confirm && b.hold
	if held {
		ch.held = append(ch.held, amqp091.Confirmation{DeliveryTag: seq, Ack: ack})
	}
	b.mu.Unlock()
	if ret != nil {
		for _, l := range returnL {
			l <- *ret
		}
	}
	if ch.confirm && !held {
		for _, l := range confirmL {
			l <- amqp091.Confirmation{DeliveryTag: seq, Ack: ack}
		}
	}
}

// ConsumeWithContext starts a consumer.
func (ch *Channel) ConsumeWithContext(ctx context.Context, queue, tag string, autoAck, exclusive, noLocal, noWait bool, args amqp091.Table) (<-chan amqp091.Delivery, error) {
	var out chan amqp091.Delivery
	err := ch.run(func() (func(), error) {
		b := ch.conn.b
		if ch.closed {
			return nil, amqp091.ErrClosed
		}
		q := b.queues[queue]
		if q == nil {
			return ch.failLocked(amqp091.NotFound, "NOT_FOUND - no queue '%s' in vhost '/'", queue)
		}
		if q.exclusive && q.owner != ch.conn {
			return ch.failLocked(amqp091.ResourceLocked, "RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '%s'", queue)
		}
		if tag == "" {
			b.seq++
			tag = fmt.Sprintf("amq.ctag-%d", b.seq)
		}
		if ch.consumers[tag] != nil {
			return ch.failLocked(amqp091.NotAllowed, "NOT_ALLOWED - attempt to reuse consumer tag '%s'", tag)
		}
		prefetch := ch.prefetch
		if prefetch <= 0 || prefetch > maxPrefetch {
			prefetch = maxPrefetch
		}
		k := &consumer{tag: tag, ch: ch, q: q, autoAck: autoAck, prefetch: prefetch, deliveries: make(chan amqp091.Delivery, prefetch)}
		if autoAck {
			// Deliveries are never unacked; the channel's room bounds them.
			k.prefetch = prefetch
		}
		ch.consumers[tag] = k
		q.consumers = append(q.consumers, k)
		q.hadConsumer = true
		out = k.deliveries
		b.dispatchLocked(q)
		return nil, nil
	})
	return out, err
}

// Cancel stops a consumer; its delivery channel is closed.
func (ch *Channel) Cancel(tag string, noWait bool) error {
	return ch.run(func() (func(), error) {
		if ch.closed {
			return nil, amqp091.ErrClosed
		}
		if k := ch.consumers[tag]; k != nil {
			ch.conn.b.removeConsumerLocked(k)
		}
		return nil, nil
	})
}

// ExchangeDeclare declares an exchange of kind direct, fanout or topic.
func (ch *Channel) ExchangeDeclare(name, kind string, durable, autoDelete, internal, noWait bool, args amqp091.Table) error {
	return ch.run(func() (func(), error) {
		b := ch.conn.b
		if ch.closed {
			return nil, amqp091.ErrClosed
		}
		switch kind {
		case "direct", "fanout", "topic":
		default:
			return ch.failLocked(amqp091.CommandInvalid, "COMMAND_INVALID - invalid exchange type '%s' (amqptest has direct, fanout, topic)", kind)
		}
		if ex := b.exchanges[name]; ex != nil {
			if ex.kind != kind || ex.durable != durable || ex.autoDelete != autoDelete || ex.internal != internal {
				return ch.failLocked(amqp091.PreconditionFailed, "PRECONDITION_FAILED - inequivalent arg for exchange '%s'", name)
			}
			return nil, nil
		}
		b.exchanges[name] = &exchange{kind: kind, durable: durable, autoDelete: autoDelete, internal: internal}
		return nil, nil
	})
}

func sameArgs(a, b amqp091.Table) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}

// QueueDeclare declares a queue; an empty name gets amq.gen-N. A quorum
// queue (x-queue-type quorum) must be durable, not exclusive nor
// auto-delete, as RabbitMQ requires.
func (ch *Channel) QueueDeclare(name string, durable, autoDelete, exclusive, noWait bool, args amqp091.Table) (amqp091.Queue, error) {
	var out amqp091.Queue
	err := ch.run(func() (func(), error) {
		b := ch.conn.b
		if ch.closed {
			return nil, amqp091.ErrClosed
		}
		if args["x-queue-type"] == "quorum" && (!durable || exclusive || autoDelete) {
			return ch.failLocked(amqp091.PreconditionFailed, "PRECONDITION_FAILED - invalid property for quorum queue '%s': must be durable, not exclusive nor auto-delete", name)
		}
		if name == "" {
			b.seq++
			name = fmt.Sprintf("amq.gen-%d", b.seq)
		}
		if q := b.queues[name]; q != nil {
			if q.exclusive && q.owner != ch.conn {
				return ch.failLocked(amqp091.ResourceLocked, "RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '%s'", name)
			}
			if q.durable != durable || q.autoDelete != autoDelete || q.exclusive != exclusive || !sameArgs(q.args, args) {
				return ch.failLocked(amqp091.PreconditionFailed, "PRECONDITION_FAILED - inequivalent arg for queue '%s'", name)
			}
			out = amqp091.Queue{Name: name, Messages: len(q.ready), Consumers: len(q.consumers)}
			return nil, nil
		}
		q := &queue{name: name, durable: durable, autoDelete: autoDelete, exclusive: exclusive, args: args}
		if exclusive {
			q.owner = ch.conn
		}
		b.queues[name] = q
		out = amqp091.Queue{Name: name}
		return nil, nil
	})
	return out, err
}

// QueueDeclarePassive reports a queue's counts; a missing queue closes the
// channel with 404 NOT_FOUND.
func (ch *Channel) QueueDeclarePassive(name string, durable, autoDelete, exclusive, noWait bool, args amqp091.Table) (amqp091.Queue, error) {
	var out amqp091.Queue
	err := ch.run(func() (func(), error) {
		if ch.closed {
			return nil, amqp091.ErrClosed
		}
		q := ch.conn.b.queues[name]
		if q == nil {
			return ch.failLocked(amqp091.NotFound, "NOT_FOUND - no queue '%s' in vhost '/'", name)
		}
		out = amqp091.Queue{Name: name, Messages: len(q.ready), Consumers: len(q.consumers)}
		return nil, nil
	})
	return out, err
}

// QueueBind binds a queue to an exchange.
func (ch *Channel) QueueBind(name, key, exchange string, noWait bool, args amqp091.Table) error {
	return ch.run(func() (func(), error) {
		b := ch.conn.b
		if ch.closed {
			return nil, amqp091.ErrClosed
		}
		ex := b.exchanges[exchange]
		if ex == nil || exchange == "" {
			return ch.failLocked(amqp091.NotFound, "NOT_FOUND - no exchange '%s' in vhost '/'", exchange)
		}
		if b.queues[name] == nil {
			return ch.failLocked(amqp091.NotFound, "NOT_FOUND - no queue '%s' in vhost '/'", name)
		}
		bd := binding{queue: name, key: key}
		if !slices.Contains(ex.bindings, bd) {
			ex.bindings = append(ex.bindings, bd)
		}
		return nil, nil
	})
}

// QueueDelete deletes a queue, cancelling its consumers (basic.cancel),
// and returns how many messages it held.
func (ch *Channel) QueueDelete(name string, ifUnused, ifEmpty, noWait bool) (int, error) {
	var n int
	err := ch.run(func() (func(), error) {
		b := ch.conn.b
		if ch.closed {
			return nil, amqp091.ErrClosed
		}
		q := b.queues[name]
		if q == nil {
			return nil, nil
		}
		n = len(q.ready)
		cs := b.deleteQueueLocked(q)
		return func() {
			for _, k := range cs {
				k.ch.notifyCancel(k.tag)
			}
		}, nil
	})
	return n, err
}

// Close closes the channel; its unacked deliveries are requeued.
func (ch *Channel) Close() error {
	return ch.run(func() (func(), error) {
		if ch.closed {
			return nil, amqp091.ErrClosed
		}
		return ch.closeLocked(nil), nil
	})
}

// Ack acknowledges delivery tag (and all before it if multiple).
func (ch *Channel) Ack(tag uint64, multiple bool) error {
	return ch.settle(tag, multiple, false, false)
}

// Nack negatively acknowledges, requeueing if requeue.
func (ch *Channel) Nack(tag uint64, multiple, requeue bool) error {
	return ch.settle(tag, multiple, true, requeue)
}

// Reject is Nack of one delivery.
func (ch *Channel) Reject(tag uint64, requeue bool) error {
	return ch.settle(tag, false, true, requeue)
}

// settle acks or nacks. A tag the channel does not know closes the channel
// with 406 PRECONDITION_FAILED, as RabbitMQ does.
func (ch *Channel) settle(tag uint64, multiple, nack, requeue bool) error {
	return ch.run(func() (func(), error) {
		if ch.closed {
			return nil, amqp091.ErrClosed
		}
		if _, ok := ch.unacked[tag]; !ok {
			after, _ := ch.failLocked(amqp091.PreconditionFailed, "PRECONDITION_FAILED - unknown delivery tag %d", tag)
			return after, nil
		}
		tags := []uint64{tag}
		if multiple {
			tags = tags[:0]
			for t := range ch.unacked {
				if t <= tag {
					tags = append(tags, t)
				}
			}
		}
		ch.settleLocked(tags, nack && requeue)
		return nil, nil
	})
}

// settleLocked takes the deliveries tags off the channel, requeueing
// their messages (in tag order, at the head of each queue, flagged
// redelivered) if requeue, and lets each queue deliver again.
func (ch *Channel) settleLocked(tags []uint64, requeue bool) {
	b := ch.conn.b
	slices.Sort(tags)
	back := map[*queue][]*message{}
	var order []*queue
	for _, t := range tags {
		u := ch.unacked[t]
		delete(ch.unacked, t)
		u.k.unacked--
		if _, seen := back[u.q]; !seen {
			order = append(order, u.q)
			back[u.q] = nil
		}
		if requeue {
			back[u.q] = append(back[u.q], u.m)
		}
	}
	for _, q := range order {
		if len(back[q]) > 0 {
			b.requeueLocked(q, back[q])
		} else if b.queues[q.name] == q {
			b.dispatchLocked(q)
		}
	}
}
