package hakit

// SetMonitorRand makes m draw its SpreadChecks jitter from r, so a test
// replays a run.
func SetMonitorRand(m *Monitor, r func() float64) { m.rand = r }

// SpreadInterval exposes HAProxy's spread-checks formula to the tests.
var SpreadInterval = spreadInterval

// Redact exposes the credential filter of Health bodies to the tests.
var Redact = redact

// SetElectorRand makes e draw its retry jitter from r, so a test replays a
// run.
func SetElectorRand(e *Elector, r func() float64) { e.rand = r }

// SetElectorClockRate makes e's clock count rate seconds per second of the
// process clock, to emulate clock-rate skew between candidates.
func SetElectorClockRate(e *Elector, rate float64) { e.rate = rate }
