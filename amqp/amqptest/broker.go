package amqptest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/hakit/hakit/amqp"
)

// Broker is an in-memory AMQP 0-9-1 broker: one cluster that any URL
// reaches (unless refused), with exchanges (direct, fanout, topic and the
// default exchange), queues, bindings, publisher confirms, consumers with
// manual or automatic acks, prefetch and redelivery. Plug it into a Client
// with amqp.Config{Dial: b.Dial}.
//
// Faults are injected by method: Drop closes connections as a dying node
// would, Refuse makes a URL unreachable, Block raises a resource alarm,
// NackNext nacks publishes, Cancel cancels consumers from the broker's
// side, and Trap makes the connections open now behave as RabbitMQ 3.10's
// stuck channels (publishes nacked, nothing delivered) until they are
// replaced.
//
// Everything runs on the callers' goroutines, so tests can use it inside
// a testing/synctest bubble.
type Broker struct {
	mu        sync.Mutex
	exchanges map[string]*exchange
	queues    map[string]*queue
	conns     []*Conn
	refused   map[string]bool
	dials     []string
	blocked   string   // reason; "" when not blocked
	deferred  []func() // publishes that arrived while blocked
	nackNext  int
	hold      bool
	seq       int
}

type exchange struct {
	kind                          string
	durable, autoDelete, internal bool
	bindings                      []binding
}

type binding struct{ queue, key string }

type queue struct {
	name                           string
	durable, autoDelete, exclusive bool
	args                           amqp091.Table
	owner                          *Conn
	ready                          []*message
	consumers                      []*consumer
	next                           int // round-robin among consumers
	hadConsumer                    bool
}

type message struct {
	exchange, key string
	pub           amqp091.Publishing
	redelivered   bool
}

type consumer struct {
	tag        string
	ch         *Channel
	q          *queue
	autoAck    bool
	deliveries chan amqp091.Delivery
	unacked    int
	prefetch   int
}

var _ amqp.Conn = (*Conn)(nil)
var _ amqp.Channel = (*Channel)(nil)

// NewBroker returns an empty broker with RabbitMQ's predeclared exchanges.
func NewBroker() *Broker {
	b := &Broker{exchanges: map[string]*exchange{}, queues: map[string]*queue{}, refused: map[string]bool{}}
	for name, kind := range map[string]string{"": "direct", "amq.direct": "direct", "amq.fanout": "fanout", "amq.topic": "topic"} {
		b.exchanges[name] = &exchange{kind: kind, durable: true}
	}
	return b
}

// Dial opens a connection; it has amqp.DialFunc's signature.
func (b *Broker) Dial(ctx context.Context, url string, _ amqp.DialConfig) (amqp.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.dials = append(b.dials, url)
	if b.refused[url] {
		return nil, fmt.Errorf("amqptest: dial %s: connection refused", amqp.Redact(url))
	}
	c := &Conn{b: b, url: url}
	b.conns = append(b.conns, c)
	if b.blocked != "" {
		// RabbitMQ tells a new connection about an alarm in force.
		c.pendingBlock = true
	}
	return c, nil
}

// Dials returns the URLs dialled so far, in order, refused ones included.
func (b *Broker) Dials() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.dials)
}

// Conns returns how many connections are open.
func (b *Broker) Conns() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.conns)
}

// Refuse makes dials to url fail (refuse true) or succeed again, as a
// node that is down or back.
func (b *Broker) Refuse(url string, refuse bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refused[url] = refuse
}

// Drop closes every open connection to url ("" for all) with a 501
// frame error, as a TCP reset from a killed node looks to amqp091-go.
// Unacked deliveries are requeued, exclusive queues of those connections
// deleted. It returns how many connections it closed.
func (b *Broker) Drop(url string) int {
	b.mu.Lock()
	var victims []*Conn
	for _, c := range b.conns {
		if url == "" || c.url == url {
			victims = append(victims, c)
		}
	}
	b.mu.Unlock()
	for _, c := range victims {
		c.shutdown(&amqp091.Error{Code: amqp091.FrameError, Reason: "amqptest: connection reset by peer", Recover: true})
	}
	return len(victims)
}

