package fence_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hakit/hakit/fence"
	"github.com/hakit/hakit/fence/fencetest"
)

const secret = "s3cr3t-pw"

func script(t *testing.T, s fencetest.Script) string {
	t.Helper()
	p, err := fencetest.WriteScript(t.TempDir(), "fence_fake", s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func runner(t *testing.T, cfg fence.RunnerConfig) *fence.Runner {
	t.Helper()
	r, err := fence.NewRunner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Options travel on stdin as name=value lines, never on argv where ps
// would show the password (fence-agents' FenceAgentAPI.md).
func TestRunnerOptionsOnStdin(t *testing.T) {
	dir := t.TempDir()
	in, args := filepath.Join(dir, "stdin"), filepath.Join(dir, "args")
	r := runner(t, fence.RunnerConfig{Agent: script(t, fencetest.Script{StdinFile: in, ArgsFile: args, Stdout: "Status: ON\n"})})
	res, err := r.Run(context.Background(), fence.ActionStatus, fence.Options{"ip": "192.0.2.1", "password": secret})
	if err != nil || res.Power != fence.PowerOn {
		t.Fatalf("status: %+v, %v", res, err)
	}
	got, _ := os.ReadFile(in)
	if want := "action=status\nip=192.0.2.1\npassword=" + secret + "\n"; string(got) != want {
		t.Errorf("stdin %q, want %q", got, want)
	}
	if a, _ := os.ReadFile(args); len(a) != 0 {
		t.Errorf("agent got arguments %q", a)
	}
}

// Exit statuses as fence-agents define them: status 0 on, 2 off, 1 error;
// every other action 0 for success.
func TestRunnerExitCodes(t *testing.T) {
	cases := []struct {
		name    string
		action  fence.Action
		stdout  string
		exit    int
		power   fence.Power
		wantErr error
	}{
		{"status on", fence.ActionStatus, "Status: ON\n", 0, fence.PowerOn, nil},
		{"status off", fence.ActionStatus, "Status: OFF\n", 2, fence.PowerOff, nil},
		{"status error", fence.ActionStatus, "", 1, fence.PowerUnknown, fence.ErrFailed},
		{"status exit contradicts output", fence.ActionStatus, "Status: OFF\n", 0, fence.PowerUnknown, fence.ErrFailed},
		{"status unknown exit", fence.ActionStatus, "", 7, fence.PowerUnknown, fence.ErrFailed},
		{"off ok", fence.ActionOff, "Success: Powered OFF\n", 0, fence.PowerUnknown, nil},
		{"off failed", fence.ActionOff, "", 1, fence.PowerUnknown, fence.ErrFailed},
		// fencing.py's EC_WAITING_OFF: the command was sent, the state
		// change not seen.
		{"off timed out waiting", fence.ActionOff, "Failed: Timed out waiting to power OFF\n", 1, fence.PowerUnknown, fence.ErrUnknownOutcome},
		// EC_TIMED_OUT and EC_CONNECTION_LOST: the device stopped
		// answering, perhaps after the power command went out (a
		// pexpect or socket timeout while polling the status).
		{"off connection timed out", fence.ActionOff, "ERROR: Connection timed out\n", 1, fence.PowerUnknown, fence.ErrUnknownOutcome},
		{"reboot connection lost", fence.ActionReboot, "ERROR: Connection lost\n", 1, fence.PowerUnknown, fence.ErrUnknownOutcome},
		{"on connection timed out", fence.ActionOn, "ERROR: Connection timed out\n", 1, fence.PowerUnknown, fence.ErrUnknownOutcome},
		// EC_LOGIN_DENIED comes before any command.
		{"off login denied", fence.ActionOff, "ERROR: Unable to connect/login to fencing device\n", 1, fence.PowerUnknown, fence.ErrFailed},
		{"status connection timed out", fence.ActionStatus, "ERROR: Connection timed out\n", 1, fence.PowerUnknown, fence.ErrFailed},
		{"reboot wrong exit", fence.ActionReboot, "", 2, fence.PowerUnknown, fence.ErrFailed},
		{"monitor ok", fence.ActionMonitor, "", 0, fence.PowerUnknown, nil},
		{"monitor error", fence.ActionMonitor, "", 1, fence.PowerUnknown, fence.ErrFailed},
		{"list garbage", fence.ActionList, "\x00\x01\x02", 0, fence.PowerUnknown, fence.ErrFailed},
		{"list error", fence.ActionList, "", 1, fence.PowerUnknown, fence.ErrFailed},
		{"validate-all ok", fence.ActionValidateAll, "", 0, fence.PowerUnknown, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runner(t, fence.RunnerConfig{Agent: script(t, fencetest.Script{Stdout: c.stdout, Exit: c.exit, Stderr: "DeprecationWarning: noise\n"})})
			res, err := r.Run(context.Background(), c.action, nil)
			if !errors.Is(err, c.wantErr) || (c.wantErr == nil) != (err == nil) {
				t.Fatalf("err %v, want %v", err, c.wantErr)
			}
			if res.Power != c.power || res.ExitCode != c.exit {
				t.Errorf("power %v exit %d, want %v %d", res.Power, res.ExitCode, c.power, c.exit)
			}
			var ae *fence.AgentError
			if err != nil && !errors.As(err, &ae) {
				t.Errorf("%v is not an *AgentError", err)
			}
			if errors.Is(err, fence.ErrUnknownOutcome) == errors.Is(err, fence.ErrFailed) && err != nil {
				t.Errorf("%v is both or neither failed and unknown", err)
			}
		})
	}
}

func TestRunnerList(t *testing.T) {
	r := runner(t, fence.RunnerConfig{Agent: script(t, fencetest.Script{Stdout: "node1,alias1\nnode2,,ON\n"})})
	res, err := r.Run(context.Background(), fence.ActionListStatus, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []fence.Plug{{ID: "node1", Alias: "alias1"}, {ID: "node2", Status: "ON"}}
	if len(res.Plugs) != 2 || res.Plugs[0] != want[0] || res.Plugs[1] != want[1] {
		t.Errorf("plugs %+v, want %+v", res.Plugs, want)
	}
	// fence_ipmilan answers list with exit 0 and only a notice.
	r = runner(t, fence.RunnerConfig{Agent: script(t, fencetest.Script{Stdout: "NOTICE: List option is not working on this device yet\n"})})
	res, err = r.Run(context.Background(), fence.ActionList, nil)
	if err != nil || len(res.Plugs) != 0 || res.Notice != "List option is not working on this device yet" {
		t.Errorf("notice-only list: %+v, %v", res, err)
	}
}

// A hanging agent is killed at its timeout together with the children in
// its process group, and a power action killed that way has an unknown
// outcome, never a plain failure.
func TestRunnerTimeoutKillsProcessGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	r := runner(t, fence.RunnerConfig{Agent: script(t, fencetest.Script{Hang: true, PIDFile: pidFile}), Timeout: 500 * time.Millisecond})
	start := time.Now()
	_, err := r.Run(context.Background(), fence.ActionOff, fence.Options{"password": secret})
	took := time.Since(start)
	if !errors.Is(err, fence.ErrTimeout) || !errors.Is(err, fence.ErrUnknownOutcome) {
		t.Fatalf("err %v, want timeout and unknown outcome", err)
	}
	// The child sleeps 1000 s: 20 s is far above a loaded machine's
	// scheduling delay and far below the hang.
	if took > 20*time.Second {
		t.Errorf("run took %v with a 500ms timeout", took)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("the agent never started its child: %v", err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	deadline := time.Now().Add(10 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("child %d of the killed agent is still running", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if s := r.Stats(); s.Timeouts != 1 || s.Unknown != 1 {
		t.Errorf("stats %+v", s)
	}
}

// alive reports whether pid runs (a zombie waiting for init does not).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	return len(f) > 0 && f[0] != "Z" && f[0] != "X"
}

// A cancelled caller kills the agent; a power action then has an unknown
// outcome without being a timeout.
func TestRunnerCancel(t *testing.T) {
	r := runner(t, fence.RunnerConfig{Agent: script(t, fencetest.Script{Hang: true})})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	_, err := r.Run(ctx, fence.ActionReboot, nil)
	if !errors.Is(err, fence.ErrUnknownOutcome) || errors.Is(err, fence.ErrTimeout) {
		t.Fatalf("err %v, want unknown outcome and no timeout", err)
	}
	_, err = r.Run(ctx, fence.ActionStatus, nil)
	if !errors.Is(err, fence.ErrFailed) {
		t.Fatalf("status after cancel: %v, want failed", err)
	}
}

// The password appears in no error, log line or Stats, even when the
// agent echoes it.
func TestRunnerRedactsPassword(t *testing.T) {
	var logs bytes.Buffer
	r := runner(t, fence.RunnerConfig{
		Agent:  script(t, fencetest.Script{Stdout: "login with " + secret + " failed\n", Stderr: "password=" + secret + "\n", Exit: 1}),
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	opts := fence.Options{"password": secret, "passwd_script": "/bin/echo " + secret, "ip": "192.0.2.1"}
	res, err := r.Run(context.Background(), fence.ActionOff, opts)
	if err == nil {
		t.Fatal("no error")
	}
	for what, s := range map[string]string{"error": err.Error(), "output": res.Output, "log": logs.String(), "stats": r.Stats().LastError, "options": opts.String()} {
		if strings.Contains(s, secret) {
			t.Errorf("%s shows the password: %s", what, s)
		}
	}
	if !strings.Contains(err.Error(), "login with XXXX failed") {
		t.Errorf("error lost the agent's message: %v", err)
	}
}

func TestRunnerUnknownAgent(t *testing.T) {
	r := runner(t, fence.RunnerConfig{Agent: "fence_no_such_agent"})
	_, err := r.Run(context.Background(), fence.ActionStatus, nil)
	if !errors.Is(err, fence.ErrUnknownAgent) || !strings.Contains(err.Error(), "fence_no_such_agent") {
		t.Fatalf("err %v", err)
	}
	if _, err := fence.NewRunner(fence.RunnerConfig{}); err == nil || !strings.Contains(err.Error(), "Agent") {
		t.Errorf("empty config: %v", err)
	}
	if _, err := r.Run(context.Background(), "dance", nil); !errors.Is(err, fence.ErrInvalidOption) {
		t.Errorf("unknown action: %v", err)
	}
	if _, err := r.Run(context.Background(), fence.ActionStatus, fence.Options{"ip": "a\nb"}); !errors.Is(err, fence.ErrInvalidOption) {
		t.Errorf("newline in a value: %v", err)
	}
}

const fakeMetadata = `<?xml version="1.0" ?>
<resource-agent name="fence_fake" shortdesc="fake">
<parameters>
	<parameter name="action" unique="0" required="1"><content type="string" default="reboot"/></parameter>
	<parameter name="ip" unique="0" required="1" obsoletes="ipaddr"><content type="string"/></parameter>
	<parameter name="ipaddr" unique="0" required="0" deprecated="1"><content type="string"/></parameter>
	<parameter name="password" unique="0" required="0"><content type="string"/></parameter>
	<parameter name="lanplus" unique="0" required="0"><content type="boolean" default="0"/></parameter>
	<parameter name="ipport" unique="0" required="0"><content type="integer" default="623"/></parameter>
	<parameter name="power_timeout" unique="0" required="0"><content type="second" default="20"/></parameter>
	<parameter name="method" unique="0" required="0"><content type="select" default="onoff"><option value="onoff"/><option value="cycle"/></content></parameter>
</parameters>
<actions><action name="on" automatic="0"/><action name="off"/><action name="status"/></actions>
</resource-agent>
`

// With Validate, options are checked against the agent's metadata before
// the agent runs for the action.
func TestRunnerValidate(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "stdin")
	agent := script(t, fencetest.Script{StdinFile: in, ByAction: map[string]fencetest.Reply{"metadata": {Stdout: fakeMetadata}, "status": {Stdout: "Status: ON\n"}}})
	r := runner(t, fence.RunnerConfig{Agent: agent, Validate: true})
	bad := []fence.Options{
		{"ip": "h", "bogus": "1"},
		{"ipport": "623"},
		{"ip": "h", "lanplus": "maybe"},
		{"ip": "h", "ipport": "x"},
		{"ip": "h", "power_timeout": "-1"},
		{"ip": "h", "method": "smash"},
	}
	for _, o := range bad {
		os.Remove(in)
		if _, err := r.Run(context.Background(), fence.ActionStatus, o); !errors.Is(err, fence.ErrInvalidOption) {
			t.Errorf("%v: %v, want invalid option", o, err)
		}
		if b, _ := os.ReadFile(in); strings.Contains(string(b), "action=status") {
			t.Errorf("%v: the agent ran", o)
		}
	}
	for _, o := range []fence.Options{{"ip": "h", "lanplus": "1", "method": "cycle", "power_timeout": "2.5"}, {"ipaddr": "h"}} {
		if _, err := r.Run(context.Background(), fence.ActionStatus, o); err != nil {
			t.Errorf("%v: %v", o, err)
		}
	}
}

// A run whose ctx is already done starts no agent: nothing can have
// happened, so it is a failure, not an unknown outcome.
func TestRunnerDoneContext(t *testing.T) {
	in := filepath.Join(t.TempDir(), "stdin")
	r := runner(t, fence.RunnerConfig{Agent: script(t, fencetest.Script{StdinFile: in})})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Run(ctx, fence.ActionOff, nil); !errors.Is(err, fence.ErrFailed) || errors.Is(err, fence.ErrUnknownOutcome) {
		t.Fatalf("err %v", err)
	}
	if _, err := os.Stat(in); err == nil {
		t.Error("the agent ran")
	}
}

// A list answer that echoes the password (a NOTICE naming the login, a
// plug alias) keeps it out of Result.Plugs and Result.Notice too, which
// callers print and log.
func TestRunnerListRedactsPassword(t *testing.T) {
	out := "NOTICE: login " + secret + " refused\nnode1," + secret + "\n"
	r := runner(t, fence.RunnerConfig{Agent: script(t, fencetest.Script{Stdout: out})})
	res, err := r.Run(context.Background(), fence.ActionList, fence.Options{"password": secret})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(fmt.Sprint(res.Plugs, res.Notice), secret) {
		t.Errorf("list result shows the password: plugs %+v, notice %q", res.Plugs, res.Notice)
	}
	if res.Notice != "login XXXX refused" || len(res.Plugs) != 1 || res.Plugs[0].ID != "node1" {
		t.Errorf("list result lost the answer: plugs %+v, notice %q", res.Plugs, res.Notice)
	}
}
