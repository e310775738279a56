package vrrp_test

import (
	"context"
	"errors"
	"net/netip"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hakit/hakit"
	"github.com/hakit/hakit/vrrp"
	"github.com/hakit/hakit/vrrp/vrrptest"
)

// A MASTER killed with -9 leaves its addresses (and a no-accept filter) on
// the interface. Restarted while a fault holds it in FAULT, the new Router
// must remove them at once, and again on every later entry to BACKUP, or
// two hosts answer ARP for one address once a peer is MASTER. keepalived
// removes an instance's addresses whenever it enters BACKUP or FAULT.
func TestStaleVIPsRemovedOnEntryToFault(t *testing.T) {
	for _, fault := range []string{"interface down", "weight 0 track failing"} {
		t.Run(fault, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				lan := vrrptest.NewLAN(1)
				h := lan.AddHost("a", ipA)
				var healthy atomic.Bool
				healthy.Store(true)
				r, rec := newRouter(t, h, func(c *vrrp.Config) {
					c.NoAccept = true
					if fault == "weight 0 track failing" {
						c.Track = []vrrp.Track{{Name: "uplink", Checker: hakit.CheckerFunc(func(context.Context) error {
							if !healthy.Load() {
								return errors.New("uplink down")
							}
							return nil
						})}}
					}
				})
				setFault := func(on bool) {
					if fault == "interface down" {
						h.SetLinkUp(!on)
					} else {
						healthy.Store(!on)
					}
				}
				// What the killed run left behind.
				if err := h.AddVIPs([]netip.Prefix{vip4}); err != nil {
					t.Fatal(err)
				}
				if err := h.BlockVIPs([]netip.Prefix{vip4}); err != nil {
					t.Fatal(err)
				}
				setFault(true)
				defer vrrptest.Start(t.Context(), r)()
				time.Sleep(2 * time.Second)
				synctest.Wait()
				if r.State() != vrrp.StateFault {
					t.Fatalf("state %v, want FAULT", r.State())
				}
				if v, b := h.VIPs(), h.Blocked(); len(v) != 0 || len(b) != 0 {
					t.Fatalf("in FAULT the host still holds %v and blocks %v", v, b)
				}
				// Addresses that came back while in FAULT (another run,
				// an operator) are removed on entering BACKUP too.
				if err := h.AddVIPs([]netip.Prefix{vip4}); err != nil {
					t.Fatal(err)
				}
				setFault(false)
				time.Sleep(time.Second)
				synctest.Wait()
				if r.State() != vrrp.StateBackup {
					t.Fatalf("state %v, want BACKUP", r.State())
				}
				if v := h.VIPs(); len(v) != 0 {
					t.Fatalf("in BACKUP the host still holds %v", v)
				}
				// Alone on the LAN, it takes over after Master_Down_Interval.
				time.Sleep(4 * time.Second)
				synctest.Wait()
				if tr, _ := rec.last(); r.State() != vrrp.StateMaster || tr.From != vrrp.StateBackup {
					t.Fatalf("state %v after %+v, want MASTER from BACKUP", r.State(), tr)
				}
				if !h.Holds(vip4.Addr()) {
					t.Fatalf("MASTER does not hold %v", vip4.Addr())
				}
			})
		})
	}
}
