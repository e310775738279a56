// Package mongotest runs a scripted MongoDB replica set on loopback, so
// that code built on package mongo, or on the driver's monitoring, can be
// tested with the real driver against the situations a replica set goes
// through: the primary lost, a new election, a lagging secondary, the
// majority lost, a member in ROLLBACK, RECOVERING or STARTUP2, a stale
// heartbeat, chained sync sources.
//
// Start starts one listener per member. Each speaks the MongoDB wire
// protocol (OP_MSG, and the legacy OP_QUERY a driver may send its first
// hello in) and answers hello, isMaster, replSetGetStatus, ping,
// buildInfo and endSessions from the members' scripted states, in the
// shapes the MongoDB manual documents for those commands. Set and Update
// change a member during a test; the change shows in the next reply, and a
// member set Down closes its connections, so the driver's monitors see it
// fail. It stores no data: commands such as find or insert fail with code
// 59 CommandNotFound unless a Handler set with Handle answers them, which
// is how a test makes a write fail with NotWritablePrimary.
package mongotest
