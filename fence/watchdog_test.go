package fence_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hakit/hakit/fence"
	"github.com/hakit/hakit/fence/fencetest"
)

// A node that loses quorum stops feeding its watchdog, which then resets
// it within the watchdog timeout; while quorate it is never reset.
func TestFeederSelfFences(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		wd := fencetest.NewWatchdog(5 * time.Second)
		var quorate atomic.Bool
		quorate.Store(true)
		f, err := fence.NewFeeder(fence.FeederConfig{Watchdog: wd, Healthy: quorate.Load})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- f.Run(context.Background()) }()
		time.Sleep(30 * time.Second)
		if wd.Fired() {
			t.Fatal("watchdog fired while quorate")
		}
		quorate.Store(false)
		lost := time.Now()
		if err := <-done; !errors.Is(err, fence.ErrSelfFence) {
			t.Fatalf("Run: %v", err)
		}
		if !f.Stats().Stopped {
			t.Error("stats do not say stopped")
		}
		time.Sleep(4 * time.Second)
		if wd.Fired() {
			t.Fatal("fired before its timeout")
		}
		time.Sleep(2 * time.Second)
		if !wd.Fired() {
			t.Fatalf("not fired 6s after quorum loss at %v", lost)
		}
	})
}

// A clean stop disarms the watchdog; a failed keep-alive is retried on
// the next tick.
func TestFeederCleanStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		wd := fencetest.NewWatchdog(3 * time.Second)
		wd.FailNext(errors.New("EIO"))
		f, _ := fence.NewFeeder(fence.FeederConfig{Watchdog: wd, Healthy: func() bool { return true }})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := f.Run(ctx); err != nil {
			t.Fatalf("Run: %v", err)
		}
		time.Sleep(time.Minute)
		if wd.Fired() {
			t.Error("fired after a clean stop")
		}
		if s := f.Stats(); s.Errors != 1 || s.Keepalives < 9 {
			t.Errorf("stats %+v", s)
		}
	})
	if _, err := fence.NewFeeder(fence.FeederConfig{Healthy: func() bool { return true }}); err == nil {
		t.Error("nil Watchdog accepted")
	}
	if _, err := fence.NewFeeder(fence.FeederConfig{Watchdog: fencetest.NewWatchdog(time.Second)}); err == nil {
		t.Error("nil Healthy accepted")
	}
}

// The Linux device protocol on a plain file: a keep-alive writes a byte,
// Close writes the magic 'V' that disarms. Setting a timeout on a file
// that is no watchdog is an error.
func TestDeviceWatchdogProtocol(t *testing.T) {
	path := filepath.Join(t.TempDir(), "watchdog")
	os.WriteFile(path, nil, 0o600)
	w, err := fence.OpenWatchdog(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.Keepalive()
	w.Keepalive()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "\x00\x00V" {
		t.Errorf("device got %q", b)
	}
	if w, err := fence.OpenWatchdog(path, 5*time.Second); err == nil {
		t.Error("WDIOC_SETTIMEOUT on a plain file succeeded")
	} else {
		w.Close()
	}
}

// A process that dies while feeding never writes the magic 'V', so the
// real watchdog stays armed and resets the machine. The child is this
// test binary run again.
func TestDeviceWatchdogCrash(t *testing.T) {
	if path := os.Getenv("FENCE_WATCHDOG_CHILD"); path != "" {
		w, err := fence.OpenWatchdog(path, 0)
		if err != nil {
			os.Exit(3)
		}
		w.Keepalive()
		panic("crash while feeding the watchdog")
	}
	path := filepath.Join(t.TempDir(), "watchdog")
	os.WriteFile(path, nil, 0o600)
	cmd := exec.Command(os.Args[0], "-test.run=^TestDeviceWatchdogCrash$")
	cmd.Env = append(os.Environ(), "FENCE_WATCHDOG_CHILD="+path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() == 3 {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if b, _ := os.ReadFile(path); string(b) != "\x00" {
		t.Errorf("device got %q from a crashed feeder, want one keep-alive and no 'V'", b)
	}
}
