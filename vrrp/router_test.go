package vrrp_test

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hakit/hakit"
	"github.com/hakit/hakit/hakittest"
	"github.com/hakit/hakit/vrrp"
	"github.com/hakit/hakit/vrrp/vrrptest"
)

var (
	vip4 = netip.MustParsePrefix("192.0.2.100/24")
	ipA  = netip.MustParseAddr("192.0.2.1")
	ipB  = netip.MustParseAddr("192.0.2.2")
	ipC  = netip.MustParseAddr("192.0.2.3")
)

type recorder struct {
	mu    sync.Mutex
	trans []vrrp.Transition
	at    []time.Time
}

func (r *recorder) record(t vrrp.Transition) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.trans = append(r.trans, t)
	r.at = append(r.at, time.Now())
}

func (r *recorder) last() (vrrp.Transition, time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.trans) == 0 {
		return vrrp.Transition{}, time.Time{}
	}
	return r.trans[len(r.trans)-1], r.at[len(r.at)-1]
}

func newRouter(t *testing.T, h *vrrptest.Host, mod func(*vrrp.Config)) (*vrrp.Router, *recorder) {
	t.Helper()
	rec := &recorder{}
	cfg := vrrp.Config{Interface: h.Name, VRID: 1, VIPs: []netip.Prefix{vip4}, Link: h, OnStateChange: rec.record}
	if mod != nil {
		mod(&cfg)
	}
	r, err := vrrp.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r, rec
}

func prio(p uint8) func(*vrrp.Config) { return func(c *vrrp.Config) { c.Priority = p } }

// RFC 5798 6.4.2: after the master crashes, the backup takes over exactly
// Master_Down_Interval after the last advert it heard.
func TestTakeoverAfterCrashIsMasterDownInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lan := vrrptest.NewLAN(1)
		ha, hb := lan.AddHost("a", ipA), lan.AddHost("b", ipB)
		ra, _ := newRouter(t, ha, prio(200))
		rb, recB := newRouter(t, hb, prio(100))
		stopA := vrrptest.Start(t.Context(), ra)
		defer stopA()
		stopB := vrrptest.Start(t.Context(), rb)
		defer stopB()
		start := time.Now()
		time.Sleep(10500 * time.Millisecond)
		synctest.Wait()
		if ra.State() != vrrp.StateMaster || rb.State() != vrrp.StateBackup {
			t.Fatalf("a %v b %v", ra.State(), rb.State())
		}
		// a became MASTER after its own Master_Down_Interval and
		// advertises every second since; crash it half a second after an
		// advert.
		becameMaster := start.Add(vrrp.MasterDownInterval(vrrp.Version3, 200, time.Second))
		lastAdvert := becameMaster.Add(7 * time.Second)
		if d := time.Since(lastAdvert); d <= 0 || d >= time.Second {
			t.Fatalf("last advert %v ago", d)
		}
		ha.Crash()
		time.Sleep(5 * time.Second)
		synctest.Wait()
		tr, at := recB.last()
		if tr.To != vrrp.StateMaster || tr.Reason != vrrp.ReasonMasterDown {
			t.Fatalf("b's last transition %+v", tr)
		}
		want := vrrp.MasterDownInterval(vrrp.Version3, 100, time.Second)
		if got := at.Sub(lastAdvert); got != want {
			t.Errorf("takeover %v after the last advert, want Master_Down_Interval %v", got, want)
		}
		if h := lan.Holders(vip4.Addr()); len(h) != 1 || h[0] != hb {
			t.Errorf("holders %v", h)
		}
	})
}

