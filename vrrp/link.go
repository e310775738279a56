package vrrp

import (
	"context"
	"net/netip"
)

// Packet is one VRRP message with the IP header fields around it.
type Packet struct {
	IPHeader
	// Payload is the VRRP message, without IP header.
	Payload []byte
}

// Link is what a Router needs from the network it runs on: VRRP packets in
// and out, and the virtual addresses with their announcements. OpenRawLink
// returns the real one (raw IP sockets and netlink on Linux); vrrptest's
// LAN hands out in-memory ones.
//
// A Router calls ReadPacket from one goroutine and the other methods from
// another; implementations must allow that.
type Link interface {
	// Primary returns the link's primary address of the VIPs' family, the
	// source of adverts (for IPv6, the link-local address).
	Primary() netip.Addr
	// ReadPacket blocks until a VRRP packet arrives, and returns it with
	// its source, destination and TTL / hop limit. It returns ctx.Err()
	// (wrapped) once ctx is done. The returned Payload is the caller's.
	ReadPacket(ctx context.Context) (Packet, error)
	// WritePacket sends p.Payload to p.Dst (a multicast group or unicast
	// peer) from p.Src, an address of the interface (Primary when unset),
	// with TTL / hop limit 255.
	WritePacket(p Packet) error
	// AddVIPs adds the virtual addresses to the interface; adding one that
	// is present is not an error.
	AddVIPs(vips []netip.Prefix) error
	// RemoveVIPs removes them; removing one that is absent is not an
	// error.
	RemoveVIPs(vips []netip.Prefix) error
	// Announce sends one round of gratuitous ARP (IPv4: a request and a
	// reply) or unsolicited neighbour advertisement (IPv6, with the
	// Override flag) for each address.
	Announce(addrs []netip.Addr) error
}

// A Filter is a Link that can enforce RFC 5798's Accept_Mode False:
// while a router that is not the address owner is MASTER with NoAccept, it
// must not accept packets addressed to the virtual addresses (section
// 6.4.3), though it holds them. RawLink is one (nftables rules, as
// keepalived installs for no_accept). A Router whose Link is not a Filter
// only reports the mode, in AddVIPs.Accept.
//
// A Router calls BlockVIPs before AddVIPs when it becomes MASTER without
// accept mode, and UnblockVIPs after RemoveVIPs.
type Filter interface {
	Link
	// BlockVIPs drops packets addressed to the addresses and packets sent
	// from them, except IPv6 neighbour solicitations and advertisements,
	// which keep the addresses resolvable. ARP is not IP and is unaffected.
	// It replaces what an earlier BlockVIPs installed.
	BlockVIPs(vips []netip.Prefix) error
	// UnblockVIPs removes what BlockVIPs installed; nothing installed is
	// not an error.
	UnblockVIPs() error
}

// An AddrWatcher is a Link that watches the addresses of its interface,
// as keepalived does through netlink. RawLink is one. A Router on one
// follows a new primary address (PrimaryChanged), is in FAULT while the
// link has none (keepalived downs an instance whose interface has lost its
// address), and answers a virtual address removed behind its back while
// MASTER as keepalived does (VIPsRemoved).
type AddrWatcher interface {
	Link
	// AddrsChanged returns a channel that receives a value, coalesced,
	// after addresses of the interface may have changed; Primary then
	// returns the current primary address, invalid while there is none.
	AddrsChanged() <-chan struct{}
	// Addrs returns the addresses now on the interface, of the link's
	// family, asked afresh.
	Addrs() ([]netip.Addr, error)
}

// An InterfaceChecker is a Link that can tell whether its interface is up.
// A Router on one tracks it unless Config.DontTrackInterface is set, as
// keepalived tracks an instance's interface: it starts in FAULT while the
// interface is down, goes to FAULT when it goes down, and back to BACKUP
// when it comes up. vrrptest's Host is one (SetLinkUp), and so is
// RawLink. A Router whose Link is nil opens a RawLink and tracks it the
// same way.
type InterfaceChecker interface {
	Link
	// CheckInterface returns nil while the interface is up, else an error
	// saying why not.
	CheckInterface(ctx context.Context) error
}
