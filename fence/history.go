package fence

import "time"

// Outcome is how one agent run, or one fencing, ended.
type Outcome int

const (
	OutcomeOK      Outcome = iota // the agent confirmed the action
	OutcomeFailed                 // the agent said it failed: nothing happened
	OutcomeUnknown                // the agent was killed or gave no answer: it may have acted
)

func (o Outcome) String() string {
	switch o {
	case OutcomeOK:
		return "ok"
	case OutcomeFailed:
		return "failed"
	case OutcomeUnknown:
		return "unknown"
	}
	return "Outcome(?)"
}

// Attempt is one agent run of a fencing, as the audit history keeps it.
// Error is redacted.
type Attempt struct {
	Time     time.Time
	Target   string
	Action   Action // the action run on the device (off and on for a reboot across devices)
	Level    int    // topology level, 0 without topology
	Device   string
	Try      int // 1 for the first try, more for retries
	Delay    time.Duration
	Duration time.Duration
	Outcome  Outcome
	Error    string
}