// RFC 5798 6.4.3 and 6.4.2: a master that stops sends priority 0 and the
// backup takes over after Skew_Time.
func TestTakeoverAfterShutdownIsSkewTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lan := vrrptest.NewLAN(1)
		ha, hb := lan.AddHost("a", ipA), lan.AddHost("b", ipB)
		ra, _ := newRouter(t, ha, prio(200))
		rb, recB := newRouter(t, hb, prio(100))
		stopA := vrrptest.Start(t.Context(), ra)
		stopB := vrrptest.Start(t.Context(), rb)
		defer stopB()
		time.Sleep(10 * time.Second)
		start := time.Now()
		if err := stopA(); err != nil {
			t.Fatal(err)
		}
		if len(ha.VIPs()) != 0 {
			t.Errorf("stopped master still holds %v", ha.VIPs())
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		tr, at := recB.last()
		if tr.To != vrrp.StateMaster || tr.Reason != vrrp.ReasonPriorityZero {
			t.Fatalf("b's last transition %+v", tr)
		}
		if got, want := at.Sub(start), vrrp.SkewTime(vrrp.Version3, 100, time.Second); got != want {
			t.Errorf("takeover after %v, want Skew_Time %v", got, want)
		}
		if s := ra.Stats(); s.PriorityZeroSent != 1 || s.State != vrrp.StateInit {
			t.Errorf("a stats %+v", s)
		}
		if s := rb.Stats(); s.PriorityZeroReceived != 1 {
			t.Errorf("b stats %+v", s)
		}
	})
}

// Bad packets are counted and dropped, never acted on.
func TestBadPacketsAreCountedAndDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lan := vrrptest.NewLAN(1)
		hb := lan.AddHost("b", ipB)
		rb, _ := newRouter(t, hb, prio(100))
		stop := vrrptest.Start(t.Context(), rb)
		defer stop()
		good := func(p uint8, addrs ...netip.Addr) []byte {
			return advertFromC(t, vrrp.Advert{Version: vrrp.Version3, VRID: 1, Priority: p, Addrs: addrs}, vrrp.Group4)
		}
		for range 3 {
			lan.Inject(ipC, vrrp.Group4, 255, []byte{0x31, 1, 2})    // short
			lan.Inject(ipC, vrrp.Group4, 64, good(250, vip4.Addr())) // TTL
			b := good(250, vip4.Addr())
			b[7] ^= 0xff
			lan.Inject(ipC, vrrp.Group4, 255, b)                                           // checksum
			lan.Inject(ipC, vrrp.Group4, 255, good(250, netip.MustParseAddr("192.0.2.9"))) // address list
			time.Sleep(time.Second)
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		s := rb.Stats()
		if s.ParseErrors != 9 || s.Rejected != 3 || s.AdvertsReceived != 0 {
			t.Errorf("ParseErrors %d Rejected %d AdvertsReceived %d, want 9 3 0", s.ParseErrors, s.Rejected, s.AdvertsReceived)
		}
		// keepalived's vrrp.stats "Packet Errors".
		if s.LengthErrors != 3 || s.TTLErrors != 3 || s.ChecksumErrors != 3 || s.AddressListErrors != 3 {
			t.Errorf("Length %d TTL %d Checksum %d AddressList %d errors, want 3 each",
				s.LengthErrors, s.TTLErrors, s.ChecksumErrors, s.AddressListErrors)
		}
		if s.State != vrrp.StateMaster {
			t.Errorf("bad packets held the router in %v", s.State)
		}
		var pe *vrrp.RejectError
		if !errors.As(s.LastError, &pe) {
			t.Errorf("LastError %v", s.LastError)
		}
	})
}

