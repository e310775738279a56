package amqp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

// PublisherConfig configures a Publisher; every zero value is a default.
type PublisherConfig struct {
	// Mandatory sets the mandatory flag: a message no queue takes comes
	// back (basic.return), and its Publish fails with a *ReturnError.
	// basic.return carries no delivery tag: a return is matched to the
	// oldest message in flight with the same exchange, routing key and
	// body. Messages identical in those three but routed differently
	// (a headers exchange, a queue deleted between them) can have
	// their outcomes swapped; give such messages distinct bodies.
	Mandatory bool
	// MaxInFlight bounds the messages Publish has accepted and the broker
	// has not confirmed yet; Publish waits for room beyond it. Zero means
	// 1000.
	MaxInFlight int
	// NackRun is how many nacks in a row, with no ack between them, make
	// the Publisher drop the connection and go on through another; zero
	// means 50. On RabbitMQ 3.10, a channel opened while a quorum queue
	// elects a new leader can nack every publish for good (fixed in
	// rabbitmq-server PR #9241); a new connection works.
	NackRun int
	// ConfirmTimeout: when messages are in flight and no confirm at all
	// arrived for this long, the connection is dropped and they are
	// re-published through another; zero means 30s, negative never.
	ConfirmTimeout time.Duration
	// OnReturn, if set, is called with every returned message, on the
	// Publisher's Run goroutine; it must not block.
	OnReturn func(amqp091.Return)
}

// Publisher publishes with publisher confirms, at least once: Publish
// returns nil only once a broker confirmed the message, and a message
// unconfirmed when its connection dies is published again on the next
// one. Run drives it; Publish may be called from many goroutines.
type Publisher struct {
	c   *Client
	cfg PublisherConfig

	sem     chan struct{} // one slot per accepted message
	kick    chan struct{}
	stopped chan struct{} // closed when Run returns
	running atomic.Bool
	closed  chan struct{}
	once    sync.Once

	mu    sync.Mutex
	queue []*pending // waiting to be sent, in order
	st    PublisherStats
}

type pending struct {
	exchange, key string
	msg           amqp091.Publishing
	done          chan error // buffered; receives the outcome once
	sent          bool       // handed to a broker at least once
	abandoned     bool       // Publish returned before the outcome
	ret           *ReturnError
}

// NewPublisher checks cfg and returns a Publisher on c; start its Run.
func (c *Client) NewPublisher(cfg PublisherConfig) (*Publisher, error) {
	if cfg.MaxInFlight < 0 {
		return nil, fmt.Errorf("amqp: PublisherConfig.MaxInFlight %d is negative", cfg.MaxInFlight)
	}
	if cfg.MaxInFlight == 0 {
		cfg.MaxInFlight = 1000
	}
	if cfg.NackRun < 0 {
		return nil, fmt.Errorf("amqp: PublisherConfig.NackRun %d is negative", cfg.NackRun)
	}
	if cfg.NackRun == 0 {
		cfg.NackRun = 50
	}
	if cfg.ConfirmTimeout == 0 {
		cfg.ConfirmTimeout = 30 * time.Second
	}
	return &Publisher{
		c: c, cfg: cfg,
		sem:     make(chan struct{}, cfg.MaxInFlight),
		kick:    make(chan struct{}, 1),
		stopped: make(chan struct{}),
		closed:  make(chan struct{}),
	}, nil
}

// Publish sends msg to exchange with routing key key and waits for the
// broker's confirm. It returns nil once confirmed; an error wrapping
// ErrNotPublished if the message was never sent (ctx ended or the
// Publisher stopped first); an error wrapping ErrMaybePublished if it was
// sent but not confirmed when ctx ended; a *ReturnError if it was mandatory
// and returned. Nacked messages are sent again, not reported.
func (p *Publisher) Publish(ctx context.Context, exchange, key string, msg amqp091.Publishing) error {
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("%w: waiting for room in flight: %w", ErrNotPublished, ctx.Err())
	case <-p.stopped:
		return fmt.Errorf("%w: %w", ErrNotPublished, ErrClosed)
	}
	pd := &pending{exchange: exchange, key: key, msg: msg, done: make(chan error, 1)}
	p.mu.Lock()
	p.queue = append(p.queue, pd)
	p.mu.Unlock()
	p.wake()
	var why error
	select {
	case err := <-pd.done:
		return err
	case <-ctx.Done():
		why = ctx.Err()
	case <-p.stopped:
		why = ErrClosed
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case err := <-pd.done:
		return err
	default:
	}
	if i := slices.Index(p.queue, pd); i >= 0 && !pd.sent {
		p.queue = slices.Delete(p.queue, i, i+1)
		<-p.sem
		return fmt.Errorf("%w: %w", ErrNotPublished, why)
	}
	pd.abandoned = true
	return fmt.Errorf("%w: %w", ErrMaybePublished, why)
}

