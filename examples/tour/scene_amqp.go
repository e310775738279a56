package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/hakit/hakit/amqp"
	"github.com/hakit/hakit/amqp/amqptest"
)

// sceneAMQP publishes with confirms through an amqp.Client over three
// nodes of an in-memory RabbitMQ: the node dies with messages stored but
// unconfirmed, which are published again through the next node; a memory
// alarm holds the publisher; a channel stuck on a dead quorum leader is
// abandoned after a run of nacks. The consumer gets every message, some
// twice.
func sceneAMQP(ctx context.Context, w io.Writer) error {
	tl := newTimeline(w)
	b := amqptest.NewBroker()
	urls := []string{"amqp://app:secret@node1:5672/", "amqp://app:secret@node2:5672/", "amqp://app:secret@node3:5672/"}
	node := func(url string) string {
		return strings.SplitN(strings.TrimPrefix(url, "amqp://app:xxxxx@"), ":", 2)[0]
	}
	connected := make(chan string, 8)
	client, err := amqp.New(amqp.Config{
		URLs:          urls,
		LostDelay:     200 * time.Millisecond, // 2s by default: a real quorum queue elects its leader meanwhile
		RetryInterval: 100 * time.Millisecond,
		Dial:          b.Dial,
		OnConnect: func(e amqp.ConnEvent) {
			tl.printf("client: connected to %s", node(e.URL))
			connected <- e.URL
		},
		OnLost: func(e amqp.ConnEvent) { tl.printf("client: lost %s: %s", node(e.URL), e.Reason) },
		OnBlocked: func(bl amqp091.Blocking) {
			if bl.Active {
				tl.printf("client: connection blocked (%s)", bl.Reason)
			} else {
				tl.printf("client: connection unblocked")
			}
		},
	})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	wg.Go(func() { _ = client.Run(ctx) })
	<-connected
	q, err := amqp.QuorumQueue{Name: "orders"}.Queue()
	if err != nil {
		return err
	}
	if _, err := client.DeclareQueue(ctx, q); err != nil {
		return err
	}
	pub, err := client.NewPublisher(amqp.PublisherConfig{NackRun: 10})
	if err != nil {
		return err
	}
	wg.Go(func() { _ = pub.Run(ctx) })
	var mu sync.Mutex
	seen := map[string]int{}
	con, err := client.NewConsumer(amqp.ConsumerConfig{Queue: "orders", Handler: func(ctx context.Context, d *amqp.Delivery) {
		mu.Lock()
		seen[string(d.Body)]++
		mu.Unlock()
		_ = d.Ack()
	}})
	if err != nil {
		return err
	}
	wg.Go(func() { _ = con.Run(ctx) })

	publish := func(from, to int) chan error {
		done := make(chan error, to-from)
		for i := from; i < to; i++ {
			go func() {
				done <- pub.Publish(ctx, "", "orders", amqp091.Publishing{Body: fmt.Appendf(nil, "order %d", i)})
			}()
		}
		return done
	}
	wait := func(done chan error, n int) error {
		for range n {
			if err := <-done; err != nil {
				return err
			}
		}
		return nil
	}

	b.HoldConfirms(true)
	done := publish(0, 10)
	for pub.Stats().Sent < 10 {
		time.Sleep(5 * time.Millisecond)
	}
	tl.printf("10 orders stored on node1, their confirms not sent yet; node1 is killed")
	b.Refuse(urls[0], true)
	b.Drop(urls[0])
	b.HoldConfirms(false)
	if err := wait(done, 10); err != nil {
		return err
	}
	tl.printf("publisher: all 10 confirmed through node2 (%d sent again)", pub.Stats().Resent)

	b.Block("memory alarm on node2")
	for !client.Stats().Blocked {
		time.Sleep(5 * time.Millisecond)
	}
	done = publish(10, 15)
	time.Sleep(200 * time.Millisecond)
	tl.printf("publisher: %d orders waiting while blocked, %d sent", pub.Stats().InFlight, pub.Stats().Sent-10-pub.Stats().Resent)
	b.Unblock()
	if err := wait(done, 5); err != nil {
		return err
	}

	b.Trap()
	tl.printf("node2's channels now nack everything (RabbitMQ 3.10 after a quorum leader died)")
	if err := wait(publish(15, 20), 5); err != nil {
		return err
	}
	tl.printf("publisher: %d nacks in all, then a new connection; all 20 confirmed", pub.Stats().Nacks)
	for {
		mu.Lock()
		n, dups := len(seen), 0
		for _, c := range seen {
			dups += c - 1
		}
		mu.Unlock()
		if n == 20 {
			tl.printf("consumer: 20 distinct orders received, %d twice (at least once, never lost)", dups)
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("consumer has %d of 20 orders: %w", n, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}