// keepalived track_script semantics: weights move the priority, weight 0
// raises FAULT.
func TestTracking(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lan := vrrptest.NewLAN(1)
		ha, hb := lan.AddHost("a", ipA), lan.AddHost("b", ipB)
		var mu sync.Mutex
		healthy := map[string]bool{"db": true, "uplink": true}
		check := func(name string) hakit.Checker {
			return hakit.CheckerFunc(func(context.Context) error {
				mu.Lock()
				defer mu.Unlock()
				if !healthy[name] {
					return errors.New(name + " down")
				}
				return nil
			})
		}
		set := func(name string, ok bool) {
			mu.Lock()
			healthy[name] = ok
			mu.Unlock()
		}
		ra, recA := newRouter(t, ha, func(c *vrrp.Config) {
			c.Priority = 150
			c.Track = []vrrp.Track{
				{Name: "db", Checker: check("db"), Weight: -60},
				{Name: "uplink", Checker: check("uplink")},
			}
		})
		rb, _ := newRouter(t, hb, prio(100))
		defer vrrptest.Start(t.Context(), ra)()
		defer vrrptest.Start(t.Context(), rb)()
		time.Sleep(10 * time.Second)
		if ra.State() != vrrp.StateMaster {
			t.Fatalf("a %v", ra.State())
		}
		set("db", false) // 150-60 = 90 < 100: b preempts
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if s := ra.Stats(); s.Priority != 90 || s.State != vrrp.StateBackup || s.Tracks[0].Up || s.Tracks[0].Err == nil {
			t.Errorf("a after db failure: %+v", s)
		}
		if rb.State() != vrrp.StateMaster {
			t.Errorf("b %v", rb.State())
		}
		set("db", true)
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if ra.State() != vrrp.StateMaster || ra.Stats().Priority != 150 {
			t.Errorf("a after db recovery: %v", ra.Stats())
		}
		set("uplink", false)
		time.Sleep(3 * time.Second)
		synctest.Wait()
		if tr, _ := recA.last(); ra.State() != vrrp.StateFault || tr.Reason != vrrp.ReasonFault {
			t.Errorf("a after uplink failure: %v %+v", ra.State(), tr)
		}
		if len(ha.VIPs()) != 0 {
			t.Errorf("FAULT router holds %v", ha.VIPs())
		}
		time.Sleep(time.Second)
		if rb.State() != vrrp.StateMaster {
			t.Errorf("b %v", rb.State())
		}
		set("uplink", true)
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if ra.State() != vrrp.StateMaster {
			t.Errorf("a after uplink recovery: %v", ra.State())
		}
	})
}

// keepalived vrrp_sync_group: members move together. A fault of one
// member (here a's external uplink check) faults the whole group, so the
// other node takes over both addresses.
func TestSyncGroup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lan := vrrptest.NewLAN(1)
		vipExt, vipInt := netip.MustParsePrefix("192.0.2.100/24"), netip.MustParsePrefix("192.0.2.101/24")
		uplink := &hakittest.Checker{}
		type node struct{ ext, int *vrrp.Router }
		var nodes []node
		for i, ip := range []netip.Addr{ipA, ipB} {
			g := &vrrp.SyncGroup{Name: "g"}
			hExt, hInt := lan.AddHost("ext", ip), lan.AddHost("int", ip)
			p := uint8(200 - 100*i)
			ext, _ := newRouter(t, hExt, func(c *vrrp.Config) {
				c.VRID, c.Priority, c.VIPs, c.SyncGroup = 1, p, []netip.Prefix{vipExt}, g
				if i == 0 {
					c.Track = []vrrp.Track{{Name: "uplink", Checker: uplink}}
				}
			})
			in, _ := newRouter(t, hInt, func(c *vrrp.Config) { c.VRID, c.Priority, c.VIPs, c.SyncGroup = 2, p, []netip.Prefix{vipInt}, g })
			nodes = append(nodes, node{ext, in})
			defer vrrptest.Start(t.Context(), ext)()
			defer vrrptest.Start(t.Context(), in)()
		}
		a, b := nodes[0], nodes[1]
		states := func() [4]vrrp.State {
			return [4]vrrp.State{a.ext.State(), a.int.State(), b.ext.State(), b.int.State()}
		}
		holder := func(p netip.Prefix) netip.Addr {
			h := lan.Holders(p.Addr())
			if len(h) != 1 {
				t.Errorf("%v held by %v", p, h)
				return netip.Addr{}
			}
			return h[0].Primary()
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		M, B, F := vrrp.StateMaster, vrrp.StateBackup, vrrp.StateFault
		if got := states(); got != [4]vrrp.State{M, M, B, B} {
			t.Fatalf("start: %v", got)
		}
		uplink.Set(errors.New("uplink down"))
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if got := states(); got != [4]vrrp.State{F, F, M, M} {
			t.Errorf("after a's uplink failed: %v, want a FAULT/FAULT b MASTER/MASTER", got)
		}
		if holder(vipExt) != ipB || holder(vipInt) != ipB {
			t.Errorf("VIPs not on b")
		}
		uplink.Set(nil)
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if got := states(); got != [4]vrrp.State{M, M, B, B} {
			t.Errorf("after recovery: %v", got)
		}
		if holder(vipExt) != ipA || holder(vipInt) != ipA {
			t.Errorf("VIPs not back on a")
		}
	})
}

