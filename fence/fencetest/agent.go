package fencetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hakit/hakit/fence"
)

// Reaction is a scripted answer of an Agent to one run.
type Reaction int

const (
	React   Reaction = iota // do the action and succeed (the default)
	Fail                    // answer failure (ErrFailed) without acting
	Hang                    // block until the run's ctx ends, then answer unknown outcome
	Garbage                 // answer an error as a garbled agent would: ErrUnknownOutcome for power actions
)

// Call is one run an Agent received.
type Call struct {
	Time    time.Time
	Action  fence.Action
	Plug    string
	Options fence.Options
}

// Agent is an in-memory fence agent: it keeps a power state per plug (all
// on at first; the plug is the "plug" or "port" option, "" without one),
// answers status, list and list-status from it, and follows a script of
// reactions per action. It is safe for concurrent use.
type Agent struct {
	// Latency is how long every run takes; zero answers at once.
	Latency time.Duration
	// OnPower, if set, is called (with the Agent's lock released) after
	// a plug's power changes.
	OnPower func(plug string, p fence.Power)

	mu     sync.Mutex
	power  map[string]fence.Power
	script map[fence.Action][]Reaction
	calls  []Call
}

var _ fence.Agent = (*Agent)(nil)

// NewAgent returns an Agent whose plugs are on.
func NewAgent() *Agent {
	return &Agent{power: map[string]fence.Power{}, script: map[fence.Action][]Reaction{}}
}

// Script queues reactions to the next runs of action; once they are used
// up the Agent acts normally.
func (a *Agent) Script(action fence.Action, r ...Reaction) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.script[action] = append(a.script[action], r...)
}

// Power returns a plug's power.
func (a *Agent) Power(plug string) fence.Power {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.powerOf(plug)
}

func (a *Agent) powerOf(plug string) fence.Power {
	if p, ok := a.power[plug]; ok {
		return p
	}
	return fence.PowerOn
}

// SetPower sets a plug's power without a call.
func (a *Agent) SetPower(plug string, p fence.Power) {
	a.mu.Lock()
	a.power[plug] = p
	a.mu.Unlock()
}

// Calls returns the runs received so far, oldest first.
func (a *Agent) Calls() []Call {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.calls)
}

// Run implements fence.Agent.
func (a *Agent) Run(ctx context.Context, action fence.Action, opts fence.Options) (fence.Result, error) {
	plug := opts["plug"]
	if plug == "" {
		plug = opts["port"]
	}
	res := fence.Result{Agent: "fencetest", Action: action, ExitCode: -1}
	a.mu.Lock()
	a.calls = append(a.calls, Call{Time: time.Now(), Action: action, Plug: plug, Options: opts.Clone()})
	r := React
	if q := a.script[action]; len(q) > 0 {
		r, a.script[action] = q[0], q[1:]
	}
	a.mu.Unlock()
	fail := func(err error) (fence.Result, error) {
		return res, &fence.AgentError{Agent: "fencetest", Action: action, ExitCode: res.ExitCode, Err: err}
	}
	if a.Latency > 0 || r == Hang {
		var after <-chan time.Time
		if r != Hang {
			t := time.NewTimer(a.Latency)
			defer t.Stop()
			after = t.C
		}
		select {
		case <-after:
		case <-ctx.Done():
			if action == fence.ActionOn || action == fence.ActionOff || action == fence.ActionReboot {
				return fail(fmt.Errorf("%w: %v", fence.ErrUnknownOutcome, ctx.Err()))
			}
			return fail(fmt.Errorf("%w: %v", fence.ErrFailed, ctx.Err()))
		}
	}
	switch r {
	case Fail:
		res.ExitCode = 1
		return fail(fmt.Errorf("%w: scripted failure", fence.ErrFailed))
	case Garbage:
		res.ExitCode = 0
		if action == fence.ActionOn || action == fence.ActionOff || action == fence.ActionReboot {
			return fail(fmt.Errorf("%w: garbled answer", fence.ErrUnknownOutcome))
		}
		return fail(fmt.Errorf("%w: garbled answer", fence.ErrFailed))
	}
	res.ExitCode = 0
	switch action {
	case fence.ActionOn, fence.ActionOff, fence.ActionReboot:
		p := fence.PowerOff
		if action != fence.ActionOff {
			p = fence.PowerOn
		}
		a.mu.Lock()
		a.power[plug] = p
		a.mu.Unlock()
		if a.OnPower != nil {
			if action == fence.ActionReboot {
				a.OnPower(plug, fence.PowerOff)
			}
			a.OnPower(plug, p)
		}
	case fence.ActionStatus:
		res.Power = a.Power(plug)
		if res.Power == fence.PowerOff {
			res.ExitCode = 2
		}
	case fence.ActionList, fence.ActionListStatus:
		a.mu.Lock()
		for k, p := range a.power {
			pl := fence.Plug{ID: k}
			if action == fence.ActionListStatus {
				pl.Status = map[fence.Power]string{fence.PowerOn: "ON", fence.PowerOff: "OFF"}[p]
			}
			res.Plugs = append(res.Plugs, pl)
		}
		a.mu.Unlock()
		slices.SortFunc(res.Plugs, func(x, y fence.Plug) int { return strings.Compare(x.ID, y.ID) })
	}
	return res, nil
}
