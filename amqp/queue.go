package amqp

import (
	"encoding/json"
	"fmt"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

// QuorumQueue describes a quorum queue, RabbitMQ's replicated queue type
// (a Raft group of replicas, leader on one node) and the one this package
// recommends for anything that must survive a node loss.
type QuorumQueue struct {
	Name string
	// InitialGroupSize is x-quorum-initial-group-size, the number of
	// replicas; zero leaves RabbitMQ's default (every cluster node, up to
	// its quorum_queue.initial_cluster_size setting).
	InitialGroupSize int
	// DeliveryLimit is x-delivery-limit: after this many redeliveries a
	// message is dropped or dead-lettered; zero leaves RabbitMQ 3.x's
	// default (no limit).
	DeliveryLimit int
	// DeadLetterExchange and DeadLetterRoutingKey are
	// x-dead-letter-exchange and x-dead-letter-routing-key.
	DeadLetterExchange   string
	DeadLetterRoutingKey string
	// LeaderLocator is x-queue-leader-locator: "client-local" (RabbitMQ
	// 3.10's default: the node the declaring connection is on) or
	// "balanced"; empty leaves the default.
	LeaderLocator string
	// Args are further arguments, merged last.
	Args amqp091.Table
}

// Queue returns the declaration: durable (quorum queues must be), neither
// exclusive nor auto-delete (quorum queues cannot be), x-queue-type quorum.
func (q QuorumQueue) Queue() (Queue, error) {
	if q.InitialGroupSize < 0 {
		return Queue{}, fmt.Errorf("amqp: QuorumQueue.InitialGroupSize %d is negative", q.InitialGroupSize)
	}
	if q.DeliveryLimit < 0 {
		return Queue{}, fmt.Errorf("amqp: QuorumQueue.DeliveryLimit %d is negative", q.DeliveryLimit)
	}
	switch q.LeaderLocator {
	case "", "client-local", "balanced":
	default:
		return Queue{}, fmt.Errorf("amqp: QuorumQueue.LeaderLocator %q is not client-local or balanced", q.LeaderLocator)
	}
	args := amqp091.Table{"x-queue-type": "quorum"}
	if q.InitialGroupSize > 0 {
		args["x-quorum-initial-group-size"] = int32(q.InitialGroupSize)
	}
	if q.DeliveryLimit > 0 {
		args["x-delivery-limit"] = int32(q.DeliveryLimit)
	}
	if q.DeadLetterExchange != "" {
		args["x-dead-letter-exchange"] = q.DeadLetterExchange
	}
	if q.DeadLetterRoutingKey != "" {
		args["x-dead-letter-routing-key"] = q.DeadLetterRoutingKey
	}
	if q.LeaderLocator != "" {
		args["x-queue-leader-locator"] = q.LeaderLocator
	}
	for k, v := range q.Args {
		args[k] = v
	}
	return Queue{Name: q.Name, Durable: true, Args: args}, nil
}

// MirrorPolicy is the classic mirrored-queue policy older guides (and
// oslo.messaging deployments before quorum queues) use. Deprecated:
// RabbitMQ deprecated classic queue mirroring in 3.9 and removed it in
// 4.0; use QuorumQueue.
type MirrorPolicy struct {
	// Mode is ha-mode: "all", "exactly" or "nodes"; empty means "all".
	Mode string
	// Exactly is ha-params for ha-mode "exactly": the number of copies.
	Exactly int
	// Nodes is ha-params for ha-mode "nodes": the node names.
	Nodes []string
	// SyncMode is ha-sync-mode: "manual" (RabbitMQ's default) or
	// "automatic"; empty means "automatic", so a new mirror is in sync
	// before it can be promoted.
	SyncMode string
}

// Definition returns the policy definition as JSON, as `rabbitmqctl
// set_policy NAME PATTERN DEFINITION --apply-to queues` takes it.
func (p MirrorPolicy) Definition() (string, error) {
	if p.Mode == "" {
		p.Mode = "all"
	}
	if p.SyncMode == "" {
		p.SyncMode = "automatic"
	}
	def := map[string]any{"ha-mode": p.Mode, "ha-sync-mode": p.SyncMode}
	switch p.Mode {
	case "all":
		if p.Exactly != 0 || p.Nodes != nil {
			return "", fmt.Errorf("amqp: MirrorPolicy.Exactly or Nodes given for ha-mode all")
		}
	case "exactly":
		if p.Exactly < 1 || p.Nodes != nil {
			return "", fmt.Errorf("amqp: MirrorPolicy.Exactly %d: ha-mode exactly wants a positive count and no Nodes", p.Exactly)
		}
		def["ha-params"] = p.Exactly
	case "nodes":
		if len(p.Nodes) == 0 || p.Exactly != 0 {
			return "", fmt.Errorf("amqp: MirrorPolicy.Nodes is empty: ha-mode nodes wants node names and no Exactly")
		}
		def["ha-params"] = p.Nodes
	default:
		return "", fmt.Errorf("amqp: MirrorPolicy.Mode %q is not all, exactly or nodes", p.Mode)
	}
	if p.SyncMode != "manual" && p.SyncMode != "automatic" {
		return "", fmt.Errorf("amqp: MirrorPolicy.SyncMode %q is not manual or automatic", p.SyncMode)
	}
	b, err := json.Marshal(def)
	return string(b), err
}
