package amqp

import (
	"errors"
	"fmt"
)

var (
	// ErrClosed is returned by calls on a Client, Publisher or Consumer
	// after Close.
	ErrClosed = errors.New("amqp: closed")
	// ErrGaveUp is returned by Client.Run when Config.MaxAttempts
	// connection attempts in a row failed.
	ErrGaveUp = errors.New("amqp: gave up connecting")
	// ErrNotPublished is wrapped by Publish errors when the message was
	// never handed to a broker: it was not published.
	ErrNotPublished = errors.New("amqp: not published")
	// ErrMaybePublished is wrapped by Publish errors when the message was
	// sent but not yet confirmed as ctx ended: a broker may have stored it.
	// The Publisher keeps re-publishing it until it is confirmed or the
	// Publisher is closed, so it may still arrive (once or more).
	ErrMaybePublished = errors.New("amqp: may have been published")
	// ErrReturned is wrapped by the Publish error of a mandatory message
	// the broker returned unroutable (see *ReturnError).
	ErrReturned = errors.New("amqp: returned unroutable")
	// ErrStaleDelivery is returned by Delivery.Ack, Nack and Reject when
	// the channel the delivery came on is gone: the broker has requeued
	// the message and will deliver it again.
	ErrStaleDelivery = errors.New("amqp: delivery from a closed channel")
)

// ReturnError is the Publish error of a mandatory message the broker
// returned (basic.return) before confirming it.
type ReturnError struct {
	Exchange, Key string
	Code          uint16
	Text          string
}

func (e *ReturnError) Error() string {
	return fmt.Sprintf("amqp: returned unroutable: exchange %q key %q: %d %s", e.Exchange, e.Key, e.Code, e.Text)
}

// Unwrap makes errors.Is(err, ErrReturned) true.
func (e *ReturnError) Unwrap() error { return ErrReturned }
