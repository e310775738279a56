package fence

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// ErrNotFenced is returned by Evacuator.HostFailed when recovery was
// refused because fencing failed or its outcome is unknown.
var ErrNotFenced = errors.New("fence: host not confirmed fenced, recovery refused")

// ErrInProgress is returned by Evacuator.HostFailed for a host whose
// evacuation is already running.
var ErrInProgress = errors.New("fence: evacuation of this host already running")

// Phase is a step of an evacuation.
type Phase int

const (
	PhaseFencing       Phase = iota // fencing the failed host
	PhaseFenced                     // fencing confirmed
	PhaseFenceFailed                // fencing failed: nothing happened, recovery refused
	PhaseFenceUnknown               // fencing outcome unknown: recovery refused
	PhaseRecovering                 // running the caller's recovery
	PhaseRecovered                  // recovery done
	PhaseRecoverFailed              // recovery returned an error
)

var phaseNames = []string{"fencing", "fenced", "fence-failed", "fence-unknown", "recovering", "recovered", "recover-failed"}

func (p Phase) String() string {
	if p >= 0 && int(p) < len(phaseNames) {
		return phaseNames[p]
	}
	return fmt.Sprintf("Phase(%d)", int(p))
}

// Step is one reported step of an evacuation.
type Step struct {
	Time  time.Time
	Host  string
	Phase Phase
	Err   error
}

// EvacuatorConfig configures an Evacuator.
type EvacuatorConfig struct {
	// Fence fences a host and returns nil only when the fencing is
	// confirmed; typically Fencer.Fence with ActionOff. An error wrapping
	// ErrUnknownOutcome is reported as PhaseFenceUnknown. Required.
	Fence func(ctx context.Context, host string) error
	// Recover moves the host's workload elsewhere (nova evacuate). It is
	// called only after Fence returned nil. Required.
	Recover func(ctx context.Context, host string) error
	// OnStep, if set, is called for every step, on the goroutine that
	// called HostFailed; it must not block.
	OnStep func(Step)
	Logger *slog.Logger
}

// Evacuator is instance HA's fence-then-evacuate, as OpenStack runs it
// for compute hosts: a failed host is fenced, and only once the fencing
// is confirmed is its workload recovered elsewhere. It never recovers a
// host whose fencing failed, timed out or ended unknown, because the host
// may still run the workload and write to its disks.
type Evacuator struct {
	cfg EvacuatorConfig

	mu      sync.Mutex
	running map[string]bool
	stats   EvacuatorStats
}

// EvacuatorStats counts evacuations.
type EvacuatorStats struct {
	Started, Fenced, Refused, Recovered, RecoverFailed uint64
}

// NewEvacuator checks cfg.
func NewEvacuator(cfg EvacuatorConfig) (*Evacuator, error) {
	switch {
	case cfg.Fence == nil:
		return nil, errors.New("fence: EvacuatorConfig.Fence is nil")
	case cfg.Recover == nil:
		return nil, errors.New("fence: EvacuatorConfig.Recover is nil")
	}
	return &Evacuator{cfg: cfg, running: map[string]bool{}}, nil
}

// HostFailed fences host and then, only after fencing is confirmed and
// while ctx lasts, runs Recover. Its error wraps ErrNotFenced (and the
// fencing error) when fencing was not confirmed, ctx's cause when ctx
// ended after a confirmed fence, or Recover's error. Both steps are
// bound by ctx.
func (e *Evacuator) HostFailed(ctx context.Context, host string) error {
	e.mu.Lock()
	if e.running[host] {
		e.mu.Unlock()
		return fmt.Errorf("%w: %s", ErrInProgress, host)
	}
	e.running[host] = true
	e.stats.Started++
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		delete(e.running, host)
		e.mu.Unlock()
	}()

	e.step(host, PhaseFencing, nil)
	err := e.cfg.Fence(ctx, host)
	if err == nil && ctx.Err() != nil {
		// Fence ignored its ctx: a late nil is still a confirmation, but
		// recovery must not start after the caller gave up.
		e.step(host, PhaseFenced, nil)
		e.count(func(s *EvacuatorStats) { s.Fenced++ })
		return fmt.Errorf("fence: %s fenced, recovery not started: %w", host, context.Cause(ctx))
	}
	if err != nil {
		phase := PhaseFenceFailed
		if errors.Is(err, ErrUnknownOutcome) || ctx.Err() != nil {
			phase = PhaseFenceUnknown
		}
		e.step(host, phase, err)
		e.count(func(s *EvacuatorStats) { s.Refused++ })
		return fmt.Errorf("%w: %s: %w", ErrNotFenced, host, err)
	}
	e.step(host, PhaseFenced, nil)
	e.count(func(s *EvacuatorStats) { s.Fenced++ })

	e.step(host, PhaseRecovering, nil)
	if err := e.cfg.Recover(ctx, host); err != nil {
		e.step(host, PhaseRecoverFailed, err)
		e.count(func(s *EvacuatorStats) { s.RecoverFailed++ })
		return fmt.Errorf("fence: recover %s: %w", host, err)
	}
	e.step(host, PhaseRecovered, nil)
	e.count(func(s *EvacuatorStats) { s.Recovered++ })
	return nil
}

func (e *Evacuator) step(host string, p Phase, err error) {
	s := Step{Time: time.Now(), Host: host, Phase: p, Err: err}
	if e.cfg.Logger != nil {
		if err != nil {
			e.cfg.Logger.Warn("evacuation", "host", host, "phase", p.String(), "error", err)
		} else {
			e.cfg.Logger.Info("evacuation", "host", host, "phase", p.String())
		}
	}
	if e.cfg.OnStep != nil {
		e.cfg.OnStep(s)
	}
}

func (e *Evacuator) count(fn func(*EvacuatorStats)) {
	e.mu.Lock()
	fn(&e.stats)
	e.mu.Unlock()
}

// Stats returns a snapshot of the counters.
func (e *Evacuator) Stats() EvacuatorStats {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.stats
}
