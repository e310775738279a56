package vrrp_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hakit/hakit"
	"github.com/hakit/hakit/vrrp"
	"github.com/hakit/hakit/vrrp/vrrptest"
)

// keepalived's vrrp_script starts in an init state: one result decides it
// whatever rise and fall say ("one success is enough", and one failure),
// a router with a weight 0 script stays out of BACKUP and MASTER until the
// script has reported, and a weighted script counts neither way before
// its first result.
func TestTrackFirstResult(t *testing.T) {
	failing := hakit.CheckerFunc(func(ctx context.Context) error {
		time.Sleep(300 * time.Millisecond)
		return errors.New("down")
	})
	slowOK := hakit.CheckerFunc(func(ctx context.Context) error {
		time.Sleep(300 * time.Millisecond)
		return nil
	})

	t.Run("owner with a failing weight 0 track never becomes MASTER", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := vrrptest.NewLAN(1).AddHost("a", ipA)
			r, rec := newRouter(t, h, func(c *vrrp.Config) {
				c.Priority = 255
				c.Track = []vrrp.Track{{Name: "svc", Checker: failing, Interval: 2 * time.Second, Fall: 3}}
			})
			defer vrrptest.Start(t.Context(), r)()
			time.Sleep(10 * time.Second)
			synctest.Wait()
			rec.mu.Lock()
			defer rec.mu.Unlock()
			if len(rec.trans) == 0 || rec.trans[0].To != vrrp.StateFault || len(rec.trans) != 1 {
				t.Errorf("transitions %+v, want only INIT -> FAULT", rec.trans)
			}
			if n := h.Announcements(); n != 0 {
				t.Errorf("announced the VIP %d times", n)
			}
		})
	})

	t.Run("a failing weight 0 track with fall 3 faults at its first result", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := vrrptest.NewLAN(1).AddHost("a", ipA)
			r, rec := newRouter(t, h, func(c *vrrp.Config) {
				c.Track = []vrrp.Track{{Name: "svc", Checker: failing, Interval: 2 * time.Second, Fall: 3}}
			})
			defer vrrptest.Start(t.Context(), r)()
			time.Sleep(20 * time.Second)
			synctest.Wait()
			rec.mu.Lock()
			defer rec.mu.Unlock()
			for _, tr := range rec.trans {
				if tr.To == vrrp.StateMaster {
					t.Errorf("became MASTER while its check failed: %+v", rec.trans)
				}
			}
			if r.State() != vrrp.StateFault {
				t.Errorf("state %v", r.State())
			}
		})
	})

	t.Run("a weighted track counts from its first result", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := vrrptest.NewLAN(1).AddHost("a", ipA)
			r, _ := newRouter(t, h, func(c *vrrp.Config) {
				c.Track = []vrrp.Track{{Name: "bonus", Checker: slowOK, Weight: 60, Rise: 3}}
			})
			defer vrrptest.Start(t.Context(), r)()
			time.Sleep(100 * time.Millisecond)
			synctest.Wait()
			if s := r.Stats(); s.State != vrrp.StateBackup || s.Priority != 100 || !s.Tracks[0].Pending {
				t.Errorf("before the first result: %+v", s)
			}
			time.Sleep(time.Second)
			synctest.Wait()
			if s := r.Stats(); s.Priority != 160 || s.Tracks[0].Pending || !s.Tracks[0].Up {
				t.Errorf("after one success (rise 3): %+v", s)
			}
		})
	})
}
