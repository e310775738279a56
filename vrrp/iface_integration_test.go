//go:build integration && linux

package vrrp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/hakit/hakit/vrrp"
)

// trackHelperEnv, when set, makes the test binary a router that tracks
// interface eth1 with a weight (see trackHelper): it runs under "ip netns
// exec", so that InterfaceUp and the router's own interface tracking look
// at the node's interfaces.
const trackHelperEnv = "HK_VRRP_TRACK_HELPER"

// trackHelper runs a Router on eth0 (VRID 42, VRRPv3, 200ms adverts,
// priority and VIP from the environment) tracking InterfaceUp("eth1")
// with weight -60, prints vrrpd's JSON lines, and stops on SIGTERM.
func trackHelper() int {
	prio, _ := strconv.Atoi(os.Getenv("HK_PRIORITY"))
	enc := json.NewEncoder(os.Stdout)
	r, err := vrrp.New(vrrp.Config{
		Interface: "eth0", VRID: 42, Priority: uint8(prio), Interval: 200 * time.Millisecond,
		VIPs:  []netip.Prefix{netip.MustParsePrefix(os.Getenv("HK_VIP"))},
		Track: []vrrp.Track{{Name: "uplink", Checker: vrrp.InterfaceUp("eth1"), Weight: -60, Interval: 100 * time.Millisecond}},
		OnStateChange: func(tr vrrp.Transition) {
			enc.Encode(map[string]any{"state": tr.To.String(), "vrid": 42})
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	if err := r.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// keepalived tracks an instance's interface: "ip link set eth0 down" under
// a MASTER puts it in FAULT ({"state":"FAULT"} from vrrpd), it gives the
// VIP up and the backup takes over; link up makes it BACKUP, then MASTER
// again by preemption.
func TestInterfaceTrackingInNamespace(t *testing.T) {
	lan := newNSLAN(t, 2)
	m, b := lan.nodes[0], lan.nodes[1]
	vip := netip.MustParsePrefix("192.0.2.100/24")
	spec := routerSpec{vrid: 42, version: 3, advert: 200 * time.Millisecond, vips: []netip.Prefix{vip}}
	spec.priority = 150
	pm := startVrrpd(t, m, spec)
	m.waitHas(t, vip.Addr(), true, 5*time.Second)
	spec.priority = 100
	pb := startVrrpd(t, b, spec)
	pb.waitLine(t, 0, "BACKUP", 5*time.Second)
	time.Sleep(300 * time.Millisecond)

	n := pm.waitLine(t, 0, "MASTER", time.Second)
	ipCmd(t, "-n", m.ns, "link", "set", "eth0", "down")
	down := time.Now()
	n = pm.waitLine(t, n, "FAULT", 2*time.Second)
	m.waitHas(t, vip.Addr(), false, time.Second)
	// b's Master_Down_Interval: 3 × 200ms + (256-100)×200ms/256 = 722ms.
	nb := pb.waitLine(t, 0, "MASTER", 3*time.Second)
	at := b.waitHas(t, vip.Addr(), true, time.Second)
	t.Logf("link down to b holding the VIP: %v", at.Sub(down).Round(time.Millisecond))

	ipCmd(t, "-n", m.ns, "link", "set", "eth0", "up")
	n = pm.waitLine(t, n, "BACKUP", 3*time.Second)
	pm.waitLine(t, n, "MASTER", 3*time.Second)
	pb.waitLine(t, nb, "BACKUP", 3*time.Second)
	m.waitHas(t, vip.Addr(), true, time.Second)
	b.waitHas(t, vip.Addr(), false, time.Second)
	for _, l := range pm.lines() {
		if l.VRID != 42 {
			t.Errorf("line %+v, want vrid 42", l)
		}
	}
}

// keepalived's track_interface with a weight: a down tracked interface
// lowers the priority (150-60 = 90 < 100) and the backup preempts; the
// router is BACKUP, not FAULT. Up again, it preempts back.
func TestWeightedInterfaceTrackInNamespace(t *testing.T) {
	lan := newNSLAN(t, 2)
	m, b := lan.nodes[0], lan.nodes[1]
	// An uplink: a veth pair of which both ends stay in the node.
	ipCmd(t, "-n", m.ns, "link", "add", "eth1", "type", "veth", "peer", "name", "eth1p")
	ipCmd(t, "-n", m.ns, "link", "set", "eth1p", "up")
	ipCmd(t, "-n", m.ns, "link", "set", "eth1", "up")
	vip := netip.MustParsePrefix("192.0.2.100/24")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ip", "netns", "exec", m.ns, self)
	cmd.Env = append(os.Environ(), trackHelperEnv+"=1", "HK_PRIORITY=150", "HK_VIP="+vip.String())
	pm := startProc(t, m, cmd)
	m.waitHas(t, vip.Addr(), true, 5*time.Second)
	pb := startVrrpd(t, b, routerSpec{vrid: 42, version: 3, priority: 100, advert: 200 * time.Millisecond, vips: []netip.Prefix{vip}})
	pb.waitLine(t, 0, "BACKUP", 5*time.Second)
	time.Sleep(300 * time.Millisecond)
	n := pm.waitLine(t, 0, "MASTER", time.Second)

	ipCmd(t, "-n", m.ns, "link", "set", "eth1", "down")
	nb := pb.waitLine(t, 0, "MASTER", 3*time.Second)
	n = pm.waitLine(t, n, "BACKUP", 2*time.Second)
	b.waitHas(t, vip.Addr(), true, time.Second)
	m.waitHas(t, vip.Addr(), false, time.Second)

	ipCmd(t, "-n", m.ns, "link", "set", "eth1", "up")
	pm.waitLine(t, n, "MASTER", 3*time.Second)
	pb.waitLine(t, nb, "BACKUP", 3*time.Second)
	m.waitHas(t, vip.Addr(), true, time.Second)
	b.waitHas(t, vip.Addr(), false, time.Second)
	for _, l := range pm.lines() {
		if l.State == "FAULT" {
			t.Errorf("a weighted track put the router in FAULT: %+v", pm.lines())
		}
	}
	pm.stop(t)
	pb.stop(t)
}

// A MASTER killed with -9 leaves its VIP on eth0. Restarted while eth0 is
// down, vrrpd starts in FAULT and removes the VIP at once (within 2s of
// its start, the bound the stale address would outlive for good without
// the removal); link up, it is BACKUP holding nothing, then MASTER by
// preemption over the peer that held the VIP meanwhile.
func TestStaleVIPOnDownedInterfaceInNamespace(t *testing.T) {
	lan := newNSLAN(t, 2)
	m, b := lan.nodes[0], lan.nodes[1]
	vip := netip.MustParsePrefix("192.0.2.100/24")
	spec := routerSpec{vrid: 42, version: 3, advert: 200 * time.Millisecond, vips: []netip.Prefix{vip}}
	spec.priority = 100
	pb := startVrrpd(t, b, spec)
	nb := pb.waitLine(t, 0, "MASTER", 5*time.Second)
	b.waitHas(t, vip.Addr(), true, time.Second)

	// What a run killed with -9 as MASTER leaves behind, on a link that
	// went down since.
	ipCmd(t, "-n", m.ns, "link", "set", "eth0", "down")
	ipCmd(t, "-n", m.ns, "addr", "add", vip.String(), "dev", "eth0")
	spec.priority = 150
	start := time.Now()
	pm := startVrrpd(t, m, spec)
	n := pm.waitLine(t, 0, "FAULT", 2*time.Second)
	if first := pm.lines()[0].State; first != "FAULT" {
		t.Fatalf("first line %s, want FAULT", first)
	}
	gone := m.waitHas(t, vip.Addr(), false, 2*time.Second-time.Since(start))
	t.Logf("vrrpd start to stale VIP removed: %v", gone.Sub(start).Round(time.Millisecond))

	ipCmd(t, "-n", m.ns, "link", "set", "eth0", "up")
	n = pm.waitLine(t, n, "BACKUP", 3*time.Second)
	if m.has(t, vip.Addr()) {
		t.Errorf("BACKUP holds %v", vip.Addr())
	}
	// Master_Down_Interval of priority 150 at 200ms: 600ms + 82ms.
	pm.waitLine(t, n, "MASTER", 3*time.Second)
	pb.waitLine(t, nb, "BACKUP", 3*time.Second)
	m.waitHas(t, vip.Addr(), true, time.Second)
	b.waitHas(t, vip.Addr(), false, time.Second)
	pm.stop(t)
	pb.stop(t)
}
