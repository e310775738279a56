package fencetest

import (
	"context"
	"testing"

	"github.com/hakit/hakit/fence"
)

// TestAgent checks that a fence.Agent behaves as fence-agents define:
// on, off and reboot succeed and status then reports the power they left
// (0/on, 2/off; reboot ends on), and monitor succeeds. opts reach the
// device. It changes the device's power: a test against a shared device
// must hold it exclusively. It runs against the fake Agent in unit tests
// and against fence.Runner on fence_dummy and fence_ipmilan under the
// integration tag, so the fake cannot drift from the real agents.
func TestAgent(t *testing.T, a fence.Agent, opts fence.Options) {
	t.Helper()
	ctx := context.Background()
	steps := []struct {
		action fence.Action
		after  fence.Power
	}{
		{fence.ActionOn, fence.PowerOn},
		{fence.ActionOff, fence.PowerOff},
		{fence.ActionReboot, fence.PowerOn},
		{fence.ActionOff, fence.PowerOff},
		{fence.ActionOn, fence.PowerOn},
	}
	for _, s := range steps {
		if _, err := a.Run(ctx, s.action, opts); err != nil {
			t.Fatalf("%s: %v", s.action, err)
		}
		res, err := a.Run(ctx, fence.ActionStatus, opts)
		if err != nil || res.Power != s.after {
			t.Fatalf("status after %s: %v %v, want %v", s.action, res.Power, err, s.after)
		}
		want := 0
		if s.after == fence.PowerOff {
			want = 2
		}
		if res.ExitCode != want {
			t.Errorf("status after %s: exit %d, want %d", s.action, res.ExitCode, want)
		}
	}
	if _, err := a.Run(ctx, fence.ActionMonitor, opts); err != nil {
		t.Errorf("monitor: %v", err)
	}
}
