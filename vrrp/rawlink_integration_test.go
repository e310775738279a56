//go:build integration && linux

package vrrp_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"runtime"
	"testing"
	"time"

	"github.com/hakit/hakit/vrrp"
	"github.com/hakit/hakit/vrrp/vrrptest"
	"github.com/mdlayher/arp"
	"github.com/mdlayher/ndp"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"
)

// inNetns runs f on a thread in namespace name.
func inNetns(t testing.TB, name string, f func() error) {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	ns, err := netns.GetFromName(name)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	if err := netns.Set(ns); err != nil {
		t.Fatal(err)
	}
	defer netns.Set(orig)
	if err := f(); err != nil {
		t.Fatal(err)
	}
}

func eth0(t testing.TB, nd *nsNode) *net.Interface {
	t.Helper()
	link, err := nd.nl.LinkByName("eth0")
	if err != nil {
		t.Fatal(err)
	}
	a := link.Attrs()
	return &net.Interface{Index: a.Index, Name: a.Name, HardwareAddr: a.HardwareAddr, MTU: a.MTU, Flags: a.Flags}
}

// runInNetns runs a Router on a RawLink in node nd and returns its stop.
func runInNetns(t *testing.T, nd *nsNode, cfg vrrp.Config, v6 bool) (*vrrp.Router, func()) {
	t.Helper()
	l, err := vrrp.OpenRawLink("eth0", vrrp.RawLinkConfig{IPv6: v6, Netns: nd.ns})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Interface, cfg.Link = "eth0", l
	r, err := vrrp.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	stop := func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		l.Close()
	}
	t.Cleanup(func() {
		select {
		case <-ctx.Done():
		default:
			stop()
		}
	})
	return r, stop
}

// A Router on the raw link announces a new MASTER with a gratuitous ARP
// request and reply per address, both naming the VIP and the master's MAC.
func TestRawLinkGratuitousARP(t *testing.T) {
	lan := newNSLAN(t, 2)
	m, peer := lan.nodes[0], lan.nodes[1]
	vip := netip.MustParsePrefix("192.0.2.100/24")
	var c *arp.Client
	inNetns(t, peer.ns, func() (err error) {
		c, err = arp.Dial(eth0(t, peer))
		return err
	})
	defer c.Close()
	r, _ := runInNetns(t, m, vrrp.Config{VRID: 7, VIPs: []netip.Prefix{vip}, Interval: 100 * time.Millisecond}, false)
	mac := eth0(t, m).HardwareAddr
	seen := map[arp.Operation]int{}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for seen[arp.OperationRequest] < 5 || seen[arp.OperationReply] < 5 {
		p, _, err := c.Read()
		if err != nil {
			t.Fatalf("read ARP (saw %v): %v", seen, err)
		}
		if p.SenderIP == vip.Addr() && p.TargetIP == vip.Addr() && bytes.Equal(p.SenderHardwareAddr, mac) {
			seen[p.Operation]++
		}
	}
	waitState(t, r, vrrp.StateMaster)
	if !m.has(t, vip.Addr()) {
		t.Errorf("state %v, VIP on master %v", r.State(), m.has(t, vip.Addr()))
	}
}

// Over IPv6 a new MASTER sends unsolicited neighbour advertisements with
// the Override flag and its MAC, from the VIP itself, with the Router flag
// when the interface forwards IPv6 (as keepalived), adds the VIP with
// nodad, and advertises from its link-local address with hop limit 255.
func TestRawLinkUnsolicitedNA(t *testing.T) {
	for _, forwarding := range []bool{false, true} {
		t.Run(fmt.Sprintf("forwarding=%v", forwarding), func(t *testing.T) {
			testUnsolicitedNA(t, forwarding)
		})
	}
}

