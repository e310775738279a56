package lb

import (
	"fmt"
	"time"
)

// observe feeds one outcome of live traffic to passive health: the
// server's Monitor when its Observe covers the level (HAProxy's "observe"),
// and outlier detection. err nil is a success.
func (b *Backend) observe(s *Server, err error, level Observe) {
	if s.mon != nil && s.cfg.Observe >= level {
		s.mon.Report(err)
	}
	oc := b.cfg.Outlier
	if oc.Consecutive == 0 {
		return
	}
	if err == nil {
		s.consecutiveFailures.Store(0)
		return
	}
	if s.consecutiveFailures.Add(1) < int64(oc.Consecutive) {
		return
	}
	s.consecutiveFailures.Store(0)
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	// Envoy's max_ejection_percent, but at least one server may go.
	if limit := max(1, len(b.servers)*oc.MaxEjectionPercent/100); b.ejected >= limit || now.Before(s.ejected) {
		return
	}
	s.ejections++
	s.ejected = now.Add(time.Duration(s.ejections) * oc.BaseEjection)
	b.ejected++
	b.refreshLocked(s, now)
	if b.cfg.Logger != nil {
		b.cfg.Logger.Info("lb: server ejected", "backend", b.cfg.Name, "server", s.cfg.Name, "until", s.ejected)
	}
}

// statusError is a layer 7 failure: an HTTP status HAProxy's "observe
// layer7" counts as an error.
type statusError int

func (e statusError) Error() string { return fmt.Sprintf("lb: server answered %d", int(e)) }

// layer7Failure reports whether HAProxy counts the status as a server error
// (5xx but 501 and 505, which are the client's doing).
func layer7Failure(code int) bool {
	return code >= 500 && code != 501 && code != 505
}
