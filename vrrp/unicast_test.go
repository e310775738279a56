package vrrp_test

import (
	"errors"
	"log/slog"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hakit/hakit/vrrp"
	"github.com/hakit/hakit/vrrp/vrrptest"
)

// keepalived's unicast_src_ip: adverts go out from the configured
// address, which is also the router's address in elections; with
// check_unicast_src, adverts from senders that are not unicast peers are
// dropped and counted.
func TestUnicastSourceAndPeerCheck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lan := vrrptest.NewLAN(1)
		ha, hb := lan.AddHost("a", ipA), lan.AddHost("b", ipB)
		srcA, srcB := netip.MustParseAddr("192.0.2.11"), netip.MustParseAddr("192.0.2.12")
		ha.AddAddr(srcA)
		hb.AddAddr(srcB)
		logs := &logRecorder{}
		ra, _ := newRouter(t, ha, func(c *vrrp.Config) {
			c.Priority = 200
			c.UnicastSource, c.UnicastPeers = srcA, []netip.Addr{srcB}
		})
		rb, _ := newRouter(t, hb, func(c *vrrp.Config) {
			c.UnicastSource, c.UnicastPeers, c.CheckUnicastSource = srcB, []netip.Addr{srcA}, true
			c.Logger = slog.New(logs)
		})
		defer vrrptest.Start(t.Context(), ra)()
		defer vrrptest.Start(t.Context(), rb)()
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if ra.State() != vrrp.StateMaster || rb.State() != vrrp.StateBackup {
			t.Fatalf("a %v b %v, want MASTER BACKUP", ra.State(), rb.State())
		}
		if s := rb.Stats(); s.Master != srcA || s.MasterPriority != 200 {
			t.Errorf("b sees master %v priority %d, want %v 200", s.Master, s.MasterPriority, srcA)
		}
		// A higher priority from a sender that is no peer: dropped.
		intruder := advertFromC(t, vrrp.Advert{Version: vrrp.Version3, VRID: 1, Priority: 250, Addrs: []netip.Addr{vip4.Addr()}}, srcB)
		lan.Inject(ipC, srcB, 255, intruder)
		lan.Inject(ipC, srcA, 255, advertFromC(t, vrrp.Advert{Version: vrrp.Version3, VRID: 1, Priority: 250, Addrs: []netip.Addr{vip4.Addr()}}, srcA))
		time.Sleep(time.Second)
		synctest.Wait()
		if s := rb.Stats(); s.NotPeer != 1 || s.Rejected != 1 {
			t.Errorf("b NotPeer %d Rejected %d, want 1 1", s.NotPeer, s.Rejected)
		}
		if w := logs.warns(misconfigMsg); len(w) != 1 || w[0]["peer"] != ipC.String() || w[0]["cause"] != "Peer" {
			t.Errorf("b's Warn logs %v, want one for %v, cause Peer", w, ipC)
		}
		// a does not check: the intruder's 250 beats it (keepalived's
		// default, check_unicast_src off).
		if s := ra.Stats(); s.NotPeer != 0 || ra.State() != vrrp.StateBackup {
			t.Errorf("a NotPeer %d state %v, want 0 BACKUP", s.NotPeer, ra.State())
		}
	})
}

func TestUnicastConfigErrors(t *testing.T) {
	peer := []netip.Addr{ipB}
	for _, tc := range []struct {
		name  string
		cfg   vrrp.Config
		field string
	}{
		{"source without peers", vrrp.Config{UnicastSource: ipA}, "UnicastSource"},
		{"source of the other family", vrrp.Config{UnicastPeers: peer, UnicastSource: netip.MustParseAddr("fd00::1")}, "UnicastSource"},
		{"source is a VIP", vrrp.Config{UnicastPeers: peer, UnicastSource: vip4.Addr()}, "UnicastSource"},
		{"multicast source", vrrp.Config{UnicastPeers: peer, UnicastSource: vrrp.Group4}, "UnicastSource"},
		{"check without peers", vrrp.Config{CheckUnicastSource: true}, "CheckUnicastSource"},
	} {
		c := tc.cfg
		c.Interface, c.VRID, c.VIPs = "eth0", 1, []netip.Prefix{vip4}
		_, err := vrrp.New(c)
		if !errors.Is(err, vrrp.ErrInvalidConfig) || !contains(err.Error(), tc.field) {
			t.Errorf("%s: %v, want ErrInvalidConfig naming %s", tc.name, err, tc.field)
		}
	}
}
