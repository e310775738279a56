package vrrp

import (
	"context"
	"fmt"
	"os/exec"
	"time"

	"github.com/hakit/hakit"
)

// Track is one thing a Router watches, as keepalived's track_interface,
// track_script and track_file do: a probe with a weight.
//
// With Weight 0, a failing probe puts the router in FAULT. A positive
// Weight is added to the priority while the probe succeeds; a negative one
// is added while it fails. The result is clamped to 1..254; the address
// owner's priority (255) never changes. These are keepalived.conf(5)'s
// rules. In a member of a SyncGroup, the group's Weights may turn a
// weighted probe's failure into FAULT or ignore the probe (SyncWeights).
// As keepalived's scripts, a probe's first result decides its status;
// until then it counts neither way, and the Router does not leave INIT
// before every probe of Weight 0 has reported (each within its Timeout).
type Track struct {
	// Name identifies the probe in logs and Stats. Required.
	Name string
	// Checker is the probe: InterfaceUp, Script, or any hakit.Checker.
	// Required.
	Checker hakit.Checker
	// Weight is -253..253; zero means FAULT on failure.
	Weight int
	// Interval is the time between probes. Zero means 1s, keepalived's
	// vrrp_script interval.
	Interval time.Duration
	// Timeout bounds one probe. Zero means Interval.
	Timeout time.Duration
	// Rise and Fall are the consecutive successes and failures that change
	// the probe's status once its first result has set it (keepalived's
	// rise and fall). Zero means 1.
	Rise, Fall int
}

func (t Track) withDefaults(i int) (Track, error) {
	bad := func(format string, args ...any) (Track, error) {
		return t, fmt.Errorf("vrrp: Track[%d] %q: %s: %w", i, t.Name, fmt.Sprintf(format, args...), ErrInvalidConfig)
	}
	if t.Name == "" {
		return bad("Name is empty")
	}
	if t.Checker == nil {
		return bad("Checker is nil")
	}
	if t.Weight < -253 || t.Weight > 253 {
		return bad("Weight %d is not in -253..253", t.Weight)
	}
	if t.Interval < 0 || t.Timeout < 0 || t.Rise < 0 || t.Fall < 0 {
		return bad("Interval, Timeout, Rise and Fall must not be negative")
	}
	if t.Interval == 0 {
		t.Interval = time.Second
	}
	if t.Timeout == 0 {
		t.Timeout = t.Interval
	}
	if t.Rise == 0 {
		t.Rise = 1
	}
	if t.Fall == 0 {
		t.Fall = 1
	}
	return t, nil
}

// TrackStatus is the current status of one Track.
type TrackStatus struct {
	// Name is the Track's name.
	Name string
	// Weight is the Track's weight.
	Weight int
	// Up reports whether the probe is considered healthy: its first
	// result decides, later ones through Rise and Fall.
	Up bool
	// Pending reports that the probe has not reported yet, as keepalived's
	// script init state: it counts neither way in the priority, and a
	// Router does not start (leaves INIT) before its probes of weight 0
	// have reported.
	Pending bool
	// Err is the probe's last error, nil after a success.
	Err error
}

// TrackedPriority applies keepalived's tracking rules to a base priority:
// it returns the effective priority and whether a probe of weight 0 is
// down or still pending (FAULT). Pending weighted probes count neither
// way. The owner's priority 255 is returned unchanged.
func TrackedPriority(base uint8, tracks []TrackStatus) (prio uint8, fault bool) {
	total := int(base)
	for _, t := range tracks {
		switch {
		case t.Weight == 0 && (!t.Up || t.Pending):
			fault = true
		case t.Pending:
		case t.Weight > 0 && t.Up, t.Weight < 0 && !t.Up:
			total += t.Weight
		}
	}
	if base == OwnerPriority {
		return base, fault
	}
	return uint8(max(1, min(total, OwnerPriority-1))), fault
}

// trackResult is one probe outcome sent to the Router's loop.
type trackResult struct {
	i   int
	err error
}

// runTrack probes t every Interval and sends each result to out until ctx
// is done. The first probe runs at once.
func runTrack(ctx context.Context, i int, t Track, out chan<- trackResult) {
	tick := time.NewTicker(t.Interval)
	defer tick.Stop()
	for {
		cctx, cancel := context.WithTimeout(ctx, t.Timeout)
		err := t.Checker.Check(cctx)
		cancel()
		select {
		case out <- trackResult{i: i, err: err}:
		case <-ctx.Done():
			return
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return
		}
	}
}

// trackState applies Rise and Fall to a stream of results.
type trackState struct {
	t          Track
	up         bool
	pending    bool // no result yet
	ok, failed int  // consecutive
	err        error
}

func (s *trackState) status() TrackStatus {
	return TrackStatus{Name: s.t.Name, Weight: s.t.Weight, Up: s.up, Pending: s.pending, Err: s.err}
}

// observe records one result and reports whether Up or Pending changed.
// The first result decides at once, as keepalived's script init state
// does ("one success is enough", and one failure); Rise and Fall apply
// from then on.
func (s *trackState) observe(err error) bool {
	s.err = err
	if s.pending {
		s.pending, s.up = false, err == nil
		s.ok, s.failed = 0, 0
		if s.up {
			s.ok = s.t.Rise
		} else {
			s.failed = s.t.Fall
		}
		return true
	}
	if err == nil {
		s.ok, s.failed = s.ok+1, 0
		if !s.up && s.ok >= s.t.Rise {
			s.up = true
			return true
		}
		return false
	}
	s.ok, s.failed = 0, s.failed+1
	if s.up && s.failed >= s.t.Fall {
		s.up = false
		return true
	}
	return false
}

// Script returns a Checker that runs path with args, as keepalived's
// vrrp_script does: exit status 0 is healthy, anything else (or not
// finishing before the probe's timeout) is a failure.
func Script(path string, args ...string) hakit.Checker {
	return hakit.CheckerFunc(func(ctx context.Context) error {
		cmd := exec.CommandContext(ctx, path, args...)
		// A script's children may hold its output open after it is
		// killed: stop waiting for them soon after.
		cmd.WaitDelay = 500 * time.Millisecond
		out, err := cmd.CombinedOutput()
		if err != nil {
			if len(out) > 200 {
				out = out[:200]
			}
			return fmt.Errorf("vrrp: script %s: %w (output %q)", path, err, out)
		}
		return nil
	})
}
