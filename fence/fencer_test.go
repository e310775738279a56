package fence_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hakit/hakit/fence"
	"github.com/hakit/hakit/fence/fencetest"
)

func newFencer(t *testing.T, cfg fence.Config) *fence.Fencer {
	t.Helper()
	f, err := fence.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// Pacemaker fencing topology: every device of a level must succeed, and
// the next level is tried when one fails.
func TestTopologyFallsBackToLevel2(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ipmi, psu1, psu2 := fencetest.NewAgent(), fencetest.NewAgent(), fencetest.NewAgent()
		ipmi.Script(fence.ActionReboot, fencetest.Fail, fencetest.Fail, fencetest.Fail)
		f := newFencer(t, fence.Config{
			Devices: []fence.Device{
				{Name: "ipmi", Agent: ipmi, HostList: []string{"node1"}},
				{Name: "psu1", Agent: psu1, HostMap: "node1:3"},
				{Name: "psu2", Agent: psu2, HostMap: "node1:4"},
			},
			Levels: []fence.Level{
				{Index: 2, Node: "node1", Devices: []string{"psu1", "psu2"}},
				{Index: 1, Pattern: "^node[0-9]+$", Devices: []string{"ipmi"}},
			},
		})
		rep, err := f.Fence(context.Background(), "node1", fence.ActionReboot)
		if err != nil {
			t.Fatalf("fence: %v", err)
		}
		if rep.Level != 2 || rep.Outcome != fence.OutcomeOK || strings.Join(rep.Devices, ",") != "psu1,psu2" {
			t.Errorf("report %+v", rep)
		}
		// Level 1: the first try and DefaultRetries retries, all failed.
		var seq []string
		for _, a := range rep.Attempts {
			seq = append(seq, a.Device+":"+string(a.Action)+":"+a.Outcome.String())
		}
		want := "ipmi:reboot:failed ipmi:reboot:failed ipmi:reboot:failed psu1:off:ok psu2:off:ok psu1:on:ok psu2:on:ok"
		if got := strings.Join(seq, " "); got != want {
			t.Errorf("attempts\n got %s\nwant %s", got, want)
		}
		// A reboot across two devices is all off then all on: the node
		// never had one supply on while the other was off and back.
		for _, a := range []*fencetest.Agent{psu1, psu2} {
			calls := a.Calls()
			if len(calls) != 2 || calls[0].Action != fence.ActionOff || calls[1].Action != fence.ActionOn {
				t.Errorf("psu calls %+v", calls)
			}
		}
		if p := psu1.Calls()[0].Plug; p != "3" {
			t.Errorf("psu1 plug %q, want 3 from pcmk_host_map", p)
		}
		if h := f.History(); len(h) != 7 {
			t.Errorf("history has %d attempts", len(h))
		}
		if s := f.Stats(); s.Fenced != 1 || s.Attempts != 7 {
			t.Errorf("stats %+v", s)
		}
	})
}

// A level whose off is confirmed fences the node even when the on of a
// remapped reboot fails; a level whose off fails does not.
func TestRebootAcrossDevices(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := fencetest.NewAgent(), fencetest.NewAgent()
		b.Script(fence.ActionOn, fencetest.Fail, fencetest.Fail, fencetest.Fail)
		f := newFencer(t, fence.Config{
			Devices: []fence.Device{{Name: "a", Agent: a, HostCheck: fence.HostCheckNone}, {Name: "b", Agent: b, HostCheck: fence.HostCheckNone}},
			Levels:  []fence.Level{{Index: 1, Node: "n", Devices: []string{"a", "b"}}},
		})
		if _, err := f.Fence(context.Background(), "n", fence.ActionReboot); err != nil {
			t.Fatalf("reboot with a failing on: %v", err)
		}
		b.Script(fence.ActionOff, fencetest.Fail, fencetest.Fail, fencetest.Fail)
		rep, err := f.Fence(context.Background(), "n", fence.ActionReboot)
		if !errors.Is(err, fence.ErrFailed) || rep.Outcome != fence.OutcomeFailed {
			t.Fatalf("reboot with a failing off: %v", err)
		}
		for _, c := range a.Calls()[2:] {
			if c.Action == fence.ActionOn {
				t.Errorf("device a powered the node on after b's off failed")
			}
		}
	})
}

