package vrrp_test

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hakit/hakit/hakittest"
	"github.com/hakit/hakit/vrrp"
	"github.com/hakit/hakit/vrrp/vrrptest"
)

// keepalived's netlink reflector: a router whose interface loses its
// address goes to FAULT (down_instance), gives up the VIPs, and comes back
// when an address returns.
func TestPrimaryAddressLost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lan := vrrptest.NewLAN(1)
		ha, hb := lan.AddHost("a", ipA), lan.AddHost("b", ipB)
		ra, recA := newRouter(t, ha, prio(200))
		rb, _ := newRouter(t, hb, prio(100))
		defer vrrptest.Start(t.Context(), ra)()
		defer vrrptest.Start(t.Context(), rb)()
		time.Sleep(10 * time.Second)
		if ra.State() != vrrp.StateMaster {
			t.Fatalf("a %v", ra.State())
		}
		ha.SetPrimary(netip.Addr{})
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if tr, _ := recA.last(); ra.State() != vrrp.StateFault || tr.Reason != vrrp.ReasonFault {
			t.Errorf("a without an address: %v %+v", ra.State(), tr)
		}
		if ha.Holds(vip4.Addr()) || rb.State() != vrrp.StateMaster {
			t.Errorf("a holds %v, b %v", ha.VIPs(), rb.State())
		}
		ha.SetPrimary(ipA)
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if ra.State() != vrrp.StateMaster || rb.State() != vrrp.StateBackup {
			t.Errorf("address back: a %v b %v", ra.State(), rb.State())
		}
	})
}

// A router that starts on an interface without an address waits in FAULT
// (keepalived: "Entering FAULT STATE (init)") instead of failing.
func TestStartWithoutAddress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := vrrptest.NewLAN(1).AddHost("a", netip.Addr{})
		r, rec := newRouter(t, h, nil)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- r.Run(ctx) }()
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if r.State() != vrrp.StateFault {
			t.Errorf("state %v without an address", r.State())
		}
		h.SetPrimary(ipA)
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if tr, _ := rec.last(); r.State() != vrrp.StateMaster || tr.From != vrrp.StateBackup {
			t.Errorf("with an address: %v %+v", r.State(), tr)
		}
		if m, _ := r.Stats().Master, 0; m != ipA {
			t.Errorf("master address %v", m)
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

// RFC 5798 6.4.3 breaks ties by the primary address: a router whose
// primary address changes advertises from, and compares with, the new
// one.
func TestPrimaryAddressChanged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lan := vrrptest.NewLAN(1)
		ha, hb := lan.AddHost("a", ipA), lan.AddHost("b", ipB)
		ra, recA := newRouter(t, ha, prio(100))
		rb, _ := newRouter(t, hb, prio(100))
		defer vrrptest.Start(t.Context(), ra)()
		defer vrrptest.Start(t.Context(), rb)()
		lan.Partition([]*vrrptest.Host{ha}, []*vrrptest.Host{hb})
		time.Sleep(10 * time.Second)
		if ra.State() != vrrp.StateMaster || rb.State() != vrrp.StateMaster {
			t.Fatalf("a %v b %v", ra.State(), rb.State())
		}
		high := netip.MustParseAddr("192.0.2.9")
		ha.SetPrimary(high) // now above b's 192.0.2.2
		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		if m, _ := ra.Stats().Master, 0; m != high {
			t.Errorf("a advertises as %v, want %v", m, high)
		}
		recA.mu.Lock()
		n := len(recA.trans)
		recA.mu.Unlock()
		lan.Heal()
		time.Sleep(5 * time.Second)
		synctest.Wait()
		recA.mu.Lock()
		defer recA.mu.Unlock()
		if ra.State() != vrrp.StateMaster || rb.State() != vrrp.StateBackup || len(recA.trans) != n {
			t.Errorf("after heal: a %v b %v, a's transitions %+v", ra.State(), rb.State(), recA.trans[n:])
		}
	})
}

