package cache

import "time"

// ejector is the failure accounting of nutcracker's auto_eject_hosts
// (nc_server.c: server_failure, server_ok, and the rebuild in
// server_pool_update), with no clock or socket of its own: callers pass the
// time. A server is ejected after limit consecutive failures, for retry;
// a response from it resets its count; once its retry time has come,
// nutcracker puts it back at the next request (returnDue), while Client
// has one caller probe it first (probeDue, probeDone).
type ejector struct {
	limit   int
	retry   time.Duration
	servers []ejectState
}

type ejectState struct {
	failures  int       // consecutive failures
	closed    bool      // a peer-closed failure counted, none since
	closedAt  uint64    // the server's dial count when it was counted
	until     time.Time // ejected until; zero when live
	probing   bool      // a probe of it is in flight
	ejections int
	returns   int
	requests  uint64
	errors    uint64
	lastErr   error
}

func newEjector(n, limit int, retry time.Duration) *ejector {
	return &ejector{limit: limit, retry: retry, servers: make([]ejectState, n)}
}

// live reports whether server i is in the ring.
func (e *ejector) live(i int) bool { return e.servers[i].until.IsZero() }

// failure records a failed request to server i at now and reports whether
// it ejected the server. peerClosed says the server closed or reset a
// connection (EOF, ECONNRESET); dials is how many connections to it have
// been dialled so far. A restarted server leaves every idle connection to
// it dead, and each fails once when reused, so peer-closed failures count
// once until a connection dialled since fails too; failures to dial and
// timeouts count each time. nutcracker keeps one connection per server
// (server_connections 1), so it sees one failure per restart as well.
func (e *ejector) failure(i int, now time.Time, err error, peerClosed bool, dials uint64) bool {
	s := &e.servers[i]
	s.requests++
	s.errors++
	s.lastErr = err
	if !s.until.IsZero() {
		return false // already out; a request that started before
	}
	if peerClosed {
		if s.closed && dials == s.closedAt {
			return false // another connection that was idle through it
		}
		s.closed, s.closedAt = true, dials
	}
	s.failures++
	if s.failures < e.limit {
		return false
	}
	s.failures = 0
	s.until = now.Add(e.retry)
	s.ejections++
	return true
}

// success records a response from server i: its failures start over
// (server_ok).
func (e *ejector) success(i int) {
	s := &e.servers[i]
	s.requests++
	s.failures = 0
	s.closed = false
}

// nextReturn returns the earliest time an ejected server is due back, or
// the zero time when none is ejected (nutcracker's next_rebuild).
func (e *ejector) nextReturn() time.Time {
	var next time.Time
	for _, s := range e.servers {
		if !s.until.IsZero() && !s.probing && (next.IsZero() || s.until.Before(next)) {
			next = s.until
		}
	}
	return next
}

// returnDue puts back every server whose retry time has come by now
// (next_retry <= now) and returns their indexes.
func (e *ejector) returnDue(now time.Time) []int {
	var back []int
	for i := range e.servers {
		s := &e.servers[i]
		if !s.until.IsZero() && !now.Before(s.until) {
			s.until = time.Time{}
			s.returns++
			back = append(back, i)
		}
	}
	return back
}

// probeDue marks every server whose retry time has come by now, and that no
// probe is testing yet, as probing and returns their indexes: the caller
// probes each once and reports with probeDone, and until then the server
// stays out of the ring and no other caller probes it (single flight).
func (e *ejector) probeDue(now time.Time) []int {
	var due []int
	for i := range e.servers {
		s := &e.servers[i]
		if !s.until.IsZero() && !s.probing && !now.Before(s.until) {
			s.probing = true
			due = append(due, i)
		}
	}
	return due
}

// probeDone ends the probe of server i: a server that answered is put back
// with its failures cleared; one that did not stays out for another retry
// period from now.
func (e *ejector) probeDone(i int, now time.Time, ok bool) {
	s := &e.servers[i]
	s.probing = false
	if ok {
		s.until = time.Time{}
		s.failures, s.closed = 0, false
		s.returns++
		return
	}
	s.until = now.Add(e.retry)
}
