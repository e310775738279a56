package amqp_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/hakit/hakit/amqp"
	"github.com/hakit/hakit/amqp/amqptest"
)

func publishAll(t *testing.T, ctx context.Context, p *amqp.Publisher, n int) []error {
	t.Helper()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = p.Publish(ctx, "", "q", amqp091.Publishing{Body: fmt.Appendf(nil, "%d", i)})
		})
	}
	wg.Wait()
	return errs
}

// Messages stored but unconfirmed when the connection dies are published
// again on the next connection: every Publish returns nil, the queue
// holds each message at least once (the re-published ones twice).
func TestUnconfirmedRepublishedOnNewConnection(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, r, c := withQueue(t, true)
		p := r.publisher(c, amqp.PublisherConfig{})
		b.HoldConfirms(true)
		done := make(chan []error)
		go func() { done <- publishAll(t, r.ctx, p, 10) }()
		synctest.Wait()
		if st, _ := b.Queue("q"); st.Ready != 10 {
			t.Fatalf("queue %+v, want 10 stored", st)
		}
		b.Drop("")
		b.HoldConfirms(false)
		for i, err := range <-done {
			if err != nil {
				t.Errorf("Publish %d: %v", i, err)
			}
		}
		st, _ := b.Queue("q")
		count := map[string]int{}
		for _, body := range st.Bodies {
			count[body]++
		}
		for i := range 10 {
			if count[fmt.Sprint(i)] != 2 {
				t.Errorf("message %d stored %d times, want 2 (once per connection)", i, count[fmt.Sprint(i)])
			}
		}
		if ps := p.Stats(); ps.Requeued != 10 || ps.Resent != 10 || ps.Confirmed != 10 || ps.InFlight != 0 {
			t.Errorf("publisher stats %+v", ps)
		}
	})
}

// Nacked messages are sent again until acked; Publish reports success.
func TestNackRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, r, c := withQueue(t, false)
		p := r.publisher(c, amqp.PublisherConfig{})
		b.NackNext(3)
		if err := p.Publish(r.ctx, "", "q", amqp091.Publishing{Body: []byte("x")}); err != nil {
			t.Fatal(err)
		}
		if st, _ := b.Queue("q"); st.Ready != 1 {
			t.Errorf("queue %+v", st)
		}
		if ps := p.Stats(); ps.Nacks != 3 || ps.Sent != 4 || c.Stats().Connects != 1 {
			t.Errorf("stats %+v %+v, want 3 nacks on one connection", ps, c.Stats())
		}
	})
}

// A channel that nacks everything (RabbitMQ 3.10's channel stuck on a dead
// quorum leader) makes the publisher drop the connection after NackRun
// nacks; the next connection delivers.
func TestNackRunDropsConnection(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, r, c := withQueue(t, false)
		p := r.publisher(c, amqp.PublisherConfig{NackRun: 5})
		b.Trap()
		start := time.Now()
		if err := p.Publish(r.ctx, "", "q", amqp091.Publishing{Body: []byte("x")}); err != nil {
			t.Fatal(err)
		}
		if st, _ := b.Queue("q"); st.Ready != 1 {
			t.Errorf("queue %+v", st)
		}
		cs := c.Stats()
		if cs.Drops != 1 || cs.Connects != 2 || p.Stats().Nacks != 5 {
			t.Errorf("stats %+v %+v, want one drop after 5 nacks", cs, p.Stats())
		}
		// 5 nacks with growing pauses (20..80ms), then LostDelay.
		if d := time.Since(start); d > 4*time.Second {
			t.Errorf("took %v", d)
		}
	})
}

// A mandatory message no queue takes fails with a *ReturnError.
func TestMandatoryReturned(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := amqptest.NewBroker()
		r := newRunner(t)
		var returned []amqp091.Return
		c := r.client(b, amqp.Config{})
		p := r.publisher(c, amqp.PublisherConfig{Mandatory: true, OnReturn: func(rt amqp091.Return) { returned = append(returned, rt) }})
		err := p.Publish(r.ctx, "amq.direct", "nowhere", amqp091.Publishing{Body: []byte("x")})
		var re *amqp.ReturnError
		if !errors.As(err, &re) || !errors.Is(err, amqp.ErrReturned) || re.Code != amqp091.NoRoute || re.Key != "nowhere" {
			t.Fatalf("Publish = %v, want a ReturnError 312", err)
		}
		if len(returned) != 1 {
			t.Errorf("OnReturn got %d", len(returned))
		}
	})
}

// MaxInFlight bounds accepted messages: one more waits, and fails with
// ErrNotPublished when its ctx ends; one sent but unconfirmed when its ctx
// ends fails with ErrMaybePublished and is still confirmed later.
func TestInFlightBoundAndOutcomes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, r, c := withQueue(t, false)
		p := r.publisher(c, amqp.PublisherConfig{MaxInFlight: 2})
		b.HoldConfirms(true)
		ctx, cancel := context.WithTimeout(r.ctx, time.Second)
		defer cancel()
		errs := publishAll(t, ctx, p, 3)
		var maybe, not int
		for _, err := range errs {
			switch {
			case errors.Is(err, amqp.ErrMaybePublished) && errors.Is(err, context.DeadlineExceeded):
				maybe++
			case errors.Is(err, amqp.ErrNotPublished) && errors.Is(err, context.DeadlineExceeded):
				not++
			default:
				t.Errorf("Publish = %v", err)
			}
		}
		if maybe != 2 || not != 1 {
			t.Errorf("%d maybe, %d not published; want 2 and 1", maybe, not)
		}
		if st, _ := b.Queue("q"); st.Ready != 2 {
			t.Errorf("queue %+v, want the two sent", st)
		}
		if ps := p.Stats(); ps.InFlight != 2 {
			t.Errorf("stats %+v, want 2 in flight", ps)
		}
		b.HoldConfirms(false)
		synctest.Wait()
		if ps := p.Stats(); ps.InFlight != 0 || ps.Confirmed != 2 {
			t.Errorf("stats %+v, want the two confirmed", ps)
		}
	})
}
