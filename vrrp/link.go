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
	// peer) from Primary with TTL / hop limit 255.
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
