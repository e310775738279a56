package fence

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// DefaultStonithTimeout is Pacemaker's stonith-timeout default.
const DefaultStonithTimeout = 60 * time.Second

// DefaultHistoryLimit is how many attempts the audit history keeps.
const DefaultHistoryLimit = 500

// Level is one fencing topology level (Pacemaker's fencing_level): for
// the targets it matches, every one of its devices must succeed; when
// one fails, the next level (by Index) is tried. Exactly one of Node,
// Pattern and Attribute names the targets.
type Level struct {
	Index     int    // 1..9
	Node      string // a node name
	Pattern   string // a regular expression matched against node names
	Attribute string // "name=value": nodes whose attribute has that value
	Devices   []string
}

// Config configures a Fencer. The zero value of each field but Devices
// is a documented default.
type Config struct {
	Devices []Device
	// Levels is the fencing topology. A target no level matches is fenced
	// by each device that can fence it, one after the other, until one
	// succeeds (Pacemaker's behaviour without topology).
	Levels []Level
	// StonithTimeout is the default timeout of each device's action,
	// its retries included (a Device's Timeout overrides it); zero means
	// DefaultStonithTimeout (60 s, Pacemaker's stonith-timeout). A device
	// that times out does not end the Fence call: the next device or
	// level is tried, as in Pacemaker, so one call lasts at most the sum
	// of its devices' delays and timeouts.
	StonithTimeout time.Duration
	// NodeAttributes returns a node's attributes for Level.Attribute; nil
	// means nodes have none.
	NodeAttributes func(node string) map[string]string
	// HistoryLimit is how many attempts History keeps; zero means
	// DefaultHistoryLimit.
	HistoryLimit int
	// OnAttempt, if set, is called after every agent run, on the
	// goroutine that called Fence; it must not block.
	OnAttempt func(Attempt)
	// Logger receives one line per attempt (redacted); nil is silent.
	Logger *slog.Logger
}

// Fencer fences nodes through devices and a topology, as Pacemaker's
// fenced does. It is safe for concurrent use.
type Fencer struct {
	cfg     Config
	devices map[string]*device
	order   []*device
	levels  []level

	mu       sync.Mutex
	history  []Attempt
	stats    Stats
	inflight map[string]*fencing
}

// fencing is a Fence call in progress, which identical calls join.
type fencing struct {
	done chan struct{}
	rep  Report
	err  error
}

type level struct {
	Level
	re        *regexp.Regexp
	attr, val string
}

// Stats counts a Fencer's work. Merged counts the Fence calls that
// joined an identical one in progress instead of fencing again.
type Stats struct {
	Fencings, Fenced, Failed, Unknown, Attempts, Merged uint64
}

// Report is what one Fence call did.
type Report struct {
	Target   string
	Action   Action
	Outcome  Outcome
	Level    int      // the level that fenced the target; 0 without topology or on failure
	Devices  []string // the devices that fenced it
	Attempts []Attempt

	delayed bool // the pcmk delay was waited
}

// New checks cfg and returns a Fencer. It does no I/O.
func New(cfg Config) (*Fencer, error) {
	f := &Fencer{cfg: cfg, devices: map[string]*device{}, inflight: map[string]*fencing{}}
	if f.cfg.StonithTimeout == 0 {
		f.cfg.StonithTimeout = DefaultStonithTimeout
	}
	if f.cfg.StonithTimeout < 0 {
		return nil, fmt.Errorf("fence: StonithTimeout %v is negative", cfg.StonithTimeout)
	}
	if f.cfg.HistoryLimit == 0 {
		f.cfg.HistoryLimit = DefaultHistoryLimit
	}
	for _, d := range cfg.Devices {
		dev, err := newDevice(d)
		if err != nil {
			return nil, err
		}
		if f.devices[d.Name] != nil {
			return nil, fmt.Errorf("fence: Devices has %q twice", d.Name)
		}
		f.devices[d.Name] = dev
		f.order = append(f.order, dev)
	}
	for i, l := range cfg.Levels {
		lv := level{Level: l}
		lv.Devices = slices.Clone(l.Devices)
		set := 0
		for _, s := range []string{l.Node, l.Pattern, l.Attribute} {
			if s != "" {
				set++
			}
		}
		switch {
		case l.Index < 1 || l.Index > 9:
			return nil, fmt.Errorf("fence: Levels[%d].Index %d is not 1..9", i, l.Index)
		case set != 1:
			return nil, fmt.Errorf("fence: Levels[%d] needs exactly one of Node, Pattern, Attribute", i)
		case len(l.Devices) == 0:
			return nil, fmt.Errorf("fence: Levels[%d] has no Devices", i)
		}
		for _, d := range l.Devices {
			if f.devices[d] == nil {
				return nil, fmt.Errorf("fence: Levels[%d] names unknown device %q", i, d)
			}
		}
		if l.Pattern != "" {
			re, err := regexp.Compile(l.Pattern)
			if err != nil {
				return nil, fmt.Errorf("fence: Levels[%d].Pattern: %v", i, err)
			}
			lv.re = re
		}
		if l.Attribute != "" {
			var ok bool
			lv.attr, lv.val, ok = strings.Cut(l.Attribute, "=")
			if !ok || lv.attr == "" {
				return nil, fmt.Errorf("fence: Levels[%d].Attribute %q is not name=value", i, l.Attribute)
			}
		}
		f.levels = append(f.levels, lv)
	}
	return f, nil
}

