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
// "error-limit" and "on-error".
//
// What an operator of HAProxy looks for is there too:
//
//   - Timeout bounds each check, as "timeout check". One check of a target
//     runs at a time: a check that falls due while the previous one is
//     still running (its Checker ignored its ctx) fails at once with
//     ErrCheckRunning, so a hung probe takes the target DOWN after Fall
//     intervals and never freezes its state.
//   - SpreadChecks is HAProxy's "spread-checks": a random first-check
//     offset within Inter and ±SpreadChecks% of jitter on every interval,
//     so that many monitors do not probe in lockstep. It is off by default,
//     as in HAProxy.
//   - MonitorStats.CheckStatus is HAProxy's "check_status" column (L4OK,
//     L4TOUT, L4CON, L6RSP, L7OK, L7TOUT, L7RSP, L7STS, ...), classified from
//     the Checker's error by ClassifyCheckError: a dial that timed out or
//     was refused, a TLS failure, a timeout after connecting. A Checker that
//     knows better returns a *CheckError naming its class and code.
//   - SetAdmin sets HAProxy's administrative states: AdminMaint stops the
//     checks and reports the target DOWN ("MAINT"); AdminDrain keeps
//     checking but reports "DRAIN", so a load balancer sends no new work.
//
// A Health serves a set of components over HTTP for a load balancer's
// health check: 200 when in service, 404 when draining (what HAProxy's
// "http-check disable-on-404" reads as "no new work"), 503 when a critical
// component is DOWN or the Health is in maintenance. Components are
// Monitors, and Electors judged as client-go's leaderelection
// HealthzAdaptor judges a leader: healthy while following or renewing,
// unhealthy when it still acts as leader without having renewed for longer
// than LeaseDuration plus a timeout. A component added as NonCritical is
// reported but never changes the answer. The body names states and check
// classes with short error texts from which credentials are removed.
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
// Election is safe when the candidates' clocks run at nearly the same rate:
// the leader stops RenewDeadline after the start of its last write, by its
// clock, and the others wait LeaseDuration from when they saw that write,
// by theirs. The rate skew (not the offset: wall clocks are never
// compared) tolerated is therefore the ratio LeaseDuration/RenewDeadline:
// with the defaults 15s/10s, no candidate's clock may run more than 1.5
// times as fast as a leader's. A leader that is paused (SIGSTOP, a long GC) past its
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
// counted as failed at Timeout and keeps its goroutine until it returns;
// every check due meanwhile fails with ErrCheckRunning without starting
// another, so at most one goroutine per Monitor is ever stuck.
//
// A Health body drops credentials in the forms drivers print them (URL
// userinfo, Go MySQL DSNs, user:password@host, password=, token=, api_key=
// and similar pairs, bearer and basic authorizations) and cuts each error
// to a short length; a secret in any other form would pass. Checkers should
// not put secrets in their errors, and /healthz should not be exposed
// beyond the load balancers that probe it.
package hakit
