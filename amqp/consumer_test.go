package amqp_test

import (
	"errors"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/hakit/hakit/amqp"
	"github.com/hakit/hakit/amqp/amqptest"
)

// publish sends bodies through a connection of its own.
func publish(t *testing.T, r *runner, b *amqptest.Broker, exchange, key string, bodies ...string) {
	t.Helper()
	c := r.client(b, amqp.Config{})
	p := r.publisher(c, amqp.PublisherConfig{})
	for _, body := range bodies {
		if err := p.Publish(r.ctx, exchange, key, amqp091.Publishing{Body: []byte(body)}); err != nil {
			t.Fatal(err)
		}
	}
	p.Close()
	c.Close()
}

// After a failover the consumer subscribes again; a delivery from the
// dead channel cannot be acked (ErrStaleDelivery, nothing sent), and is
// redelivered on the new channel, which stays open.
func TestConsumerResubscribesAndStaleAck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, r, c := withQueue(t, true)
		col := &collector{noAck: true}
		k := r.consumer(c, amqp.ConsumerConfig{Queue: "q", Handler: col.handle})
		publish(t, r, b, "", "q", "a")
		synctest.Wait()
		if got := col.got(); !slices.Equal(got, []string{"a"}) {
			t.Fatalf("got %v", got)
		}
		col.mu.Lock()
		stale := col.held[0]
		col.noAck = false
		col.mu.Unlock()
		b.Drop(testURLs[0])
		time.Sleep(5 * time.Second)
		if err := stale.Ack(); !errors.Is(err, amqp.ErrStaleDelivery) {
			t.Errorf("Ack of a delivery from the dead channel = %v, want ErrStaleDelivery", err)
		}
		synctest.Wait()
		publish(t, r, b, "", "q", "b")
		synctest.Wait()
		if got := col.got(); !slices.Equal(got, []string{"a", "a", "b"}) || col.redel != 1 {
			t.Errorf("got %v (%d redelivered), want a, a again, b", got, col.redel)
		}
		if st, _ := b.Queue("q"); st.Ready != 0 || st.Unacked != 0 || st.Consumers != 1 {
			t.Errorf("queue %+v, want all acked and one consumer", st)
		}
		if ks := k.Stats(); ks.Subscribes != 2 || ks.Delivered != 3 || ks.Redelivered != 1 {
			t.Errorf("stats %+v", ks)
		}
	})
}

// basic.cancel from the broker (queue deleted, leader moved) makes the
// consumer subscribe again after ResubscribeDelay, on the same connection.
func TestConsumerResubscribesAfterCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, r, c := withQueue(t, false)
		col := &collector{}
		k := r.consumer(c, amqp.ConsumerConfig{Queue: "q", Handler: col.handle})
		synctest.Wait()
		if n := b.Cancel("q"); n != 1 {
			t.Fatalf("cancelled %d consumers", n)
		}
		synctest.Wait()
		if st, _ := b.Queue("q"); st.Consumers != 0 {
			t.Fatalf("queue %+v right after the cancel", st)
		}
		time.Sleep(1500 * time.Millisecond)
		publish(t, r, b, "", "q", "after")
		synctest.Wait()
		if got := col.got(); !slices.Equal(got, []string{"after"}) {
			t.Errorf("got %v", got)
		}
		if ks := k.Stats(); ks.Cancels != 1 || ks.Subscribes != 2 || c.Stats().Connects != 1 {
			t.Errorf("stats %+v %+v", ks, c.Stats())
		}
	})
}

// A consumer fed nothing while its queue holds messages (RabbitMQ 3.10's
// channel stuck on a dead quorum leader) drops the connection after
// StallTimeout and receives them on the next one.
func TestConsumerStallDropsConnection(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, r, c := withQueue(t, false)
		col := &collector{}
		k := r.consumer(c, amqp.ConsumerConfig{Queue: "q", Handler: col.handle, StallTimeout: 10 * time.Second})
		synctest.Wait()
		b.Trap()
		start := time.Now()
		publish(t, r, b, "", "q", "x", "y")
		synctest.Wait()
		if got := col.got(); len(got) != 0 {
			t.Fatalf("a trapped consumer got %v", got)
		}
		for len(col.got()) < 2 {
			time.Sleep(100 * time.Millisecond)
		}
		// StallTimeout 10s, LostDelay 2-2.5s.
		if d := time.Since(start); d < 10*time.Second || d > 13*time.Second {
			t.Errorf("recovered after %v", d)
		}
		if ks, cs := k.Stats(), c.Stats(); ks.Stalls != 1 || cs.Drops != 1 {
			t.Errorf("stats %+v %+v", ks, cs)
		}
	})
}