// keepalived's set_vrrp_backup: a VIP deleted from a MASTER's interface by
// someone else makes it send priority 0, give the rest up, and take over
// again after Skew_Time, adding and announcing the addresses afresh.
func TestVIPRemovedBehindTheMastersBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := vrrptest.NewLAN(1).AddHost("a", ipA)
		vip2 := netip.MustParsePrefix("192.0.2.101/24")
		r, rec := newRouter(t, h, func(c *vrrp.Config) { c.VIPs = append(c.VIPs, vip2) })
		defer vrrptest.Start(t.Context(), r)()
		time.Sleep(5 * time.Second)
		if r.State() != vrrp.StateMaster {
			t.Fatalf("state %v", r.State())
		}
		announced := h.Announcements()
		h.RemoveAddr(vip4.Addr())
		start := time.Now()
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if tr, _ := rec.last(); r.State() != vrrp.StateBackup || tr.Reason != vrrp.ReasonVIPsRemoved || h.Holds(vip2.Addr()) {
			t.Fatalf("after the removal: %v %+v, holds %v", r.State(), tr, h.VIPs())
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		tr, at := rec.last()
		if r.State() != vrrp.StateMaster || !h.Holds(vip4.Addr()) || !h.Holds(vip2.Addr()) {
			t.Fatalf("not back: %v %+v, holds %v", r.State(), tr, h.VIPs())
		}
		if got, want := at.Sub(start), vrrp.SkewTime(vrrp.Version3, 100, time.Second); got != want {
			t.Errorf("back after %v, want Skew_Time %v", got, want)
		}
		if s := r.Stats(); s.PriorityZeroSent != 1 || h.Announcements() <= announced {
			t.Errorf("priority 0 sent %d, announcements %d -> %d", s.PriorityZeroSent, announced, h.Announcements())
		}
	})
}

// announceRecorder is a Link that records the addresses of each
// announcement.
type announceRecorder struct {
	*vrrptest.Host
	mu    sync.Mutex
	addrs [][]netip.Addr
}

func (a *announceRecorder) Announce(addrs []netip.Addr) error {
	a.mu.Lock()
	a.addrs = append(a.addrs, addrs)
	a.mu.Unlock()
	return a.Host.Announce(addrs)
}

// keepalived's try_up_instance: a router with unicast peers that leaves
// FAULT announces its own address, so that the master, which may have
// forgotten it, can send it adverts at once.
func TestUnicastRouterAnnouncesItselfAfterFault(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lan := vrrptest.NewLAN(1)
		hb := lan.AddHost("b", ipB)
		link := &announceRecorder{Host: lan.AddHost("a", ipA)}
		check := &hakittest.Checker{}
		rb, _ := newRouter(t, hb, func(c *vrrp.Config) { c.Priority = 200; c.UnicastPeers = []netip.Addr{ipA} })
		ra, _ := newRouter(t, link.Host, func(c *vrrp.Config) {
			c.Link = link
			c.UnicastPeers = []netip.Addr{ipB}
			c.Track = []vrrp.Track{{Name: "svc", Checker: check}}
		})
		defer vrrptest.Start(t.Context(), rb)()
		defer vrrptest.Start(t.Context(), ra)()
		time.Sleep(5 * time.Second)
		check.Set(errors.New("down"))
		time.Sleep(2 * time.Second)
		if ra.State() != vrrp.StateFault {
			t.Fatalf("a %v", ra.State())
		}
		check.Set(nil)
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if ra.State() != vrrp.StateBackup {
			t.Fatalf("a %v", ra.State())
		}
		link.mu.Lock()
		defer link.mu.Unlock()
		if len(link.addrs) != 1 || len(link.addrs[0]) != 1 || link.addrs[0][0] != ipA {
			t.Errorf("announcements %v, want one of a's own address %v", link.addrs, ipA)
		}
	})
}

// failingAdd is a Link that cannot add one of the addresses.
type failingAdd struct {
	*vrrptest.Host
	bad netip.Prefix
}

func (f *failingAdd) AddVIPs(vips []netip.Prefix) error {
	var ok []netip.Prefix
	for _, p := range vips {
		if p != f.bad {
			ok = append(ok, p)
		}
	}
	f.Host.AddVIPs(ok)
	return errors.New("vrrptest: cannot add " + f.bad.String())
}

// A VIP that could not be added was never there to be removed: the
// MASTER stays (the failure is counted), instead of stepping down and back
// again and again.
func TestVIPThatCannotBeAddedIsNoRemoval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		vip2 := netip.MustParsePrefix("192.0.2.101/24")
		link := &failingAdd{Host: vrrptest.NewLAN(1).AddHost("a", ipA), bad: vip2}
		r, _ := newRouter(t, link.Host, func(c *vrrp.Config) { c.Link = link; c.VIPs = append(c.VIPs, vip2) })
		defer vrrptest.Start(t.Context(), r)()
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if s := r.Stats(); s.State != vrrp.StateMaster || s.BecameMaster != 1 || s.VIPErrors != 1 {
			t.Errorf("state %v, became master %d times, VIP errors %d", s.State, s.BecameMaster, s.VIPErrors)
		}
	})
}