// A member whose master-down timer fires waits until every member wants
// MASTER (keepalived's vrrp_sync_can_goto_master): a one-sided loss of
// adverts does not split the group.
func TestSyncGroupWaitsForAllMembers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lan := vrrptest.NewLAN(1)
		var hosts [2][2]*vrrptest.Host
		var rs [2][2]*vrrp.Router
		for i, ip := range []netip.Addr{ipA, ipB} {
			g := &vrrp.SyncGroup{}
			for j := range 2 {
				h := lan.AddHost("h", ip)
				r, _ := newRouter(t, h, func(c *vrrp.Config) {
					c.VRID, c.Priority, c.SyncGroup = uint8(j+1), uint8(200-100*i), g
					c.VIPs = []netip.Prefix{netip.PrefixFrom(netip.AddrFrom4([4]byte{192, 0, 2, byte(100 + j)}), 24)}
				})
				hosts[i][j], rs[i][j] = h, r
				defer vrrptest.Start(t.Context(), r)()
			}
		}
		time.Sleep(10 * time.Second)
		// b stops hearing a's VRID 1 only.
		lan.Block(hosts[0][0], hosts[1][0])
		time.Sleep(20 * time.Second)
		synctest.Wait()
		if rs[1][0].State() != vrrp.StateBackup || rs[1][1].State() != vrrp.StateBackup {
			t.Errorf("b went %v/%v on a one-sided loss", rs[1][0].State(), rs[1][1].State())
		}
		// Now b hears nothing from a: the whole group wants MASTER.
		lan.Isolate(hosts[0][1])
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if rs[1][0].State() != vrrp.StateMaster || rs[1][1].State() != vrrp.StateMaster {
			t.Errorf("b %v/%v after losing a entirely", rs[1][0].State(), rs[1][1].State())
		}
	})
}

