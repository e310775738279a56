package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// With -f, a slow notify script of one instance must not hold up another
// instance's: keepalived runs each script as it comes. Within an instance
// the scripts still run in order.
func TestFileNotifyInstancesIndependent(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "log")
	slow := filepath.Join(dir, "slow.sh")
	fast := filepath.Join(dir, "fast.sh")
	for name, body := range map[string]string{slow: "sleep 5\n", fast: "echo \"$@\" >> " + log + "\n"} {
		if err := os.WriteFile(name, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	conf := filepath.Join(dir, "keepalived.conf")
	text := strings.Replace(twoInstances, "  virtual_router_id 51\n", "  virtual_router_id 51\n  notify_backup "+slow+"\n", 1)
	text = strings.Replace(text, "  virtual_router_id 52\n", "  virtual_router_id 52\n  notify_master \""+fast+" int\"\n", 1)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	_, _, _, done := startTwoInstances(ctx, conf)
	defer func() {
		cancel()
		<-done
	}()
	// VI_INT is MASTER within half a second; 3s is ample on a loaded
	// machine and still well short of the 5s VI_EXT's script sleeps.
	deadline := time.Now().Add(3 * time.Second)
	for {
		if b, _ := os.ReadFile(log); string(b) == "int\n" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("VI_INT's notify_master has not run after 3s behind VI_EXT's slow notify_backup")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
