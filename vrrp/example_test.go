package vrrp_test

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/hakit/hakit/vrrp"
	"github.com/hakit/hakit/vrrp/vrrptest"
)

// The state machine is pure: events in, actions out. A driver (Router.Run,
// or a test) carries the actions out and feeds timers back as events.
func ExampleMachine() {
	m, err := vrrp.NewMachine(vrrp.MachineConfig{
		VRID:    42,
		VIPs:    []netip.Addr{netip.MustParseAddr("192.0.2.100")},
		Primary: netip.MustParseAddr("192.0.2.1"),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	show := func(ev vrrp.Event) {
		acts, err := m.Step(ev)
		if err != nil {
			fmt.Println("  rejected:", err)
		}
		for _, a := range acts {
			switch a := a.(type) {
			case vrrp.SendAdvert:
				fmt.Printf("  send advert priority %d\n", a.Advert.Priority)
			case vrrp.SetTimer:
				fmt.Printf("  set %v timer to %v\n", a.Timer, a.After)
			case vrrp.Transition:
				fmt.Printf("  %v -> %v (%v)\n", a.From, a.To, a.Reason)
			default:
				fmt.Printf("  %T\n", a)
			}
		}
	}
	fmt.Println("startup:")
	show(vrrp.Startup{})
	fmt.Println("no advert for Master_Down_Interval:")
	show(vrrp.TimerFired{Timer: vrrp.TimerMasterDown})
	fmt.Println("advert from a higher priority:")
	show(vrrp.AdvertReceived{Src: netip.MustParseAddr("192.0.2.2"), Advert: vrrp.Advert{
		Version: vrrp.Version3, VRID: 42, Priority: 200, Interval: time.Second,
		Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.100")},
	}})
	fmt.Println("advert with another address list:")
	show(vrrp.AdvertReceived{Src: netip.MustParseAddr("192.0.2.2"), Advert: vrrp.Advert{
		Version: vrrp.Version3, VRID: 42, Priority: 200, Interval: time.Second,
		Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.101")},
	}})
	// Output:
	// startup:
	//   vrrp.RemoveVIPs
	//   set master-down timer to 3.609375s
	//   INIT -> BACKUP (startup)
	// no advert for Master_Down_Interval:
	//   vrrp.StopTimer
	//   vrrp.StopTimer
	//   send advert priority 100
	//   vrrp.AddVIPs
	//   vrrp.Announce
	//   set advert timer to 1s
	//   set garp timer to 5s
	//   BACKUP -> MASTER (master down)
	// advert from a higher priority:
	//   vrrp.StopTimer
	//   vrrp.StopTimer
	//   vrrp.StopTimer
	//   vrrp.StopTimer
	//   vrrp.RemoveVIPs
	//   set master-down timer to 3.609375s
	//   MASTER -> BACKUP (higher priority advert)
	// advert with another address list:
	//   rejected: vrrp: advertisement rejected: Addrs: ip address associated with VRID 42 not present in MASTER advert: 192.0.2.100
}

// Two routers on a vrrptest LAN: the higher priority becomes MASTER, and
// when it stops (priority 0 advert) the other takes over.
func ExampleRouter() {
	lan := vrrptest.NewLAN(1)
	vip := netip.MustParsePrefix("192.0.2.100/24")
	states := map[string]chan vrrp.State{}
	newRouter := func(name string, addr string, prio uint8) *vrrp.Router {
		ch := make(chan vrrp.State, 8)
		states[name] = ch
		r, err := vrrp.New(vrrp.Config{
			Interface:     name,
			VRID:          1,
			Priority:      prio,
			VIPs:          []netip.Prefix{vip},
			Interval:      300 * time.Millisecond, // b waits 1.08s for a missing master: no flip on a stalled machine
			Link:          lan.AddHost(name, netip.MustParseAddr(addr)),
			OnStateChange: func(t vrrp.Transition) { ch <- t.To },
		})
		if err != nil {
			panic(err)
		}
		return r
	}
	a := newRouter("a", "192.0.2.1", 200)
	b := newRouter("b", "192.0.2.2", 100)
	wait := func(name string, want vrrp.State) {
		for s := range states[name] {
			fmt.Println(name+":", s)
			if s == want {
				return
			}
		}
	}

	stopA := vrrptest.Start(context.Background(), a)
	wait("a", vrrp.StateMaster)
	stopB := vrrptest.Start(context.Background(), b)
	defer stopB()
	wait("b", vrrp.StateBackup)
	fmt.Println("VIP on:", lan.Holders(vip.Addr()))

	stopA() // graceful: priority 0, b takes over after Skew_Time
	wait("a", vrrp.StateInit)
	wait("b", vrrp.StateMaster)
	fmt.Println("VIP on:", lan.Holders(vip.Addr()))
	// Output:
	// a: BACKUP
	// a: MASTER
	// b: BACKUP
	// VIP on: [a]
	// a: INIT
	// b: MASTER
	// VIP on: [b]
}

// ParseAdvert decodes and checks one packet; here an advert keepalived
// 2.2.7 sent (VRRPv3, VRID 42, priority 200, two addresses).
func ExampleParseAdvert() {
	b := []byte{0x31, 0x2a, 0xc8, 0x02, 0x00, 0x64, 0xdf, 0x0f, 192, 0, 2, 100, 192, 0, 2, 101}
	h := vrrp.IPHeader{Src: netip.MustParseAddr("192.0.2.1"), Dst: vrrp.Group4, TTL: 255}
	a, err := vrrp.ParseAdvert(b, h, vrrp.ChecksumRFC)
	fmt.Println(a.Version, a.VRID, a.Priority, a.Interval, a.Addrs, err)

	h.TTL = 64 // forwarded by a router: refused
	_, err = vrrp.ParseAdvert(b, h, vrrp.ChecksumRFC)
	fmt.Println(err)
	// Output:
	// VRRPv3 42 200 1s [192.0.2.100 192.0.2.101] <nil>
	// vrrp: parse advertisement: TTL (IP header): TTL/hop limit is 64, must be 255
}
