//go:build linux

package vrrp

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/mdlayher/arp"
	"github.com/mdlayher/ndp"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"
)

// minReadBuffer is the least receive buffer, for an interface whose MTU
// is unknown or small: IPv6's minimum MTU with room to spare.
const minReadBuffer = 1500

// tosNetworkControl is the IPv4 TOS / IPv6 traffic class keepalived gives
// adverts (internetwork control, 0xc0).
const tosNetworkControl = 0xc0

// RawLink is the Linux Link: a raw IP protocol 112 socket on one interface
// (multicast group 224.0.0.18 or ff02::12 joined, multicast loopback off,
// TTL / hop limit 255 on send and checked on receipt through the
// IP_RECVTTL / IPV6_RECVHOPLIMIT control message), virtual addresses added
// and removed by netlink (IPv6 ones with nodad, as keepalived adds them),
// gratuitous ARP through github.com/mdlayher/arp and unsolicited neighbour
// advertisements through github.com/mdlayher/ndp.
//
// Opening one needs CAP_NET_RAW and CAP_NET_ADMIN.
type RawLink struct {
	ifi *net.Interface
	cfg RawLinkConfig
	nl  *netlink.Handle
	ns  netns.NsHandle // -1 when the current namespace

	pmu      sync.Mutex
	primary  netip.Addr     // invalid while the interface has none
	excluded []netip.Prefix // VIPs of the Routers sharing the link

	changed   chan struct{} // AddrsChanged, capacity 1
	stopWatch chan struct{}
	watchDone chan struct{}

	c4 *ipv4.PacketConn
	c6 *ipv6.PacketConn

	mu         sync.Mutex // guards the announcers, opened on first use
	arp        *arp.Client
	ndp        *ndp.Conn
	fwd        bool // the interface forwards IPv6 (NA Router flag)
	fwdChecked time.Time

	rbuf []byte
}

var _ AddrWatcher = (*RawLink)(nil)

// OpenRawLink opens the raw-socket Link on interface ifname. The interface
// must exist; it may have no address of the family yet (Primary is then
// invalid until one appears, and a Router stays in FAULT meanwhile).
func OpenRawLink(ifname string, cfg RawLinkConfig) (*RawLink, error) {
	l := &RawLink{cfg: cfg, ns: netns.None(), changed: make(chan struct{}, 1)}
	fail := func(err error) (*RawLink, error) {
		l.Close()
		return nil, fmt.Errorf("vrrp: open %s: %w", ifname, err)
	}
	var err error
	if cfg.Netns != "" {
		if l.ns, err = netns.GetFromName(cfg.Netns); err != nil {
			return fail(fmt.Errorf("netns %s: %w", cfg.Netns, err))
		}
		l.nl, err = netlink.NewHandleAt(l.ns)
	} else {
		l.nl, err = netlink.NewHandle()
	}
	if err != nil {
		return fail(fmt.Errorf("netlink: %w", err))
	}
	link, err := l.nl.LinkByName(ifname)
	if err != nil {
		return fail(err)
	}
	a := link.Attrs()
	l.ifi = &net.Interface{Index: a.Index, MTU: a.MTU, Name: a.Name, HardwareAddr: a.HardwareAddr, Flags: a.Flags}
	// An advert may fill a frame of the interface's MTU (keepalived sizes
	// its buffer from it too); a shorter buffer would truncate it.
	l.rbuf = make([]byte, max(a.MTU, minReadBuffer))
	if err := l.refresh(); err != nil {
		return fail(err)
	}
	if err := l.inNetns(l.listen); err != nil {
		return fail(err)
	}
	l.stopWatch, l.watchDone = make(chan struct{}), make(chan struct{})
	go l.watch()
	return l, nil
}

// addrList returns the interface's addresses of the link's family.
func (l *RawLink) addrList() ([]netlink.Addr, error) {
	fam := netlink.FAMILY_V4
	if l.cfg.IPv6 {
		fam = netlink.FAMILY_V6
	}
	return l.nl.AddrList(&netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: l.ifi.Index}}, fam)
}

// refresh finds the address adverts go out from, as keepalived does: the
// interface's first IPv4 address that is not secondary, or its first IPv6
// link-local address, never one of the virtual addresses
// (RawLinkConfig.VIPs) nor an IPv6 address whose duplicate address
// detection failed. It keeps the current one while it remains.
func (l *RawLink) refresh() error {
	addrs, err := l.addrList()
	if err != nil {
		return err
	}
	var found []netip.Addr
	l.pmu.Lock()
	vips := slices.Concat(l.cfg.VIPs, l.excluded)
	l.pmu.Unlock()
	for _, a := range addrs {
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok {
			continue
		}
		ip = ip.Unmap()
		if slices.ContainsFunc(vips, func(p netip.Prefix) bool { return p.Addr().Unmap() == ip }) {
			continue
		}
		if l.cfg.IPv6 && ip.IsLinkLocalUnicast() && a.Flags&unix.IFA_F_DADFAILED == 0 ||
			!l.cfg.IPv6 && ip.Is4() && a.Flags&unix.IFA_F_SECONDARY == 0 {
			found = append(found, ip)
		}
	}
	l.pmu.Lock()
	defer l.pmu.Unlock()
	if !slices.Contains(found, l.primary) {
		l.primary = netip.Addr{}
		if len(found) > 0 {
			l.primary = found[0]
		}
	}
	return nil
}

