package vrrptest_test

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/hakit/hakit/vrrp"
	"github.com/hakit/hakit/vrrp/vrrptest"
)

// A partition makes both routers MASTER (split brain: VRRP cannot tell a
// dead peer from an unreachable one); when it heals, the higher priority
// keeps the address and the other yields at once.
func ExampleLAN_Partition() {
	lan := vrrptest.NewLAN(1)
	vip := netip.MustParsePrefix("192.0.2.100/24")
	states := map[string]chan vrrp.State{}
	var hosts []*vrrptest.Host
	wait := func(name string, want vrrp.State) {
		for s := range states[name] {
			if s == want {
				fmt.Println(name+":", s)
				return
			}
		}
	}
	for i, name := range []string{"a", "b"} {
		h := lan.AddHost(name, netip.AddrFrom4([4]byte{192, 0, 2, byte(i + 1)}))
		hosts = append(hosts, h)
		ch := make(chan vrrp.State, 8)
		states[name] = ch
		r, err := vrrp.New(vrrp.Config{
			VRID: 1, Priority: uint8(200 - 100*i), VIPs: []netip.Prefix{vip},
			Interval: 250 * time.Millisecond, Link: h, // b waits 0.9s for a missing master
			OnStateChange: func(t vrrp.Transition) { ch <- t.To },
		})
		if err != nil {
			panic(err)
		}
		defer vrrptest.Start(context.Background(), r)()
		if i == 0 {
			wait("a", vrrp.StateMaster)
		}
	}
	wait("b", vrrp.StateBackup)

	lan.Partition([]*vrrptest.Host{hosts[0]}, []*vrrptest.Host{hosts[1]})
	wait("b", vrrp.StateMaster)
	fmt.Println("split brain, VIP on:", lan.Holders(vip.Addr()))

	lan.Heal()
	wait("b", vrrp.StateBackup)
	fmt.Println("healed, VIP on:", lan.Holders(vip.Addr()))
	// Output:
	// a: MASTER
	// b: BACKUP
	// b: MASTER
	// split brain, VIP on: [a b]
	// b: BACKUP
	// healed, VIP on: [a]
}
