//go:build !linux

package fence

import (
	"os/exec"
	"syscall"
)

func setProcessGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

func killProcessGroup(pid int) { _ = syscall.Kill(-pid, syscall.SIGKILL) }
