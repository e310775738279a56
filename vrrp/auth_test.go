package vrrp_test

import (
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hakit/hakit/vrrp"
	"github.com/hakit/hakit/vrrp/vrrptest"
)

// RFC 2338 section 5.3.6.1's simple text password (keepalived's auth_type
// PASS), only when asked for: routers with the same password elect each
// other; an advert without it, or with another, is dropped and counted,
// as are password adverts at a router without one.
func TestAuthPass(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lan := vrrptest.NewLAN(1)
		ha, hb := lan.AddHost("a", ipA), lan.AddHost("b", ipB)
		v2 := func(prio uint8, pass string) func(*vrrp.Config) {
			return func(c *vrrp.Config) { c.Version, c.Priority, c.AuthPass = vrrp.Version2, prio, pass }
		}
		ra, _ := newRouter(t, ha, v2(200, "secret"))
		rb, _ := newRouter(t, hb, v2(100, "secret"))
		defer vrrptest.Start(t.Context(), ra)()
		defer vrrptest.Start(t.Context(), rb)()
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if ra.State() != vrrp.StateMaster || rb.State() != vrrp.StateBackup || rb.Stats().AdvertsReceived == 0 {
			t.Fatalf("a %v b %v (b received %d)", ra.State(), rb.State(), rb.Stats().AdvertsReceived)
		}
		adv := vrrp.Advert{Version: vrrp.Version2, VRID: 1, Priority: 250, Interval: time.Second, Addrs: []netip.Addr{vip4.Addr()}}
		lan.Inject(ipC, vrrp.Group4, 255, advertFromC(t, adv, vrrp.Group4)) // none
		adv.AuthPass = "guess"
		lan.Inject(ipC, vrrp.Group4, 255, advertFromC(t, adv, vrrp.Group4)) // another
		time.Sleep(time.Second)
		synctest.Wait()
		if s := rb.Stats(); s.AuthTypeErrors != 1 || s.AuthFailures != 1 || rb.State() != vrrp.StateBackup {
			t.Errorf("b: AuthTypeErrors %d AuthFailures %d state %v, want 1 1 BACKUP", s.AuthTypeErrors, s.AuthFailures, rb.State())
		}

		// A router without a password drops a password advert.
		lan2 := vrrptest.NewLAN(2)
		rc, _ := newRouter(t, lan2.AddHost("c", ipA), v2(100, ""))
		defer vrrptest.Start(t.Context(), rc)()
		lan2.Inject(ipC, vrrp.Group4, 255, advertFromC(t, adv, vrrp.Group4))
		time.Sleep(time.Second)
		synctest.Wait()
		if s := rc.Stats(); s.AuthTypeErrors != 1 || s.AdvertsReceived != 0 {
			t.Errorf("c: AuthTypeErrors %d AdvertsReceived %d, want 1 0", s.AuthTypeErrors, s.AdvertsReceived)
		}
	})
}

func TestAuthPassConfig(t *testing.T) {
	for _, c := range []vrrp.Config{
		{Version: vrrp.Version3, AuthPass: "secret"},
		{Version: vrrp.Version2, AuthPass: "123456789"},
	} {
		c.Interface, c.VRID, c.VIPs = "eth0", 1, []netip.Prefix{vip4}
		if _, err := vrrp.New(c); err == nil || !contains(err.Error(), "AuthPass") {
			t.Errorf("%+v: %v, want an error naming AuthPass", c, err)
		}
	}
}
