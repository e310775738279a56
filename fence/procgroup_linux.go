package fence

import (
	"os/exec"
	"syscall"
)

// setProcessGroup puts the agent in a process group of its own, so a
// timeout kills ipmitool or ssh children with it, and makes the kernel
// kill the agent if this process dies first.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

func killProcessGroup(pid int) { _ = syscall.Kill(-pid, syscall.SIGKILL) }
