// Package mongo gives Go services what a MongoDB replica set offers an HA
// deployment, on the official driver go.mongodb.org/mongo-driver/v2: a
// hakit.Lease stored in MongoDB, so a hakit.Elector can elect a leader
// through the database the service already depends on.
//
// # Failure model
//
// The Lease writes with write concern "majority" and reads with read
// concern "majority" by default. An acknowledged majority write survives
// any failover that keeps a majority of the replica set's voters; a write
// that returns an error (ErrUnavailable: not primary, network, write
// concern not satisfied) may or may not have been applied, and the Elector
// treats it as a failed attempt. On a standalone server (or FerretDB)
// "majority" is the one server.
//
// Fencing tokens grow with every new holder, and the record is never
// deleted, so they never repeat. They are what protects downstream systems
// from a stale leader: a holder suspended past its lease (a long GC pause,
// SIGSTOP, a partition) still believes it leads when it wakes, until its
// next renewal fails. Writes it makes meanwhile carry its old token, which a
// downstream system that remembers the highest token it has seen rejects.
package mongo