// An agent that hangs past stonith-timeout leaves the outcome unknown,
// never a plain failure and never success.
func TestStonithTimeoutIsUnknown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := fencetest.NewAgent()
		a.Script(fence.ActionOff, fencetest.Hang)
		f := newFencer(t, fence.Config{Devices: []fence.Device{{Name: "a", Agent: a, HostCheck: fence.HostCheckNone, Retries: -1}}, StonithTimeout: 30 * time.Second})
		start := time.Now()
		rep, err := f.Fence(context.Background(), "n", fence.ActionOff)
		if !errors.Is(err, fence.ErrUnknownOutcome) || rep.Outcome != fence.OutcomeUnknown {
			t.Fatalf("err %v, outcome %v", err, rep.Outcome)
		}
		if d := time.Since(start); d != 30*time.Second {
			t.Errorf("gave up after %v, want stonith-timeout 30s", d)
		}
		if s := f.Stats(); s.Unknown != 1 {
			t.Errorf("stats %+v", s)
		}
	})
}

// A level-1 device that hangs (a BMC that lost power with its node, the
// commonest reason fencing fails) costs its own timeout, not the whole
// operation: with the defaults the level-2 device still runs and fences,
// as Pacemaker's fenced times each device out and moves on. The hung
// device's retries share its timeout (pcmk_off_retries "within the
// timeout period").
func TestHungLevelFallsBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ipmi, pdu := fencetest.NewAgent(), fencetest.NewAgent()
		ipmi.Script(fence.ActionOff, fencetest.Hang, fencetest.Hang, fencetest.Hang)
		f := newFencer(t, fence.Config{
			Devices: []fence.Device{
				{Name: "ipmi", Agent: ipmi, HostList: []string{"node1"}},
				{Name: "pdu", Agent: pdu, HostMap: "node1:3"},
			},
			Levels: []fence.Level{
				{Index: 1, Node: "node1", Devices: []string{"ipmi"}},
				{Index: 2, Node: "node1", Devices: []string{"pdu"}},
			},
		})
		start := time.Now()
		rep, err := f.Fence(context.Background(), "node1", fence.ActionOff)
		if err != nil || rep.Level != 2 {
			t.Fatalf("a hung level 1 blocked level 2: level %d, %v", rep.Level, err)
		}
		if d := time.Since(start); d != fence.DefaultStonithTimeout {
			t.Errorf("took %v, want the hung device's timeout %v", d, fence.DefaultStonithTimeout)
		}
		if n := len(ipmi.Calls()); n != 1 {
			t.Errorf("the hung device ran %d times; its retries must fit in its timeout", n)
		}
		if pdu.Power("3") != fence.PowerOff {
			t.Error("pdu outlet not off")
		}
	})
}

// Concurrent requests to fence one target with one action are merged,
// as Pacemaker's fenced merges them: the agent runs once and every caller
// gets its answer. A caller that gives up while the merged fencing runs
// gets an unknown outcome, since that fencing may still act.
func TestConcurrentFencesMerged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := fencetest.NewAgent()
		a.Latency = 5 * time.Second
		f := newFencer(t, fence.Config{Devices: []fence.Device{{Name: "a", Agent: a, HostCheck: fence.HostCheckNone}}})
		errs := make(chan error, 4)
		for range 3 {
			go func() {
				_, err := f.Fence(context.Background(), "n", fence.ActionOff)
				errs <- err
			}()
		}
		synctest.Wait() // one of them leads; the others and this one join it
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		go func() {
			_, err := f.Fence(ctx, "n", fence.ActionOff)
			errs <- err
		}()
		synctest.Wait()
		if n := len(a.Calls()); n != 1 {
			t.Errorf("4 concurrent requests ran the agent %d times, want 1", n)
		}
		var ok, unknown int
		for range 4 {
			switch err := <-errs; {
			case err == nil:
				ok++
			case errors.Is(err, fence.ErrUnknownOutcome):
				unknown++
			default:
				t.Errorf("merged request: %v", err)
			}
		}
		if ok != 3 || unknown != 1 {
			t.Errorf("%d confirmed and %d unknown, want 3 and the caller that gave up unknown", ok, unknown)
		}
		if s := f.Stats(); s.Fencings != 1 || s.Merged != 3 || s.Fenced != 1 {
			t.Errorf("stats %+v, want 1 fencing and 3 merged", s)
		}
		// A request after the merged one finished runs the agent again.
		if _, err := f.Fence(context.Background(), "n", fence.ActionOff); err != nil || len(a.Calls()) != 2 {
			t.Errorf("later request: %v, %d calls", err, len(a.Calls()))
		}
	})
}

