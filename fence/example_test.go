package fence_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/hakit/hakit/fence"
	"github.com/hakit/hakit/fence/fencetest"
)

// A Runner passes options on the agent's stdin and reads its exit status:
// status exit 2 means "off". The agent here is a fake program that also
// echoes the password, which the error shows as XXXX.
func ExampleRunner() {
	dir, _ := os.MkdirTemp("", "fence")
	defer os.RemoveAll(dir)
	agent, _ := fencetest.WriteScript(dir, "fence_fake", fencetest.Script{ByAction: map[string]fencetest.Reply{
		"status": {Stdout: "Status: OFF\n", Exit: 2},
		"off":    {Stdout: "Failed: login as admin/hunter2 refused\n", Exit: 1},
	}})
	r, _ := fence.NewRunner(fence.RunnerConfig{Agent: agent})
	opts := fence.Options{"ip": "192.0.2.10", "username": "admin", "password": "hunter2"}

	res, err := r.Run(context.Background(), fence.ActionStatus, opts)
	fmt.Println("status:", res.Power, res.ExitCode, err)
	_, err = r.Run(context.Background(), fence.ActionOff, opts)
	var ae *fence.AgentError
	errors.As(err, &ae)
	fmt.Println("off:", errors.Is(err, fence.ErrFailed), ae.Output)
	fmt.Println("options:", opts)
	// Output:
	// status: off 2 <nil>
	// off: true Failed: login as admin/XXXX refused
	// options: ip=192.0.2.10 password=XXXX username=admin
}

// A two-level topology: the node's IPMI fails, so both power supplies of
// level 2 are switched off, then on.
func ExampleFencer() {
	ipmi, psu := fencetest.NewAgent(), fencetest.NewAgent()
	ipmi.Script(fence.ActionReboot, fencetest.Fail)
	f, _ := fence.New(fence.Config{
		Devices: []fence.Device{
			{Name: "ipmi-node1", Agent: ipmi, HostList: []string{"node1"}, Retries: -1},
			{Name: "psu-a", Agent: psu, HostMap: "node1:1"},
			{Name: "psu-b", Agent: psu, HostMap: "node1:2"},
		},
		Levels: []fence.Level{
			{Index: 1, Node: "node1", Devices: []string{"ipmi-node1"}},
			{Index: 2, Node: "node1", Devices: []string{"psu-a", "psu-b"}},
		},
	})
	rep, err := f.Fence(context.Background(), "node1", fence.ActionReboot)
	fmt.Println("fenced by level", rep.Level, rep.Devices, err)
	for _, a := range f.History() {
		fmt.Println(a.Level, a.Device, a.Action, a.Outcome)
	}
	// Output:
	// fenced by level 2 [psu-a psu-b] <nil>
	// 1 ipmi-node1 reboot failed
	// 2 psu-a off ok
	// 2 psu-b off ok
	// 2 psu-a on ok
	// 2 psu-b on ok
}

// Instance HA: recovery runs only after a confirmed fence.
func ExampleEvacuator() {
	bmc := fencetest.NewAgent()
	f, _ := fence.New(fence.Config{Devices: []fence.Device{{Name: "bmc", Agent: bmc, HostCheck: fence.HostCheckNone, Retries: -1}}})
	ev, _ := fence.NewEvacuator(fence.EvacuatorConfig{
		Fence: func(ctx context.Context, host string) error {
			_, err := f.Fence(ctx, host, fence.ActionOff)
			return err
		},
		Recover: func(ctx context.Context, host string) error {
			fmt.Println("evacuating instances of", host)
			return nil
		},
		OnStep: func(s fence.Step) { fmt.Println(s.Host, s.Phase) },
	})
	bmc.Script(fence.ActionOff, fencetest.Garbage) // the agent's answer is unreadable
	err := ev.HostFailed(context.Background(), "compute1")
	fmt.Println(errors.Is(err, fence.ErrNotFenced))
	err = ev.HostFailed(context.Background(), "compute1")
	fmt.Println(err)
	// Output:
	// compute1 fencing
	// compute1 fence-unknown
	// true
	// compute1 fencing
	// compute1 fenced
	// compute1 recovering
	// evacuating instances of compute1
	// compute1 recovered
	// <nil>
}
