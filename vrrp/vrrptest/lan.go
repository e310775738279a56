package vrrptest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/hakit/hakit/vrrp"
)

// inboxSize is how many packets a host queues before the LAN drops more,
// as a full socket buffer would.
const inboxSize = 256

// LAN is one broadcast segment. Its zero value is not usable; call NewLAN.
// All methods are safe for concurrent use.
type LAN struct {
	mu      sync.Mutex
	hosts   []*Host
	blocked map[[2]*Host]bool // from, to
	loss    float64
	delay   time.Duration
	jitter  time.Duration
	rng     *rand.Rand

	// Delivered and Dropped count packets handed to a host and packets
	// lost (partition, loss, full inbox, crashed host), read with Counts.
	delivered, dropped uint64
}

// NewLAN returns an empty LAN whose random choices (loss, jitter) follow
// seed, so a failing run can be replayed.
func NewLAN(seed uint64) *LAN {
	return &LAN{blocked: map[[2]*Host]bool{}, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// AddHost attaches a host with the given primary address (for IPv6, a
// link-local address) and returns it; the Host is a vrrp.Link.
func (l *LAN) AddHost(name string, primary netip.Addr) *Host {
	h := &Host{Name: name, lan: l, primary: primary.Unmap(), v6: primary.Unmap().Is6(),
		inbox: make(chan vrrp.Packet, inboxSize), vips: map[netip.Prefix]bool{}, changed: make(chan struct{}, 1)}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.hosts = append(l.hosts, h)
	return h
}

// Hosts returns the hosts in the order they were added.
func (l *LAN) Hosts() []*Host {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.hosts)
}

// Block stops packets from one host to another (one direction).
func (l *LAN) Block(from, to *Host) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.blocked[[2]*Host{from, to}] = true
}

// Partition splits the LAN: hosts in different groups cannot reach each
// other; hosts in no group can reach no one. It replaces any earlier
// partition or Block.
func (l *LAN) Partition(groups ...[]*Host) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.blocked = map[[2]*Host]bool{}
	group := map[*Host]int{}
	for i, g := range groups {
		for _, h := range g {
			group[h] = i + 1
		}
	}
	for _, a := range l.hosts {
		for _, b := range l.hosts {
			if a != b && (group[a] == 0 || group[a] != group[b]) {
				l.blocked[[2]*Host{a, b}] = true
			}
		}
	}
}

// Isolate cuts h off from every other host, both ways.
func (l *LAN) Isolate(h *Host) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, o := range l.hosts {
		if o != h {
			l.blocked[[2]*Host{h, o}] = true
			l.blocked[[2]*Host{o, h}] = true
		}
	}
}

// Heal removes partitions and blocks, loss and delay.
func (l *LAN) Heal() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.blocked = map[[2]*Host]bool{}
	l.loss, l.delay, l.jitter = 0, 0, 0
}

// SetLoss drops each packet to each host with probability p (0..1).
func (l *LAN) SetLoss(p float64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.loss = p
}

// SetDelay delays each packet by d plus a random part of jitter.
func (l *LAN) SetDelay(d, jitter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.delay, l.jitter = d, jitter
}

// Counts returns how many packets were delivered to hosts and how many
// were dropped.
func (l *LAN) Counts() (delivered, dropped uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.delivered, l.dropped
}

// Holders returns the live (not crashed) hosts that hold addr as a
// virtual address.
func (l *LAN) Holders(addr netip.Addr) []*Host {
	var out []*Host
	for _, h := range l.Hosts() {
		if h.Holds(addr) {
			out = append(out, h)
		}
	}
	return out
}

// Inject puts a packet on the LAN as if src had sent it to dst with the
// given TTL / hop limit: payload may be anything, to test that routers
// count and drop bad packets. It reaches every live host but a host whose
// primary address is src, subject to loss and delay.
func (l *LAN) Inject(src, dst netip.Addr, ttl int, payload []byte) {
	l.send(nil, vrrp.Packet{IPHeader: vrrp.IPHeader{Src: src.Unmap(), Dst: dst.Unmap(), TTL: ttl}, Payload: payload})
}

