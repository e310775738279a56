package galera

import (
	"errors"
	"fmt"
)

// Sentinel errors. Functions wrap them with %w, so callers test with
// errors.Is.
var (
	// ErrNoWriter is returned by the Router's writer connector when no node
	// qualifies as the writer (for example when no node is in a Primary
	// component). It is returned at once, never after waiting.
	ErrNoWriter = errors.New("galera: no node qualifies as writer")
	// ErrNoReader is returned by the Router's reader connector when no node
	// qualifies as a reader and falling back to the writer is impossible or
	// disabled.
	ErrNoReader = errors.New("galera: no node qualifies as reader")
	// ErrClosed is returned by the Router's connectors once Run has
	// returned.
	ErrClosed = errors.New("galera: router stopped")
	// ErrMalformedState is wrapped by every *StateError: a node answered
	// with a missing, unknown or unparsable wsrep value.
	ErrMalformedState = errors.New("galera: malformed node state")
	// ErrUnavailable is wrapped by every *UnavailableError: the node
	// answered, but its state makes it unavailable under the policy.
	ErrUnavailable = errors.New("galera: node unavailable")
	// ErrOutcomeUnknown is returned by RetryTx and RetryExec, and the
	// Lease's writes, exactly when a write may have committed: it was
	// sent and its answer lost (connection lost, ctx ended while waiting,
	// 1180 at COMMIT), or an earlier attempt's was. Such a write is not
	// retried unless RetryConfig.Idempotent.
	ErrOutcomeUnknown = errors.New("galera: commit outcome unknown")
	// ErrAlreadyCommitted is returned by RetryExec with
	// RetryConfig.Idempotent when a retry after an unknown outcome fails
	// with 1062 (duplicate key): the earlier attempt committed, so the
	// statement is acknowledged. It wraps the 1062.
	ErrAlreadyCommitted = errors.New("galera: committed by an earlier attempt")
)

// StateError reports a wsrep status or server variable that a node
// answered with a value the parser does not accept, or did not answer at
// all.
type StateError struct {
	Node     string // address of the node
	Variable string // e.g. "wsrep_local_state"
	Value    string // the value as answered; empty when Missing
	Missing  bool   // the variable was absent from the answer
	Err      error  // detail, e.g. a *strconv.NumError; may be nil
}

func (e *StateError) Error() string {
	if e.Missing {
		return fmt.Sprintf("galera: node %s: %s missing from the answer", e.Node, e.Variable)
	}
	if e.Err != nil {
		return fmt.Sprintf("galera: node %s: %s = %q: %v", e.Node, e.Variable, e.Value, e.Err)
	}
	return fmt.Sprintf("galera: node %s: %s = %q: unknown value", e.Node, e.Variable, e.Value)
}

// Unwrap returns ErrMalformedState and the detail error.
func (e *StateError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrMalformedState}
	}
	return []error{ErrMalformedState, e.Err}
}

// UnavailableError says why a node that answered is unavailable under a
// Policy. Reason is one of the Reason constants, with detail.
type UnavailableError struct {
	Node   string
	Reason string // e.g. "not synced (wsrep_local_state 2 Donor/Desynced)"
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("galera: node %s unavailable: %s", e.Node, e.Reason)
}

// Unwrap returns ErrUnavailable.
func (e *UnavailableError) Unwrap() error { return ErrUnavailable }

// NodeError reports a failure to reach or query a node: dial, handshake,
// query or timeout.
type NodeError struct {
	Node string // address of the node
	Op   string // "connect", "query", ...
	Err  error
}

func (e *NodeError) Error() string {
	return fmt.Sprintf("galera: node %s: %s: %v", e.Node, e.Op, e.Err)
}

// Unwrap returns the underlying error.
func (e *NodeError) Unwrap() error { return e.Err }
