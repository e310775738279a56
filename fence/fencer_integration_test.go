//go:build integration

package fence_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hakit/hakit/fence"
	"github.com/hakit/hakit/internal/testenv"
)

// A two-level topology on real agents: level 1 is fence_ipmilan with a
// wrong password, level 2 fence_ipmilan with the right one. Level 1 fails
// (no password shown in the history) and level 2 powers the simulated
// chassis off; then an evacuation recovers only once ipmitool sees it off.
func TestTopologyIPMILan(t *testing.T) {
	testenv.Exclusive(t, "ipmisim")
	env := testenv.IPMISim(t)
	t.Cleanup(func() { env.Ipmitool(t, "chassis", "power", "on") })
	env.Ipmitool(t, "chassis", "power", "on")
	ipmilan := runner(t, fence.RunnerConfig{Agent: testenv.Command(t, "fence_ipmilan")})
	bad := ipmiOptions(env)
	bad["password"] = "Wr0ng-" + secret
	f := newFencer(t, fence.Config{
		Devices: []fence.Device{
			{Name: "ipmi-bad", Agent: ipmilan, Options: bad, HostList: []string{"compute1"}, HostArgument: "none", Retries: -1},
			{Name: "ipmi", Agent: ipmilan, Options: ipmiOptions(env), HostList: []string{"compute1"}, HostArgument: "none"},
		},
		Levels: []fence.Level{
			{Index: 1, Node: "compute1", Devices: []string{"ipmi-bad"}},
			{Index: 2, Pattern: "^compute", Devices: []string{"ipmi"}},
		},
	})
	ev, err := fence.NewEvacuator(fence.EvacuatorConfig{
		Fence: func(ctx context.Context, host string) error {
			rep, err := f.Fence(ctx, host, fence.ActionOff)
			if err == nil && rep.Level != 2 {
				t.Errorf("fenced by level %d, want 2", rep.Level)
			}
			return err
		},
		Recover: func(ctx context.Context, host string) error {
			if got := chassis(t, env); got != "off" {
				t.Errorf("recovering %s while its chassis is %s", host, got)
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := ev.HostFailed(context.Background(), "compute1"); err != nil {
		t.Fatal(err)
	}
	h := f.History()
	if len(h) != 2 || h[0].Device != "ipmi-bad" || h[0].Outcome != fence.OutcomeFailed || h[1].Outcome != fence.OutcomeOK {
		t.Fatalf("history %+v", h)
	}
	if strings.Contains(h[0].Error, secret) || !strings.Contains(h[0].Error, "Unable to obtain correct plug status") {
		t.Errorf("history error %q", h[0].Error)
	}
}

// fence_dummy through a topology with a dynamic list refused (fence_dummy
// has no list): the device cannot be asked, so nothing is fenced; with a
// static list it is, and the audit history shows the run.
func TestFencerDummy(t *testing.T) {
	dummy := runner(t, fence.RunnerConfig{Agent: testenv.Command(t, "fence_dummy"), Timeout: 30 * time.Second})
	opts := fence.Options{"status_file": filepath.Join(t.TempDir(), "status")}
	f := newFencer(t, fence.Config{Devices: []fence.Device{{Name: "dummy", Agent: dummy, Options: opts, HostCheck: fence.HostCheckDynamic, HostArgument: "none"}}})
	if _, err := f.Fence(context.Background(), "n1", fence.ActionReboot); !errors.Is(err, fence.ErrFailed) {
		t.Errorf("dynamic list on fence_dummy: %v", err)
	}
	f = newFencer(t, fence.Config{Devices: []fence.Device{{Name: "dummy", Agent: dummy, Options: opts, HostList: []string{"n1"}, HostArgument: "none"}}})
	rep, err := f.Fence(context.Background(), "n1", fence.ActionReboot)
	if err != nil || rep.Outcome != fence.OutcomeOK || len(f.History()) != 1 {
		t.Fatalf("%+v %v", rep, err)
	}
	if res, err := dummy.Run(context.Background(), fence.ActionStatus, opts); err != nil || res.Power != fence.PowerOn {
		t.Errorf("after reboot: %v %v", res.Power, err)
	}
}

// fence_ipmilan's metadata has status but not list, so a device without
// a HostList defaults to the status host check; its status ignores the
// plug, so that device claims any node at all. Only a HostList (or
// HostMap) ties it to the node its BMC powers.
func TestIPMILanDefaultHostCheckClaimsEveryNode(t *testing.T) {
	env := testenv.IPMISim(t)
	ipmilan := runner(t, fence.RunnerConfig{Agent: testenv.Command(t, "fence_ipmilan")})
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	m, err := ipmilan.Metadata(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m.HasAction(fence.ActionList) || !m.HasAction(fence.ActionStatus) {
		t.Fatalf("fence_ipmilan metadata: list %v status %v, want status only", m.HasAction(fence.ActionList), m.HasAction(fence.ActionStatus))
	}
	open := newFencer(t, fence.Config{Devices: []fence.Device{{Name: "ipmi", Agent: ipmilan, Options: ipmiOptions(env)}}})
	if ok, err := open.CanFence(ctx, "some-other-node"); !ok || err != nil {
		t.Errorf("default host check: CanFence(some-other-node) = %v, %v; want true (status ignores the plug)", ok, err)
	}
	listed := newFencer(t, fence.Config{Devices: []fence.Device{{Name: "ipmi", Agent: ipmilan, Options: ipmiOptions(env), HostList: []string{"compute1"}}}})
	for node, want := range map[string]bool{"compute1": true, "some-other-node": false} {
		if ok, err := listed.CanFence(ctx, node); ok != want || err != nil {
			t.Errorf("with HostList: CanFence(%s) = %v, %v; want %v", node, ok, err, want)
		}
	}
}
