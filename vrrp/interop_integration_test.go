//go:build integration && linux

package vrrp_test

import (
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"
)

// family is one protocol setting the interop tests cover.
type family struct {
	name    string
	version int
	v6      bool
	vip     netip.Prefix
	// unicast: adverts to the other node's address from the node's own
	// (unicast_src_ip, for IPv6 the global fd00:: one) instead of the
	// multicast group.
	unicast bool
}

var families = []family{
	{"v3-ipv4", 3, false, netip.MustParsePrefix("192.0.2.100/24"), false},
	{"v2-ipv4", 2, false, netip.MustParsePrefix("192.0.2.100/24"), false},
	{"v3-ipv6", 3, true, netip.MustParsePrefix("fd00::100/64"), false},
}

var unicastFamilies = []family{
	{"v3-ipv4-unicast", 3, false, netip.MustParsePrefix("192.0.2.100/24"), true},
	{"v2-ipv4-unicast", 2, false, netip.MustParsePrefix("192.0.2.100/24"), true},
	{"v3-ipv6-unicast", 3, true, netip.MustParsePrefix("fd00::100/64"), true},
}

type impl int

const (
	keepalived impl = iota
	ours
)

func (i impl) String() string { return [...]string{"keepalived", "vrrpd"}[i] }

func (f family) spec(prio int) routerSpec {
	return routerSpec{vrid: 42, priority: prio, version: f.version, advert: time.Second, vips: []netip.Prefix{f.vip}}
}

// specOn is spec for a router on self whose peer is on peer: with
// unicast, from self's address to peer's.
func (f family) specOn(prio int, self, peer *nsNode) routerSpec {
	s := f.spec(prio)
	if f.unicast {
		s.unicastSrc, s.unicastPeers = f.primary(self), []netip.Addr{f.primary(peer)}
	}
	return s
}

// primary is the address the node's adverts come from: its IPv4 address,
// its IPv6 link-local one, or with unicast its global IPv6 one.
func (f family) primary(nd *nsNode) netip.Addr {
	switch {
	case f.v6 && f.unicast:
		return nd.ip6
	case f.v6:
		return nd.ll
	}
	return nd.ip4
}

func start(t testing.TB, i impl, nd *nsNode, s routerSpec, extra ...string) speaker {
	t.Helper()
	if i == ours {
		return startVrrpd(t, nd, s, extra...)
	}
	p := startKeepalived(t, nd, s)
	p.waitChild(t)
	return p
}

// timing is what one failover scenario measured.
type timing struct {
	graceful, crash time.Duration
}

type timings struct {
	mu sync.Mutex
	m  map[string]timing // "family master>backup"
}

func (ts *timings) put(k string, v timing) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.m[k] = v
}

// failover runs one pair through an election, a graceful stop of the
// master, its restart (it preempts), and a crash of the master, and
// returns the backup's takeover times: after SIGTERM, measured from the
// signal; after the crash, measured from the master's last advert as the
// backup's interface saw it, so that the advert phase does not blur the
// comparison.
func failover(t *testing.T, f family, master, backup impl) timing {
	lan := newNSLAN(t, 2)
	mn, bn := lan.nodes[1], lan.nodes[0]
	vip := f.vip.Addr()
	sn := sniff(t, bn, f.v6)

	// The master first, so that the backup never is MASTER for a moment
	// because the master's process was slow to start.
	ms := start(t, master, mn, f.specOn(200, mn, bn))
	mn.waitHas(t, vip, true, 10*time.Second)
	bk := start(t, backup, bn, f.specOn(100, bn, mn))
	time.Sleep(2 * time.Second)
	if !mn.has(t, vip) || bn.has(t, vip) {
		t.Fatalf("election: master holds VIP %v, backup %v; want true, false", mn.has(t, vip), bn.has(t, vip))
	}
	// The master advertises exactly the VIP, from its primary address.
	if _, a := sn.lastFrom(f.primary(mn)); a.Priority != 200 || !slices.Equal(a.Addrs, []netip.Addr{vip}) || int(a.Version) != f.version {
		t.Errorf("master's advert as seen by the backup: %+v", a)
	}
	checkLines(t, bk, "BACKUP")
	checkLines(t, ms, "BACKUP", "MASTER")

	// Graceful stop: priority 0, backup takes over after Skew_Time.
	took := bn.watch(t, vip, true, 5*time.Second)
	t0 := time.Now()
	ms.stop(t)
	tb := <-took
	if tb.IsZero() {
		t.Fatalf("%v did not take over after %v stopped", bk.name(), ms.name())
	}
	var tm timing
	tm.graceful = tb.Sub(t0)
	if mn.has(t, vip) {
		t.Errorf("%v kept the VIP after SIGTERM", ms.name())
	}
	checkLines(t, ms, "BACKUP", "MASTER", "INIT")
	checkLines(t, bk, "BACKUP", "MASTER")

	// Restart: the higher priority preempts.
	ms = start(t, master, mn, f.specOn(200, mn, bn))
	mn.waitHas(t, vip, true, 10*time.Second)
	bn.waitHas(t, vip, false, 5*time.Second)
	checkLines(t, bk, "BACKUP", "MASTER", "BACKUP")
	time.Sleep(1300 * time.Millisecond)

	// Crash: no goodbye, backup takes over after Master_Down_Interval.
	took = bn.watch(t, vip, true, 10*time.Second)
	ms.crash(t)
	tb = <-took
	if tb.IsZero() {
		t.Fatalf("%v did not take over after %v crashed", bk.name(), ms.name())
	}
	last, _ := sn.lastFrom(f.primary(mn))
	tm.crash = tb.Sub(last)
	checkLines(t, bk, "BACKUP", "MASTER", "BACKUP", "MASTER")
	return tm
}

