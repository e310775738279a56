package hakit

import (
	"fmt"
	"log/slog"
	"time"
)

// Defaults of MonitorConfig, from HAProxy's configuration manual (section
// 5.2, "inter", "rise", "fall", "error-limit").
const (
	DefaultInter      = 2 * time.Second
	DefaultRise       = 2
	DefaultFall       = 3
	DefaultErrorLimit = 10
	// MaxSpreadChecks is the largest SpreadChecks HAProxy accepts
	// ("spread-checks <0..50, in percent>").
	MaxSpreadChecks = 50
)

// InitState is the state a Monitor starts in, HAProxy's "init-state".
type InitState int

const (
	// InitStateUp starts UP, but the first failed check marks it DOWN:
	// HAProxy's behaviour when init-state is not set.
	InitStateUp InitState = iota
	// InitStateFullyUp starts UP; Fall failed checks mark it DOWN.
	InitStateFullyUp
	// InitStateDown starts DOWN, but the first passed check marks it UP.
	InitStateDown
	// InitStateFullyDown starts DOWN; Rise passed checks mark it UP.
	InitStateFullyDown
)

// String returns HAProxy's keyword for the init state.
func (s InitState) String() string {
	switch s {
	case InitStateUp:
		return "up"
	case InitStateFullyUp:
		return "fully-up"
	case InitStateDown:
		return "down"
	case InitStateFullyDown:
		return "fully-down"
	}
	return fmt.Sprintf("InitState(%d)", int(s))
}

// OnError is what a Monitor does when ErrorLimit consecutive errors have been
// reported by passive observation: HAProxy's "on-error".
type OnError int

// When ErrorLimit is reached and FastInter is set (non-zero), the next
// check also comes at most FastInter from then, whatever the mode, as in
// HAProxy's __health_adjust; with FastInter unset the schedule stays.
const (
	// OnErrorFailCheck counts as one failed check. HAProxy's default
	// (DEF_HANA_ONERR).
	OnErrorFailCheck OnError = iota
	// OnErrorFastInter changes no state: it only brings the next check
	// forward, and so does nothing but count when FastInter is unset.
	OnErrorFastInter
	// OnErrorSuddenDeath leaves a healthy monitor one failed check away
	// from DOWN (a "pre-fatal" failure).
	OnErrorSuddenDeath
	// OnErrorMarkDown marks the monitor DOWN at once.
	OnErrorMarkDown
)

// String returns HAProxy's keyword for the mode.
func (o OnError) String() string {
	switch o {
	case OnErrorFastInter:
		return "fastinter"
	case OnErrorFailCheck:
		return "fail-check"
	case OnErrorSuddenDeath:
		return "sudden-death"
	case OnErrorMarkDown:
		return "mark-down"
	}
	return fmt.Sprintf("OnError(%d)", int(o))
}

// MonitorConfig configures a Monitor. The zero value of every field but
// Checker is a documented default.
type MonitorConfig struct {
	// Checker is the probe. Required.
	Checker Checker

	// Inter is the interval between checks while fully up or, when
	// DownInter and FastInter are zero, always. Zero means 2s, HAProxy's
	// default "inter".
	Inter time.Duration
	// FastInter is the interval while in transition (going up or going
	// down). Zero means Inter, as in HAProxy, and then reaching ErrorLimit
	// does not bring the next check forward (see OnError).
	FastInter time.Duration
	// DownInter is the interval while fully down. Zero means Inter, as in
	// HAProxy.
	DownInter time.Duration
	// Timeout bounds one check. Zero means Inter, as HAProxy does when
	// "timeout check" is not set.
	Timeout time.Duration

	// SpreadChecks is the jitter on every interval, in percent: each
	// interval is drawn uniformly from ±SpreadChecks% around its nominal
	// value, HAProxy's global "spread-checks" (its manual suggests 2 to
	// 5). When it is set, the first check also comes at a random moment
	// within the first Inter rather than at once, as HAProxy spreads each
	// server's first check over one interval, so that monitors started
	// together do not probe in lockstep. Zero means no jitter and a first
	// check at once, HAProxy's default 0. At most 50.
	SpreadChecks int

	// PassStatus is the class Stats reports for a passed check. Zero
	// means CheckL7OK; a Checker that probes only a TCP connect sets
	// CheckL4OK. It must be a passed class (see CheckStatus.Passed).
	PassStatus CheckStatus

	// Rise is how many consecutive passed checks mark a DOWN monitor UP.
	// Zero means 2, HAProxy's default.
	Rise int
	// Fall is how many consecutive failed checks mark an UP monitor DOWN.
	// Zero means 3, HAProxy's default.
	Fall int
	// InitState is the starting state. Zero means InitStateUp, HAProxy's
	// default.
	InitState InitState

	// ErrorLimit is how many consecutive errors passed to Report trigger
	// OnError. Zero means 10, HAProxy's default "error-limit".
	ErrorLimit int
	// OnError is the action taken at ErrorLimit. Zero means
	// OnErrorFailCheck, HAProxy's default.
	OnError OnError

	// OnChange, if not nil, is called after every change of Status,
	// transitional steps included ("UP" to "UP 2/3"), with the status
	// before and after, administrative changes included ("UP" to
	// "MAINT"). Calls are made one at a time, in order, from the goroutine
	// that caused the change (Run's, or the caller of Report or SetAdmin).
	// It may call Status and Stats but must not call Report or SetAdmin.
	OnChange func(prev, cur Status)

	// Logger, if not nil, receives a line for every UP/DOWN transition
	// and every administrative state change.
	Logger *slog.Logger
}

