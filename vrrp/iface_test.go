package vrrp_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hakit/hakit/vrrp"
	"github.com/hakit/hakit/vrrp/vrrptest"
)

// states returns the router's transitions as "FROM>TO" strings.
func (r *recorder) states() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, t := range r.trans {
		out = append(out, fmt.Sprintf("%v>%v", t.From, t.To))
	}
	return out
}

// keepalived tracks an instance's own interface: when it goes down the
// instance goes to FAULT and gives its addresses up; the backup takes
// over after Master_Down_Interval (RFC 5798 section 6.4.2); when it comes
// up the instance is BACKUP again and, with preemption (section 6.4.2,
// Preempt_Mode), MASTER once more.
func TestInterfaceDownIsFault(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lan := vrrptest.NewLAN(1)
		ha, hb := lan.AddHost("a", ipA), lan.AddHost("b", ipB)
		ra, recA := newRouter(t, ha, prio(150))
		rb, _ := newRouter(t, hb, prio(100))
		defer vrrptest.Start(t.Context(), ra)()
		defer vrrptest.Start(t.Context(), rb)()
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if ra.State() != vrrp.StateMaster || rb.State() != vrrp.StateBackup {
			t.Fatalf("a %v, b %v", ra.State(), rb.State())
		}

		ha.SetLinkUp(false)
		down := time.Now()
		time.Sleep(300 * time.Millisecond) // the interface is polled every 250ms
		synctest.Wait()
		if tr, _ := recA.last(); ra.State() != vrrp.StateFault || tr.Reason != vrrp.ReasonFault {
			t.Fatalf("a after link down: %v %+v", ra.State(), tr)
		}
		if len(ha.VIPs()) != 0 {
			t.Errorf("a in FAULT holds %v", ha.VIPs())
		}
		// Master_Down_Interval for b: 3s + (256-100)/256 s.
		time.Sleep(4 * time.Second)
		synctest.Wait()
		if rb.State() != vrrp.StateMaster || !hb.Holds(vip4.Addr()) {
			t.Fatalf("b %v %v, %v after a's link went down", rb.State(), hb.VIPs(), time.Since(down))
		}

		ha.SetLinkUp(true)
		time.Sleep(300 * time.Millisecond)
		synctest.Wait()
		if tr, _ := recA.last(); ra.State() != vrrp.StateBackup || tr.Reason != vrrp.ReasonFaultCleared {
			t.Errorf("a after link up: %v %+v", ra.State(), tr)
		}
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if ra.State() != vrrp.StateMaster || rb.State() != vrrp.StateBackup {
			t.Errorf("after preemption: a %v, b %v", ra.State(), rb.State())
		}
		want := []string{"INIT>BACKUP", "BACKUP>MASTER", "MASTER>FAULT", "FAULT>BACKUP", "BACKUP>MASTER"}
		if got := recA.states(); !slices.Equal(got, want) {
			t.Errorf("a went %v, want %v", got, want)
		}
		if got := lan.Holders(vip4.Addr()); len(got) != 1 || got[0] != ha {
			t.Errorf("holders %v", got)
		}
	})
}

// keepalived starts an instance whose interface is down in FAULT, not
// BACKUP; it sends nothing and claims nothing until the link comes up.
func TestStartInFaultWhenInterfaceDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lan := vrrptest.NewLAN(1)
		ha := lan.AddHost("a", ipA)
		ha.SetLinkUp(false)
		ra, recA := newRouter(t, ha, prio(255)) // even the address owner
		defer vrrptest.Start(t.Context(), ra)()
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if got := recA.states(); !slices.Equal(got, []string{"INIT>FAULT"}) {
			t.Fatalf("transitions %v, want [INIT>FAULT]", got)
		}
		if ha.Sent() != 0 || ha.Announcements() != 0 || len(ha.VIPs()) != 0 {
			t.Errorf("in FAULT: sent %d, announced %d, holds %v", ha.Sent(), ha.Announcements(), ha.VIPs())
		}
		ha.SetLinkUp(true)
		time.Sleep(time.Second)
		synctest.Wait()
		// The fault cleared is a new start: RFC 5798 section 6.4.1, the
		// address owner goes straight to MASTER.
		want := []string{"INIT>FAULT", "FAULT>MASTER"}
		if got := recA.states(); !slices.Equal(got, want) {
			t.Errorf("transitions %v, want %v", got, want)
		}
	})
}

// keepalived's dont_track_primary: a router that does not track its
// interface stays MASTER in its own belief while the link is down (its
// adverts fail to leave); the backup takes over; when the link comes back
// the two masters meet and the lower priority yields (RFC 5798 section
// 6.4.3).
func TestDontTrackInterface(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lan := vrrptest.NewLAN(1)
		ha, hb := lan.AddHost("a", ipA), lan.AddHost("b", ipB)
		ra, recA := newRouter(t, ha, func(c *vrrp.Config) {
			c.Priority = 150
			c.DontTrackInterface = true
		})
		rb, _ := newRouter(t, hb, prio(100))
		defer vrrptest.Start(t.Context(), ra)()
		defer vrrptest.Start(t.Context(), rb)()
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if ra.State() != vrrp.StateMaster {
			t.Fatalf("a %v", ra.State())
		}
		ha.SetLinkUp(false)
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if ra.State() != vrrp.StateMaster || rb.State() != vrrp.StateMaster {
			t.Fatalf("link down, untracked: a %v (want MASTER), b %v (want MASTER)", ra.State(), rb.State())
		}
		if s := ra.Stats(); s.LastError == nil || !strings.Contains(s.LastError.Error(), "interface is down") {
			t.Errorf("a's failed adverts are not in Stats: %v", s.LastError)
		}
		ha.SetLinkUp(true)
		time.Sleep(3 * time.Second)
		synctest.Wait()
		if ra.State() != vrrp.StateMaster || rb.State() != vrrp.StateBackup {
			t.Errorf("link up: a %v, b %v", ra.State(), rb.State())
		}
		for _, s := range recA.states() {
			if strings.Contains(s, "FAULT") {
				t.Errorf("a went through FAULT: %v", recA.states())
			}
		}
	})
}
