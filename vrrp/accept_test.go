package vrrp_test

import (
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hakit/hakit/vrrp"
	"github.com/hakit/hakit/vrrp/vrrptest"
)

// RFC 5798 6.4.3: a MASTER "MUST accept packets addressed to the IPvX
// address(es) associated with the virtual router if it is the IPvX address
// owner or if Accept_Mode is True. Otherwise, MUST NOT accept these
// packets." The Router asks its Link (a vrrp.Filter) to drop them only
// while MASTER, and not for the owner.
func TestAcceptModeFilter(t *testing.T) {
	for _, tc := range []struct {
		name     string
		prio     uint8
		noAccept bool
		accepts  bool
	}{
		{"accept (keepalived's default)", 100, false, true},
		{"no_accept", 100, true, false},
		{"no_accept but address owner", 255, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				lan := vrrptest.NewLAN(1)
				ha, hb := lan.AddHost("a", ipA), lan.AddHost("b", ipB)
				ra, _ := newRouter(t, ha, func(c *vrrp.Config) { c.Priority, c.NoAccept = tc.prio, tc.noAccept })
				rb, _ := newRouter(t, hb, prio(50))
				stopB := vrrptest.Start(t.Context(), rb)
				defer stopB()
				stopA := vrrptest.Start(t.Context(), ra)
				time.Sleep(5 * time.Second)
				synctest.Wait()
				if ra.State() != vrrp.StateMaster || !ha.Holds(vip4.Addr()) {
					t.Fatalf("a is %v, holds %v", ra.State(), ha.VIPs())
				}
				if got := ha.Accepts(vip4.Addr()); got != tc.accepts {
					t.Errorf("master accepts packets to the VIP = %v, want %v", got, tc.accepts)
				}
				if err := stopA(); err != nil {
					t.Fatal(err)
				}
				time.Sleep(2 * time.Second)
				synctest.Wait()
				// b (accept mode) took over; a holds nothing and filters
				// nothing any more.
				if !hb.Accepts(vip4.Addr()) {
					t.Errorf("new master b does not accept")
				}
				if err := ha.AddVIPs([]netip.Prefix{vip4}); err != nil {
					t.Fatal(err)
				}
				if !ha.Accepts(vip4.Addr()) {
					t.Errorf("a still filters the VIP after it stopped")
				}
				if s := ra.Stats(); s.VIPErrors != 0 {
					t.Errorf("a VIPErrors %d: %v", s.VIPErrors, s.LastError)
				}
			})
		})
	}
}
