package vrrp

import "net/netip"

// RawLinkConfig configures OpenRawLink.
type RawLinkConfig struct {
	// IPv6 selects VRRP over IPv6 (ff02::12, link-local source); false
	// selects IPv4 (224.0.0.18, the interface's primary IPv4 address).
	IPv6 bool
	// Unicast skips joining the multicast group, for routers that only
	// talk to unicast peers (keepalived's unicast_peer).
	Unicast bool
	// Netns, if set, is the name of a network namespace (as created by
	// "ip netns add", under /run/netns) in which the interface lives; the
	// link's sockets, netlink handle and nftables rules are opened there.
	// Empty means the namespace of the calling process.
	Netns string
	// VIPs are the virtual addresses the link will hold: never chosen as
	// its primary address (keepalived ignores its own addresses there).
	VIPs []netip.Prefix
	// Labels gives IPv4 addresses an address label when AddVIPs adds
	// them (keepalived's virtual_ipaddress label, "ip addr add ... label
	// eth0:1"); a label begins with the interface name.
	Labels map[netip.Addr]string
	// Table names the nftables table (of family ip or ip6) that BlockVIPs
	// fills and UnblockVIPs deletes. Empty means "hakit_vrrp_" followed by
	// the interface name; a Router that opens its own link uses
	// "hakit_vrrp_IFACE_VRID". Links on one interface need tables of their
	// own.
	Table string
}
