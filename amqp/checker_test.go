package amqp_test

import (
	"context"
	"errors"
	"strings"
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