// send delivers p from host from (nil for Inject) to its destinations.
func (l *LAN) send(from *Host, p vrrp.Packet) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if from != nil && (from.crashed || from.down) {
		return
	}
	for _, to := range l.hosts {
		if to == from || to.primary == p.Src || to.v6 != p.Src.Is6() {
			continue
		}
		if !p.Dst.IsMulticast() && to.primary != p.Dst && !to.addrs[p.Dst] {
			continue
		}
		if to.crashed || to.down || from != nil && l.blocked[[2]*Host{from, to}] || l.loss > 0 && l.rng.Float64() < l.loss {
			l.dropped++
			continue
		}
		q := p
		q.Payload = slices.Clone(p.Payload)
		d := l.delay
		if l.jitter > 0 {
			d += time.Duration(l.rng.Int64N(int64(l.jitter)))
		}
		if d <= 0 {
			l.deliver(to, q)
			continue
		}
		time.AfterFunc(d, func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.deliver(to, q)
		})
	}
}

// deliver queues q at to. l.mu held.
func (l *LAN) deliver(to *Host, q vrrp.Packet) {
	if to.crashed || to.down {
		l.dropped++
		return
	}
	select {
	case to.inbox <- q:
		l.delivered++
	default:
		l.dropped++
	}
}

// Host is one machine on a LAN, with one interface. It implements
// vrrp.Link, vrrp.Filter (it records what a router blocks, for Accepts),
// vrrp.AddrWatcher (SetPrimary and RemoveAddr change its addresses as an
// administrator would) and vrrp.InterfaceChecker (SetLinkUp takes the
// interface down and up, as "ip link set" would).
type Host struct {
	// Name identifies the host in test output.
	Name string

	lan     *LAN
	v6      bool
	inbox   chan vrrp.Packet
	changed chan struct{} // AddrsChanged

	// guarded by lan.mu
	primary   netip.Addr
	addrs     map[netip.Addr]bool // AddAddr
	vips      map[netip.Prefix]bool
	blocked   map[netip.Addr]bool
	announced int
	sent      int
	crashed   bool
	down      bool // interface down (SetLinkUp)
}

var (
	_ vrrp.Filter           = (*Host)(nil)
	_ vrrp.AddrWatcher      = (*Host)(nil)
	_ vrrp.InterfaceChecker = (*Host)(nil)
)

func (h *Host) String() string { return h.Name }

// Primary returns the host's primary address, invalid while it has none.
func (h *Host) Primary() netip.Addr {
	h.lan.mu.Lock()
	defer h.lan.mu.Unlock()
	return h.primary
}

// SetPrimary replaces the host's primary address, as "ip addr" would; an
// invalid addr removes it (its router goes to FAULT until it has one).
func (h *Host) SetPrimary(addr netip.Addr) {
	h.lan.mu.Lock()
	h.primary = addr.Unmap()
	h.lan.mu.Unlock()
	h.signal()
}

// AddAddr gives the host a further address of its own, as "ip addr add"
// would: packets sent to it arrive, and a Router may send from it
// (Config.UnicastSource).
func (h *Host) AddAddr(addr netip.Addr) {
	h.lan.mu.Lock()
	if h.addrs == nil {
		h.addrs = map[netip.Addr]bool{}
	}
	h.addrs[addr.Unmap()] = true
	h.lan.mu.Unlock()
	h.signal()
}

// RemoveAddr removes a virtual address from the host behind its router's
// back, as "ip addr del" would.
func (h *Host) RemoveAddr(addr netip.Addr) {
	h.lan.mu.Lock()
	for p := range h.vips {
		if p.Addr() == addr {
			delete(h.vips, p)
		}
	}
	h.lan.mu.Unlock()
	h.signal()
}

