package hakit

// SetMonitorRand makes m draw its SpreadChecks jitter from r, so a test
// replays a run.
func SetMonitorRand(m *Monitor, r func() float64) { m.rand = r }

// SpreadInterval exposes HAProxy's spread-checks formula to the tests.
var SpreadInterval = spreadInterval

// Redact exposes the credential filter of Health bodies to the tests.
var Redact = redact
