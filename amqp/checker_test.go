package amqp_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/hakit/hakit/amqp"
	"github.com/hakit/hakit/amqp/amqptest"
)

func TestChecker(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := amqptest.NewBroker()
		check := func(cfg amqp.CheckerConfig) error {
			t.Helper()
			cfg.Dial = b.Dial
			if cfg.URLs == nil {
				cfg.URLs = testURLs
			}
			c, err := amqp.NewChecker(cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return c.Check(ctx)
		}
		if err := check(amqp.CheckerConfig{}); err != nil {
			t.Errorf("healthy cluster: %v", err)
		}
		err := check(amqp.CheckerConfig{Queue: "missing"})
		var ae *amqp091.Error
		if !errors.As(err, &ae) || ae.Code != amqp091.NotFound || !strings.Contains(err.Error(), "queue missing") {
			t.Errorf("missing queue: %v, want 404", err)
		}
		b.Refuse(testURLs[2], true)
		if err := check(amqp.CheckerConfig{}); err == nil || !strings.Contains(err.Error(), "2 of 3 nodes healthy") || !strings.Contains(err.Error(), "node3") {
			t.Errorf("one node down: %v", err)
		}
		if err := check(amqp.CheckerConfig{MinHealthy: 2}); err != nil {
			t.Errorf("one node down, MinHealthy 2: %v", err)
		}
		if err := check(amqp.CheckerConfig{URLs: testURLs[2:]}); err == nil || !strings.Contains(err.Error(), "connect") {
			t.Errorf("node check of the down node: %v", err)
		}
		b.Block("memory")
		if err := check(amqp.CheckerConfig{URLs: testURLs[:1]}); !errors.Is(err, amqp.ErrBlocked) || !strings.Contains(err.Error(), "memory") {
			t.Errorf("blocked: %v, want ErrBlocked", err)
		}
		b.Unblock()
		if n := b.Conns(); n != 0 {
			t.Errorf("%d probe connections left open", n)
		}
	})
}

func TestCheckerConfigErrors(t *testing.T) {
	for _, c := range []struct {
		cfg  amqp.CheckerConfig
		want string
	}{
		{amqp.CheckerConfig{}, "CheckerConfig.URLs is empty"},
		{amqp.CheckerConfig{URLs: []string{"nope://x"}}, "CheckerConfig.URLs[0]"},
		{amqp.CheckerConfig{URLs: testURLs, MinHealthy: 4}, "CheckerConfig.MinHealthy 4"},
	} {
		if _, err := amqp.NewChecker(c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewChecker(%+v) = %v, want %q", c.cfg, err, c.want)
		}
	}
}

// frozenConn is a connection to a node that finished the handshake and
// then stopped answering (SIGSTOP): channel.open never gets its open-ok
// until the connection is closed.
type frozenConn struct {
	amqp.Conn
	closed chan struct{}
	once   sync.Once
}

func (c *frozenConn) Channel() (amqp.Channel, error) {
	<-c.closed
	return nil, amqp091.ErrClosed
}

func (c *frozenConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return c.Conn.Close()
}

// Check returns when its ctx ends even if a node froze after the
// handshake, and closes that node's connection.
func TestCheckerFrozenNodeBoundedByCtx(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := amqptest.NewBroker()
		var frozen *frozenConn
		c, err := amqp.NewChecker(amqp.CheckerConfig{URLs: testURLs[:1], Dial: func(ctx context.Context, url string, cfg amqp.DialConfig) (amqp.Conn, error) {
			conn, err := b.Dial(ctx, url, cfg)
			if err != nil {
				return nil, err
			}
			frozen = &frozenConn{Conn: conn, closed: make(chan struct{})}
			return frozen, nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		start := time.Now()
		done := make(chan error, 1)
		go func() { done <- c.Check(ctx) }()
		select {
		case err = <-done:
		case <-time.After(time.Minute):
			frozen.Close()
			<-done
			t.Fatalf("Check still running a minute after its 2s ctx ended")
		}
		if d := time.Since(start); !errors.Is(err, context.DeadlineExceeded) || d != 2*time.Second {
			t.Errorf("Check = %v after %v, want DeadlineExceeded after 2s", err, d)
		}
	})
}
