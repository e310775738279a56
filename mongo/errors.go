package mongo

import (
	"errors"

	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Errors of this package. They are wrapped with %w; test with errors.Is.
var (
	// ErrUnavailable is wrapped by Lease errors when the server could not
	// take the operation now: it is not (or no longer) the primary, it is
	// shutting down, the network failed, or the write concern was not
	// satisfied in time. The outcome of a write that fails this way is
	// unknown: it may have been applied (and may yet be rolled back by a
	// failover). An Elector retries it as any failed attempt.
	ErrUnavailable = errors.New("mongo: server unavailable, outcome unknown")
	// ErrOutcomeUnknown is wrapped by Lease errors when a write may have
	// been applied and may be the record, and the Lease could not tell:
	// its insert succeeded (or hit a duplicate key that may be its own
	// retried insert) and the reads that judge it failed, or the versions
	// that would tell were already deleted. An Elector retries it as any
	// failed attempt; it is never a conflict.
	ErrOutcomeUnknown = errors.New("mongo: lease write may have been applied, outcome unknown")
	// ErrNoReplicaSet is returned where a replica set is required and the
	// server or URI names none (a standalone mongod, FerretDB, a URI
	// without replicaSet=).
	ErrNoReplicaSet = errors.New("mongo: not a replica set")
	// ErrNoPrimary is returned by PrimaryChecker when no member is primary.
	ErrNoPrimary = errors.New("mongo: no primary")
	// ErrLagging is returned by MemberChecker when this member is a
	// secondary further behind the primary than allowed, or in a state
	// that serves no reads.
	ErrLagging = errors.New("mongo: member not usable")
	// ErrNoMajority is returned by MajorityChecker when fewer healthy
	// voting data-bearing members than a majority of voters remain, so a
	// w:"majority" write cannot be acknowledged.
	ErrNoMajority = errors.New("mongo: majority not writable")
)

// Server error codes that say the server cannot take the operation now
// (MongoDB's error_codes.yml, the NotPrimaryError and ShutdownError
// categories, plus write concern failures).
var unavailableCodes = []int{
	91,    // ShutdownInProgress
	189,   // PrimarySteppedDown
	10107, // NotWritablePrimary
	11600, // InterruptedAtShutdown
	11602, // InterruptedDueToReplStateChange
	13435, // NotPrimaryNoSecondaryOk
	13436, // NotPrimaryOrSecondary
	64,    // WriteConcernFailed (wtimeout)
	100,   // UnsatisfiableWriteConcern
	6,     // HostUnreachable
	7,     // HostNotFound
	89,    // NetworkTimeout
	9001,  // SocketException
}

// unavailable reports whether err is a driver error that ErrUnavailable
// stands for.
func unavailable(err error) bool {
	if mongo.IsNetworkError(err) || mongo.IsTimeout(err) {
		return true
	}
	var se mongo.ServerError
	if errors.As(err, &se) {
		for _, c := range unavailableCodes {
			if se.HasErrorCode(c) {
				return true
			}
		}
		if se.HasErrorLabel("RetryableWriteError") {
			return true
		}
	}
	var we mongo.WriteException
	if errors.As(err, &we) && we.WriteConcernError != nil {
		return true
	}
	return errors.Is(err, mongo.ErrClientDisconnected)
}
