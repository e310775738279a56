// Package amqptest is an in-memory RabbitMQ for unit tests of code built
// on package amqp: a Broker whose Dial plugs into amqp.Config.Dial (and
// amqp.CheckerConfig.Dial), with exchanges (the default exchange, direct,
// fanout, topic), queues (exclusive, auto-delete, server-named, quorum
// argument checks), bindings, publisher confirms, mandatory returns,
// consumers with manual acks, prefetch and redelivery, and basic.cancel.
//
// Faults are injected by method, as they happen on a real cluster:
//
//	Drop(url)          connections reset, as when a node is killed
//	Refuse(url, true)  the node does not accept connections
//	Block(reason)      a resource alarm: connection.blocked, publishes held
//	NackNext(n)        the next n publishes are nacked
//	HoldConfirms(true) messages stored but their confirms withheld
//	Cancel(queue)      the broker cancels the queue's consumers
//	Trap()             open connections nack every publish and feed no
//	                   consumer (RabbitMQ 3.10's channel stuck on a dead
//	                   quorum leader); new connections work
//
// and the state is read back with Queue, Dials and Conns.
//
// # Failure model
//
// The broker is one process-local object: there are no nodes, so a
// "node" is just the URL a connection was dialled with, and no message is
// lost by Drop except the held confirms and the publishes waiting on a
// block. It does not model headers exchanges, exchange-to-exchange
// bindings, TTLs, dead-lettering, queue length limits, or the wire
// protocol itself; it does not fsync. Everything runs on the callers'
// goroutines, so it works inside testing/synctest bubbles.
package amqptest