func (h *Host) signal() {
	select {
	case h.changed <- struct{}{}:
	default:
	}
}

// AddrsChanged is signalled when the host's addresses change.
func (h *Host) AddrsChanged() <-chan struct{} { return h.changed }

// Addrs returns the host's addresses: its primary and the virtual ones.
func (h *Host) Addrs() ([]netip.Addr, error) {
	h.lan.mu.Lock()
	defer h.lan.mu.Unlock()
	var out []netip.Addr
	if h.primary.IsValid() {
		out = append(out, h.primary)
	}
	for a := range h.addrs {
		out = append(out, a)
	}
	for p := range h.vips {
		out = append(out, p.Addr())
	}
	return out, nil
}

// ReadPacket returns the next packet for the host.
func (h *Host) ReadPacket(ctx context.Context) (vrrp.Packet, error) {
	select {
	case p := <-h.inbox:
		return p, nil
	case <-ctx.Done():
		return vrrp.Packet{}, fmt.Errorf("vrrptest: host %s: %w", h.Name, ctx.Err())
	}
}

// WritePacket sends p on the LAN from p.Src, which must be the host's
// primary address or one given with AddAddr (unset means the primary),
// with TTL 255. A crashed host's packets vanish; while its interface is
// down it fails, as a send on a down interface does (ENETDOWN).
func (h *Host) WritePacket(p vrrp.Packet) error {
	h.lan.mu.Lock()
	if h.down {
		h.lan.mu.Unlock()
		return fmt.Errorf("vrrptest: host %s: interface is down", h.Name)
	}
	if !h.primary.IsValid() {
		h.lan.mu.Unlock()
		return fmt.Errorf("vrrptest: host %s has no address to send from", h.Name)
	}
	switch src := p.Src.Unmap(); {
	case !src.IsValid() || src.IsUnspecified():
		p.Src = h.primary
	case src != h.primary && !h.addrs[src]:
		h.lan.mu.Unlock()
		return fmt.Errorf("vrrptest: host %s: %v is not one of its addresses", h.Name, src)
	}
	p.TTL = vrrp.TTL
	h.sent++
	h.lan.mu.Unlock()
	h.lan.send(h, p)
	return nil
}

// AddVIPs records the addresses as held by the host.
func (h *Host) AddVIPs(vips []netip.Prefix) error {
	h.lan.mu.Lock()
	defer h.lan.mu.Unlock()
	for _, p := range vips {
		h.vips[p] = true
	}
	h.signal()
	return nil
}

// RemoveVIPs forgets the addresses.
func (h *Host) RemoveVIPs(vips []netip.Prefix) error {
	h.lan.mu.Lock()
	defer h.lan.mu.Unlock()
	for _, p := range vips {
		delete(h.vips, p)
	}
	h.signal()
	return nil
}

// BlockVIPs records that the host drops packets addressed to the
// addresses (a router in Accept_Mode False holding them as MASTER).
func (h *Host) BlockVIPs(vips []netip.Prefix) error {
	h.lan.mu.Lock()
	defer h.lan.mu.Unlock()
	h.blocked = map[netip.Addr]bool{}
	for _, p := range vips {
		h.blocked[p.Addr()] = true
	}
	return nil
}

// UnblockVIPs forgets what BlockVIPs recorded.
func (h *Host) UnblockVIPs() error {
	h.lan.mu.Lock()
	defer h.lan.mu.Unlock()
	h.blocked = nil
	return nil
}