// An idle consumer on an empty queue is not a stall.
func TestIdleConsumerIsNotAStall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, r, c := withQueue(t, false)
		col := &collector{}
		k := r.consumer(c, amqp.ConsumerConfig{Queue: "q", Handler: col.handle, StallTimeout: time.Second})
		time.Sleep(time.Minute)
		if ks, cs := k.Stats(), c.Stats(); ks.Stalls != 0 || cs.Connects != 1 {
			t.Errorf("stats %+v %+v", ks, cs)
		}
	})
}

// Topology declared through the Client comes back on a new connection in
// order: the exchange, the server-named exclusive queue (under a new name,
// which QueueName follows), its binding, and the consumer on it.
func TestTopologyRecovery(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := amqptest.NewBroker()
		r := newRunner(t)
		c := r.client(b, amqp.Config{})
		if err := c.DeclareExchange(r.ctx, amqp.Exchange{Name: "events", Kind: "topic", Durable: true}); err != nil {
			t.Fatal(err)
		}
		first, err := c.DeclareQueue(r.ctx, amqp.Queue{Exclusive: true, AutoDelete: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.BindQueue(r.ctx, amqp.Binding{Queue: first, Exchange: "events", Key: "node.*"}); err != nil {
			t.Fatal(err)
		}
		col := &collector{}
		r.consumer(c, amqp.ConsumerConfig{Queue: first, Handler: col.handle})
		publish(t, r, b, "events", "node.up", "1")
		synctest.Wait()
		b.Drop(testURLs[0])
		synctest.Wait()
		if _, ok := b.Queue(first); ok {
			t.Fatalf("exclusive queue %s outlived its connection", first)
		}
		time.Sleep(5 * time.Second)
		second := c.QueueName(first)
		if second == first {
			t.Fatalf("QueueName(%q) unchanged after the queue was re-declared", first)
		}
		if _, ok := b.Queue(second); !ok {
			t.Fatalf("queue %s not declared", second)
		}
		publish(t, r, b, "events", "node.down", "2")
		publish(t, r, b, "events", "other", "3")
		synctest.Wait()
		if got := col.got(); !slices.Equal(got, []string{"1", "2"}) {
			t.Errorf("got %v, want 1 and 2 through the recovered binding", got)
		}
	})
}

// A declaration the server refuses (406 PRECONDITION_FAILED) is returned,
// not retried, and not recorded.
func TestDeclareRefusedIsReturned(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, r, c := withQueue(t, true)
		_, err := c.DeclareQueue(r.ctx, amqp.Queue{Name: "q"})
		var ae *amqp091.Error
		if !errors.As(err, &ae) || ae.Code != amqp091.PreconditionFailed {
			t.Fatalf("DeclareQueue = %v, want 406", err)
		}
		q, err := amqp.QuorumQueue{Name: "qq", DeliveryLimit: 5}.Queue()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.DeclareQueue(r.ctx, q); err != nil {
			t.Fatal(err)
		}
		q.Durable = false
		if _, err := c.DeclareQueue(r.ctx, q); err == nil {
			t.Fatal("a non-durable quorum queue was accepted")
		}
	})
}

// A consumer whose handler holds its deliveries to ack them later (a slow
// worker pool) has its prefetch full: the broker rightly delivers nothing
// more while messages wait in the queue. That is not a stall, and dropping
// the connection would requeue and redeliver everything held.
func TestFullPrefetchIsNotAStall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, r, c := withQueue(t, false)
		col := &collector{noAck: true}
		k := r.consumer(c, amqp.ConsumerConfig{Queue: "q", Handler: col.handle, Prefetch: 2, StallTimeout: time.Second})
		synctest.Wait()
		publish(t, r, b, "", "q", "a", "b", "c", "d")
		time.Sleep(time.Minute)
		if ks, cs := k.Stats(), c.Stats(); ks.Stalls != 0 || cs.Connects != 1 || col.redel != 0 {
			t.Errorf("stats %+v %+v, %d redelivered", ks, cs, col.redel)
		}
	})
}
