// Package hakit is the shared vocabulary of the hakit high-availability
// building blocks: health probes with HAProxy's hysteresis, and leader
// election over a compare-and-set lease with fencing tokens.
//
// # Health
//
// A Checker is one probe: Check returns nil when healthy. A Monitor runs a
// Checker on HAProxy's schedule and keeps HAProxy's state over its results:
// Rise passed checks mark a DOWN target UP, Fall failed checks mark an UP
// target DOWN, and between the two the target is in transition ("UP 2/3",
// "DOWN 1/2" on HAProxy's stats page). Checks run every Inter while fully up,
// every FastInter while in transition and every DownInter while fully down;
// the defaults are HAProxy's (inter 2s, rise 2, fall 3). Observations of
// live traffic are fed with Report and act as HAProxy's "observe" with
// "error-limit" and "on-error". A Health serves a set of Monitors over HTTP
// as 200 or 503 with a JSON body, for a load balancer's health check.
//
// Any package's probe fits: a Galera node's clustercheck, a Redis role check
// or a VRRP tracking script are all Checkers, and an lb backend can be
// checked by any of them.
//
// # Leases and election
//
// A Lease is one record in a store (Galera, Redis, MongoDB, or
// hakittest's in-memory one) changed only by compare-and-set. Its
// LeaseRecord carries a fencing token that grows with every new holder.
// An Elector contends for a Lease with client-go's leaderelection
// semantics (LeaseDuration 15s, RenewDeadline 10s, RetryPeriod 2s):
//
//  1. A candidate that finds no record creates one; one that finds a record
//     judges it expired when it has seen it unchanged for the record's
//     Duration on its own monotonic clock, and then takes it over by
//     compare-and-set under the next token.
//  2. The leader renews every RetryPeriod. Its leadership is a context,
//     passed to OnStartedLeading, that is cancelled when RenewDeadline has
//     passed since the start of its last successful renewal — whatever the
//     store call in flight is doing — or when the lease turns out to be
//     someone else's.
//  3. Code that may act only while leading runs under that context and
//     passes the token to whatever it writes to.
//
// # Differences from client-go
//
// The timing rules are client-go's; what surrounds them differs where a
// library embedded in a long-running service is better served:
//
//   - Run contends again after a leadership ends and returns only when its
//     ctx is done; client-go's Run returns when leadership is lost.
//   - RenewDeadline counts from the start of the last successful renewal,
//     whatever the store call in flight does; client-go starts its
//     RenewDeadline timer with the next renewal round, a RetryPeriod after
//     the last success ended. The leadership therefore ends earlier than
//     client-go's, never later.
//   - OnStoppedLeading is called after each leadership, not when Run ends
//     without having led; OnNewLeader is called on Run's goroutine, not a
//     new one, and not for a released lease (no holder).
//   - The callbacks are optional and zero durations mean the defaults;
//     client-go requires both leading callbacks and every duration. The
//     checks between durations are client-go's.
//   - The fencing token, which client-go's LeaderElectionRecord lacks
//     (LeaderTransitions counts holders but is not a compare-and-set
//     guard downstream), is in every record.
//
// # Failure model
//
// Election is safe when every candidate's clock runs at nearly the same
// rate: the leader stops at RenewDeadline and the others wait LeaseDuration
// from when they saw its last write, so the difference between the two is
// the rate skew (not the offset: wall clocks are never compared) that
// is tolerated. A leader that is paused (SIGSTOP, a long GC) past its
// deadline has its context cancelled by a timer as soon as it runs again,
// and IsLeader turns false at the deadline itself; but a goroutine that
// resumes first may act before it looks, and anything already sent on its
// way may land after a new leader has started: an Elector does not
// guarantee a single acting leader. A suspend that stops the monotonic
// clock (a frozen VM, a host asleep) hides the pause from the leader
// altogether. The fencing token is
// the guard for that: a downstream store that remembers the highest token it
// has seen and refuses lower ones stays consistent however late an old
// leader's write arrives.
//
// A store error never ends Run: a candidate keeps retrying every
// RetryPeriod, and a leader that cannot renew keeps trying until its
// RenewDeadline, then steps down. The election is only as consistent as the
// store's compare-and-set: see each store's Lease for what its replication
// can lose.
//
// A Monitor reports what its Checker sees from where it runs; it knows
// nothing of what other observers see. A Check that ignores its ctx is
// counted as failed at Timeout but keeps its goroutine until it returns.
package hakit