// A device runs one action at a time (Pacemaker's pcmk_action_limit
// default of 1): a PDU asked to fence two nodes at once, or a BMC that
// allows one session, gets the second run only after the first ended.
func TestDeviceRunsOneActionAtATime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pdu := fencetest.NewAgent()
		pdu.Latency = 5 * time.Second
		f := newFencer(t, fence.Config{Devices: []fence.Device{{Name: "pdu", Agent: pdu, HostMap: "n1:1;n2:2"}}})
		errs := make(chan error, 2)
		for _, n := range []string{"n1", "n2"} {
			go func() {
				_, err := f.Fence(context.Background(), n, fence.ActionOff)
				errs <- err
			}()
		}
		for range 2 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		calls := pdu.Calls()
		if len(calls) != 2 {
			t.Fatalf("calls %+v", calls)
		}
		if gap := calls[1].Time.Sub(calls[0].Time); gap < pdu.Latency {
			t.Errorf("second run started %v after the first, which takes %v: they overlapped", gap, pdu.Latency)
		}
	})
}

// The pcmk delay is waited once per fencing, before its first device
// runs: a fallback to the next level, or the second device of a level,
// does not wait again (the delay is there to settle a two-node race,
// which the first wait already did).
func TestDelayOncePerFencing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ipmi, psu1, psu2 := fencetest.NewAgent(), fencetest.NewAgent(), fencetest.NewAgent()
		ipmi.Script(fence.ActionOff, fencetest.Fail)
		f := newFencer(t, fence.Config{
			Devices: []fence.Device{
				{Name: "ipmi", Agent: ipmi, HostList: []string{"n"}, DelayBase: 5 * time.Second, Retries: -1},
				{Name: "psu1", Agent: psu1, HostList: []string{"n"}, DelayBase: 5 * time.Second},
				{Name: "psu2", Agent: psu2, HostList: []string{"n"}, DelayBase: 5 * time.Second},
			},
			Levels: []fence.Level{
				{Index: 1, Node: "n", Devices: []string{"ipmi"}},
				{Index: 2, Node: "n", Devices: []string{"psu1", "psu2"}},
			},
		})
		start := time.Now()
		rep, err := f.Fence(context.Background(), "n", fence.ActionOff)
		if err != nil || rep.Level != 2 {
			t.Fatalf("level %d, %v", rep.Level, err)
		}
		if d := time.Since(start); d != 5*time.Second {
			t.Errorf("fencing waited %v, want one 5s delay", d)
		}
	})
}

// A dynamic-list device whose list hangs is given up at its timeout:
// the fencing ends even when the caller's ctx never does.
func TestHungListTimesOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := fencetest.NewAgent()
		a.Script(fence.ActionList, fencetest.Hang)
		f := newFencer(t, fence.Config{Devices: []fence.Device{{Name: "a", Agent: a, HostCheck: fence.HostCheckDynamic, Timeout: 10 * time.Second}}})
		start := time.Now()
		if _, err := f.Fence(context.Background(), "n", fence.ActionOff); err == nil {
			t.Fatal("fenced through a device whose list never answered")
		}
		if d := time.Since(start); d != 10*time.Second {
			t.Errorf("gave up after %v, want the device's timeout 10s", d)
		}
	})
}

