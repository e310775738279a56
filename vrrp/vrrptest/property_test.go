package vrrptest_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hakit/hakit/vrrp"
	"github.com/hakit/hakit/vrrp/vrrptest"
)

// member is one router of a chaos run.
type member struct {
	host *vrrptest.Host
	cfg  vrrp.Config
	r    *vrrp.Router
	stop func() error
}

func (m *member) start(t *testing.T) {
	t.Helper()
	r, err := vrrp.New(m.cfg)
	if err != nil {
		t.Fatal(err)
	}
	m.r, m.stop = r, vrrptest.Start(context.Background(), r)
}

func (m *member) running() bool { return m.stop != nil }

func (m *member) halt(t *testing.T) {
	t.Helper()
	if err := m.stop(); err != nil {
		t.Errorf("%s: Run: %v", m.host, err)
	}
	m.stop = nil
}

// better reports whether a wins an election against b (RFC 5798 6.4.3).
func better(a, b *member) bool {
	pa, pb := a.r.Stats().Priority, b.r.Stats().Priority
	return pa > pb || pa == pb && a.host.Primary().Compare(b.host.Primary()) > 0
}

// chaos runs routers of two virtual routers (VRID 1 with preemption, VRID
// 2 without) on one LAN through random partitions, loss, delays, crashes
// and restarts, heals the LAN and checks the properties.
func chaos(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 42))
	lan := vrrptest.NewLAN(seed)
	n := 2 + rng.IntN(4)
	vips := map[uint8]netip.Prefix{1: netip.MustParsePrefix("192.0.2.100/24"), 2: netip.MustParsePrefix("192.0.2.200/24")}
	var ms []*member
	for i := range n {
		addr := netip.AddrFrom4([4]byte{192, 0, 2, byte(10 + i)})
		for _, vrid := range []uint8{1, 2} {
			prio := uint8(1 + rng.IntN(254))
			if rng.IntN(4) == 0 {
				prio = 100 // make ties likely
			}
			iv := []time.Duration{100 * time.Millisecond, time.Second, 3 * time.Second}[rng.IntN(3)]
			if vrid == 2 {
				iv = time.Second // VRRPv2: one interval for all
			}
			h := lan.AddHost(fmt.Sprintf("h%d/vrid%d", i, vrid), addr)
			cfg := vrrp.Config{
				Interface: h.Name, VRID: vrid, Priority: prio, VIPs: []netip.Prefix{vips[vrid]},
				Interval: iv, Link: h, NoPreempt: vrid == 2,
			}
			if vrid == 2 {
				cfg.Version = vrrp.Version2
			}
			m := &member{host: h, cfg: cfg}
			m.start(t)
			ms = append(ms, m)
		}
	}
	defer func() {
		for _, m := range ms {
			if m.running() {
				m.halt(t)
			}
		}
	}()
	hosts := lan.Hosts()
	var log []string
	for step := range 12 {
		time.Sleep(time.Duration(rng.Int64N(int64(6 * time.Second))))
		m := ms[rng.IntN(len(ms))]
		switch rng.IntN(7) {
		case 0:
			var a, b []*vrrptest.Host
			for _, h := range hosts {
				if rng.IntN(2) == 0 {
					a = append(a, h)
				} else {
					b = append(b, h)
				}
			}
			lan.Partition(a, b)
			log = append(log, fmt.Sprintf("%d: partition %v | %v", step, a, b))
		case 1:
			lan.Isolate(m.host)
			log = append(log, fmt.Sprintf("%d: isolate %v", step, m.host))
		case 2:
			p := rng.Float64() * 0.6
			lan.SetLoss(p)
			log = append(log, fmt.Sprintf("%d: loss %.2f", step, p))
		case 3:
			d := time.Duration(rng.Int64N(int64(2 * time.Second)))
			lan.SetDelay(d, d/2)
			log = append(log, fmt.Sprintf("%d: delay %v", step, d))
		case 4:
			if m.running() {
				m.host.Crash()
				m.halt(t)
				m.host.Restart()
				log = append(log, fmt.Sprintf("%d: crash %v", step, m.host))
			}
		case 5:
			if m.running() {
				m.halt(t)
				log = append(log, fmt.Sprintf("%d: stop %v", step, m.host))
			} else {
				m.start(t)
				log = append(log, fmt.Sprintf("%d: start %v", step, m.host))
			}
		case 6:
			lan.Heal()
			log = append(log, fmt.Sprintf("%d: heal", step))
		}
	}
	lan.Heal()
	// Settle: the longest Master_Down_Interval is 3*3s + skew < 10s; one
	// more for a preempting backup to discard and take over.
	time.Sleep(25 * time.Second)
	synctest.Wait()

	for _, vrid := range []uint8{1, 2} {
		var masters, live []*member
		for _, m := range ms {
			if m.cfg.VRID != vrid || !m.running() {
				continue
			}
			live = append(live, m)
			if m.r.State() == vrrp.StateMaster {
				masters = append(masters, m)
			}
		}
		if len(live) == 0 {
			if h := lan.Holders(vips[vrid].Addr()); len(h) != 0 {
				t.Errorf("VRID %d: no router runs but %v hold the VIP\n%v", vrid, h, log)
			}
			continue
		}
		if len(masters) != 1 {
			var states []string
			for _, m := range live {
				states = append(states, fmt.Sprintf("%v:%v/%d", m.host, m.r.State(), m.r.Stats().Priority))
			}
			t.Errorf("VRID %d: %d masters after heal, want 1: %v\n%v", vrid, len(masters), states, log)
			continue
		}
		if h := lan.Holders(vips[vrid].Addr()); len(h) != 1 || h[0] != masters[0].host {
			t.Errorf("VRID %d: VIP held by %v, master is %v\n%v", vrid, h, masters[0].host, log)
		}
		if !masters[0].cfg.NoPreempt {
			for _, m := range live {
				if better(m, masters[0]) {
					t.Errorf("VRID %d: preempt on but master %v (prio %d) is beaten by live %v (prio %d)\n%v",
						vrid, masters[0].host, masters[0].r.Stats().Priority, m.host, m.r.Stats().Priority, log)
				}
			}
		}
	}
}

// After the network heals and settles, each VRID has exactly one MASTER,
// which alone holds the VIP, and with preemption it is the best live
// router.
func TestPropertyOneMasterAfterHeal(t *testing.T) {
	seeds := 60
	if testing.Short() {
		seeds = 10
	}
	for seed := range uint64(seeds) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { chaos(t, seed) })
		})
	}
}