// Block raises a resource alarm: every connection gets connection.blocked
// with reason, and publishes are neither routed nor confirmed until
// Unblock, as RabbitMQ stops reading from publishing connections.
func (b *Broker) Block(reason string) {
	b.mu.Lock()
	if b.blocked != "" {
		b.mu.Unlock()
		return
	}
	b.blocked = reason
	conns := slices.Clone(b.conns)
	b.mu.Unlock()
	for _, c := range conns {
		c.notifyBlocked(amqp091.Blocking{Active: true, Reason: reason})
	}
}

// Unblock clears the alarm (connection.unblocked).
func (b *Broker) Unblock() {
	b.mu.Lock()
	if b.blocked == "" {
		b.mu.Unlock()
		return
	}
	b.blocked = ""
	conns := slices.Clone(b.conns)
	b.mu.Unlock()
	for _, c := range conns {
		c.notifyBlocked(amqp091.Blocking{Active: false})
	}
	for {
		b.mu.Lock()
		if len(b.deferred) == 0 || b.blocked != "" {
			b.mu.Unlock()
			return
		}
		f := b.deferred[0]
		b.deferred = b.deferred[1:]
		b.mu.Unlock()
		f()
	}
}

// NackNext makes the broker nack the next n publishes (on any channel in
// confirm mode) instead of routing them.
func (b *Broker) NackNext(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.nackNext = n
}

// HoldConfirms makes the broker store publishes but hold back their
// confirms (hold true), as a quorum queue does until a majority of its
// replicas has the message, or send the held ones and stop holding (hold
// false). Confirms held on a connection that is dropped are never sent:
// the publisher sees messages the broker stored as unconfirmed.
func (b *Broker) HoldConfirms(hold bool) {
	b.mu.Lock()
	b.hold = hold
	type release struct {
		ls []chan amqp091.Confirmation
		cs []amqp091.Confirmation
	}
	var rs []release
	if !hold {
		for _, c := range b.conns {
			for _, ch := range c.channels {
				if len(ch.held) > 0 {
					rs = append(rs, release{slices.Clone(ch.confirmL), ch.held})
					ch.held = nil
				}
			}
		}
	}
	b.mu.Unlock()
	for _, r := range rs {
		for _, cf := range r.cs {
			for _, l := range r.ls {
				l <- cf
			}
		}
	}
}

// Trap makes every connection open now nack all its publishes and deliver
// nothing to its consumers, for good, while connections opened later work:
// what a RabbitMQ 3.10 channel opened during a quorum-queue leader election
// does. It returns how many connections it trapped.
func (b *Broker) Trap() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range b.conns {
		c.trapped = true
	}
	return len(b.conns)
}

// Cancel cancels every consumer of queue from the broker's side
// (basic.cancel, as RabbitMQ sends when a queue is deleted or its leader
// moves). It returns how many it cancelled.
func (b *Broker) Cancel(queue string) int {
	b.mu.Lock()
	q := b.queues[queue]
	if q == nil {
		b.mu.Unlock()
		return 0
	}
	cs := slices.Clone(q.consumers)
	b.mu.Unlock()
	// amqp091-go tells NotifyCancel listeners before it closes the
	// consumer's delivery channel.
	for _, k := range cs {
		k.ch.notifyCancel(k.tag)
	}
	b.mu.Lock()
	for _, k := range cs {
		if slices.Contains(q.consumers, k) {
			b.removeConsumerLocked(k)
		}
	}
	b.mu.Unlock()
	return len(cs)
}

// QueueState is a queue as the broker holds it.
type QueueState struct {
	Ready     int // messages waiting
	Unacked   int // delivered, not acked
	Consumers int
	Bodies    []string // bodies of the ready messages, in order
}

// Queue returns the state of queue name and whether it exists.
func (b *Broker) Queue(name string) (QueueState, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	q := b.queues[name]
	if q == nil {
		return QueueState{}, false
	}
	st := QueueState{Ready: len(q.ready), Consumers: len(q.consumers)}
	for _, m := range q.ready {
		st.Bodies = append(st.Bodies, string(m.pub.Body))
	}
	for _, c := range b.conns {
		for _, ch := range c.channels {
			for _, u := range ch.unacked {
				if u.q == q {
					st.Unacked++
				}
			}
		}
	}
	return st, true
}

