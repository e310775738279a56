package vrrptest_test

import (
	"net/netip"
	"testing"

	"github.com/hakit/hakit/vrrp/vrrptest"
)

func TestHostIsALink(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		name, a, b, vip := "ipv4", "192.0.2.1", "192.0.2.2", "192.0.2.100/24"
		if v6 {
			name, a, b, vip = "ipv6", "fe80::1", "fe80::2", "fd00::100/64"
		}
		t.Run(name, func(t *testing.T) {
			vrrptest.TestLink(t, func(t *testing.T) vrrptest.LinkPair {
				lan := vrrptest.NewLAN(1)
				return vrrptest.LinkPair{
					A:   lan.AddHost("a", netip.MustParseAddr(a)),
					B:   lan.AddHost("b", netip.MustParseAddr(b)),
					VIP: netip.MustParsePrefix(vip),
				}
			})
		})
	}
}
