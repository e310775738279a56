//go:build integration && linux

package vrrp_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/hakit/hakit/vrrp"
)

// The Routers of one process share one socket per interface: one whose
// inbox is full (its Run loop stuck) must not starve the others, one that
// stops must not close the socket under the others or stop their
// deliveries, and one that starts later gets its adverts.
func TestSharedViewsAreIndependent(t *testing.T) {
	lan := newNSLAN(t, 2)
	send, err := vrrp.OpenRawLink("eth0", vrrp.RawLinkConfig{Netns: lan.nodes[0].ns, Unicast: true})
	if err != nil {
		t.Fatal(err)
	}
	defer send.Close()
	advert := func(vrid uint8) []byte {
		adv := vrrp.Advert{Version: vrrp.Version3, VRID: vrid, Priority: 100, Interval: time.Second,
			Addrs: []netip.Addr{netip.AddrFrom4([4]byte{198, 51, 100, vrid})}}
		p, err := vrrp.AppendAdvert(nil, adv, send.Primary(), vrrp.Group4, vrrp.ChecksumRFC)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	cfg := vrrp.RawLinkConfig{Netns: lan.nodes[1].ns}
	open := func(vrid uint8) (vrrp.Link, func() error) {
		l, closeFn, err := vrrp.OpenSharedView("eth0", cfg, vrid)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { closeFn() })
		return l, closeFn
	}
	// gets sends adverts of vrid until l reads one; 5s is ample on a
	// loaded machine, and a starved or closed view never reads one.
	gets := func(what string, l vrrp.Link, vrid uint8) {
		t.Helper()
		p := advert(vrid)
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			if err := send.WritePacket(vrrp.Packet{IPHeader: vrrp.IPHeader{Dst: vrrp.Group4}, Payload: p}); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
			for {
				got, err := l.ReadPacket(ctx)
				if err != nil {
					break
				}
				if len(got.Payload) > 1 && got.Payload[1] == vrid {
					cancel()
					return
				}
			}
			cancel()
		}
		t.Fatalf("%s: no advert of VRID %d within 5s", what, vrid)
	}
	_, closeStuck := open(1) // never read
	b, closeB := open(2)
	time.Sleep(200 * time.Millisecond) // the group joins
	// Fill the stuck view's inbox and more.
	p := advert(1)
	for range 600 {
		if err := send.WritePacket(vrrp.Packet{IPHeader: vrrp.IPHeader{Dst: vrrp.Group4}, Payload: p}); err != nil {
			t.Fatal(err)
		}
	}
	gets("next to a full view", b, 2)
	c, _ := open(3)
	gets("a view opened later", c, 3)
	if err := closeStuck(); err != nil {
		t.Fatal(err)
	}
	gets("after another view closed", b, 2)
	if err := closeB(); err != nil {
		t.Fatal(err)
	}
	closeB() // a second Close must not release another view's share
	gets("after two views closed", c, 3)
}