// route returns the queues msg goes to.
func (b *Broker) routeLocked(ex *exchange, exName, key string) []*queue {
	if exName == "" {
		if q := b.queues[key]; q != nil {
			return []*queue{q}
		}
		return nil
	}
	var out []*queue
	for _, bd := range ex.bindings {
		q := b.queues[bd.queue]
		if q == nil || slices.Contains(out, q) {
			continue
		}
		switch ex.kind {
		case "fanout":
			out = append(out, q)
		case "direct":
			if bd.key == key {
				out = append(out, q)
			}
		case "topic":
			if topicMatch(strings.Split(bd.key, "."), strings.Split(key, ".")) {
				out = append(out, q)
			}
		}
	}
	return out
}

// topicMatch matches a topic binding pattern ("*" one word, "#" zero or
// more) against a routing key, word by word.
func topicMatch(pat, key []string) bool {
	if len(pat) == 0 {
		return len(key) == 0
	}
	switch pat[0] {
	case "#":
		for i := 0; i <= len(key); i++ {
			if topicMatch(pat[1:], key[i:]) {
				return true
			}
		}
		return false
	case "*":
		return len(key) > 0 && topicMatch(pat[1:], key[1:])
	}
	return len(key) > 0 && pat[0] == key[0] && topicMatch(pat[1:], key[1:])
}

// dispatchLocked hands ready messages to consumers with room, round-robin.
func (b *Broker) dispatchLocked(q *queue) {
	for len(q.ready) > 0 {
		var k *consumer
		for i := range q.consumers {
			c := q.consumers[(q.next+i)%len(q.consumers)]
			if c.ch.closed || c.ch.conn.trapped || c.unacked >= c.prefetch ||
				len(c.deliveries) == cap(c.deliveries) { // autoAck: the channel's room bounds them
				continue
			}
			k = c
			q.next = (q.next + i + 1) % len(q.consumers)
			break
		}
		if k == nil {
			return
		}
		m := q.ready[0]
		q.ready = q.ready[1:]
		ch := k.ch
		ch.tag++
		d := amqp091.Delivery{
			Acknowledger:    ch,
			Headers:         m.pub.Headers,
			ContentType:     m.pub.ContentType,
			ContentEncoding: m.pub.ContentEncoding,
			DeliveryMode:    m.pub.DeliveryMode,
			Priority:        m.pub.Priority,
			CorrelationId:   m.pub.CorrelationId,
			ReplyTo:         m.pub.ReplyTo,
			Expiration:      m.pub.Expiration,
			MessageId:       m.pub.MessageId,
			Timestamp:       m.pub.Timestamp,
			Type:            m.pub.Type,
			UserId:          m.pub.UserId,
			AppId:           m.pub.AppId,
			ConsumerTag:     k.tag,
			DeliveryTag:     ch.tag,
			Redelivered:     m.redelivered,
			Exchange:        m.exchange,
			RoutingKey:      m.key,
			Body:            m.pub.Body,
		}
		if !k.autoAck {
			k.unacked++
			ch.unacked[ch.tag] = unacked{q: q, m: m, k: k}
		}
		k.deliveries <- d // room: unacked < prefetch <= cap
	}
}

func (b *Broker) removeConsumerLocked(k *consumer) {
	q := k.q
	if i := slices.Index(q.consumers, k); i >= 0 {
		q.consumers = slices.Delete(q.consumers, i, i+1)
		if q.next >= len(q.consumers) {
			q.next = 0
		}
	}
	delete(k.ch.consumers, k.tag)
	close(k.deliveries)
	if q.autoDelete && q.hadConsumer && len(q.consumers) == 0 {
		b.deleteQueueLocked(q)
	}
}

func (b *Broker) deleteQueueLocked(q *queue) []*consumer {
	if b.queues[q.name] != q {
		return nil
	}
	delete(b.queues, q.name)
	cs := slices.Clone(q.consumers)
	for _, k := range cs {
		b.removeConsumerLocked(k)
	}
	for _, ex := range b.exchanges {
		ex.bindings = slices.DeleteFunc(ex.bindings, func(bd binding) bool { return bd.queue == q.name })
	}
	return cs
}

func (b *Broker) requeueLocked(q *queue, ms []*message) {
	if b.queues[q.name] != q || len(ms) == 0 {
		return
	}
	for _, m := range ms {
		m.redelivered = true
	}
	q.ready = append(ms, q.ready...)
	b.dispatchLocked(q)
}
