//go:build integration && linux

package vrrp_test

import (
	"net/netip"
	"testing"
	"time"
)

// waitLine waits until vrrpd printed state s after line index from, and
// returns the index after it.
func (p *vrrpdProc) waitLine(t *testing.T, from int, s string, timeout time.Duration) int {
	t.Helper()
	for deadline := time.Now().Add(timeout); ; time.Sleep(5 * time.Millisecond) {
		lines := p.lines()
		for i := from; i < len(lines); i++ {
			if lines[i].State == s {
				return i + 1
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no %s after line %d within %v: %+v", p.name(), s, from, timeout, lines)
		}
	}
}

// keepalived's netlink reflector, on the wire: a MASTER whose interface
// loses its address goes to FAULT and gives the VIP up (the backup takes
// over), and comes back when the address does; a VIP deleted behind a
// MASTER's back makes it step down with priority 0 and take over again
// after Skew_Time, the address added afresh.
func TestAddressLossInNamespace(t *testing.T) {
	lan := newNSLAN(t, 2)
	m, b := lan.nodes[0], lan.nodes[1]
	vip := netip.MustParsePrefix("192.0.2.100/24")
	spec := routerSpec{vrid: 42, version: 3, advert: 200 * time.Millisecond, vips: []netip.Prefix{vip}}
	spec.priority = 250
	pm := startVrrpd(t, m, spec)
	m.waitHas(t, vip.Addr(), true, 5*time.Second)
	spec.priority = 1 // a skew 194ms above m's, so m's new adverts reach b first
	pb := startVrrpd(t, b, spec)
	pb.waitLine(t, 0, "BACKUP", 5*time.Second)
	time.Sleep(300 * time.Millisecond)

	// The primary address goes: FAULT, b takes over.
	n := len(pm.lines())
	ipCmd(t, "-n", m.ns, "addr", "del", m.ip4.String()+"/24", "dev", "eth0")
	n = pm.waitLine(t, n, "FAULT", 2*time.Second)
	m.waitHas(t, vip.Addr(), false, time.Second)
	b.waitHas(t, vip.Addr(), true, 2*time.Second)

	// It comes back: BACKUP, then m preempts.
	ipCmd(t, "-n", m.ns, "addr", "add", m.ip4.String()+"/24", "dev", "eth0")
	n = pm.waitLine(t, n, "BACKUP", 2*time.Second)
	n = pm.waitLine(t, n, "MASTER", 2*time.Second)
	b.waitHas(t, vip.Addr(), false, 2*time.Second)
	m.waitHas(t, vip.Addr(), true, time.Second)

	// The VIP is deleted by hand: BACKUP, then MASTER again after its
	// Skew_Time (5ms at priority 250 and 200ms adverts, b's is 199ms),
	// VIP back.
	nb := len(pb.lines())
	ipCmd(t, "-n", m.ns, "addr", "del", vip.String(), "dev", "eth0")
	start := time.Now()
	n = pm.waitLine(t, n, "BACKUP", 2*time.Second)
	pm.waitLine(t, n, "MASTER", 2*time.Second)
	m.waitHas(t, vip.Addr(), true, time.Second)
	if d := time.Since(start); d > time.Second {
		t.Errorf("VIP back after %v", d)
	}
	time.Sleep(300 * time.Millisecond)
	if lines := pb.lines(); len(lines) != nb || b.has(t, vip.Addr()) {
		t.Errorf("b moved: %+v, holds the VIP %v", lines[nb:], b.has(t, vip.Addr()))
	}
}
