package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/hakit/hakit/fence"
	"github.com/hakit/hakit/fence/fencetest"
	"github.com/hakit/hakit/fence/quorum"
)

func sceneFence(ctx context.Context, w io.Writer) error {
	tl := newTimeline(w)

	// Quorum: three compute nodes, one cut off.
	qc := quorum.Config{Nodes: []quorum.Node{{ID: 1}, {ID: 2}, {ID: 3}}}
	all := quorum.Update(qc, quorum.Start(qc), quorum.View{Members: []uint32{1, 2, 3}})
	tl.printf("votequorum: members %v, expected votes %d, quorum %d, quorate %v", all.Members, all.ExpectedVotes, all.Quorum, all.Quorate)
	major := quorum.Update(qc, all, quorum.View{Members: []uint32{1, 2}})
	minor := quorum.Update(qc, all, quorum.View{Members: []uint32{3}})
	dMajor, dMinor := quorum.Decide(quorum.PolicyStop, major.Quorate), quorum.Decide(quorum.PolicySuicide, minor.Quorate)
	tl.printf("compute3 is cut off: %v quorate %v (may fence: %v); %v quorate %v (no-quorum-policy suicide: self-fence %v)",
		major.Members, major.Quorate, dMajor.Fence, minor.Members, minor.Quorate, dMinor.SelfFence)

	// Self-fencing: compute3 feeds its watchdog only while quorate.
	wd := fencetest.NewWatchdog(300 * time.Millisecond)
	feeder, err := fence.NewFeeder(fence.FeederConfig{Watchdog: wd, Interval: 50 * time.Millisecond, Healthy: func() bool { return minor.Quorate }})
	if err != nil {
		return err
	}
	if err := feeder.Run(ctx); !errors.Is(err, fence.ErrSelfFence) {
		return fmt.Errorf("feeder: %v", err)
	}
	tl.printf("compute3 stops feeding its watchdog: %v", fence.ErrSelfFence)
	select {
	case <-time.After(400 * time.Millisecond):
	case <-ctx.Done():
		return ctx.Err()
	}
	if !wd.Fired() {
		return errors.New("the watchdog did not fire")
	}
	tl.printf("compute3's watchdog fires: compute3 resets itself")

	// Fencing from the quorate side: IPMI first, both PDUs second.
	ipmi, pdu := fencetest.NewAgent(), fencetest.NewAgent()
	ipmi.Latency, pdu.Latency = 20*time.Millisecond, 20*time.Millisecond
	f, err := fence.New(fence.Config{
		Devices: []fence.Device{
			{Name: "ipmi-compute3", Agent: ipmi, HostList: []string{"compute3"}, Retries: -1},
			{Name: "pdu-a", Agent: pdu, HostMap: "compute3:5"},
			{Name: "pdu-b", Agent: pdu, HostMap: "compute3:6"},
		},
		Levels: []fence.Level{
			{Index: 1, Pattern: "^compute", Devices: []string{"ipmi-compute3"}},
			{Index: 2, Node: "compute3", Devices: []string{"pdu-a", "pdu-b"}},
		},
		StonithTimeout: 300 * time.Millisecond,
		OnAttempt: func(a fence.Attempt) {
			tl.printf("  level %d %s %s %s: %s", a.Level, a.Device, a.Action, a.Target, a.Outcome)
		},
	})
	if err != nil {
		return err
	}
	ev, err := fence.NewEvacuator(fence.EvacuatorConfig{
		Fence: func(ctx context.Context, host string) error {
			rep, err := f.Fence(ctx, host, fence.ActionOff)
			if err == nil {
				tl.printf("%s fenced by level %d %v", host, rep.Level, rep.Devices)
			}
			return err
		},
		Recover: func(ctx context.Context, host string) error {
			tl.printf("evacuating the instances of %s to compute1 and compute2", host)
			return nil
		},
	})
	if err != nil {
		return err
	}
	tl.printf("compute3's BMC hangs past stonith-timeout 300ms, and so does the PDUs' network")
	ipmi.Script(fence.ActionOff, fencetest.Hang)
	pdu.Script(fence.ActionOff, fencetest.Hang)
	if err := ev.HostFailed(ctx, "compute3"); errors.Is(err, fence.ErrNotFenced) && errors.Is(err, fence.ErrUnknownOutcome) {
		tl.printf("evacuation refused: fencing outcome unknown, compute3 may still run its instances")
	} else {
		return fmt.Errorf("first evacuation: %v", err)
	}
	tl.printf("retry: the BMC now refuses and the PDUs answer, so level 2 switches both PDU outlets off")
	ipmi.Script(fence.ActionOff, fencetest.Fail)
	if err := ev.HostFailed(ctx, "compute3"); err != nil {
		return err
	}
	s := ev.Stats()
	tl.printf("evacuations: %d refused, %d recovered; %d fencing attempts in the audit history", s.Refused, s.Recovered, len(f.History()))
	return nil
}
