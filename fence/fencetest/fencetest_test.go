package fencetest_test

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/hakit/hakit/fence"
	"github.com/hakit/hakit/fence/fencetest"
)

// A script prints exactly what it is given, quotes and all, and answers
// per action.
func TestWriteScript(t *testing.T) {
	out := "it's \"quoted\" $HOME `x` \\n\n"
	p, err := fencetest.WriteScript(t.TempDir(), "fence_q", fencetest.Script{Stdout: out, Exit: 3, ByAction: map[string]fencetest.Reply{"status": {Stdout: "Status: ON\n"}}})
	if err != nil {
		t.Fatal(err)
	}
	cmd := command(p)
	cmd.Stdin = strings.NewReader("action=off\n")
	got, err := cmd.Output()
	var ee *exec.ExitError
	if string(got) != out || !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Errorf("off: %q %v", got, err)
	}
	cmd = command(p)
	cmd.Stdin = strings.NewReader("action=status\n")
	if got, err := cmd.Output(); string(got) != "Status: ON\n" || err != nil {
		t.Errorf("status: %q %v", got, err)
	}
}

// command runs a script that dies with the test binary.
func command(path string) *exec.Cmd {
	cmd := exec.Command(path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return cmd
}

// The fake agent keeps power per plug and answers status from it.
func TestAgentPower(t *testing.T) {
	a := fencetest.NewAgent()
	ctx := context.Background()
	if _, err := a.Run(ctx, fence.ActionOff, fence.Options{"plug": "3"}); err != nil {
		t.Fatal(err)
	}
	res, err := a.Run(ctx, fence.ActionStatus, fence.Options{"port": "3"})
	if err != nil || res.Power != fence.PowerOff || res.ExitCode != 2 {
		t.Errorf("status of plug 3: %+v %v", res, err)
	}
	if a.Power("4") != fence.PowerOn {
		t.Error("untouched plug is not on")
	}
	a.Script(fence.ActionOn, fencetest.Fail)
	if _, err := a.Run(ctx, fence.ActionOn, fence.Options{"plug": "3"}); !errors.Is(err, fence.ErrFailed) || a.Power("3") != fence.PowerOff {
		t.Errorf("scripted failure acted or succeeded: %v", err)
	}
	if n := len(a.Calls()); n != 3 {
		t.Errorf("%d calls", n)
	}
}

func TestAgentConformance(t *testing.T) {
	fencetest.TestAgent(t, fencetest.NewAgent(), fence.Options{"plug": "1"})
}
