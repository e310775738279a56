//go:build integration

package fence_test

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/hakit/hakit/fence"
	"github.com/hakit/hakit/internal/testenv"
)

// BenchmarkRunnerOverhead runs fence_dummy's status through the Runner and
// directly with os/exec (the peer), alternating, and reports the ratio of
// their times: what the process group, stdin encoding, redaction and exit
// interpretation cost on top of starting the agent.
func BenchmarkRunnerOverhead(b *testing.B) {
	agent := testenv.Command(b, "fence_dummy")
	status := filepath.Join(b.TempDir(), "status")
	opts := fence.Options{"status_file": status}
	r, err := fence.NewRunner(fence.RunnerConfig{Agent: agent})
	if err != nil {
		b.Fatal(err)
	}
	var raw, run time.Duration
	for b.Loop() {
		start := time.Now()
		cmd := exec.Command(agent)
		cmd.Stdin = bytes.NewReader([]byte("action=status\nstatus_file=" + status + "\n"))
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Run(); err != nil {
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
				b.Fatal(err)
			}
		}
		raw += time.Since(start)
		start = time.Now()
		if _, err := r.Run(context.Background(), fence.ActionStatus, opts); err != nil {
			b.Fatal(err)
		}
		run += time.Since(start)
	}
	b.ReportMetric(float64(run)/float64(raw), "runner/raw")
}
