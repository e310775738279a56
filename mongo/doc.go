// Package mongo gives Go services what a MongoDB replica set offers an HA
// deployment, on the official driver go.mongodb.org/mongo-driver/v2:
// whether the set can take writes, how far each member lags and who leads,
// the driver's own view of failovers, and a hakit.Lease so that a
// hakit.Elector elects a leader through the database the service already
// depends on.
//
// # Replica-set health
//
// FetchStatus reads hello and replSetGetStatus from the member a client
// reaches and parses both (ParseHello, ParseReplSetStatus; a reply of the
// wrong shape is a *ParseError naming the field). ReplSetStatus answers the
// questions an operator asks: Primary, Lag of each member behind the
// primary, MajorityWritable, SyncChain (whom a member replicates through),
// StaleHeartbeats, and InStates (members in RECOVERING, ROLLBACK or
// STARTUP2). Three hakit.Checkers are built on it:
//
//  1. PrimaryChecker: the set has a primary.
//  2. MemberChecker: the member the client connects to (directConnection=true)
//     is PRIMARY, or SECONDARY within a maximum lag; give it to an lb
//     backend check or a hakit.Monitor to route reads.
//  3. MajorityChecker: a w:"majority" write can succeed now.
//
// A standalone server (or FerretDB) answers hello without a setName: every
// one of them then fails with ErrNoReplicaSet rather than guessing, and
// ReplicaSetName refuses a connection string without replicaSet=.
//
// # Driver events
//
// A Watcher installs itself as the client's event.ServerMonitor and
// event.PoolMonitor (Watcher.Apply) and turns the driver's SDAM events
// into primary changes, servers marked Unknown, failed heartbeats and
// connection-pool clears, as callbacks and Stats. It opens no connection:
// what it reports is what the driver already learnt.
//
// # The lease
//
// Lease stores a hakit.LeaseRecord as version documents whose unique _id
// makes every write a compare-and-set: see Lease for the layout and why
// it does not use findAndModify. A renewal costs four round trips where a
// findAndModify would cost one; `go test -tags integration -run '^$'
// -bench LeaseRenewal ./mongo/` measures the ratio on FerretDB.
//
// Package mongotest runs a scripted replica set on loopback that the real
// driver connects to; the Examples and this package's tests run on it.
//
// # Failure model
//
// Majority. The Lease writes with write concern "majority" and reads with
// read concern "majority" by default. A write acknowledged that way is on
// a majority of the voting members and survives any failover that keeps a
// majority of voters; a read that way returns only such writes, so no
// candidate builds on a record that a failover can roll back. A write that
// fails (ErrUnavailable: not primary, network, write concern not satisfied
// in time) may or may not have been applied, and may still be rolled back;
// so may one whose insert was applied but could not be judged afterwards
// (ErrOutcomeUnknown). The Elector treats either as a failed attempt and
// retries; neither is ever reported as a conflict. On a standalone
// server or FerretDB "majority" is the one server, and the lease lives and
// dies with it.
//
// Fencing. Tokens grow with every new holder and never repeat (the latest
// version of a record is never deleted). They are what protects the
// systems a leader writes to from a stale leader: a holder suspended past
// its lease (a long GC pause, SIGSTOP, a partition) still believes it leads
// when it wakes, until its next renewal fails. A newer holder has a larger
// token by then, and a downstream system that remembers the highest token
// it has seen rejects the stale holder's writes. Without such a check in
// the downstream system two leaders can act at once; the Lease cannot
// prevent that alone. Expiry is judged by each Elector on its own monotonic
// clock, never by comparing the server's clock with a client's.
//
// Health. MajorityWritable counts healthy PRIMARY and SECONDARY members
// against writeMajorityCount. replSetGetStatus does not say which members
// vote, only how many data-bearing ones do; members with votes: 0 are
// discounted among those hello lists as priority 0 (passives and hidden
// members), so a set with non-voting members may be judged not writable
// when it is, never the other way. Every verdict is one member's view at one moment: a
// member cut off from the others reports what it last heard, and
// StaleHeartbeats is how to tell. The checkers say nothing about whether a
// given write will succeed a moment later.
package mongo
