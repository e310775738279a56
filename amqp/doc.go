// Package amqp is a RabbitMQ client for a cluster of nodes that survives
// the loss of a node without losing a confirmed message. It is built on
// github.com/rabbitmq/amqp091-go and does what oslo.messaging's rabbit
// driver does for OpenStack, plus re-publishing across failover.
//
// A Client keeps one connection open to some node of Config.URLs. When the
// connection is lost it waits Config.LostDelay, then tries the next node
// (round-robin or shuffled, oslo.messaging's kombu_failover_strategy),
// retrying forever with exponentially growing, jittered waits
// (Config.RetryInterval, RetryBackoff, RetryMax). Heartbeats (60s, as
// oslo.messaging) and TCP keepalive detect dead peers; connection.blocked
// and unblocked are reported (Config.OnBlocked, Stats) and hold publishers
// back. Every connection opened and lost is reported through OnConnect and
// OnLost with its reason.
//
// Exchanges, queues and bindings declared through the Client
// (DeclareExchange, DeclareQueue, BindQueue) are recorded and declared
// again, in that order, on every new connection before publishers and
// consumers use it, as RabbitMQ's Java client recovers topology;
// consumers then subscribe again. A server-named queue gets a new name on
// each connection; Client.QueueName follows it. Exclusive queues die with
// their connection and auto-delete queues with their last consumer
// (RabbitMQ's queues guide): both come back empty.
//
// A Publisher publishes with publisher confirms. A Consumer consumes with
// manual acks and prefetch, and subscribes again after failover, after a
// basic.cancel from the server (queue deleted, node down) and after a
// stall. QuorumQueue declares the recommended replicated queue;
// MirrorPolicy describes the classic mirrored-queue policy, deprecated by
// RabbitMQ and removed in 4.0. Checker probes a node or the cluster.
// Package amqptest is an in-memory broker for unit tests.
//
// Using it:
//
//  1. New(Config{URLs: ...}) and go client.Run(ctx).
//  2. Declare the topology through the Client, not on a channel of your own.
//  3. NewPublisher and go publisher.Run(ctx); Publish from any goroutine.
//  4. NewConsumer with a Handler that acks, and go consumer.Run(ctx).
//     Handlers must be idempotent: messages come at least once.
//  5. Close the Publisher, the Consumer, then the Client.
//
// # What amqp091-go does about reconnection
//
// amqp091-go v1.16 has automatic recovery, off unless amqp091.Config.Recovery
// is set. When on, it reconnects to the one URL it was dialled with (no
// list of nodes, no failover), waits a fixed RetryInterval (5s) plus up to
// 500ms of jitter between attempts, gives up after MaxRetryCount (5), re-opens
// channels, re-declares the exchanges, queues and bindings declared on them
// (renaming server-named queues) and re-subscribes consumers. It does not
// re-publish: DeferredConfirmations pending when the connection died are
// settled as not acked, and delivery tags start again at 1. This package
// leaves that recovery off (DialAMQP) and does its own, across nodes and
// forever, with re-publishing.
//
// # Delivery guarantee
//
// At least once, for messages whose Publish returned nil, to queues that
// keep what they confirm. Publish returns nil only after the broker sent
// basic.ack for the message. A message sent but not acked when its channel
// or connection ends is published again on the next one, in its original
// order; a nacked message is published again. So a message the broker
// stored but whose ack was lost with the connection arrives twice (after a
// node is killed mid-publish, tens to hundreds of duplicates are normal),
// and a consumer whose ack was lost gets the message again (Redelivered
// set). Consumers must tolerate duplicates.
//
// What an ack means depends on the queue. For a quorum queue, the leader
// confirms once a majority of its replicas has written the message to
// disk (fsync): it survives the loss of a minority of nodes, including the
// leader. For a durable classic queue and a persistent message (delivery
// mode 2), the node confirms once the message is written to disk on that
// node (mirrors, if any, included): it survives a restart of that node
// but not the loss of its disk, and while that node is down the queue is
// unavailable. A transient message or a non-durable queue is confirmed
// when enqueued in memory and lost with the node.
//
// # Failure model
//
// Survived: a node killed (TCP reset) or stopped (connection.close), all
// connections closed by an operator (close_all_connections), a memory or
// disk alarm (publishers wait), a quorum-queue leader moving, a consumer
// cancelled by the server. On RabbitMQ 3.10 a channel opened on a survivor
// within about a second of a quorum leader's death can stay bound to the
// dead leader for good: publishes are all nacked, consumers get nothing,
// and no error is raised (fixed in rabbitmq-server PR #9241). LostDelay
// waits out the election before reconnecting, and as a second line the
// Publisher drops a connection after PublisherConfig.NackRun nacks in a
// row, the Consumer after StallTimeout without deliveries while its queue
// holds messages (unless its prefetch is full of deliveries its handler
// still holds, or it stands by on a single-active-consumer queue).
//
// Not guaranteed: order across a failover (re-published messages follow
// newer ones already delivered); exactly-once (never: use idempotent
// handlers or deduplicate by MessageId); delivery of a message whose
// Publish returned an error wrapping ErrNotPublished (never sent) or
// ErrMaybePublished (sent, unconfirmed: it may arrive, and the Publisher
// keeps re-publishing it until confirmed or closed); messages in exclusive
// or auto-delete queues across a failover; anything in a classic queue
// whose only node is gone. Publish waits while the cluster blocks
// publishers or no node is reachable; bound it with ctx.
package amqp