// pcmk_delay_base and pcmk_delay_max: the wait is base plus a random part
// that keeps the total within max; on is never delayed.
func TestDelays(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := fencetest.NewAgent()
		f := newFencer(t, fence.Config{Devices: []fence.Device{{Name: "a", Agent: a, HostCheck: fence.HostCheckNone, DelayBase: 2 * time.Second, DelayMax: 5 * time.Second}}})
		seen := map[time.Duration]bool{}
		for range 50 {
			start := time.Now()
			if _, err := f.Fence(context.Background(), "n", fence.ActionOff); err != nil {
				t.Fatal(err)
			}
			d := time.Since(start)
			if d < 2*time.Second || d > 5*time.Second {
				t.Fatalf("delay %v outside [2s, 5s]", d)
			}
			seen[d.Truncate(time.Second)] = true
		}
		if len(seen) < 2 {
			t.Errorf("50 delays all in %v: not random", seen)
		}
		start := time.Now()
		if _, err := f.Fence(context.Background(), "n", fence.ActionOn); err != nil || time.Since(start) != 0 {
			t.Errorf("on: %v after %v", err, time.Since(start))
		}
	})
}

// Retries: a device that fails twice then succeeds fences on its third
// try; with Retries -1 it gets one try.
func TestRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := fencetest.NewAgent()
		a.Script(fence.ActionOff, fencetest.Fail, fencetest.Garbage)
		f := newFencer(t, fence.Config{Devices: []fence.Device{{Name: "a", Agent: a, HostCheck: fence.HostCheckNone}}})
		rep, err := f.Fence(context.Background(), "n", fence.ActionOff)
		if err != nil || len(rep.Attempts) != 3 || rep.Attempts[2].Try != 3 {
			t.Fatalf("%v %+v", err, rep.Attempts)
		}
		a.Script(fence.ActionOff, fencetest.Fail)
		f = newFencer(t, fence.Config{Devices: []fence.Device{{Name: "a", Agent: a, HostCheck: fence.HostCheckNone, Retries: -1}}})
		if _, err := f.Fence(context.Background(), "n", fence.ActionOff); !errors.Is(err, fence.ErrFailed) {
			t.Fatalf("no retries: %v", err)
		}
	})
}

// Which devices can fence which nodes: pcmk_host_list, pcmk_host_map,
// dynamic-list (the agent's list, asked once and cached), none.
func TestHostCheck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		dyn := fencetest.NewAgent()
		dyn.SetPower("vm1", fence.PowerOn)
		dyn.SetPower("vm2", fence.PowerOff)
		f := newFencer(t, fence.Config{Devices: []fence.Device{
			{Name: "static", Agent: fencetest.NewAgent(), HostList: []string{"n1"}, HostMap: "n2:7;n3=8"},
			{Name: "dynamic", Agent: dyn, HostCheck: fence.HostCheckDynamic},
		}})
		for node, want := range map[string]bool{"n1": true, "n2": true, "n3": true, "vm1": true, "vm2": true, "n4": false} {
			if got, err := f.CanFence(ctx, node); got != want || (err != nil) {
				t.Errorf("%s: %v %v, want %v", node, got, err, want)
			}
		}
		lists := 0
		for _, c := range dyn.Calls() {
			if c.Action == fence.ActionList {
				lists++
			}
		}
		if lists != 1 {
			t.Errorf("list asked %d times, want once (cached)", lists)
		}
		if _, err := f.Fence(ctx, "n4", fence.ActionOff); !errors.Is(err, fence.ErrNoDevice) {
			t.Errorf("fence n4: %v", err)
		}
		all := newFencer(t, fence.Config{Devices: []fence.Device{{Name: "any", Agent: fencetest.NewAgent(), HostCheck: fence.HostCheckNone, HostArgument: "none"}}})
		if ok, _ := all.CanFence(ctx, "whatever"); !ok {
			t.Error("none: cannot fence")
		}
	})
}

