package amqp

import (
	"context"
	"net"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

// Conn is the part of an AMQP 0-9-1 connection the Client uses. The real
// one wraps *amqp091.Connection (see DialAMQP); amqptest.Broker.Dial gives
// in-memory ones. Notify* follow amqp091-go: the channel passed in is
// returned, receives the event, and is closed when the connection closes.
type Conn interface {
	Channel() (Channel, error)
	NotifyClose(c chan *amqp091.Error) chan *amqp091.Error
	NotifyBlocked(c chan amqp091.Blocking) chan amqp091.Blocking
	Close() error
}

// Channel is the part of an AMQP channel the Client uses; *amqp091.Channel
// implements it. Deliveries a Channel hands out carry an Acknowledger that
// acks on that channel only.
type Channel interface {
	Confirm(noWait bool) error
	Qos(prefetchCount, prefetchSize int, global bool) error
	NotifyPublish(c chan amqp091.Confirmation) chan amqp091.Confirmation
	NotifyReturn(c chan amqp091.Return) chan amqp091.Return
	NotifyClose(c chan *amqp091.Error) chan *amqp091.Error
	NotifyCancel(c chan string) chan string
	PublishWithContext(ctx context.Context, exchange, key string, mandatory, immediate bool, msg amqp091.Publishing) error
	ConsumeWithContext(ctx context.Context, queue, consumer string, autoAck, exclusive, noLocal, noWait bool, args amqp091.Table) (<-chan amqp091.Delivery, error)
	Cancel(consumer string, noWait bool) error
	ExchangeDeclare(name, kind string, durable, autoDelete, internal, noWait bool, args amqp091.Table) error
	QueueDeclare(name string, durable, autoDelete, exclusive, noWait bool, args amqp091.Table) (amqp091.Queue, error)
	QueueDeclarePassive(name string, durable, autoDelete, exclusive, noWait bool, args amqp091.Table) (amqp091.Queue, error)
	QueueBind(name, key, exchange string, noWait bool, args amqp091.Table) error
	QueueDelete(name string, ifUnused, ifEmpty, noWait bool) (int, error)
	Close() error
}

// DialFunc opens one connection to url. Config.Dial defaults to DialAMQP.
type DialFunc func(ctx context.Context, url string, cfg DialConfig) (Conn, error)

// DialConfig is what the Client asks of every connection it opens.
type DialConfig struct {
	Heartbeat      time.Duration
	KeepAlive      time.Duration
	Timeout        time.Duration // TCP connect and AMQP handshake
	ConnectionName string        // the client property connection_name
}

// DialAMQP opens a connection with amqp091-go, its own reconnection
// (amqp091.Config.Recovery) left off: the Client does that itself.
func DialAMQP(ctx context.Context, url string, cfg DialConfig) (Conn, error) {
	props := amqp091.NewConnectionProperties()
	if cfg.ConnectionName != "" {
		props.SetClientConnectionName(cfg.ConnectionName)
	}
	dl := net.Dialer{Timeout: cfg.Timeout, KeepAlive: cfg.KeepAlive}
	deadline := time.Now().Add(cfg.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	c, err := amqp091.DialConfig(url, amqp091.Config{
		Heartbeat:  cfg.Heartbeat,
		Properties: props,
		Dial: func(network, addr string) (net.Conn, error) {
			nc, err := dl.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			// The handshake must finish by the deadline; amqp091-go
			// clears it once the connection is open.
			if err := nc.SetDeadline(deadline); err != nil {
				nc.Close()
				return nil, err
			}
			return nc, nil
		},
	})
	if err != nil {
		return nil, err
	}
	return realConn{c}, nil
}

type realConn struct{ *amqp091.Connection }

// closeTimeout bounds the connection.close handshake: a node under a
// resource alarm stops reading from a blocked connection and would never
// answer it.
const closeTimeout = 5 * time.Second

// Close closes the connection, waiting at most closeTimeout for the
// server's close-ok.
func (c realConn) Close() error {
	return c.CloseDeadline(time.Now().Add(closeTimeout))
}

func (c realConn) Channel() (Channel, error) {
	ch, err := c.Connection.Channel()
	if err != nil {
		return nil, err
	}
	return ch, nil
}
