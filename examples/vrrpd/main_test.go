package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hakit/hakit/vrrp"
	"github.com/hakit/hakit/vrrp/vrrptest"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The output contract: one JSON line per transition, BACKUP first, INIT
// after SIGTERM, exit 0.
func TestOutputContract(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lan := vrrptest.NewLAN(1)
		h := lan.AddHost("eth0", netip.MustParseAddr("192.0.2.1"))
		ctx, cancel := context.WithCancel(t.Context())
		var out, errs syncBuffer
		done := make(chan int)
		go func() {
			done <- run(ctx, []string{"-vrid", "42", "-priority", "150", "-vip", "192.0.2.100/24", "-advert", "100ms"}, &out, &errs, h)
		}()
		time.Sleep(2 * time.Second)
		if got := h.VIPs(); len(got) != 1 || got[0] != netip.MustParsePrefix("192.0.2.100/24") {
			t.Errorf("VIPs %v", got)
		}
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("exit %d, stderr %s", code, errs.String())
		}
		want := `{"state":"BACKUP","vrid":42}` + "\n" + `{"state":"MASTER","vrid":42}` + "\n" + `{"state":"INIT","vrid":42}` + "\n"
		if out.String() != want {
			t.Errorf("stdout:\n%s\nwant:\n%s", out.String(), want)
		}
		if len(h.VIPs()) != 0 {
			t.Errorf("VIPs after SIGTERM: %v", h.VIPs())
		}
	})
}

// A bad command line exits 2 with an error that names the flag, on the
// first line of stderr (the usage, which names every flag, follows), and
// never a vrrp.Config field.
func TestFlagErrors(t *testing.T) {
	h := vrrptest.NewLAN(1).AddHost("eth0", netip.MustParseAddr("192.0.2.1"))
	vip := []string{"-vrid", "1", "-vip", "192.0.2.100/24"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-vrid", "0", "-vip", "192.0.2.100/24"}, "-vrid 0"},
		{[]string{"-vrid", "1"}, "-vip"},
		{[]string{"-vrid", "1", "-vip", "192.0.2.100"}, "-vip"},
		{append(vip, "-version", "4"), "-version 4"},
		{append(vip, "-priority", "0"), "-priority 0"},
		{[]string{"-vrid", "1", "-vip", "fd00::1/64", "-version", "2"}, "-version is 2"},
		{append(vip, "extra"), `"extra"`},
		{append(vip, "-advert", "1500ms", "-version", "2"), "-advert 1.5s"},
		{append(vip, "-advert", "15ms"), "-advert 15ms"},
		{append(vip, "-advert", "0"), "-advert 0s"},
		{append(vip, "-advert", "-1s"), "-advert -1s"},
		{append(vip, "-unicast-peer", "224.0.0.1"), "-unicast-peer 224.0.0.1"},
		{append(vip, "-unicast-peer", "fd00::2"), "-unicast-peer fd00::2"},
		{append(vip, "-unicast-peer", "nonsense"), "-unicast-peer"},
		{append(vip, "-unicast-src", "192.0.2.1"), "-unicast-src 192.0.2.1 is set without -unicast-peer"},
		{append(vip, "-unicast-peer", "192.0.2.2", "-unicast-src", "fd00::1"), "-unicast-src fd00::1"},
		{append(vip, "-unicast-src", "nonsense"), "-unicast-src"},
		{append(vip, "-nopreempt", "-priority", "255"), "-nopreempt"},
		{append(vip, "-preempt-delay", "-1s"), "-preempt-delay -1s"},
		{[]string{"-vrid", "1", "-vip", "192.0.2.100/24", "-vip", "192.0.2.100/24"}, "-vip lists 192.0.2.100 twice"},
	} {
		var out, errs syncBuffer
		if code := run(context.Background(), tc.args, &out, &errs, h); code != 2 {
			t.Errorf("%v: exit %d, want 2", tc.args, code)
		}
		first, _, _ := strings.Cut(errs.String(), "\n")
		if out.String() != "" || !strings.Contains(first, tc.want) {
			t.Errorf("%v: stdout %q, first line of stderr %q, want it to contain %q", tc.args, out.String(), first, tc.want)
		}
		for _, field := range []string{"Interval", "UnicastPeers", "UnicastSource", "VIPs", "Priority", "Version", "VRID", "PreemptDelay", "NoPreempt", "invalid config"} {
			if strings.Contains(first, field) {
				t.Errorf("%v: %q names the Config field %s", tc.args, first, field)
			}
		}
	}
	var out, errs syncBuffer
	if code := run(context.Background(), []string{"-vrid", "1", "-vip", "192.0.2.100/24"}, &out, &errs, nil); code != 2 || !strings.Contains(errs.String(), "-iface") {
		t.Errorf("missing -iface: %d %s", code, errs.String())
	}
	var usage syncBuffer
	if code := run(context.Background(), []string{"-h"}, &out, &usage, nil); code != 0 || !strings.Contains(usage.String(), "-vrid") {
		t.Errorf("-h: exit %d, stderr %q; want the usage and exit 0", code, usage.String())
	}
}

