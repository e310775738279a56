package fence

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"
)

// Action is a fence-agents action, passed to the agent as action=NAME.
type Action string

// The actions of the fence-agents API (FenceAgentAPI.md).
const (
	ActionOn          Action = "on"
	ActionOff         Action = "off"
	ActionReboot      Action = "reboot"
	ActionStatus      Action = "status"
	ActionMonitor     Action = "monitor"
	ActionList        Action = "list"
	ActionListStatus  Action = "list-status"
	ActionMetadata    Action = "metadata"
	ActionValidateAll Action = "validate-all"
)

// Actions lists every action Runner accepts.
var Actions = []Action{ActionOn, ActionOff, ActionReboot, ActionStatus, ActionMonitor, ActionList, ActionListStatus, ActionMetadata, ActionValidateAll}

func (a Action) valid() bool { return slices.Contains(Actions, a) }

// changesPower reports whether the action may change a node's power: a
// killed run of such an action has an unknown outcome.
func (a Action) changesPower() bool {
	return a == ActionOn || a == ActionOff || a == ActionReboot
}

// Power is a node's power state as a status action reports it.
type Power int

const (
	PowerUnknown Power = iota // not asked, or the agent did not say
	PowerOn                   // status exit 0, "Status: ON"
	PowerOff                  // status exit 2, "Status: OFF"
)

func (p Power) String() string {
	switch p {
	case PowerOn:
		return "on"
	case PowerOff:
		return "off"
	}
	return ""
}

// Options are an agent's options, written to its stdin as name=value
// lines (never on its command line, where ps would show the password).
type Options map[string]string

// secretOption reports whether the value of option name must never be
// shown: password, passwd and any option naming one (fence-agents'
// password_script is a command that prints the password).
func secretOption(name string) bool {
	n := strings.ToLower(name)
	return strings.Contains(n, "passw") || strings.Contains(n, "secret") || strings.Contains(n, "community")
}

// Redact replaces the value of every secret option in s with "XXXX".
func (o Options) Redact(s string) string {
	for _, k := range o.sortedKeys() {
		if v := o[k]; secretOption(k) && v != "" {
			s = strings.ReplaceAll(s, v, "XXXX")
		}
	}
	return s
}

// String shows the options with secret values replaced by "XXXX", in
// name order.
func (o Options) String() string {
	var b strings.Builder
	for i, k := range o.sortedKeys() {
		if i > 0 {
			b.WriteByte(' ')
		}
		v := o[k]
		if secretOption(k) {
			v = "XXXX"
		}
		fmt.Fprintf(&b, "%s=%s", k, v)
	}
	return b.String()
}

// LogValue keeps passwords out of slog output.
func (o Options) LogValue() slog.Value { return slog.StringValue(o.String()) }

func (o Options) sortedKeys() []string {
	keys := slices.Collect(maps.Keys(o))
	sort.Strings(keys)
	return keys
}

// stdin encodes the options and the action as the agent reads them: one
// name=value per line. A name or value holding a newline, or a name
// holding '=', cannot be encoded and is an error naming the option.
func (o Options) stdin(a Action) ([]byte, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "action=%s\n", a)
	for _, k := range o.sortedKeys() {
		v := o[k]
		if k == "" || k == "action" || strings.ContainsAny(k, "=\n\r#") || strings.ContainsAny(v, "\n\r") {
			return nil, fmt.Errorf("%w: option %q cannot be passed on stdin", ErrInvalidOption, k)
		}
		fmt.Fprintf(&b, "%s=%s\n", k, v)
	}
	return []byte(b.String()), nil
}

// Clone returns a copy of o.
func (o Options) Clone() Options { return maps.Clone(o) }

// Result is what an agent run answered.
type Result struct {
	Agent    string
	Action   Action
	ExitCode int   // -1 when the agent was killed
	Power    Power // status, list-status of one plug: what the agent said
	Plugs    []Plug
	// Notice is a NOTICE line of a list action, such as fence_ipmilan's
	// "List option is not working on this device yet".
	Notice   string
	Output   string // stdout, redacted
	Duration time.Duration
}

// Agent runs fence-agent actions. Runner runs a real agent program;
// fencetest.Agent is an in-memory one. Run returns a nil error when the
// action succeeded; status returns nil for both on and off (Result.Power
// says which). Errors wrap ErrFailed (the agent said no), ErrUnknownOutcome
// (it may have acted), ErrInvalidOption or ErrUnknownAgent.
type Agent interface {
	Run(ctx context.Context, action Action, opts Options) (Result, error)
}

var _ Agent = (*Runner)(nil)
