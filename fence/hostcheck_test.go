package fence_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"testing/synctest"

	"github.com/hakit/hakit/fence"
	"github.com/hakit/hakit/fence/fencetest"
)

// oneNode is a single-node power controller: whatever plug it is given,
// on, off and reboot act on its own node; status answers only for its
// own node's plug and fails for any other, as a controller that checks
// the plug does.
type oneNode struct {
	node  string
	power *fencetest.Agent // keyed by node name
}

func (o oneNode) Run(ctx context.Context, a fence.Action, opts fence.Options) (fence.Result, error) {
	if a == fence.ActionStatus && opts["plug"] != o.node {
		return fence.Result{Action: a, ExitCode: 1}, fmt.Errorf("%w: plug %q is not available", fence.ErrFailed, opts["plug"])
	}
	opts = opts.Clone()
	opts["plug"] = o.node
	return o.power.Run(ctx, a, opts)
}

// Two single-node controllers and no host lists: fencing node2 must
// power off node2 through its own controller, never node1 through the
// first device. With "none" as the default host check the first device
// claimed every node and shot node1.
func TestDefaultHostCheckNeverShootsTheWrongNode(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		machines := fencetest.NewAgent()
		f := newFencer(t, fence.Config{Devices: []fence.Device{
			{Name: "bmc1", Agent: oneNode{"node1", machines}},
			{Name: "bmc2", Agent: oneNode{"node2", machines}},
		}})
		rep, err := f.Fence(t.Context(), "node2", fence.ActionOff)
		if err != nil {
			t.Fatal(err)
		}
		if p := machines.Power("node1"); p != fence.PowerOn {
			t.Errorf("node1 is %v after fencing node2: the wrong node was shot", p)
		}
		if p := machines.Power("node2"); p != fence.PowerOff {
			t.Errorf("node2 is %v after it was reported fenced", p)
		}
		if !slices.Equal(rep.Devices, []string{"bmc2"}) {
			t.Errorf("fenced through %v, want [bmc2]", rep.Devices)
		}
	})
}

// withActions is an Agent whose metadata lists the given actions.
type withActions struct {
	*fencetest.Agent
	actions []fence.Action
}

func (w withActions) Metadata(context.Context) (fence.Metadata, error) {
	x := `<resource-agent name="fake"><parameters/><actions>`
	for _, a := range w.actions {
		x += `<action name="` + string(a) + `"/>`
	}
	return fence.ParseMetadata([]byte(x + `</actions></resource-agent>`))
}

// The default host check follows the agent's metadata: list when it
// lists list (only listed plugs), status when it has status but no list
// (only plugs whose status answers), none when it has neither; a
// HostList wins over all of them.
func TestDefaultHostCheckFollowsMetadata(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		listed := fencetest.NewAgent()
		listed.SetPower("n1", fence.PowerOn)
		status := fencetest.NewAgent()
		status.Script(fence.ActionStatus, fencetest.Fail) // the first status asked (n9's) says no
		f := newFencer(t, fence.Config{Devices: []fence.Device{
			{Name: "list", Agent: withActions{listed, []fence.Action{fence.ActionList, fence.ActionStatus}}},
			{Name: "status", Agent: withActions{status, []fence.Action{fence.ActionStatus}}},
			{Name: "none", Agent: withActions{fencetest.NewAgent(), []fence.Action{fence.ActionOff}}},
			{Name: "static", Agent: withActions{fencetest.NewAgent(), []fence.Action{fence.ActionList}}, HostList: []string{"n7"}},
		}})
		for _, c := range []struct {
			node string
			want []string // the devices Fence tries, in order, until one succeeds
		}{
			{"n9", []string{"none"}},   // list has no n9, status says no, static lists n7
			{"n1", []string{"list"}},   // listed
			{"n7", []string{"status"}}, // status answers for n7 now
		} {
			rep, err := f.Fence(t.Context(), c.node, fence.ActionOff)
			if err != nil {
				t.Fatalf("%s: %v", c.node, err)
			}
			if !slices.Equal(rep.Devices, c.want) {
				t.Errorf("%s fenced through %v, want %v", c.node, rep.Devices, c.want)
			}
		}
		for _, c := range status.Calls() {
			if c.Action == fence.ActionList {
				t.Errorf("status-only device was asked list")
			}
		}
	})
}
