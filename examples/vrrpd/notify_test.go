package main

import (
	"log/slog"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A notify script that leaves a child in the background holding its
// output (a "daemon &" without redirection, common in notify_master
// scripts) has finished: the next notification must not wait for that
// child, or every later one (the MASTER notify of a takeover included)
// waits as long as it lives.
func TestNotifyBackgroundChildDoesNotStall(t *testing.T) {
	dir := t.TempDir()
	log := dir + "/log"
	prog := dir + "/notify.sh"
	script := "#!/bin/sh\nif [ ! -e " + dir + "/first ]; then touch " + dir + "/first; sleep 60 & echo $! > " + dir + "/bg; exit 0; fi\necho \"$@\" >> " + log + "\n"
	if err := os.WriteFile(prog, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if b, err := os.ReadFile(dir + "/bg"); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	n := newNotifier(t.Context(), slog.New(slog.DiscardHandler))
	n.run([]string{prog, "INSTANCE", "VI_1", "BACKUP", "100"})
	n.run([]string{prog, "INSTANCE", "VI_1", "MASTER", "100"})
	// The child sleeps 60s; 10s is ample on a loaded machine and still
	// rules out waiting for it.
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(log)
		if string(b) == "INSTANCE VI_1 MASTER 100\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the second notification has not run after 10s behind a background child (log %q)", b)
		}
		time.Sleep(50 * time.Millisecond)
	}
	n.close()
}