func testUnsolicitedNA(t *testing.T, forwarding bool) {
	lan := newNSLAN(t, 2)
	m, peer := lan.nodes[0], lan.nodes[1]
	if forwarding {
		if out, err := exec.Command("ip", "netns", "exec", m.ns, "sysctl", "-qw", "net.ipv6.conf.eth0.forwarding=1").CombinedOutput(); err != nil {
			t.Fatalf("sysctl: %v %s", err, out)
		}
	}
	vip := netip.MustParsePrefix("fd00::100/64")
	sn := sniff(t, peer, true)
	var c *ndp.Conn
	inNetns(t, peer.ns, func() (err error) {
		c, _, err = ndp.Listen(eth0(t, peer), ndp.Unspecified)
		if err != nil {
			return err
		}
		return c.SetControlMessage(ipv6.FlagHopLimit, true)
	})
	defer c.Close()
	r, _ := runInNetns(t, m, vrrp.Config{VRID: 7, VIPs: []netip.Prefix{vip}, Interval: 100 * time.Millisecond}, true)
	mac := eth0(t, m).HardwareAddr
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	n := 0
	for n < 5 {
		msg, cm, src, err := c.ReadFrom()
		if err != nil {
			t.Fatalf("read NDP (saw %d NAs): %v; stats %+v", n, err, r.Stats())
		}
		na, ok := msg.(*ndp.NeighborAdvertisement)
		if !ok || na.TargetAddress != vip.Addr() {
			continue
		}
		if cm == nil || !na.Override || na.Solicited || cm.HopLimit != 255 || na.Router != forwarding || src.WithZone("") != vip.Addr() {
			t.Fatalf("NA %+v from %v hop limit %d, want Override, Router %v, from the VIP", na, src, cm.HopLimit, forwarding)
		}
		for _, o := range na.Options {
			if lla, ok := o.(*ndp.LinkLayerAddress); ok && lla.Direction == ndp.Target && bytes.Equal(lla.Addr, mac) {
				n++
			}
		}
	}
	waitState(t, r, vrrp.StateMaster)
	link, _ := m.nl.LinkByName("eth0")
	addrs, _ := m.nl.AddrList(link, netlink.FAMILY_V6)
	found := false
	for _, a := range addrs {
		if ip, _ := netip.AddrFromSlice(a.IP); ip == vip.Addr() {
			found = true
			if a.Flags&unix.IFA_F_NODAD == 0 || a.Flags&unix.IFA_F_TENTATIVE != 0 {
				t.Errorf("VIP flags %#x, want nodad and not tentative", a.Flags)
			}
		}
	}
	if !found {
		t.Errorf("VIP not on the master")
	}
	time.Sleep(300 * time.Millisecond)
	if last, a := sn.lastFrom(m.ll); last.IsZero() || a.Priority != 100 {
		t.Errorf("no advert from the master's link-local %v: %+v", m.ll, a)
	}
}

// Unicast peers: adverts go to the peer's address, not the group, and the
// pair fails over as with multicast.
func TestRawLinkUnicastPeers(t *testing.T) {
	lan := newNSLAN(t, 2)
	a, b := lan.nodes[0], lan.nodes[1]
	vip := netip.MustParsePrefix("192.0.2.100/24")
	cfg := func(prio uint8, peer netip.Addr) vrrp.Config {
		return vrrp.Config{VRID: 9, Priority: prio, VIPs: []netip.Prefix{vip}, Interval: 100 * time.Millisecond, UnicastPeers: []netip.Addr{peer}}
	}
	ra, stopA := runInNetnsUnicast(t, a, cfg(200, b.ip4))
	rb, _ := runInNetnsUnicast(t, b, cfg(100, a.ip4))
	a.waitHas(t, vip.Addr(), true, 5*time.Second)
	time.Sleep(500 * time.Millisecond)
	if ra.State() != vrrp.StateMaster || rb.State() != vrrp.StateBackup || b.has(t, vip.Addr()) {
		t.Fatalf("a %v b %v", ra.State(), rb.State())
	}
	if s := rb.Stats(); s.AdvertsReceived == 0 || s.ParseErrors != 0 {
		t.Errorf("b stats %+v", s)
	}
	stopA()
	b.waitHas(t, vip.Addr(), true, 2*time.Second)
}