// Blocked returns the addresses a Filter rule installed by BlockVIPs
// still drops, sorted: what a no-accept router left behind.
func (h *Host) Blocked() []netip.Addr {
	h.lan.mu.Lock()
	defer h.lan.mu.Unlock()
	var out []netip.Addr
	for a := range h.blocked {
		out = append(out, a)
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return out
}

// Accepts reports whether the host is live, holds addr and accepts
// packets addressed to it (RFC 5798's Accept_Mode, or the address owner).
func (h *Host) Accepts(addr netip.Addr) bool {
	if !h.Holds(addr) {
		return false
	}
	h.lan.mu.Lock()
	defer h.lan.mu.Unlock()
	return !h.blocked[addr]
}

// Announce counts one round of gratuitous ARP / unsolicited NA.
func (h *Host) Announce(addrs []netip.Addr) error {
	h.lan.mu.Lock()
	defer h.lan.mu.Unlock()
	h.announced++
	return nil
}

// Holds reports whether the host is live, its interface up, and holds
// addr (an address on a down interface reaches no one).
func (h *Host) Holds(addr netip.Addr) bool {
	h.lan.mu.Lock()
	defer h.lan.mu.Unlock()
	if h.crashed || h.down {
		return false
	}
	for p := range h.vips {
		if p.Addr() == addr {
			return true
		}
	}
	return false
}

// VIPs returns the addresses the host holds, sorted.
func (h *Host) VIPs() []netip.Prefix {
	h.lan.mu.Lock()
	defer h.lan.mu.Unlock()
	var out []netip.Prefix
	for p := range h.vips {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b netip.Prefix) int { return a.Addr().Compare(b.Addr()) })
	return out
}

// Announcements returns how many announcement rounds the host sent.
func (h *Host) Announcements() int {
	h.lan.mu.Lock()
	defer h.lan.mu.Unlock()
	return h.announced
}

// Sent returns how many packets the host's router wrote.
func (h *Host) Sent() int {
	h.lan.mu.Lock()
	defer h.lan.mu.Unlock()
	return h.sent
}

// Crash takes the host off the LAN abruptly, as a power failure or kill -9
// would: nothing it sends arrives, nothing reaches it, and it holds no
// addresses anyone can reach. Its router keeps running in its own belief
// until the test stops it (its goodbye, if any, is lost too). Restart
// undoes Crash.
func (h *Host) Crash() {
	h.lan.mu.Lock()
	defer h.lan.mu.Unlock()
	h.crashed = true
	h.vips = map[netip.Prefix]bool{}
	h.blocked = nil
	for {
		select {
		case <-h.inbox:
			continue
		default:
		}
		break
	}
}

// Restart puts a crashed host back on the LAN, with no addresses, as a
// rebooted machine. Stop the crashed host's router before, and start a new
// one after. A link taken down with SetLinkUp stays down, as a cable
// pulled out stays pulled out across a reboot.
func (h *Host) Restart() {
	h.lan.mu.Lock()
	defer h.lan.mu.Unlock()
	h.crashed = false
	h.vips = map[netip.Prefix]bool{}
	h.blocked = nil
}

// Crashed reports whether the host is crashed.
func (h *Host) Crashed() bool {
	h.lan.mu.Lock()
	defer h.lan.mu.Unlock()
	return h.crashed
}

// SetLinkUp takes the host's interface down (false) or up (true), as "ip
// link set dev IF down|up" would: while it is down nothing the host sends
// leaves, nothing reaches it, and CheckInterface fails, so a Router that
// tracks its interface goes to FAULT. The host keeps its addresses, as
// Linux keeps them on a down interface; the Router removes its VIPs.
func (h *Host) SetLinkUp(up bool) {
	h.lan.mu.Lock()
	defer h.lan.mu.Unlock()
	h.down = !up
	if !up {
		for {
			select {
			case <-h.inbox:
				continue
			default:
			}
			break
		}
	}
}

// CheckInterface returns nil while the host's interface is up (see
// SetLinkUp).
func (h *Host) CheckInterface(context.Context) error {
	h.lan.mu.Lock()
	defer h.lan.mu.Unlock()
	if h.down {
		return fmt.Errorf("vrrptest: host %s: interface is down", h.Name)
	}
	return nil
}