// watch follows the interface's addresses through netlink notifications
// until Close, refreshing the primary address and signalling changed. If
// the subscription fails or breaks (a full receive buffer), it refreshes
// and subscribes again a second later.
func (l *RawLink) watch() {
	defer close(l.watchDone)
	signal := func() {
		select {
		case l.changed <- struct{}{}:
		default:
		}
	}
	for {
		ch := make(chan netlink.AddrUpdate, 64)
		done := make(chan struct{})
		opts := netlink.AddrSubscribeOptions{ErrorCallback: func(error) {}}
		if l.ns.IsOpen() {
			ns := l.ns
			opts.Namespace = &ns
		}
		if err := netlink.AddrSubscribeWithOptions(ch, done, opts); err == nil {
			l.refresh() // what changed before the subscription
			signal()
		recv:
			for {
				select {
				case u, ok := <-ch:
					if !ok {
						break recv
					}
					if u.LinkIndex == l.ifi.Index {
						l.refresh()
						signal()
					}
				case <-l.stopWatch:
					close(done)
					for range ch {
					}
					return
				}
			}
			close(done)
		}
		t := time.NewTimer(time.Second)
		select {
		case <-l.stopWatch:
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// AddrsChanged returns a channel that receives a value (coalesced) after
// addresses of the interface changed, including the link's own AddVIPs
// and RemoveVIPs.
func (l *RawLink) AddrsChanged() <-chan struct{} { return l.changed }

// Addrs returns the addresses now on the interface, of the link's family.
func (l *RawLink) Addrs() ([]netip.Addr, error) {
	addrs, err := l.addrList()
	if err != nil {
		return nil, fmt.Errorf("vrrp: addresses of %s: %w", l.ifi.Name, err)
	}
	out := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		if ip, ok := netip.AddrFromSlice(a.IP); ok {
			out = append(out, ip.Unmap())
		}
	}
	return out, nil
}

// inNetns runs f with the calling thread in the link's namespace.
func (l *RawLink) inNetns(f func() error) error {
	if !l.ns.IsOpen() {
		return f()
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		return err
	}
	defer orig.Close()
	if err := netns.Set(l.ns); err != nil {
		return err
	}
	defer netns.Set(orig)
	return f()
}

// bindToDevice makes a socket see only the interface's traffic.
func bindToDevice(ifname string) func(network, address string, c syscall.RawConn) error {
	return func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = unix.SetsockoptString(int(fd), unix.SOL_SOCKET, unix.SO_BINDTODEVICE, ifname)
		})
		if err != nil {
			return err
		}
		return serr
	}
}

func (l *RawLink) listen() error {
	lc := net.ListenConfig{Control: bindToDevice(l.ifi.Name)}
	if !l.cfg.IPv6 {
		c, err := lc.ListenPacket(context.Background(), "ip4:112", "0.0.0.0")
		if err != nil {
			return err
		}
		p := ipv4.NewPacketConn(c)
		l.c4 = p
		for _, err := range []error{
			p.SetControlMessage(ipv4.FlagTTL|ipv4.FlagDst|ipv4.FlagInterface, true),
			p.SetMulticastTTL(TTL),
			p.SetTTL(TTL),
			p.SetTOS(tosNetworkControl),
			p.SetMulticastLoopback(false),
			p.SetMulticastInterface(l.ifi),
		} {
			if err != nil {
				return err
			}
		}
		if !l.cfg.Unicast {
			return p.JoinGroup(l.ifi, &net.IPAddr{IP: Group4.AsSlice()})
		}
		return nil
	}
	c, err := lc.ListenPacket(context.Background(), "ip6:112", "::")
	if err != nil {
		return err
	}
	p := ipv6.NewPacketConn(c)
	l.c6 = p
	for _, err := range []error{
		p.SetControlMessage(ipv6.FlagHopLimit|ipv6.FlagDst|ipv6.FlagInterface, true),
		// The kernel computes and verifies the checksum at offset 6, as
		// keepalived asks it to: a bad one never reaches us.
		p.SetChecksum(true, 6),
		p.SetMulticastHopLimit(TTL),
		p.SetHopLimit(TTL),
		p.SetTrafficClass(tosNetworkControl),
		p.SetMulticastLoopback(false),
		p.SetMulticastInterface(l.ifi),
	} {
		if err != nil {
			return err
		}
	}
	if !l.cfg.Unicast {
		return p.JoinGroup(l.ifi, &net.IPAddr{IP: Group6.AsSlice()})
	}
	return nil
}

