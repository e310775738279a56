package amqp_test

import (
	"strings"
	"testing"

	"github.com/hakit/hakit/amqp"
)

// Bad helper arguments are refused naming the field; good ones give
// RabbitMQ's argument names and values (quorum queues guide; classic
// mirroring guide for ha-*).
func TestQueueHelpers(t *testing.T) {
	for _, c := range []struct {
		q    amqp.QuorumQueue
		want string
	}{
		{amqp.QuorumQueue{InitialGroupSize: -1}, "QuorumQueue.InitialGroupSize -1"},
		{amqp.QuorumQueue{DeliveryLimit: -2}, "QuorumQueue.DeliveryLimit -2"},
		{amqp.QuorumQueue{LeaderLocator: "random"}, `QuorumQueue.LeaderLocator "random"`},
	} {
		if _, err := c.q.Queue(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.q, err, c.want)
		}
	}
	q, err := amqp.QuorumQueue{Name: "q", LeaderLocator: "balanced", DeadLetterRoutingKey: "dead"}.Queue()
	if err != nil || !q.Durable || q.Exclusive || q.AutoDelete || q.Args["x-queue-leader-locator"] != "balanced" ||
		q.Args["x-dead-letter-routing-key"] != "dead" || q.Args["x-queue-type"] != "quorum" {
		t.Errorf("QuorumQueue.Queue() = %+v, %v", q, err)
	}
	for _, c := range []struct {
		p    amqp.MirrorPolicy
		want string // definition, or error text
	}{
		{amqp.MirrorPolicy{}, `{"ha-mode":"all","ha-sync-mode":"automatic"}`},
		{amqp.MirrorPolicy{Mode: "nodes", Nodes: []string{"rabbit@a"}, SyncMode: "manual"}, `{"ha-mode":"nodes","ha-params":["rabbit@a"],"ha-sync-mode":"manual"}`},
		{amqp.MirrorPolicy{Exactly: 2}, "Exactly or Nodes given for ha-mode all"},
		{amqp.MirrorPolicy{Mode: "exactly"}, "MirrorPolicy.Exactly 0"},
		{amqp.MirrorPolicy{Mode: "nodes"}, "MirrorPolicy.Nodes is empty"},
		{amqp.MirrorPolicy{Mode: "some"}, `MirrorPolicy.Mode "some"`},
		{amqp.MirrorPolicy{SyncMode: "eager"}, `MirrorPolicy.SyncMode "eager"`},
	} {
		got, err := c.p.Definition()
		if err != nil {
			got = err.Error()
		}
		if !strings.Contains(got, c.want) {
			t.Errorf("%+v: %q, want %q", c.p, got, c.want)
		}
	}
}
