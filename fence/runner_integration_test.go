//go:build integration

package fence_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hakit/hakit/fence"
	"github.com/hakit/hakit/fence/fencetest"
	"github.com/hakit/hakit/internal/testenv"
)

// ipmiOptions reach the simulator through fence_ipmilan's stdin options.
func ipmiOptions(env testenv.IPMIEnv) fence.Options {
	return fence.Options{"ip": env.Host, "ipport": fmt.Sprint(env.Port), "username": env.User, "password": env.Password, "lanplus": "1", "cipher": env.Cipher}
}

func chassis(t *testing.T, env testenv.IPMIEnv) string {
	t.Helper()
	return strings.TrimPrefix(env.Ipmitool(t, "chassis", "power", "status"), "Chassis Power is ")
}

// Every power action of fence_ipmilan, observed on the simulator's
// chassis power as ipmitool reports it.
func TestIPMILanPower(t *testing.T) {
	testenv.Exclusive(t, "ipmisim")
	env := testenv.IPMISim(t)
	t.Cleanup(func() { env.Ipmitool(t, "chassis", "power", "on") })
	var logs bytes.Buffer
	r := runner(t, fence.RunnerConfig{Agent: testenv.Command(t, "fence_ipmilan"), Validate: true, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	ctx := context.Background()
	opts := ipmiOptions(env)

	status := func(want fence.Power) {
		t.Helper()
		res, err := r.Run(ctx, fence.ActionStatus, opts)
		if err != nil || res.Power != want {
			t.Fatalf("status: %v %v, want %v", res.Power, err, want)
		}
	}
	env.Ipmitool(t, "chassis", "power", "on")
	status(fence.PowerOn)
	if _, err := r.Run(ctx, fence.ActionOff, opts); err != nil {
		t.Fatalf("off: %v", err)
	}
	if got := chassis(t, env); got != "off" {
		t.Fatalf("chassis %s after off", got)
	}
	status(fence.PowerOff)
	if _, err := r.Run(ctx, fence.ActionOn, opts); err != nil {
		t.Fatalf("on: %v", err)
	}
	if got := chassis(t, env); got != "on" {
		t.Fatalf("chassis %s after on", got)
	}
	// reboot from off (method onoff: off, then on) ends with power on.
	env.Ipmitool(t, "chassis", "power", "off")
	if _, err := r.Run(ctx, fence.ActionReboot, opts); err != nil {
		t.Fatalf("reboot: %v", err)
	}
	if got := chassis(t, env); got != "on" {
		t.Fatalf("chassis %s after reboot", got)
	}
	if _, err := r.Run(ctx, fence.ActionMonitor, opts); err != nil {
		t.Fatalf("monitor: %v", err)
	}
	// fence_ipmilan 4.12 answers list with exit 0 and only a notice.
	res, err := r.Run(ctx, fence.ActionList, opts)
	if err != nil || len(res.Plugs) != 0 || res.Notice == "" {
		t.Fatalf("list: %+v %v", res, err)
	}
	// The simulator's password is the word "password"; its value never
	// follows the option name.
	if strings.Contains(logs.String(), "password="+env.Password) {
		t.Errorf("log shows the password:\n%s", logs.String())
	}
}

// The deprecated names (ipaddr, login, passwd) still reach the device, and
// validation against the real metadata rejects an unknown option and a
// bad select value before the agent runs.
func TestIPMILanMetadata(t *testing.T) {
	env := testenv.IPMISim(t)
	r := runner(t, fence.RunnerConfig{Agent: testenv.Command(t, "fence_ipmilan"), Validate: true})
	ctx := context.Background()
	m, err := r.Metadata(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"ipport": "623", "login_timeout": "5", "power_timeout": "20", "power_wait": "2", "shell_timeout": "3", "method": "onoff"} {
		if p, ok := m.Parameter(name); !ok || p.Default() != want {
			t.Errorf("%s: %+v, want default %s", name, p, want)
		}
	}
	if p, _ := m.Parameter("passwd"); !p.Deprecated {
		t.Errorf("passwd not deprecated: %+v", p)
	}
	if m.HasAction(fence.ActionList) || !m.HasAction(fence.ActionReboot) {
		t.Errorf("actions %+v", m.Actions)
	}
	old := fence.Options{"ipaddr": env.Host, "ipport": fmt.Sprint(env.Port), "login": env.User, "passwd": env.Password, "lanplus": "1", "cipher": env.Cipher}
	if res, err := r.Run(ctx, fence.ActionStatus, old); err != nil || res.Power == fence.PowerUnknown {
		t.Errorf("status with deprecated names: %+v %v", res, err)
	}
	for _, bad := range []fence.Options{{"ip": env.Host, "no_such_option": "1"}, {"ip": env.Host, "method": "smash"}} {
		if _, err := r.Run(ctx, fence.ActionStatus, bad); !errors.Is(err, fence.ErrInvalidOption) {
			t.Errorf("%v: %v", bad, err)
		}
	}
}

// A wrong password is a plain failure whose error, output, log and Stats
// never show the password given.
func TestIPMILanWrongPassword(t *testing.T) {
	env := testenv.IPMISim(t)
	var logs bytes.Buffer
	r := runner(t, fence.RunnerConfig{Agent: testenv.Command(t, "fence_ipmilan"), Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	opts := ipmiOptions(env)
	const wrong = "wr0ng-Pa55"
	opts["password"] = wrong
	res, err := r.Run(context.Background(), fence.ActionStatus, opts)
	if !errors.Is(err, fence.ErrFailed) || res.ExitCode != 1 {
		t.Fatalf("status with a wrong password: %+v %v", res, err)
	}
	if !strings.Contains(err.Error(), "Unable to obtain correct plug status") {
		t.Errorf("error lost the agent's message: %v", err)
	}
	for what, s := range map[string]string{"error": err.Error(), "output": res.Output, "log": logs.String(), "stats": r.Stats().LastError} {
		if strings.Contains(s, wrong) {
			t.Errorf("%s shows the password: %s", what, s)
		}
	}
}

// fence_dummy keeps its power in a status file; it starts off, has no
// list, and accepts on, off, reboot, monitor and validate-all.
func TestDummyActions(t *testing.T) {
	r := runner(t, fence.RunnerConfig{Agent: testenv.Command(t, "fence_dummy"), Validate: true})
	ctx := context.Background()
	opts := fence.Options{"status_file": filepath.Join(t.TempDir(), "status")}
	steps := []struct {
		action fence.Action
		power  fence.Power
		err    error
	}{
		{fence.ActionStatus, fence.PowerOff, nil},
		{fence.ActionOn, fence.PowerUnknown, nil},
		{fence.ActionStatus, fence.PowerOn, nil},
		{fence.ActionOff, fence.PowerUnknown, nil},
		{fence.ActionStatus, fence.PowerOff, nil},
		{fence.ActionReboot, fence.PowerUnknown, nil},
		{fence.ActionStatus, fence.PowerOn, nil},
		{fence.ActionMonitor, fence.PowerUnknown, nil},
		{fence.ActionValidateAll, fence.PowerUnknown, nil},
		{fence.ActionList, fence.PowerUnknown, fence.ErrFailed},
	}
	for _, s := range steps {
		res, err := r.Run(ctx, s.action, opts)
		if !errors.Is(err, s.err) || (s.err == nil) != (err == nil) || res.Power != s.power {
			t.Fatalf("%s: %v %v, want %v %v", s.action, res.Power, err, s.power, s.err)
		}
	}
}

// A fence_dummy run is killed at its timeout while it sleeps
// (random_sleep_range sleeps between 1 and N seconds).
func TestDummyTimeout(t *testing.T) {
	r := runner(t, fence.RunnerConfig{Agent: testenv.Command(t, "fence_dummy"), Timeout: 200 * time.Millisecond})
	start := time.Now()
	_, err := r.Run(context.Background(), fence.ActionOff, fence.Options{"status_file": filepath.Join(t.TempDir(), "status"), "random_sleep_range": "100"})
	if !errors.Is(err, fence.ErrTimeout) || !errors.Is(err, fence.ErrUnknownOutcome) {
		t.Fatalf("err %v", err)
	}
	// The agent sleeps at least 1 s before acting, so the 200ms timeout
	// always kills it; 20 s is a loaded machine's margin for the kill.
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("took %v", took)
	}
}

// The Runner on both real agents passes the conformance test the fake
// passes.
func TestAgentConformanceReal(t *testing.T) {
	t.Run("fence_dummy", func(t *testing.T) {
		r := runner(t, fence.RunnerConfig{Agent: testenv.Command(t, "fence_dummy")})
		fencetest.TestAgent(t, r, fence.Options{"status_file": filepath.Join(t.TempDir(), "status")})
	})
	t.Run("fence_ipmilan", func(t *testing.T) {
		testenv.Exclusive(t, "ipmisim")
		env := testenv.IPMISim(t)
		t.Cleanup(func() { env.Ipmitool(t, "chassis", "power", "on") })
		r := runner(t, fence.RunnerConfig{Agent: testenv.Command(t, "fence_ipmilan")})
		fencetest.TestAgent(t, r, ipmiOptions(env))
	})
}
