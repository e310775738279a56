//go:build integration

package amqp_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/hakit/hakit/amqp"
	"github.com/hakit/hakit/internal/testenv"
)

// On a single-active-consumer queue, the standby consumer gets nothing
// while the active one works through a backlog: a healthy queue, not a
// stall, so the standby keeps its connection.
func TestStandbyConsumerIsNotAStall(t *testing.T) {
	env := testenv.RabbitMQ(t)
	r := newRunner(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	name := "amqp-test.sac." + strconv.FormatInt(time.Now().UnixNano(), 36)
	q, err := amqp.QuorumQueue{Name: name}.Queue()
	if err != nil {
		t.Fatal(err)
	}
	q.Args["x-single-active-consumer"] = true
	client := func(node int) *amqp.Client {
		c, err := amqp.New(amqp.Config{URLs: rotate(env.URLs, node)})
		if err != nil {
			t.Fatal(err)
		}
		r.run(c.Run)
		if _, err := c.DeclareQueue(ctx, q); err != nil {
			t.Fatal(err)
		}
		return c
	}
	active, standby := client(0), client(1)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := active.DeleteQueue(ctx, name); err != nil {
			t.Errorf("delete %s: %v", name, err)
		}
	})
	// The active consumer holds its deliveries (prefetch 2), the backlog
	// waits in the queue.
	held := &collector{noAck: true}
	r.consumer(active, amqp.ConsumerConfig{Queue: name, Handler: held.handle, Prefetch: 2})
	waitFor(t, 20*time.Second, "the active consumer", func() bool {
		q, err := active.Inspect(ctx, name)
		return err == nil && q.Consumers == 1
	})
	sb := r.consumer(standby, amqp.ConsumerConfig{Queue: name, Handler: (&collector{}).handle, StallTimeout: time.Second})
	p := r.publisher(active, amqp.PublisherConfig{})
	for i := range 10 {
		if err := p.Publish(ctx, "", name, amqp091.Publishing{Body: []byte(strconv.Itoa(i))}); err != nil {
			t.Fatal(err)
		}
	}
	// StallTimeout 1s: five periods at least, each of which would
	// have dropped the standby's connection.
	time.Sleep(6 * time.Second)
	if ks, cs := sb.Stats(), standby.Stats(); ks.Stalls != 0 || cs.Connects != 1 {
		t.Errorf("standby: %+v, %+v", ks, cs)
	}
}