func (p *Publisher) wake() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// finish reports pd's outcome and frees its slot.
func (p *Publisher) finish(pd *pending, err error) {
	pd.done <- err
	<-p.sem
}

// Run publishes through the Client's connections until ctx ends or Close
// is called; it returns nil after Close, ctx.Err() otherwise. Messages
// still unconfirmed then fail with ErrMaybePublished or ErrNotPublished.
func (p *Publisher) Run(ctx context.Context) error {
	if !p.running.CompareAndSwap(false, true) {
		return errors.New("amqp: Publisher.Run called twice")
	}
	defer close(p.stopped)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-p.closed:
			cancel()
		case <-ctx.Done():
		}
	}()
	for {
		ch, s, err := p.c.channel(ctx)
		if err != nil {
			if errors.Is(err, ErrClosed) {
				return nil
			}
			select {
			case <-p.closed:
				return nil
			default:
				return err
			}
		}
		err = p.serve(ctx, ch, s)
		p.c.log("amqp publisher channel ended", "url", Redact(s.url), "err", err)
		if ctx.Err() != nil {
			select {
			case <-p.closed:
				return nil
			default:
				return ctx.Err()
			}
		}
	}
}

// serve publishes on one channel until it fails.
func (p *Publisher) serve(ctx context.Context, ch Channel, s *session) (err error) {
	if err := ch.Confirm(false); err != nil {
		ch.Close()
		return err
	}
	confirms := ch.NotifyPublish(make(chan amqp091.Confirmation, p.cfg.MaxInFlight+1))
	returns := ch.NotifyReturn(make(chan amqp091.Return, 64))
	closes := ch.NotifyClose(make(chan *amqp091.Error, 1))
	inflight := map[uint64]*pending{}
	var tag uint64
	defer func() {
		// Confirms received before the channel went are still good;
		// the rest go back to the front of the queue, in order.
		ch.Close()
		for cf := range confirms {
			if pd, ok := inflight[cf.DeliveryTag]; ok && cf.Ack {
				delete(inflight, cf.DeliveryTag)
				p.acked(pd)
			}
		}
		tags := make([]uint64, 0, len(inflight))
		for t := range inflight {
			tags = append(tags, t)
		}
		slices.Sort(tags)
		back := make([]*pending, 0, len(tags))
		for _, t := range tags {
			back = append(back, inflight[t])
		}
		p.mu.Lock()
		p.queue = append(back, p.queue...)
		p.st.Requeued += uint64(len(back))
		p.mu.Unlock()
	}()

	nackRun := 0
	var holdUntil time.Time
	lastConfirm := time.Now()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		blocked, blockCh := s.blockState()
		var hold <-chan time.Time
		if d := time.Until(holdUntil); d > 0 {
			hold = time.After(d)
		}
		if !blocked && hold == nil {
			for {
				p.mu.Lock()
				if len(p.queue) == 0 {
					p.mu.Unlock()
					break
				}
				pd := p.queue[0]
				p.queue = p.queue[1:]
				resend := pd.sent
				pd.sent = true
				p.st.Sent++
				if resend {
					p.st.Resent++
				}
				p.mu.Unlock()
				if len(inflight) == 0 {
					lastConfirm = time.Now()
				}
				if err := ch.PublishWithContext(ctx, pd.exchange, pd.key, p.cfg.Mandatory, false, pd.msg); err != nil {
					p.mu.Lock()
					p.queue = append([]*pending{pd}, p.queue...)
					p.mu.Unlock()
					return fmt.Errorf("publish: %w", err)
				}
				tag++
				inflight[tag] = pd
			}
		}
		select {
		case cf, ok := <-confirms:
			if !ok {
				return errors.New("channel closed")
			}
			p.takeReturns(returns, inflight)
			lastConfirm = time.Now()
			pd, ok := inflight[cf.DeliveryTag]
			if !ok {
				continue
			}
			delete(inflight, cf.DeliveryTag)
			if cf.Ack {
				nackRun = 0
				p.acked(pd)
				continue
			}
			nackRun++
			p.mu.Lock()
			p.st.Nacks++
			p.queue = append([]*pending{pd}, p.queue...)
			p.mu.Unlock()
			if nackRun >= p.cfg.NackRun {
				p.c.drop(s, fmt.Sprintf("%d nacks in a row", nackRun))
				return fmt.Errorf("%d nacks in a row", nackRun)
			}
			// Back off a little before sending again: a queue that nacks
			// (overflow reject-publish, a leader election) needs time.
			holdUntil = time.Now().Add(min(time.Duration(nackRun)*20*time.Millisecond, time.Second))
		case r, ok := <-returns:
			if ok {
				p.onReturn(r, inflight)
			}
		case e := <-closes:
			if e != nil {
				return e
			}
			return errors.New("channel closed")
		case <-s.done:
			return errors.New("connection lost")
		case <-p.kick:
		case <-blockCh:
		case <-hold:
		case <-tick.C:
			if p.cfg.ConfirmTimeout > 0 && len(inflight) > 0 && time.Since(lastConfirm) > p.cfg.ConfirmTimeout {
				reason := fmt.Sprintf("no confirm for %v with %d in flight", p.cfg.ConfirmTimeout, len(inflight))
				p.c.drop(s, reason)
				return errors.New(reason)
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (p *Publisher) acked(pd *pending) {
	p.mu.Lock()
	p.st.Confirmed++
	p.mu.Unlock()
	if pd.ret != nil {
		p.finish(pd, pd.ret)
		return
	}
	p.finish(pd, nil)
}

// takeReturns handles the returns already received: RabbitMQ sends a
// mandatory message's basic.return before its basic.ack, and amqp091-go
// hands both over in that order.
func (p *Publisher) takeReturns(returns <-chan amqp091.Return, inflight map[uint64]*pending) {
	for {
		select {
		case r, ok := <-returns:
			if !ok {
				return
			}
			p.onReturn(r, inflight)
		default:
			return
		}
	}
}

// onReturn marks the oldest in-flight message r matches as returned.
func (p *Publisher) onReturn(r amqp091.Return, inflight map[uint64]*pending) {
	p.mu.Lock()
	p.st.Returns++
	p.mu.Unlock()
	if p.cfg.OnReturn != nil {
		p.cfg.OnReturn(r)
	}
	var best uint64
	for t, pd := range inflight {
		if pd.ret == nil && pd.exchange == r.Exchange && pd.key == r.RoutingKey &&
			bytes.Equal(pd.msg.Body, r.Body) && (best == 0 || t < best) {
			best = t
		}
	}
	if best != 0 {
		inflight[best].ret = &ReturnError{Exchange: r.Exchange, Key: r.RoutingKey, Code: r.ReplyCode, Text: r.ReplyText}
	}
}

// Close stops Run. Publish calls waiting then fail.
func (p *Publisher) Close() error {
	p.once.Do(func() { close(p.closed) })
	return nil
}

// PublisherStats is a snapshot of a Publisher.
type PublisherStats struct {
	Sent      uint64 // basic.publish sent, re-sends included
	Resent    uint64 // sends of a message sent before (after a nack or a lost channel)
	Confirmed uint64 // acks
	Nacks     uint64 // nacks (each message is sent again)
	Requeued  uint64 // unconfirmed messages taken back when a channel ended
	Returns   uint64 // basic.return received
	Queued    int    // accepted, waiting to be sent
	InFlight  int    // accepted, not yet confirmed (Queued included)
}

// Stats returns a snapshot.
func (p *Publisher) Stats() PublisherStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.st
	st.Queued = len(p.queue)
	st.InFlight = len(p.sem)
	return st
}
