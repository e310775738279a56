//go:build linux

package vrrp

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// Routers that open their own link (Config.Link nil) share one RawLink per
// interface, family and kind of destination in the process: one raw
// socket whose packets are read and handed out once, by VRID, and one
// netlink watcher, however many virtual routers run there (keepalived
// too reads each interface once for all its instances).

type sharedKey struct {
	netns   string
	iface   string
	v6      bool
	unicast bool
}

var sharedLinks struct {
	sync.Mutex
	m map[sharedKey]*sharedLink
}

// viewInbox is how many packets a view queues before the demultiplexer
// drops more for it, as a full socket buffer would.
const viewInbox = 256

// sharedLink is one RawLink and the views of the Routers on it.
type sharedLink struct {
	key  sharedKey
	raw  *RawLink
	refs int // guarded by sharedLinks

	mu    sync.Mutex
	views map[*linkView]bool
	nlMu  sync.Mutex // netlink changes of the views, one at a time

	cancel context.CancelFunc
	done   sync.WaitGroup
}

// openView returns a view of the shared link for iface (opening it for
// the first view) with cfg's VIPs, Labels and Table for the Router's own.
func openView(iface string, cfg RawLinkConfig, vrid uint8) (*linkView, error) {
	k := sharedKey{cfg.Netns, iface, cfg.IPv6, cfg.Unicast}
	sharedLinks.Lock()
	defer sharedLinks.Unlock()
	s := sharedLinks.m[k]
	if s == nil {
		raw, err := OpenRawLink(iface, RawLinkConfig{IPv6: cfg.IPv6, Unicast: cfg.Unicast, Netns: cfg.Netns})
		if err != nil {
			return nil, err
		}
		ctx, cancel := context.WithCancel(context.Background())
		s = &sharedLink{key: k, raw: raw, views: map[*linkView]bool{}, cancel: cancel}
		s.done.Go(func() { s.demux(ctx) })
		s.done.Go(func() { s.watch(ctx) })
		if sharedLinks.m == nil {
			sharedLinks.m = map[sharedKey]*sharedLink{}
		}
		sharedLinks.m[k] = s
	}
	s.refs++
	v := &linkView{s: s, cfg: cfg, vrid: vrid, in: make(chan Packet, viewInbox), changed: make(chan struct{}, 1)}
	s.mu.Lock()
	s.views[v] = true
	s.mu.Unlock()
	s.exclude()
	s.raw.refresh()
	return v, nil
}

// exclude keeps every view's VIPs out of the primary address choice.
func (s *sharedLink) exclude() {
	s.mu.Lock()
	var vips []netip.Prefix
	for v := range s.views {
		vips = append(vips, v.cfg.VIPs...)
	}
	s.mu.Unlock()
	s.raw.pmu.Lock()
	s.raw.excluded = vips
	s.raw.pmu.Unlock()
}

// release drops a view; the last one closes the link.
func (s *sharedLink) release(v *linkView) {
	sharedLinks.Lock()
	defer sharedLinks.Unlock()
	s.mu.Lock()
	delete(s.views, v)
	s.mu.Unlock()
	if s.refs--; s.refs > 0 {
		s.exclude()
		return
	}
	delete(sharedLinks.m, s.key)
	s.cancel()
	s.done.Wait()
	s.raw.Close()
}

// demux reads the socket and hands each packet to the view of its VRID;
// a packet of a VRID no view runs (or too short to say) goes to every
// view, which counts it (Stats.OtherVRID, ParseErrors) as a socket of its
// own would have. A full view drops the packet.
func (s *sharedLink) demux(ctx context.Context) {
	for {
		p, err := s.raw.ReadPacket(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			// A failing socket must not spin.
			select {
			case <-time.After(100 * time.Millisecond):
			case <-ctx.Done():
				return
			}
			continue
		}
		s.mu.Lock()
		var to []*linkView
		if len(p.Payload) > 1 {
			for v := range s.views {
				if v.vrid == p.Payload[1] {
					to = append(to, v)
				}
			}
		}
		if len(to) == 0 {
			for v := range s.views {
				to = append(to, v)
			}
		}
		for i, v := range to {
			q := p
			if i > 0 {
				q.Payload = slices.Clone(p.Payload)
			}
			select {
			case v.in <- q:
			default:
			}
		}
		s.mu.Unlock()
	}
}

// watch passes the link's address changes on to every view.
func (s *sharedLink) watch(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.raw.AddrsChanged():
			s.mu.Lock()
			for v := range s.views {
				select {
				case v.changed <- struct{}{}:
				default:
				}
			}
			s.mu.Unlock()
		}
	}
}

// linkView is one Router's Link on a shared RawLink: its own packets,
// address notifications, labels and nftables table.
type linkView struct {
	s       *sharedLink
	cfg     RawLinkConfig
	vrid    uint8
	in      chan Packet
	changed chan struct{}
	once    sync.Once
}

var (
	_ Filter           = (*linkView)(nil)
	_ AddrWatcher      = (*linkView)(nil)
	_ InterfaceChecker = (*linkView)(nil)
)

func (v *linkView) Primary() netip.Addr       { return v.s.raw.Primary() }
func (v *linkView) Interface() *net.Interface { return v.s.raw.Interface() }
func (v *linkView) WritePacket(p Packet) error {
	return v.s.raw.WritePacket(p)
}

func (v *linkView) ReadPacket(ctx context.Context) (Packet, error) {
	select {
	case p := <-v.in:
		return p, nil
	case <-ctx.Done():
		return Packet{}, fmt.Errorf("vrrp: read on %s: %w", v.s.key.iface, ctx.Err())
	}
}

func (v *linkView) AddVIPs(vips []netip.Prefix) error {
	v.s.nlMu.Lock()
	defer v.s.nlMu.Unlock()
	return v.s.raw.addVIPs(vips, v.cfg.Labels)
}

func (v *linkView) RemoveVIPs(vips []netip.Prefix) error {
	v.s.nlMu.Lock()
	defer v.s.nlMu.Unlock()
	return v.s.raw.RemoveVIPs(vips)
}

func (v *linkView) Announce(addrs []netip.Addr) error { return v.s.raw.Announce(addrs) }

func (v *linkView) BlockVIPs(vips []netip.Prefix) error {
	return v.s.raw.blockVIPs(v.cfg.Table, vips)
}

func (v *linkView) UnblockVIPs() error { return v.s.raw.unblockVIPs(v.cfg.Table) }

func (v *linkView) AddrsChanged() <-chan struct{} { return v.changed }

func (v *linkView) Addrs() ([]netip.Addr, error) {
	v.s.nlMu.Lock()
	defer v.s.nlMu.Unlock()
	return v.s.raw.Addrs()
}

func (v *linkView) CheckInterface(ctx context.Context) error {
	v.s.nlMu.Lock()
	defer v.s.nlMu.Unlock()
	return v.s.raw.CheckInterface(ctx)
}

// Close releases the view; the last one closes the shared link.
func (v *linkView) Close() error {
	v.once.Do(func() { v.s.release(v) })
	return nil
}
