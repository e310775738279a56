//go:build integration

package testenv_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/hakit/hakit/internal/testenv"
)

// TestRabbitMQSmoke declares a queue and publishes on node 1, then consumes
// the message through node 2: the cluster routes between its members.
func TestRabbitMQSmoke(t *testing.T) {
	env := testenv.RabbitMQ(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	c1, err := amqp.Dial(env.URLs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	ch1, err := c1.Channel()
	if err != nil {
		t.Fatal(err)
	}
	q, err := ch1.QueueDeclare("testenv.smoke."+time.Now().Format("150405.000000000"), false, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _, _ = ch1.QueueDelete(q.Name, false, false, false) }()
	if err := ch1.Confirm(false); err != nil {
		t.Fatal(err)
	}
	want := "published on " + env.Nodes[0]
	conf, err := ch1.PublishWithDeferredConfirmWithContext(ctx, "", q.Name, false, false, amqp.Publishing{Body: []byte(want)})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := conf.WaitContext(ctx); err != nil || !ok {
		t.Fatalf("publish not confirmed: ok=%v err=%v", ok, err)
	}

	c2, err := amqp.Dial(env.URLs[1])
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	ch2, err := c2.Channel()
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := ch2.ConsumeWithContext(ctx, q.Name, "", true, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-msgs:
		if string(m.Body) != want {
			t.Fatalf("consumed %q, want %q", m.Body, want)
		}
	case <-ctx.Done():
		t.Fatal("no message consumed on node 2")
	}

	out := env.Ctl(t, 1, "cluster_status")
	for _, n := range env.Nodes {
		if !strings.Contains(out, n) {
			t.Errorf("cluster_status of %s lacks %s:\n%s", env.Nodes[1], n, out)
		}
	}
}

// accepts reports whether something accepts TCP connections on addr.
func accepts(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}