// withDefaults returns a copy of c with zero fields set to their defaults,
// or an error naming the first invalid field.
func (c MonitorConfig) withDefaults() (MonitorConfig, error) {
	if c.Checker == nil {
		return c, fmt.Errorf("hakit: MonitorConfig.Checker is nil")
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"Inter", c.Inter}, {"FastInter", c.FastInter}, {"DownInter", c.DownInter}, {"Timeout", c.Timeout}} {
		if d.v < 0 {
			return c, fmt.Errorf("hakit: MonitorConfig.%s %v is negative", d.name, d.v)
		}
	}
	for _, n := range []struct {
		name string
		v    int
	}{{"Rise", c.Rise}, {"Fall", c.Fall}, {"ErrorLimit", c.ErrorLimit}} {
		if n.v < 0 {
			return c, fmt.Errorf("hakit: MonitorConfig.%s %d is negative", n.name, n.v)
		}
	}
	if c.SpreadChecks < 0 || c.SpreadChecks > MaxSpreadChecks {
		return c, fmt.Errorf("hakit: MonitorConfig.SpreadChecks %d is outside 0..%d (percent)", c.SpreadChecks, MaxSpreadChecks)
	}
	if c.PassStatus != CheckUnknown && !c.PassStatus.Passed() {
		return c, fmt.Errorf("hakit: MonitorConfig.PassStatus %v is not a passed class", c.PassStatus)
	}
	if c.PassStatus == CheckUnknown {
		c.PassStatus = CheckL7OK
	}
	if c.InitState < InitStateUp || c.InitState > InitStateFullyDown {
		return c, fmt.Errorf("hakit: MonitorConfig.InitState %d is not one of the InitState constants", int(c.InitState))
	}
	if c.OnError < OnErrorFailCheck || c.OnError > OnErrorMarkDown {
		return c, fmt.Errorf("hakit: MonitorConfig.OnError %d is not one of the OnError constants", int(c.OnError))
	}
	if c.Inter == 0 {
		c.Inter = DefaultInter
	}
	if c.FastInter == 0 {
		c.FastInter = c.Inter
	}
	if c.DownInter == 0 {
		c.DownInter = c.Inter
	}
	if c.Timeout == 0 {
		c.Timeout = c.Inter
	}
	if c.Rise == 0 {
		c.Rise = DefaultRise
	}
	if c.Fall == 0 {
		c.Fall = DefaultFall
	}
	if c.ErrorLimit == 0 {
		c.ErrorLimit = DefaultErrorLimit
	}
	return c, nil
}

// initialHealth places the counter where HAProxy's init-state puts it.
func (c MonitorConfig) initialHealth() health {
	h := health{rise: c.Rise, fall: c.Fall}
	switch c.InitState {
	case InitStateUp:
		h.value = c.Rise
	case InitStateFullyUp:
		h.value = h.full()
	case InitStateDown:
		h.value = c.Rise - 1
	case InitStateFullyDown:
		h.value = 0
	}
	return h
}