func (l level) matches(node string, attrs func(string) map[string]string) bool {
	switch {
	case l.Node != "":
		return l.Node == node
	case l.re != nil:
		return l.re.MatchString(node)
	case attrs != nil:
		v, ok := attrs(node)[l.attr]
		return ok && v == l.val
	}
	return false
}

// plan is the levels for target in index order: its topology, or one
// level per capable device.
func (f *Fencer) plan(ctx context.Context, target string) ([]level, error) {
	var ls []level
	for _, l := range f.levels {
		if l.matches(target, f.cfg.NodeAttributes) {
			ls = append(ls, l)
		}
	}
	if len(ls) > 0 {
		slices.SortStableFunc(ls, func(a, b level) int { return a.Index - b.Index })
		return ls, nil
	}
	var errs []error
	for _, d := range f.order {
		ok, err := d.canFence(ctx, target, d.timeout(f.cfg.StonithTimeout))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ok {
			ls = append(ls, level{Level: Level{Devices: []string{d.Name}}})
		}
	}
	if len(ls) == 0 {
		return nil, errors.Join(append([]error{fmt.Errorf("%w %q", ErrNoDevice, target)}, errs...)...)
	}
	return ls, errors.Join(errs...)
}

// Fence runs action (ActionOff, ActionReboot, or ActionOn to unfence)
// against target, each device bounded by its timeout. A nil error means the target is
// fenced: every device of one level confirmed. Otherwise the error wraps
// ErrUnknownOutcome when some run may have acted without confirming
// (killed, timed out) and ErrFailed when every device said no; in both
// cases the target must be treated as not fenced.
//
// A call for the target and action of a call in progress joins it, as
// Pacemaker's fenced merges identical requests: the agents run once and
// both callers get the answer. A joined caller whose ctx ends first gets
// ErrUnknownOutcome, since the fencing it joined may still act.
func (f *Fencer) Fence(ctx context.Context, target string, action Action) (Report, error) {
	rep := Report{Target: target, Action: action, Outcome: OutcomeFailed}
	if action != ActionOff && action != ActionReboot && action != ActionOn {
		return rep, fmt.Errorf("%w: cannot fence with action %q", ErrInvalidOption, action)
	}
	key := target + "\x00" + string(action)
	f.mu.Lock()
	if c := f.inflight[key]; c != nil {
		f.stats.Merged++
		f.mu.Unlock()
		select {
		case <-c.done:
			r := c.rep
			r.Attempts, r.Devices = slices.Clone(r.Attempts), slices.Clone(r.Devices)
			return r, c.err
		case <-ctx.Done():
			rep.Outcome = OutcomeUnknown
			return rep, fmt.Errorf("fence: %s %s: %w: gave up waiting for the fencing in progress: %v", action, target, ErrUnknownOutcome, context.Cause(ctx))
		}
	}
	c := &fencing{done: make(chan struct{})}
	f.inflight[key] = c
	f.mu.Unlock()
	c.rep, c.err = f.fence(ctx, rep)
	f.mu.Lock()
	delete(f.inflight, key)
	f.mu.Unlock()
	close(c.done)
	return c.rep, c.err
}