// checkLines checks a vrrpd's JSON lines so far; keepalived has none.
func checkLines(t *testing.T, s speaker, want ...string) {
	t.Helper()
	p, ok := s.(*vrrpdProc)
	if !ok {
		return
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		var got []string
		for _, l := range p.lines() {
			if l.VRID != 42 {
				t.Errorf("line for VRID %d", l.VRID)
			}
			got = append(got, l.State)
		}
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%s printed %v, want %v", p.name(), got, want)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestInteropFailover runs, for VRRPv3 over IPv4, VRRPv2 and VRRPv3 over
// IPv6, three pairs side by side: keepalived-keepalived (the reference),
// vrrpd master with keepalived backup, and keepalived master with vrrpd
// backup. Each elects, fails over on SIGTERM, preempts on restart and
// fails over on a crash; the takeover times are compared with
// keepalived's own.
func TestInteropFailover(t *testing.T) { interopFailover(t, families) }

// TestInteropUnicastFailover is TestInteropFailover with keepalived's
// unicast_src_ip and unicast_peer on both sides (the IPv6 pair from its
// global addresses), vrrpd's -unicast-src and -unicast-peer.
func TestInteropUnicastFailover(t *testing.T) { interopFailover(t, unicastFamilies) }

func interopFailover(t *testing.T, families []family) {
	ts := &timings{m: map[string]timing{}}
	pairs := [][2]impl{{keepalived, keepalived}, {ours, keepalived}, {keepalived, ours}}
	key := func(f family, p [2]impl) string { return fmt.Sprintf("%s %v>%v", f.name, p[0], p[1]) }
	t.Run("pairs", func(t *testing.T) {
		var wg sync.WaitGroup
		for _, f := range families {
			for _, p := range pairs {
				wg.Go(func() {
					t.Run(fmt.Sprintf("%s/%v-master/%v-backup", f.name, p[0], p[1]), func(t *testing.T) {
						ts.put(key(f, p), failover(t, f, p[0], p[1]))
					})
				})
			}
		}
		wg.Wait()
	})
	if t.Failed() {
		return
	}
	t.Logf("takeover times (backup priority 100, advert 1s; crash measured from the master's last advert):")
	t.Logf("%-8s %-22s %10s %10s", "family", "master>backup", "SIGTERM", "kill -9")
	for _, f := range families {
		ref := ts.m[key(f, pairs[0])]
		for _, p := range pairs {
			tm := ts.m[key(f, p)]
			t.Logf("%-8s %-22s %10v %10v", f.name, fmt.Sprintf("%v>%v", p[0], p[1]), tm.graceful.Round(time.Millisecond), tm.crash.Round(time.Millisecond))
			// The bounds are the contract's: Skew_Time (0.61s) is expected
			// after a priority-0 advert, within 1.5s or keepalived's own
			// time on this run + 0.5s when load slows keepalived itself
			// (without the priority 0 it would be Master_Down_Interval,
			// 3.6s), and a crash is seen within keepalived's own time.
			if p == pairs[0] {
				continue // the reference
			}
			if bound := max(1500*time.Millisecond, ref.graceful+500*time.Millisecond); tm.graceful > bound {
				t.Errorf("%s: takeover after graceful stop %v, want within %v (keepalived's own %v)", key(f, p), tm.graceful, bound, ref.graceful)
			}
			if tm.crash > ref.crash+500*time.Millisecond {
				t.Errorf("%s: takeover after crash %v, keepalived's own %v (+0.5s allowed)", key(f, p), tm.crash, ref.crash)
			}
		}
	}
}

// TestInteropNoPreempt: a higher-priority router with nopreempt that joins
// a running master stays BACKUP, whichever side is which.
func TestInteropNoPreempt(t *testing.T) {
	f := families[0]
	pairs := [][2]impl{{keepalived, ours}, {ours, keepalived}}
	var names []string
	for _, p := range pairs {
		names = append(names, fmt.Sprintf("%s/%v-master/%v-joins", f.name, p[0], p[1]))
	}
	concurrently(t, names, func(t *testing.T, i int) {
		p := pairs[i]
		lan := newNSLAN(t, 2)
		mn, jn := lan.nodes[0], lan.nodes[1]
		vip := f.vip.Addr()
		start(t, p[0], mn, f.spec(100))
		mn.waitHas(t, vip, true, 10*time.Second)
		s := f.spec(200)
		s.nopreempt = true
		j := start(t, p[1], jn, s)
		time.Sleep(6 * time.Second)
		if !mn.has(t, vip) || jn.has(t, vip) {
			t.Errorf("after %v joined with nopreempt: master holds %v, joiner %v", j.name(), mn.has(t, vip), jn.has(t, vip))
		}
		checkLines(t, j, "BACKUP")
	})
}

// TestInteropEqualPriority: with equal priorities the higher primary
// address wins (RFC 5798 6.4.3), whichever implementation has it; over
// IPv6 the primary address is the link-local one. The tie is only broken
// between two masters (a backup accepts an equal priority from any
// address, RFC 5798 6.4.2), so both start apart, become MASTER, and then
// meet, as after a partition heals.
func TestInteropEqualPriority(t *testing.T) {
	type tc struct {
		f family
		p [2]impl
	}
	var cases []tc
	var names []string
	for _, f := range families {
		for _, p := range [][2]impl{{keepalived, ours}, {ours, keepalived}} {
			cases = append(cases, tc{f, p})
			names = append(names, fmt.Sprintf("%s/%v-and-%v", f.name, p[0], p[1]))
		}
	}
	concurrently(t, names, func(t *testing.T, i int) {
		f, p := cases[i].f, cases[i].p
		lan := newNSLAN(t, 2)
		a, b := lan.nodes[0], lan.nodes[1]
		vip := f.vip.Addr()
		// The bridge does not forward a's frames: a and b cannot hear
		// each other.
		lan.setPort(t, 0, false)
		start(t, p[0], a, f.spec(100))
		start(t, p[1], b, f.spec(100))
		// Both MASTER while they cannot hear each other; then they meet.
		b.waitHas(t, vip, true, 10*time.Second)
		a.waitHas(t, vip, true, 10*time.Second)
		lan.setPort(t, 0, true)
		win, lose := b, a
		if f.primary(a).Compare(f.primary(b)) > 0 {
			win, lose = a, b
		}
		lose.waitHas(t, vip, false, 10*time.Second)
		time.Sleep(3 * time.Second)
		if !win.has(t, vip) || lose.has(t, vip) {
			t.Errorf("higher primary %v holds VIP %v, lower %v holds %v", f.primary(win), win.has(t, vip), f.primary(lose), lose.has(t, vip))
		}
	})
}

// concurrently runs the subtests at once in goroutines: they mostly wait
// on timers, and t.Parallel would hold them to GOMAXPROCS at a time.
func concurrently(t *testing.T, names []string, f func(t *testing.T, i int)) {
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() { t.Run(name, func(t *testing.T) { f(t, i) }) })
	}
	wg.Wait()
}