// -notify runs PROG INSTANCE VRID STATE PRIORITY for each transition, in
// order, like keepalived's notify script, STOP at shutdown.
func TestNotify(t *testing.T) {
	dir := t.TempDir()
	log := dir + "/log"
	prog := dir + "/notify.sh"
	if err := os.WriteFile(prog, []byte("#!/bin/sh\necho \"$@\" >> "+log+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	lan := vrrptest.NewLAN(1)
	h := lan.AddHost("eth0", netip.MustParseAddr("192.0.2.1"))
	ctx, cancel := context.WithCancel(t.Context())
	var out, errs syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"-vrid", "7", "-priority", "120", "-vip", "192.0.2.100/24", "-advert", "10ms", "-notify", prog}, &out, &errs, h)
	}()
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(out.String(), "MASTER"); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no MASTER: %s %s", out.String(), errs.String())
		}
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d", code)
	}
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	// keepalived.conf(5): the state is STOP when the instance stops; the
	// JSON line says INIT.
	want := "INSTANCE 7 BACKUP 120\nINSTANCE 7 MASTER 120\nINSTANCE 7 STOP 120\n"
	if string(b) != want {
		t.Errorf("notify calls:\n%s\nwant:\n%s", b, want)
	}
}

// -noaccept is keepalived's no_accept: the MASTER holds the VIPs but its
// link drops packets addressed to them; without it (keepalived's default)
// they are accepted; priority 255, the address owner, always accepts.
func TestNoAccept(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		accepts bool
	}{
		{nil, true},
		{[]string{"-noaccept"}, false},
		{[]string{"-noaccept", "-priority", "255"}, true},
	} {
		synctest.Test(t, func(t *testing.T) {
			lan := vrrptest.NewLAN(1)
			h := lan.AddHost("eth0", netip.MustParseAddr("192.0.2.1"))
			vip := netip.MustParseAddr("192.0.2.100")
			ctx, cancel := context.WithCancel(t.Context())
			var out, errs syncBuffer
			done := make(chan int)
			args := append([]string{"-vrid", "42", "-vip", "192.0.2.100/24"}, tc.args...)
			go func() { done <- run(ctx, args, &out, &errs, h) }()
			time.Sleep(5 * time.Second)
			if !strings.Contains(out.String(), "MASTER") || !h.Holds(vip) {
				t.Fatalf("%v: not MASTER: %s", args, out.String())
			}
			if got := h.Accepts(vip); got != tc.accepts {
				t.Errorf("%v: accepts packets to the VIP = %v, want %v", args, got, tc.accepts)
			}
			cancel()
			if code := <-done; code != 0 {
				t.Errorf("%v: exit %d: %s", args, code, errs.String())
			}
		})
	}
}

// A slow notify program neither blocks the router nor loses calls: 200
// transitions queued while the first call sleeps all run, in order.
func TestNotifyNeverDrops(t *testing.T) {
	dir := t.TempDir()
	log := dir + "/log"
	prog := dir + "/notify.sh"
	script := "#!/bin/sh\nif [ ! -e " + dir + "/first ]; then touch " + dir + "/first; sleep 1; fi\necho \"$@\" >> " + log + "\n"
	if err := os.WriteFile(prog, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	n := newNotifier(t.Context(), slog.New(slog.DiscardHandler))
	start := time.Now()
	var want strings.Builder
	for i := range 200 {
		s := []vrrp.State{vrrp.StateBackup, vrrp.StateMaster, vrrp.StateFault}[i%3]
		n.run([]string{prog, "INSTANCE", strconv.Itoa(i%255 + 1), notifyState(s), "100"})
		fmt.Fprintf(&want, "INSTANCE %d %s 100\n", i%255+1, s)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("200 notify calls took %v behind a sleeping program", d)
	}
	n.run([]string{prog, "INSTANCE", "7", notifyState(vrrp.StateInit), "100"})
	want.WriteString("INSTANCE 7 STOP 100\n")
	n.close()
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != want.String() {
		t.Errorf("notify calls: %d lines, want %d; first difference in\n%s", strings.Count(string(b), "\n"), 201, b)
	}
}
