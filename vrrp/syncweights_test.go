package vrrp_test

import (
	"errors"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hakit/hakit/hakittest"
	"github.com/hakit/hakit/vrrp"
	"github.com/hakit/hakit/vrrp/vrrptest"
)

// keepalived.conf(5) and vrrp.c: in a sync group without
// sync_group_tracking_weight, keepalived turns a weighted tracked
// interface into weight 0 (FAULT on failure) and drops a weighted script;
// with it, weights count. Two nodes, each a group of two routers; a's
// first router tracks a check of weight -60 (150-60 = 90 < b's 100).
func TestSyncGroupWeights(t *testing.T) {
	M, B, F := vrrp.StateMaster, vrrp.StateBackup, vrrp.StateFault
	for _, tc := range []struct {
		name    string
		weights vrrp.SyncWeights
		both    bool          // both of a's routers track the check, else only a.ext
		want    [4]vrrp.State // a.ext a.int b.ext b.int after the check fails
		prio    uint8         // a.ext's priority then
	}{
		// sync_group_tracking_weight, the same weight on every member:
		// both of a's priorities fall, both of b's routers want MASTER,
		// b's group takes over and a's members step down.
		{"count", vrrp.SyncWeightsCount, true, [4]vrrp.State{B, B, M, M}, 90},
		// sync_group_tracking_weight on one member only (keepalived.conf(5):
		// "This probably WON'T WORK"): b.ext wants MASTER but b.int still
		// hears a.int at 150, so b's group does not move and a.ext stays
		// MASTER at 90.
		{"count one member", vrrp.SyncWeightsCount, false, [4]vrrp.State{M, M, B, B}, 90},
		// keepalived's default for track_interface: FAULT, group and all.
		{"fault", vrrp.SyncWeightsFault, false, [4]vrrp.State{F, F, M, M}, 150},
		// keepalived's default for track_script: nothing happens.
		{"ignore", vrrp.SyncWeightsIgnore, false, [4]vrrp.State{M, M, B, B}, 150},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				lan := vrrptest.NewLAN(1)
				vipExt, vipInt := netip.MustParsePrefix("192.0.2.100/24"), netip.MustParsePrefix("192.0.2.101/24")
				check := &hakittest.Checker{}
				var rs [4]*vrrp.Router
				for i, ip := range []netip.Addr{ipA, ipB} {
					g := &vrrp.SyncGroup{Name: "g", Weights: tc.weights}
					p := uint8(150 - 50*i)
					ext, _ := newRouter(t, lan.AddHost("ext", ip), func(c *vrrp.Config) {
						c.VRID, c.Priority, c.VIPs, c.SyncGroup = 1, p, []netip.Prefix{vipExt}, g
						if i == 0 {
							c.Track = []vrrp.Track{{Name: "check", Checker: check, Weight: -60}}
						}
					})
					in, _ := newRouter(t, lan.AddHost("int", ip), func(c *vrrp.Config) {
						c.VRID, c.Priority, c.VIPs, c.SyncGroup = 2, p, []netip.Prefix{vipInt}, g
						if i == 0 && tc.both {
							c.Track = []vrrp.Track{{Name: "check", Checker: check, Weight: -60}}
						}
					})
					rs[2*i], rs[2*i+1] = ext, in
					defer vrrptest.Start(t.Context(), ext)()
					defer vrrptest.Start(t.Context(), in)()
				}
				states := func() [4]vrrp.State {
					return [4]vrrp.State{rs[0].State(), rs[1].State(), rs[2].State(), rs[3].State()}
				}
				time.Sleep(10 * time.Second)
				synctest.Wait()
				if got := states(); got != [4]vrrp.State{M, M, B, B} {
					t.Fatalf("start: %v", got)
				}
				check.Set(errors.New("down"))
				time.Sleep(10 * time.Second)
				synctest.Wait()
				if got := states(); got != tc.want {
					t.Errorf("after a's check failed: %v, want %v", got, tc.want)
				}
				if s := rs[0].Stats(); s.Priority != tc.prio || s.Tracks[0].Up {
					t.Errorf("a.ext: priority %d (want %d), track %+v", s.Priority, tc.prio, s.Tracks[0])
				}
				check.Set(nil)
				time.Sleep(10 * time.Second)
				synctest.Wait()
				if got := states(); got != [4]vrrp.State{M, M, B, B} {
					t.Errorf("after recovery: %v", got)
				}
			})
		})
	}
	if _, err := vrrp.New(vrrp.Config{Interface: "eth0", VRID: 1, VIPs: []netip.Prefix{vip4},
		SyncGroup: &vrrp.SyncGroup{Weights: 9}}); !errors.Is(err, vrrp.ErrInvalidConfig) {
		t.Errorf("unknown Weights: %v", err)
	}
}