// Levels by node attribute, and OnAttempt sees every attempt.
func TestAttributeLevel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := fencetest.NewAgent()
		a.Script(fence.ActionOff, fencetest.Fail, fencetest.Fail, fencetest.Fail)
		b := fencetest.NewAgent()
		var seen []fence.Attempt
		f := newFencer(t, fence.Config{
			Devices: []fence.Device{{Name: "a", Agent: a, HostCheck: fence.HostCheckNone, Options: fence.Options{"password": "pw-" + secret}}, {Name: "b", Agent: b, HostCheck: fence.HostCheckNone}},
			Levels: []fence.Level{
				{Index: 1, Attribute: "rack=r1", Devices: []string{"a"}},
				{Index: 3, Attribute: "rack=r1", Devices: []string{"b"}},
			},
			NodeAttributes: func(n string) map[string]string { return map[string]string{"rack": "r1"} },
			OnAttempt:      func(at fence.Attempt) { seen = append(seen, at) },
		})
		rep, err := f.Fence(context.Background(), "x", fence.ActionOff)
		if err != nil || rep.Level != 3 || len(seen) != 4 {
			t.Fatalf("%v %+v %d", err, rep, len(seen))
		}
		if c := a.Calls(); c[0].Options["password"] != "pw-"+secret {
			t.Errorf("the agent did not get the password")
		}
	})
}

func TestNewRejects(t *testing.T) {
	ag := fencetest.NewAgent()
	for _, cfg := range []fence.Config{
		{Devices: []fence.Device{{Agent: ag}}},
		{Devices: []fence.Device{{Name: "a"}}},
		{Devices: []fence.Device{{Name: "a", Agent: ag}, {Name: "a", Agent: ag}}},
		{Devices: []fence.Device{{Name: "a", Agent: ag, HostMap: "n1"}}},
		{Devices: []fence.Device{{Name: "a", Agent: ag, HostCheck: "maybe"}}},
		{Devices: []fence.Device{{Name: "a", Agent: ag, HostCheck: fence.HostCheckStatic}}},
		{Devices: []fence.Device{{Name: "a", Agent: ag, DelayBase: -1}}},
		{Devices: []fence.Device{{Name: "a", Agent: ag}}, Levels: []fence.Level{{Index: 10, Node: "n", Devices: []string{"a"}}}},
		{Devices: []fence.Device{{Name: "a", Agent: ag}}, Levels: []fence.Level{{Index: 1, Devices: []string{"a"}}}},
		{Devices: []fence.Device{{Name: "a", Agent: ag}}, Levels: []fence.Level{{Index: 1, Node: "n", Pattern: "n", Devices: []string{"a"}}}},
		{Devices: []fence.Device{{Name: "a", Agent: ag}}, Levels: []fence.Level{{Index: 1, Node: "n", Devices: []string{"b"}}}},
		{Devices: []fence.Device{{Name: "a", Agent: ag}}, Levels: []fence.Level{{Index: 1, Pattern: "(", Devices: []string{"a"}}}},
		{Devices: []fence.Device{{Name: "a", Agent: ag}}, Levels: []fence.Level{{Index: 1, Attribute: "rack", Devices: []string{"a"}}}},
		{StonithTimeout: -1},
	} {
		if _, err := fence.New(cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
	f, err := fence.New(fence.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Fence(context.Background(), "n", fence.ActionOff); !errors.Is(err, fence.ErrNoDevice) {
		t.Errorf("zero config: %v", err)
	}
	if _, err := f.Fence(context.Background(), "n", fence.ActionStatus); !errors.Is(err, fence.ErrInvalidOption) {
		t.Errorf("status is not a fencing action: %v", err)
	}
}

func FuzzParseHostMap(f *testing.F) {
	f.Add("node1:1;node2:2,3")     // Pacemaker's example
	f.Add("node1=1 node2=2\tn3:x") // '=' and blanks
	f.Add(":1;n:")                 // empty node, empty port
	f.Fuzz(func(t *testing.T, s string) {
		m, err := fence.ParseHostMap(s)
		if err != nil {
			return
		}
		var b strings.Builder
		for k, v := range m {
			b.WriteString(k + ":" + v + ";")
		}
		m2, err := fence.ParseHostMap(b.String())
		if err != nil || len(m2) != len(m) {
			t.Fatalf("%q -> %v -> %q: %v %v", s, m, b.String(), m2, err)
		}
		for k, v := range m {
			if m2[k] != v {
				t.Fatalf("%q: %s=%q then %q", s, k, v, m2[k])
			}
		}
	})
}
