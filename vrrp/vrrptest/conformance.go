package vrrptest

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/hakit/hakit/vrrp"
)

// LinkPair is two Links on one segment, for TestLink: A and B are
// different hosts; VIP is an address of their family that neither holds.
type LinkPair struct {
	A, B vrrp.Link
	VIP  netip.Prefix
}

// TestLink checks that a vrrp.Link implementation behaves as the Link
// documentation says, as a Router relies on it: multicast and unicast
// packets from A reach B with their source, destination, TTL 255 and
// bytes; ReadPacket ends with the context; AddVIPs and RemoveVIPs are
// idempotent; and, for the optional interfaces A implements
// (vrrp.AddrWatcher, vrrp.Filter, vrrp.InterfaceChecker), that they do
// what they say. mk returns a fresh pair; it runs once per subtest (and
// once more for the optional interfaces), and the caller's cleanup
// (t.Cleanup) releases it. vrrptest's Host passes
// it in the package's tests; so does vrrp.RawLink in namespaces.
func TestLink(t *testing.T, mk func(t *testing.T) LinkPair) {
	t.Run("Multicast", func(t *testing.T) {
		p := mk(t)
		group := vrrp.Group4
		if p.VIP.Addr().Is6() {
			group = vrrp.Group6
		}
		exchange(t, p, group)
	})
	t.Run("Unicast", func(t *testing.T) {
		p := mk(t)
		exchange(t, p, p.B.Primary())
	})
	t.Run("ReadPacketEndsWithContext", func(t *testing.T) {
		p := mk(t)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			for {
				if _, err := p.B.ReadPacket(ctx); err != nil {
					done <- err
					return
				}
			}
		}()
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("ReadPacket after cancel: %v, want context.Canceled (wrapped)", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("ReadPacket did not return 5s after its context was cancelled")
		}
	})
	t.Run("VIPs", func(t *testing.T) {
		p := mk(t)
		vips := []netip.Prefix{p.VIP}
		w, watches := p.A.(vrrp.AddrWatcher)
		holds := func() bool {
			addrs, err := w.Addrs()
			if err != nil {
				t.Fatalf("Addrs: %v", err)
			}
			return slices.Contains(addrs, p.VIP.Addr())
		}
		for range 2 { // adding a present address is not an error
			if err := p.A.AddVIPs(vips); err != nil {
				t.Fatalf("AddVIPs: %v", err)
			}
		}
		if watches {
			waitChanged(t, w)
			if !holds() {
				t.Errorf("Addrs after AddVIPs lacks %v", p.VIP.Addr())
			}
		}
		if err := p.A.Announce([]netip.Addr{p.VIP.Addr()}); err != nil {
			t.Errorf("Announce: %v", err)
		}
		for range 2 { // removing an absent address is not an error
			if err := p.A.RemoveVIPs(vips); err != nil {
				t.Fatalf("RemoveVIPs: %v", err)
			}
		}
		if watches && holds() {
			t.Errorf("Addrs after RemoveVIPs still has %v", p.VIP.Addr())
		}
	})
	// The optional interfaces are checked when A has them, on one pair.
	p := mk(t)
	if f, ok := p.A.(vrrp.Filter); ok {
		t.Run("Filter", func(t *testing.T) {
			if err := f.UnblockVIPs(); err != nil {
				t.Errorf("UnblockVIPs with nothing installed: %v", err)
			}
			for range 2 { // BlockVIPs replaces what it installed
				if err := f.BlockVIPs([]netip.Prefix{p.VIP}); err != nil {
					t.Fatalf("BlockVIPs: %v", err)
				}
			}
			if err := f.UnblockVIPs(); err != nil {
				t.Errorf("UnblockVIPs: %v", err)
			}
		})
	}
	if ic, ok := p.A.(vrrp.InterfaceChecker); ok {
		t.Run("InterfaceChecker", func(t *testing.T) {
			if err := ic.CheckInterface(context.Background()); err != nil {
				t.Errorf("CheckInterface on an up interface: %v", err)
			}
		})
	}
}

// waitChanged waits for AddrsChanged, which must fire after an address
// change.
func waitChanged(t *testing.T, w vrrp.AddrWatcher) {
	t.Helper()
	select {
	case <-w.AddrsChanged():
	case <-time.After(5 * time.Second):
		t.Fatal("AddrsChanged did not fire within 5s of AddVIPs")
	}
}

// exchange sends an advert from A to dst and checks that B reads it as
// sent.
func exchange(t *testing.T, p LinkPair, dst netip.Addr) {
	t.Helper()
	src := p.A.Primary()
	if !src.IsValid() || !p.B.Primary().IsValid() {
		t.Fatalf("Primary: A %v, B %v; want valid addresses", src, p.B.Primary())
	}
	adv := vrrp.Advert{Version: vrrp.Version3, VRID: 7, Priority: 100, Interval: time.Second, Addrs: []netip.Addr{p.VIP.Addr()}}
	payload, err := vrrp.AppendAdvert(nil, adv, src, dst, vrrp.ChecksumRFC)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got := make(chan vrrp.Packet, 1)
	go func() {
		for {
			pkt, err := p.B.ReadPacket(ctx)
			if err != nil {
				close(got)
				return
			}
			if bytes.Equal(pkt.Payload, payload) {
				got <- pkt
				return
			}
		}
	}()
	// Send until B has it (a first multicast packet may race B's join).
	var pkt vrrp.Packet
	var ok bool
	for deadline := time.Now().Add(5 * time.Second); !ok; {
		if err := p.A.WritePacket(vrrp.Packet{IPHeader: vrrp.IPHeader{Dst: dst}, Payload: payload}); err != nil {
			t.Fatalf("WritePacket to %v: %v", dst, err)
		}
		select {
		case pkt, ok = <-got:
			if !ok {
				t.Fatalf("B did not read the packet to %v within 5s", dst)
			}
		case <-time.After(100 * time.Millisecond):
			if time.Now().After(deadline) {
				t.Fatalf("B did not read the packet to %v within 5s", dst)
			}
		}
	}
	if pkt.Src != src || pkt.Dst.IsValid() && pkt.Dst != dst || pkt.TTL != vrrp.TTL {
		t.Errorf("B read src %v dst %v TTL %d, want %v %v %d", pkt.Src, pkt.Dst, pkt.TTL, src, dst, vrrp.TTL)
	}
}