func TestConfigErrors(t *testing.T) {
	h := vrrptest.NewLAN(1).AddHost("x", ipA)
	cases := []struct {
		field string
		cfg   vrrp.Config
	}{
		{"Interface", vrrp.Config{VRID: 1, VIPs: []netip.Prefix{vip4}}},
		{"VRID", vrrp.Config{Link: h, VIPs: []netip.Prefix{vip4}}},
		{"VIPs", vrrp.Config{Link: h, VRID: 1}},
		{"UnicastPeers", vrrp.Config{Link: h, VRID: 1, VIPs: []netip.Prefix{vip4}, UnicastPeers: []netip.Addr{netip.MustParseAddr("fd00::1")}}},
		{"Track[0]", vrrp.Config{Link: h, VRID: 1, VIPs: []netip.Prefix{vip4}, Track: []vrrp.Track{{Name: "x"}}}},
		{"Weight", vrrp.Config{Link: h, VRID: 1, VIPs: []netip.Prefix{vip4}, Track: []vrrp.Track{{Name: "x", Checker: hakit.CheckerFunc(nil), Weight: 300}}}},
	}
	for _, tc := range cases {
		_, err := vrrp.New(tc.cfg)
		if !errors.Is(err, vrrp.ErrInvalidConfig) || !contains(err.Error(), tc.field) {
			t.Errorf("%s: %v", tc.field, err)
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestTrackedPriority(t *testing.T) {
	up := func(w int, ok bool) vrrp.TrackStatus { return vrrp.TrackStatus{Weight: w, Up: ok} }
	pending := func(w int) vrrp.TrackStatus { return vrrp.TrackStatus{Weight: w, Pending: true} }
	cases := []struct {
		name   string
		base   uint8
		tracks []vrrp.TrackStatus
		prio   uint8
		fault  bool
	}{
		{"keepalived: positive weight added while up", 100, []vrrp.TrackStatus{up(20, true)}, 120, false},
		{"keepalived: positive weight not added while down", 100, []vrrp.TrackStatus{up(20, false)}, 100, false},
		{"keepalived: negative weight subtracted while down", 100, []vrrp.TrackStatus{up(-30, false)}, 70, false},
		{"keepalived: negative weight ignored while up", 100, []vrrp.TrackStatus{up(-30, true)}, 100, false},
		{"keepalived: weight 0 down is FAULT", 100, []vrrp.TrackStatus{up(0, false)}, 100, true},
		{"keepalived: clamped to 254", 200, []vrrp.TrackStatus{up(100, true)}, 254, false},
		{"keepalived: clamped to 1", 50, []vrrp.TrackStatus{up(-100, false)}, 1, false},
		{"keepalived: the owner's 255 never changes", 255, []vrrp.TrackStatus{up(-100, false)}, 255, false},
		{"keepalived: the owner still faults on weight 0", 255, []vrrp.TrackStatus{up(0, false)}, 255, true},
		{"keepalived: weights add up", 100, []vrrp.TrackStatus{up(20, true), up(-50, false), up(10, false)}, 70, false},
		{"keepalived: a pending script counts neither way", 100, []vrrp.TrackStatus{pending(20), pending(-30)}, 100, false},
		{"keepalived: a pending weight 0 script holds the router", 100, []vrrp.TrackStatus{pending(0)}, 100, true},
	}
	for _, tc := range cases {
		p, f := vrrp.TrackedPriority(tc.base, tc.tracks)
		if p != tc.prio || f != tc.fault {
			t.Errorf("%s: got %d %v, want %d %v", tc.name, p, f, tc.prio, tc.fault)
		}
	}
}

func TestScriptChecker(t *testing.T) {
	ok := vrrp.Script("/bin/sh", "-c", "exit 0")
	if err := ok.Check(t.Context()); err != nil {
		t.Errorf("exit 0: %v", err)
	}
	bad := vrrp.Script("/bin/sh", "-c", "echo broken; exit 3")
	if err := bad.Check(t.Context()); err == nil || !contains(err.Error(), "broken") {
		t.Errorf("exit 3: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := vrrp.Script("/bin/sh", "-c", "sleep 5").Check(ctx); err == nil {
		t.Errorf("a script past its timeout succeeded")
	}
}

// keepalived's garp_lower_prio_repeat and garp_lower_prio_delay: when a
// partition heals, the MASTER that hears the lower-priority router (which
// believed itself MASTER and announced the address) answers with an
// advert and a burst of announcements, and another burst 5s later, so
// that the neighbours' caches point at it again.
func TestLowerPriorityAdvertReannounces(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lan := vrrptest.NewLAN(1)
		ha, hb := lan.AddHost("a", ipA), lan.AddHost("b", ipB)
		ra, _ := newRouter(t, ha, prio(200))
		rb, _ := newRouter(t, hb, prio(100))
		stopA := vrrptest.Start(t.Context(), ra)
		defer stopA()
		stopB := vrrptest.Start(t.Context(), rb)
		defer stopB()
		time.Sleep(20 * time.Second)
		lan.Partition([]*vrrptest.Host{ha}, []*vrrptest.Host{hb})
		time.Sleep(20 * time.Second)
		synctest.Wait()
		if ra.State() != vrrp.StateMaster || rb.State() != vrrp.StateMaster {
			t.Fatalf("split brain expected: a %v b %v", ra.State(), rb.State())
		}
		before := ha.Announcements()
		// a hears b first: b's adverts reach a, a's do not reach b yet.
		lan.Heal()
		lan.Block(ha, hb)
		time.Sleep(1100 * time.Millisecond)
		synctest.Wait()
		first := ha.Announcements() - before
		if first < 5 {
			t.Fatalf("a sent %d announcement rounds after hearing lower-priority b, want at least 5", first)
		}
		lan.Heal()
		time.Sleep(6 * time.Second)
		synctest.Wait()
		if rb.State() != vrrp.StateBackup || ra.State() != vrrp.StateMaster {
			t.Fatalf("after heal: a %v b %v", ra.State(), rb.State())
		}
		if second := ha.Announcements() - before - first; second < 5 {
			t.Errorf("a sent %d rounds in the 5s after, want the garp_lower_prio_delay burst of 5", second)
		}
	})
}

// Each dropped packet is counted under the reason keepalived's vrrp.stats
// (and RFC 6527's VRRPv3 MIB) give it; a malformed packet of another VRID
// is not this router's error, as keepalived's dispatcher drops it before
// any instance sees it; and as keepalived, a router of the multicast group
// drops unicast adverts (and a unicast one multicast adverts).
func TestPacketErrorCounters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lan := vrrptest.NewLAN(1)
		hb := lan.AddHost("b", ipB)
		rb, _ := newRouter(t, hb, prio(200))
		stop := vrrptest.Start(t.Context(), rb)
		defer stop()
		enc := func(a vrrp.Advert, dst netip.Addr) []byte {
			if a.Addrs == nil {
				a.Addrs = []netip.Addr{vip4.Addr()}
			}
			return advertFromC(t, a, dst)
		}
		v3 := vrrp.Advert{Version: vrrp.Version3, VRID: 1, Priority: 100}
		badType := enc(v3, vrrp.Group4)
		badType[0] = 0x32
		badAuth := enc(vrrp.Advert{Version: vrrp.Version2, VRID: 1, Priority: 100}, vrrp.Group4)
		badAuth[4] = 2 // IP Authentication Header
		otherVRID := enc(vrrp.Advert{Version: vrrp.Version3, VRID: 9, Priority: 100}, vrrp.Group4)
		otherVRID[7] ^= 0xff
		lan.Inject(ipC, vrrp.Group4, 255, enc(vrrp.Advert{Version: vrrp.Version2, VRID: 1, Priority: 100}, vrrp.Group4)) // version
		lan.Inject(ipC, vrrp.Group4, 255, badType)                                                                       // type
		lan.Inject(ipC, vrrp.Group4, 255, badAuth)                                                                       // auth type
		lan.Inject(ipC, ipB, 255, enc(v3, ipB))                                                                          // unicast to a multicast router
		lan.Inject(ipC, vrrp.Group4, 255, otherVRID)                                                                     // malformed, VRID 9
		time.Sleep(time.Second)
		synctest.Wait()
		s := rb.Stats()
		if s.VersionErrors != 1 || s.TypeErrors != 1 || s.AuthTypeErrors != 1 || s.AddressListErrors != 1 {
			t.Errorf("Version %d Type %d AuthType %d AddressList %d errors, want 1 each",
				s.VersionErrors, s.TypeErrors, s.AuthTypeErrors, s.AddressListErrors)
		}
		if s.ParseErrors != 2 || s.Rejected != 2 || s.OtherVRID != 1 || s.ChecksumErrors != 0 {
			t.Errorf("ParseErrors %d Rejected %d OtherVRID %d ChecksumErrors %d, want 2 2 1 0",
				s.ParseErrors, s.Rejected, s.OtherVRID, s.ChecksumErrors)
		}
		if s.AdvertsReceived != 0 {
			t.Errorf("AdvertsReceived %d", s.AdvertsReceived)
		}

		// VRRPv2: the interval must match (RFC 3768 7.1).
		lan2 := vrrptest.NewLAN(2)
		r2, _ := newRouter(t, lan2.AddHost("v2", ipB), func(c *vrrp.Config) { c.Version = vrrp.Version2; c.Priority = 200 })
		defer vrrptest.Start(t.Context(), r2)()
		time.Sleep(100 * time.Millisecond)
		lan2.Inject(ipC, vrrp.Group4, 255, enc(vrrp.Advert{Version: vrrp.Version2, VRID: 1, Priority: 100, Interval: 2 * time.Second}, vrrp.Group4))
		time.Sleep(time.Second)
		synctest.Wait()
		if s := r2.Stats(); s.IntervalErrors != 1 || s.Rejected != 1 {
			t.Errorf("v2 IntervalErrors %d Rejected %d, want 1 1", s.IntervalErrors, s.Rejected)
		}
	})
}

// advertFromC encodes a as sent by ipC to dst, with a 1s interval unless a
// sets one.
func advertFromC(t *testing.T, a vrrp.Advert, dst netip.Addr) []byte {
	t.Helper()
	if a.Interval == 0 {
		a.Interval = time.Second
	}
	b, err := vrrp.AppendAdvert(nil, a, ipC, dst, vrrp.ChecksumRFC)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
