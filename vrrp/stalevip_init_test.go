package vrrp_test

import (
	"context"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hakit/hakit"
	"github.com/hakit/hakit/vrrp"
	"github.com/hakit/hakit/vrrp/vrrptest"
)

// A Router whose weight 0 track has not reported yet waits in INIT. The
// addresses a killed run left must go on entering INIT, not once the probe
// answers: a probe may take its whole Timeout, and Run may be cancelled
// (or return) before it does, while a peer is MASTER.
func TestStaleVIPsRemovedWhileINITWaitsForTrack(t *testing.T) {
	for _, cancelEarly := range []bool{false, true} {
		name := "waiting"
		if cancelEarly {
			name = "cancelled while waiting"
		}
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				lan := vrrptest.NewLAN(1)
				h := lan.AddHost("a", ipA)
				r, _ := newRouter(t, h, func(c *vrrp.Config) {
					c.NoAccept = true
					c.Track = []vrrp.Track{{
						Name: "slow", Interval: time.Minute, Timeout: time.Minute,
						Checker: hakit.CheckerFunc(func(ctx context.Context) error {
							<-ctx.Done()
							return ctx.Err()
						}),
					}}
				})
				// What the killed run left behind.
				if err := h.AddVIPs([]netip.Prefix{vip4}); err != nil {
					t.Fatal(err)
				}
				if err := h.BlockVIPs([]netip.Prefix{vip4}); err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithCancel(t.Context())
				stop := vrrptest.Start(ctx, r)
				defer stop()
				if cancelEarly {
					cancel()
					stop()
				} else {
					defer cancel()
					// Well inside the probe's minute: the bound rules
					// out waiting for the probe before cleaning up.
					time.Sleep(time.Second)
				}
				synctest.Wait()
				if r.State() != vrrp.StateInit {
					t.Fatalf("state %v, want INIT", r.State())
				}
				if v, b := h.VIPs(), h.Blocked(); len(v) != 0 || len(b) != 0 {
					t.Fatalf("in INIT the host still holds %v and blocks %v", v, b)
				}
			})
		})
	}
}

// A killed NoAccept MASTER leaves its filter; restarted with accept mode
// (the operator dropped no_accept), the Router must still remove it, or
// the addresses stay unreachable when it is MASTER again. keepalived
// deletes its old tables as it starts, whatever the new configuration.
func TestStaleFilterRemovedWhenAcceptModeNow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lan := vrrptest.NewLAN(1)
		h := lan.AddHost("a", ipA)
		r, _ := newRouter(t, h, nil)
		if err := h.BlockVIPs([]netip.Prefix{vip4}); err != nil {
			t.Fatal(err)
		}
		defer vrrptest.Start(t.Context(), r)()
		// Alone on the LAN it becomes MASTER after Master_Down_Interval.
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if r.State() != vrrp.StateMaster {
			t.Fatalf("state %v, want MASTER", r.State())
		}
		if b := h.Blocked(); len(b) != 0 {
			t.Fatalf("MASTER in accept mode still blocks %v", b)
		}
	})
}
