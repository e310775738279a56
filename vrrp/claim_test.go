package vrrp

import (
	"errors"
	"fmt"
	"net/netip"
	"testing"
)

// keepalived refuses two instances with one VRID on one interface and
// family ("VI_1 and VI_2 both use VRID 42 with IPv4 on interface eth0"),
// whatever their versions; the other family and unicast peers are other
// spaces. A Router that opens its own link checks before touching it.
func TestDuplicateVRID(t *testing.T) {
	release, err := claimVRID("hk-nosuch0", false, false, 42)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []Version{Version3, Version2} {
		r, err := New(Config{Interface: "hk-nosuch0", VRID: 42, Version: v, VIPs: []netip.Prefix{netip.MustParsePrefix("192.0.2.100/24")}})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Run(t.Context()); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%v: Run with the VRID taken: %v, want ErrInvalidConfig", v, err)
		}
	}
	for _, k := range []struct {
		v6, unicast bool
		vrid        uint8
	}{{true, false, 42}, {false, true, 42}, {false, false, 43}} {
		rel, err := claimVRID("hk-nosuch0", k.v6, k.unicast, k.vrid)
		if err != nil {
			t.Errorf("%+v: %v", k, err)
			continue
		}
		rel()
	}
	release()
	rel, err := claimVRID("hk-nosuch0", false, false, 42)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	rel()
}

// keepalived checks that an advert listing every VIP fits the interface's
// MTU: with 1500 bytes, 89 IPv6 addresses do and 90 do not.
func TestVIPsFitMTU(t *testing.T) {
	vips := func(n int) []netip.Prefix {
		var out []netip.Prefix
		for i := range n {
			out = append(out, netip.MustParsePrefix(fmt.Sprintf("fd00::%x/64", 0x100+i)))
		}
		return out
	}
	for _, tc := range []struct {
		n  int
		ok bool
	}{{89, true}, {90, false}} {
		r, err := New(Config{Interface: "eth0", VRID: 1, VIPs: vips(tc.n)})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.fitsMTU(1500); (err == nil) != tc.ok {
			t.Errorf("%d IPv6 VIPs on MTU 1500: %v", tc.n, err)
		}
	}
	r, _ := New(Config{Interface: "eth0", VRID: 1, VIPs: []netip.Prefix{netip.MustParsePrefix("192.0.2.100/24")}})
	if err := r.fitsMTU(1500); err != nil {
		t.Errorf("one IPv4 VIP: %v", err)
	}
}
