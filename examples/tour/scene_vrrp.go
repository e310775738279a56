package main

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/hakit/hakit/vrrp"
	"github.com/hakit/hakit/vrrp/vrrptest"
)

// sceneVRRP: three routers hold one virtual IP on an in-memory LAN; the
// master crashes, comes back and preempts, then stops cleanly.
func sceneVRRP(ctx context.Context, w io.Writer) error {
	tl := newTimeline(w)
	lan := vrrptest.NewLAN(1)
	vip := netip.MustParsePrefix("192.0.2.100/24")
	const interval = 100 * time.Millisecond

	type node struct {
		name  string
		host  *vrrptest.Host
		prio  uint8
		r     *vrrp.Router
		stop  func() error
		state chan vrrp.State
	}
	start := func(n *node) error {
		r, err := vrrp.New(vrrp.Config{
			Interface: n.name, VRID: 42, Priority: n.prio, VIPs: []netip.Prefix{vip},
			Interval: interval, Link: n.host,
			OnStateChange: func(t vrrp.Transition) {
				tl.printf("%s: %v -> %v (%v)", n.name, t.From, t.To, t.Reason)
				select {
				case n.state <- t.To:
				default:
				}
			},
		})
		if err != nil {
			return err
		}
		n.r, n.stop = r, vrrptest.Start(ctx, r)
		return nil
	}
	wait := func(n *node, want vrrp.State) error {
		deadline := time.NewTimer(5 * time.Second)
		defer deadline.Stop()
		for {
			select {
			case s := <-n.state:
				if s == want {
					return nil
				}
			case <-deadline.C:
				return fmt.Errorf("%s did not become %v", n.name, want)
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	holders := func() {
		tl.printf("VIP %v is on %v", vip.Addr(), lan.Holders(vip.Addr()))
	}

	var nodes []*node
	tl.printf("routers a (priority 200), b (150) and c (100) share VRID 42, adverts every %v", interval)
	for i, name := range []string{"a", "b", "c"} {
		n := &node{name: name, prio: uint8(200 - 50*i), state: make(chan vrrp.State, 16),
			host: lan.AddHost(name, netip.AddrFrom4([4]byte{192, 0, 2, byte(i + 1)}))}
		nodes = append(nodes, n)
	}
	a, b := nodes[0], nodes[1]
	defer func() {
		for _, n := range nodes {
			if n.stop != nil {
				n.stop()
			}
		}
	}()
	if err := start(a); err != nil {
		return err
	}
	if err := wait(a, vrrp.StateMaster); err != nil {
		return err
	}
	for _, n := range nodes[1:] {
		if err := start(n); err != nil {
			return err
		}
	}
	time.Sleep(3 * interval)
	holders()

	tl.printf("a crashes: no goodbye; b takes over after Master_Down_Interval %v",
		vrrp.MasterDownInterval(vrrp.Version3, 150, interval))
	a.host.Crash()
	if err := wait(b, vrrp.StateMaster); err != nil {
		return err
	}
	a.stop()
	holders()

	tl.printf("a reboots: it starts as BACKUP, discards b's lower-priority adverts and preempts")
	a.host.Restart()
	if err := start(a); err != nil {
		return err
	}
	if err := wait(a, vrrp.StateMaster); err != nil {
		return err
	}
	if err := wait(b, vrrp.StateBackup); err != nil {
		return err
	}
	holders()

	tl.printf("a stops cleanly: it sends priority 0, and b takes over after Skew_Time %v",
		vrrp.SkewTime(vrrp.Version3, 150, interval))
	a.stop()
	a.stop = nil
	if err := wait(b, vrrp.StateMaster); err != nil {
		return err
	}
	holders()
	s := b.r.Stats()
	tl.printf("b's stats: became master %d times, %d adverts sent, %d received, %d with priority 0",
		s.BecameMaster, s.AdvertsSent, s.AdvertsReceived, s.PriorityZeroReceived)
	return nil
}
