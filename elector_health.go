package hakit

import (
	"fmt"
	"time"
)

// DefaultLeaderHealthTimeout is how long past LeaseDuration a leader that
// has not renewed is still reported healthy when a Health component gives
// no ElectorTimeout: the 20s kube-controller-manager and kube-scheduler pass
// to client-go's NewLeaderHealthzAdaptor.
const DefaultLeaderHealthTimeout = 20 * time.Second

// LeaderHealth is how an Elector's leadership looks to a health probe,
// after client-go's leaderelection HealthzAdaptor.
type LeaderHealth int

const (
	// LeaderFollowing: this candidate does not lead (or Run is not
	// running). Healthy: a follower is ready to take over.
	LeaderFollowing LeaderHealth = iota
	// LeaderRenewing: this candidate leads, or its OnStartedLeading is
	// still winding down, and its last successful renewal started less
	// than LeaseDuration plus the timeout ago. Healthy.
	LeaderRenewing
	// LeaderLate: this candidate still acts as leader (OnStartedLeading
	// has not returned) although its last successful renewal started more
	// than LeaseDuration plus the timeout ago, so another candidate may
	// lead by now. Unhealthy, as client-go's adaptor fails then: the
	// process is wedged and should be restarted.
	LeaderLate
)

// String returns "FOLLOWING", "LEADING" or "LEADING LATE".
func (l LeaderHealth) String() string {
	switch l {
	case LeaderFollowing:
		return "FOLLOWING"
	case LeaderRenewing:
		return "LEADING"
	case LeaderLate:
		return "LEADING LATE"
	}
	return fmt.Sprintf("LeaderHealth(%d)", int(l))
}

// LeaderHealth judges this candidate's leadership as client-go's
// HealthzAdaptor does: a leader that has not renewed for longer than
// LeaseDuration + timeout is LeaderLate. An Elector ends its leadership
// context at RenewDeadline, so it is late only when OnStartedLeading does
// not return after its ctx is done, or the store call in flight ignores
// its ctx: exactly the wedged leader a liveness probe must catch. A zero
// timeout means DefaultLeaderHealthTimeout.
func (e *Elector) LeaderHealth(timeout time.Duration) LeaderHealth {
	if timeout <= 0 {
		timeout = DefaultLeaderHealthTimeout
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case !e.acting:
		return LeaderFollowing
	case e.local(time.Since(e.renewedAt)) > e.cfg.LeaseDuration+timeout:
		return LeaderLate
	}
	return LeaderRenewing
}
