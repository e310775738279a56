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

type evacuation struct {
	agent     *fencetest.Agent
	ev        *fence.Evacuator
	phases    []string
	recovered []string
}

func newEvacuation(t *testing.T, recoverErr error) *evacuation {
	t.Helper()
	e := &evacuation{agent: fencetest.NewAgent()}
	e.agent.Latency = time.Second
	f := newFencer(t, fence.Config{Devices: []fence.Device{{Name: "ipmi", Agent: e.agent, HostCheck: fence.HostCheckNone, Retries: -1}}, StonithTimeout: 20 * time.Second})
	ev, err := fence.NewEvacuator(fence.EvacuatorConfig{
		Fence: func(ctx context.Context, host string) error {
			_, err := f.Fence(ctx, host, fence.ActionOff)
			return err
		},
		Recover: func(ctx context.Context, host string) error {
			// Recovery must only ever see a host that is off.
			if p := e.agent.Power(host); p != fence.PowerOff {
				t.Errorf("recovering %s whose power is %v", host, p)
			}
			e.recovered = append(e.recovered, host)
			return recoverErr
		},
		OnStep: func(s fence.Step) { e.phases = append(e.phases, s.Phase.String()) },
	})
	if err != nil {
		t.Fatal(err)
	}
	e.ev = ev
	return e
}

// Instance HA: fence, and recover only after the fence is confirmed.
func TestEvacuateAfterConfirmedFence(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEvacuation(t, nil)
		if err := e.ev.HostFailed(context.Background(), "compute1"); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(e.phases, " "); got != "fencing fenced recovering recovered" {
			t.Errorf("phases %s", got)
		}
		if len(e.recovered) != 1 {
			t.Errorf("recovered %v", e.recovered)
		}
	})
}

// Never recover when fencing failed, timed out, or the caller gave up.
func TestEvacuateRefused(t *testing.T) {
	cases := []struct {
		name    string
		script  fencetest.Reaction
		cancel  time.Duration
		phase   string
		unknown bool
	}{
		{"agent says failed", fencetest.Fail, 0, "fence-failed", false},
		{"agent hangs past stonith-timeout", fencetest.Hang, 0, "fence-unknown", true},
		{"agent answers garbage", fencetest.Garbage, 0, "fence-unknown", true},
		{"caller gives up mid-fence", fencetest.React, 500 * time.Millisecond, "fence-unknown", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEvacuation(t, nil)
				e.agent.Script(fence.ActionOff, c.script)
				ctx := context.Background()
				if c.cancel > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, c.cancel)
					defer cancel()
				}
				err := e.ev.HostFailed(ctx, "compute1")
				if !errors.Is(err, fence.ErrNotFenced) || errors.Is(err, fence.ErrUnknownOutcome) != c.unknown {
					t.Fatalf("err %v", err)
				}
				if len(e.recovered) != 0 {
					t.Fatalf("recovered %v after %s", e.recovered, c.name)
				}
				if got := strings.Join(e.phases, " "); got != "fencing "+c.phase {
					t.Errorf("phases %s", got)
				}
				if s := e.ev.Stats(); s.Refused != 1 || s.Recovered != 0 {
					t.Errorf("stats %+v", s)
				}
			})
		})
	}
}

func TestEvacuateRecoverFailsAndBusy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEvacuation(t, errors.New("nova: no valid host"))
		done := make(chan error, 1)
		go func() { done <- e.ev.HostFailed(context.Background(), "c1") }()
		synctest.Wait()
		if err := e.ev.HostFailed(context.Background(), "c1"); !errors.Is(err, fence.ErrInProgress) {
			t.Errorf("second evacuation of c1: %v", err)
		}
		if err := <-done; err == nil || !strings.Contains(err.Error(), "no valid host") || errors.Is(err, fence.ErrNotFenced) {
			t.Errorf("recover failure: %v", err)
		}
		if s := e.ev.Stats(); s.RecoverFailed != 1 || s.Fenced != 1 {
			t.Errorf("stats %+v", s)
		}
	})
	if _, err := fence.NewEvacuator(fence.EvacuatorConfig{}); err == nil {
		t.Error("empty config accepted")
	}
}

// A Fence that ignores its ctx and confirms late still keeps recovery
// from starting after the caller gave up.
func TestEvacuateLateConfirmation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		recovered := false
		ev, _ := fence.NewEvacuator(fence.EvacuatorConfig{
			Fence:   func(ctx context.Context, host string) error { time.Sleep(time.Minute); return nil },
			Recover: func(ctx context.Context, host string) error { recovered = true; return nil },
		})
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		err := ev.HostFailed(ctx, "c1")
		if err == nil || errors.Is(err, fence.ErrNotFenced) || recovered {
			t.Fatalf("err %v, recovered %v", err, recovered)
		}
	})
}