// fence is one Fence call that no other joined yet.
func (f *Fencer) fence(ctx context.Context, rep Report) (Report, error) {
	target, action := rep.Target, rep.Action
	f.mu.Lock()
	f.stats.Fencings++
	f.mu.Unlock()

	levels, planErr := f.plan(ctx, target)
	var errs []error
	if planErr != nil {
		errs = append(errs, planErr)
	}
	unknown := false
	for _, l := range levels {
		out, err := f.runLevel(ctx, &rep, l, target, action)
		if out == OutcomeOK {
			rep.Outcome, rep.Level, rep.Devices = OutcomeOK, l.Index, l.Devices
			f.count(func(s *Stats) { s.Fenced++ })
			return rep, nil
		}
		unknown = unknown || out == OutcomeUnknown
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	if len(levels) == 0 && planErr != nil {
		f.count(func(s *Stats) { s.Failed++ })
		return rep, planErr
	}
	cause := ErrFailed
	if unknown {
		cause, rep.Outcome = ErrUnknownOutcome, OutcomeUnknown
		f.count(func(s *Stats) { s.Unknown++ })
	} else {
		f.count(func(s *Stats) { s.Failed++ })
	}
	return rep, fmt.Errorf("fence: %s %s: %w: %w", action, target, cause, errors.Join(errs...))
}

// runLevel runs action on every device of l. A reboot across several
// devices is all off, then all on (Pacemaker remaps it so that no device
// powers the node back on while another still feeds it); once every off
// is confirmed the target is fenced, so a failing on only shows in the
// history.
func (f *Fencer) runLevel(ctx context.Context, rep *Report, l level, target string, action Action) (Outcome, error) {
	steps := []Action{action}
	if action == ActionReboot && len(l.Devices) > 1 {
		steps = []Action{ActionOff, ActionOn}
	}
	for i, a := range steps {
		for _, name := range l.Devices {
			out, err := f.runDevice(ctx, rep, f.devices[name], l.Index, target, a)
			if out != OutcomeOK && i == 0 {
				return out, err
			}
		}
	}
	return OutcomeOK, nil
}

// runDevice waits the device's delay (not for on, and only for the
// first device of the fencing: the delay settles a two-node race, which
// one wait does), then runs a with
// retries, all tries within the device's timeout (Pacemaker retries
// "within the timeout period").
func (f *Fencer) runDevice(ctx context.Context, rep *Report, d *device, lvl int, target string, a Action) (Outcome, error) {
	var delay time.Duration
	if a != ActionOn && !rep.delayed {
		rep.delayed = true
		delay = d.delay()
		if delay > 0 {
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				// Nothing was sent: the wait itself failed.
				return OutcomeFailed, fmt.Errorf("fence: device %s: %w during pcmk_delay %v", d.Name, context.Cause(ctx), delay)
			}
		}
	}
	timeout := d.timeout(f.cfg.StonithTimeout)
	opts := d.options(target)
	actx, cancel := context.WithTimeoutCause(ctx, timeout, fmt.Errorf("device %s timeout %v", d.Name, timeout))
	defer cancel()
	var err error
	out := OutcomeFailed
	unknown := false
	for try := 1; try <= 1+d.retries; try++ {
		start := time.Now()
		_, err = d.run(actx, a, opts)
		timedOut := actx.Err() != nil
		out = classify(err)
		if out == OutcomeFailed && timedOut && a.changesPower() && !errors.Is(err, errBusy) {
			// An agent that answered after its deadline passed may
			// have acted: a fake or remote agent need not say so.
			out = OutcomeUnknown
		}
		unknown = unknown || out == OutcomeUnknown
		at := Attempt{Time: start, Target: target, Action: a, Level: lvl, Device: d.Name, Try: try, Delay: delay, Duration: time.Since(start), Outcome: out}
		if err != nil {
			at.Error = opts.Redact(err.Error())
		}
		f.record(rep, at)
		delay = 0
		if out == OutcomeOK {
			return out, nil
		}
		if actx.Err() != nil {
			break
		}
	}
	if unknown {
		out = OutcomeUnknown
	}
	return out, fmt.Errorf("fence: device %s %s %s: %s", d.Name, a, target, opts.Redact(err.Error()))
}

func classify(err error) Outcome {
	switch {
	case err == nil:
		return OutcomeOK
	case errors.Is(err, ErrUnknownOutcome):
		return OutcomeUnknown
	}
	return OutcomeFailed
}

func (f *Fencer) record(rep *Report, a Attempt) {
	rep.Attempts = append(rep.Attempts, a)
	f.mu.Lock()
	f.stats.Attempts++
	f.history = append(f.history, a)
	if over := len(f.history) - f.cfg.HistoryLimit; over > 0 {
		f.history = slices.Delete(f.history, 0, over)
	}
	f.mu.Unlock()
	if f.cfg.Logger != nil {
		f.cfg.Logger.Info("fence attempt", "target", a.Target, "action", a.Action, "level", a.Level, "device", a.Device,
			"try", a.Try, "delay", a.Delay, "duration", a.Duration, "outcome", a.Outcome.String(), "error", a.Error)
	}
	if f.cfg.OnAttempt != nil {
		f.cfg.OnAttempt(a)
	}
}

func (f *Fencer) count(fn func(*Stats)) {
	f.mu.Lock()
	fn(&f.stats)
	f.mu.Unlock()
}

// History returns the audit history, oldest first.
func (f *Fencer) History() []Attempt {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.history)
}

// Stats returns a snapshot of the counters.
func (f *Fencer) Stats() Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stats
}

// CanFence reports whether some device can fence node (for a dynamic
// list, by asking the agent). Its error says why a device could not be
// asked when no other device can.
func (f *Fencer) CanFence(ctx context.Context, node string) (bool, error) {
	ls, err := f.plan(ctx, node)
	if len(ls) > 0 {
		return true, nil
	}
	if errors.Is(err, ErrNoDevice) && !errors.Is(err, ErrFailed) && !errors.Is(err, ErrUnknownOutcome) {
		return false, nil // every device answered: none can
	}
	return false, err
}