// Primary returns the advert source address: the interface's primary
// IPv4 address or IPv6 link-local address, as it is now; invalid while the
// interface has none.
func (l *RawLink) Primary() netip.Addr {
	l.pmu.Lock()
	defer l.pmu.Unlock()
	return l.primary
}

// Interface returns the interface the link runs on.
func (l *RawLink) Interface() *net.Interface { return l.ifi }

// CheckInterface reports whether the interface is up, in the link's own
// network namespace, as InterfaceUp does: a RawLink given as Config.Link
// is tracked like the one a Router opens itself.
func (l *RawLink) CheckInterface(ctx context.Context) error {
	link, err := l.nl.LinkByIndex(l.ifi.Index)
	return linkUp(l.ifi.Name, link, err)
}

var _ InterfaceChecker = (*RawLink)(nil)

// ReadPacket returns the next VRRP packet that arrived on the interface.
func (l *RawLink) ReadPacket(ctx context.Context) (Packet, error) {
	var dl interface{ SetReadDeadline(time.Time) error } = l.c4
	if l.c6 != nil {
		dl = l.c6
	}
	dl.SetReadDeadline(time.Time{})
	stop := context.AfterFunc(ctx, func() { dl.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	for {
		if err := ctx.Err(); err != nil {
			return Packet{}, err
		}
		var (
			n   int
			h   IPHeader
			err error
		)
		if l.c4 != nil {
			var cm *ipv4.ControlMessage
			var src net.Addr
			n, cm, src, err = l.c4.ReadFrom(l.rbuf)
			if err == nil {
				if cm == nil || cm.IfIndex != l.ifi.Index {
					continue
				}
				h = IPHeader{Src: addrOf(src), Dst: ipOf(cm.Dst), TTL: cm.TTL}
			}
		} else {
			var cm *ipv6.ControlMessage
			var src net.Addr
			n, cm, src, err = l.c6.ReadFrom(l.rbuf)
			if err == nil {
				if cm == nil || cm.IfIndex != l.ifi.Index {
					continue
				}
				h = IPHeader{Src: addrOf(src), Dst: ipOf(cm.Dst), TTL: cm.HopLimit}
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return Packet{}, ctx.Err()
			}
			return Packet{}, err
		}
		return Packet{IPHeader: h, Payload: append([]byte(nil), l.rbuf[:n]...)}, nil
	}
}

func addrOf(a net.Addr) netip.Addr {
	if ia, ok := a.(*net.IPAddr); ok {
		return ipOf(ia.IP)
	}
	return netip.Addr{}
}

func ipOf(ip net.IP) netip.Addr {
	a, _ := netip.AddrFromSlice(ip)
	return a.Unmap()
}

// WritePacket sends p.Payload to p.Dst from p.Src (Primary if p.Src is
// not set) with TTL / hop limit 255.
func (l *RawLink) WritePacket(p Packet) error {
	dst := &net.IPAddr{IP: p.Dst.AsSlice()}
	src := p.Src.Unmap()
	if !src.IsValid() || src.IsUnspecified() {
		src = l.Primary()
	}
	var err error
	if l.c4 != nil {
		_, err = l.c4.WriteTo(p.Payload, &ipv4.ControlMessage{IfIndex: l.ifi.Index, Src: src.AsSlice()}, dst)
	} else {
		// A numeric zone: a name would be looked up in the calling
		// thread's namespace, not necessarily the link's.
		dst.Zone = strconv.Itoa(l.ifi.Index)
		_, err = l.c6.WriteTo(p.Payload, &ipv6.ControlMessage{IfIndex: l.ifi.Index, Src: src.AsSlice(), HopLimit: TTL}, dst)
	}
	if err != nil {
		return fmt.Errorf("vrrp: send to %v on %s: %w", p.Dst, l.ifi.Name, err)
	}
	return nil
}

// Close stops watching addresses and closes the sockets and the netlink
// handle.
func (l *RawLink) Close() error {
	if l.stopWatch != nil {
		close(l.stopWatch)
		<-l.watchDone
		l.stopWatch = nil
	}
	if l.c4 != nil {
		l.c4.Close()
	}
	if l.c6 != nil {
		l.c6.Close()
	}
	l.mu.Lock()
	if l.arp != nil {
		l.arp.Close()
	}
	if l.ndp != nil {
		l.ndp.Close()
	}
	l.mu.Unlock()
	if l.nl != nil {
		l.nl.Close()
	}
	if l.ns.IsOpen() {
		l.ns.Close()
	}
	return nil
}