func runInNetnsUnicast(t *testing.T, nd *nsNode, cfg vrrp.Config) (*vrrp.Router, func()) {
	t.Helper()
	l, err := vrrp.OpenRawLink("eth0", vrrp.RawLinkConfig{Unicast: true, Netns: nd.ns})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	cfg.Interface, cfg.Link = "eth0", l
	r, err := vrrp.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Run(ctx)
	}()
	stop := func() {
		cancel()
		<-done
	}
	t.Cleanup(stop)
	return r, stop
}

// waitState waits up to a second for r to reach s: Stats change after a
// transition's actions (advert, addresses, announcements) are done.
func waitState(t *testing.T, r *vrrp.Router, s vrrp.State) {
	t.Helper()
	for deadline := time.Now().Add(time.Second); r.State() != s; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("state %v, want %v", r.State(), s)
		}
	}
}

// An advert may be as large as the interface's MTU: on a 9000-byte link,
// 200 IPv6 VIPs make an advert of 3208 bytes, which the backup must read
// whole (a 1500-byte buffer would truncate it, and the backup, reading a
// malformed advert, would become MASTER too).
func TestRawLinkJumboAdvert(t *testing.T) {
	lan := newNSLAN(t, 2)
	for i, nd := range lan.nodes {
		ipCmd(t, "-n", lan.sw, "link", "set", fmt.Sprintf("p%d", i), "mtu", "9000")
		ipCmd(t, "-n", nd.ns, "link", "set", "eth0", "mtu", "9000")
	}
	ipCmd(t, "-n", lan.sw, "link", "set", "br0", "mtu", "9000")
	var vips []netip.Prefix
	for i := range 200 {
		vips = append(vips, netip.MustParsePrefix(fmt.Sprintf("fd00::1:%x/64", i+1)))
	}
	cfg := vrrp.Config{VRID: 42, Interval: 200 * time.Millisecond, VIPs: vips}
	cfg.Priority = 200
	ra, _ := runInNetns(t, lan.nodes[0], cfg, true)
	for deadline := time.Now().Add(5 * time.Second); ra.State() != vrrp.StateMaster; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("master: state %v after 5s", ra.State())
		}
	}
	cfg.Priority = 100
	rb, _ := runInNetns(t, lan.nodes[1], cfg, true)
	time.Sleep(2 * time.Second) // > Master_Down_Interval (0.66s) several times
	s := rb.Stats()
	if s.State != vrrp.StateBackup || s.ParseErrors != 0 || s.AdvertsReceived == 0 {
		t.Fatalf("backup: state %v, %d adverts received, %d parse errors (last %v); want BACKUP, some, none",
			s.State, s.AdvertsReceived, s.ParseErrors, s.LastError)
	}
}

// RawLink is a vrrp.Link as vrrptest.Host is: the same conformance test,
// between two namespaces.
func TestRawLinkIsALink(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		name, vip := "ipv4", "192.0.2.100/24"
		if v6 {
			name, vip = "ipv6", "fd00::100/64"
		}
		t.Run(name, func(t *testing.T) {
			vrrptest.TestLink(t, func(t *testing.T) vrrptest.LinkPair {
				lan := newNSLAN(t, 2)
				var links [2]vrrp.Link
				for i, nd := range lan.nodes {
					l, err := vrrp.OpenRawLink("eth0", vrrp.RawLinkConfig{IPv6: v6, Netns: nd.ns})
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { l.Close() })
					links[i] = l
				}
				return vrrptest.LinkPair{A: links[0], B: links[1], VIP: netip.MustParsePrefix(vip)}
			})
		})
	}
}
