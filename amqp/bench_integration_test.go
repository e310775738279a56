//go:build integration

package amqp_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/hakit/hakit/amqp"
	"github.com/hakit/hakit/internal/testenv"
)

// benchWindow is the confirms in flight for both sides.
const benchWindow = 256

// BenchmarkPublishConfirmed publishes b.N persistent messages with
// confirms into one quorum queue, first through raw amqp091-go (one
// channel, a window of deferred confirms), then through an amqp.Publisher
// (benchWindow goroutines calling Publish), and reports both rates and
// their ratio (hakit/raw; the goal is at least 0.9):
//
//	go test -tags integration -run '^$' -bench PublishConfirmed ./amqp/
func BenchmarkPublishConfirmed(b *testing.B) {
	env := testenv.RabbitMQ(b)
	queue := "amqp-bench." + strconv.FormatInt(time.Now().UnixNano(), 36)
	ctx := context.Background()

	conn, err := amqp091.Dial(env.URLs[0])
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		b.Fatal(err)
	}
	if _, err := ch.QueueDeclare(queue, true, false, false, false, amqp091.Table{"x-queue-type": "quorum"}); err != nil {
		b.Fatal(err)
	}
	defer func() { _, _ = ch.QueueDelete(queue, false, false, false) }()
	if err := ch.Confirm(false); err != nil {
		b.Fatal(err)
	}
	msg := amqp091.Publishing{DeliveryMode: amqp091.Persistent, Body: make([]byte, 64)}

	c, err := amqp.New(amqp.Config{URLs: env.URLs[:1]})
	if err != nil {
		b.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	wg.Go(func() { _ = c.Run(rctx) })
	p, err := c.NewPublisher(amqp.PublisherConfig{MaxInFlight: benchWindow})
	if err != nil {
		b.Fatal(err)
	}
	wg.Go(func() { _ = p.Run(rctx) })

	b.ResetTimer()
	start := time.Now()
	window := make([]*amqp091.DeferredConfirmation, 0, benchWindow)
	for range b.N {
		dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, "", queue, false, false, msg)
		if err != nil {
			b.Fatal(err)
		}
		window = append(window, dc)
		if len(window) == benchWindow {
			if !window[0].Wait() {
				b.Fatal("raw: nacked")
			}
			window = window[1:]
		}
	}
	for _, dc := range window {
		if !dc.Wait() {
			b.Fatal("raw: nacked")
		}
	}
	raw := time.Since(start)

	start = time.Now()
	var pw sync.WaitGroup
	next := make(chan struct{})
	go func() {
		defer close(next)
		for range b.N {
			next <- struct{}{}
		}
	}()
	errs := make(chan error, benchWindow)
	for range benchWindow {
		pw.Go(func() {
			for range next {
				if err := p.Publish(ctx, "", queue, msg); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	pw.Wait()
	ours := time.Since(start)
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	rawRate := float64(b.N) / raw.Seconds()
	ourRate := float64(b.N) / ours.Seconds()
	b.ReportMetric(rawRate, "raw-msg/s")
	b.ReportMetric(ourRate, "hakit-msg/s")
	b.ReportMetric(ourRate/rawRate, "hakit/raw")
}
