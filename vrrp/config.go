package vrrp

import (
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Config configures a Router. Zero values of optional fields are the
// documented defaults, mostly keepalived's; New copies the Config and
// never changes the caller's.
type Config struct {
	// Interface is the network interface the router runs on. Required
	// unless Link is set; with Link set it only names the router in logs.
	Interface string
	// VRID is the virtual router identifier, 1..255. Required.
	VRID uint8
	// Priority is the base priority, 1..255 (255: the address owner).
	// Zero means 100.
	Priority uint8
	// Version is Version3 or Version2. Zero means Version3. keepalived
	// defaults to VRRPv2: set its "version 3" or use Version2 here.
	Version Version
	// VIPs are the virtual addresses with their prefix lengths (the length
	// is used when adding them to the interface), 1..255, all IPv4 or all
	// IPv6. Adverts carry exactly these addresses. Required.
	VIPs []netip.Prefix
	// VIPLabels gives IPv4 VIPs an address label on the RawLink a Router
	// opens (keepalived's virtual_ipaddress label): each key is one of
	// VIPs, each label begins with Interface (as the kernel requires).
	// With Link set, labels are the Link's business (RawLinkConfig.Labels).
	VIPLabels map[netip.Addr]string
	// Interval is the advertisement interval. Zero means 1s (keepalived's
	// advert_int). VRRPv3: whole centiseconds, 10ms..40.95s; VRRPv2: whole
	// seconds.
	Interval time.Duration
	// NoPreempt and PreemptDelay are as in MachineConfig (keepalived's
	// nopreempt and preempt_delay).
	NoPreempt    bool
	PreemptDelay time.Duration
	// NoAccept is as in MachineConfig (keepalived's no_accept): while
	// MASTER, a router that is not the address owner drops packets
	// addressed to its VIPs. RawLink does it with nftables rules in a
	// table of the router's own (see RawLink.BlockVIPs), installed on
	// becoming MASTER and deleted on leaving it; with a Link that is not a
	// Filter the mode is only logged. The default, as keepalived's outside
	// vrrp_strict for both versions, is to accept.
	NoAccept bool
	// UnicastPeers, when set, receive the adverts instead of the multicast
	// group (keepalived's unicast_peer).
	UnicastPeers []netip.Addr
	// UnicastSource is the address unicast adverts go out from, and this
	// router's primary address in elections (keepalived's unicast_src_ip):
	// it must be on the interface, and may be a global IPv6 address, as
	// peers expect when they list it in their unicast_peer. Zero means
	// the link's primary address (IPv6: link-local). Only with
	// UnicastPeers.
	UnicastSource netip.Addr
	// CheckUnicastSource drops, and counts as NotPeer, adverts from a
	// source that is not one of UnicastPeers (keepalived's
	// check_unicast_src). Off by default, as keepalived's. Only with
	// UnicastPeers.
	CheckUnicastSource bool
	// AuthPass is as in MachineConfig: VRRPv2's simple text password, for
	// legacy peers with keepalived's auth_type PASS. Empty means none.
	AuthPass string
	// Checksum selects the VRRPv3 IPv4 checksum convention. Zero is the
	// RFC's, keepalived's default; ChecksumV3AsV2 is keepalived's
	// v3_checksum_as_v2.
	Checksum ChecksumMode
	// GARPRepeat, GARPDelay, GARPRefresh, GARPRefreshRepeat,
	// GARPLowerPrioRepeat and GARPLowerPrioDelay are as in MachineConfig
	// (keepalived's garp_master_* and garp_lower_prio_*).
	GARPRepeat          int
	GARPDelay           time.Duration
	GARPRefresh         time.Duration
	GARPRefreshRepeat   int
	GARPLowerPrioRepeat int
	GARPLowerPrioDelay  time.Duration
	// Track lists probes that change the priority or raise FAULT.
	Track []Track
	// DontTrackInterface stops the Router from tracking Interface itself
	// (keepalived's dont_track_primary). By default, when Link is nil or
	// an InterfaceChecker, a down Interface puts the router in FAULT (and
	// it starts in FAULT if the interface is down).
	DontTrackInterface bool
	// SyncGroup, when set, makes this router change state together with
	// the group's other members.
	SyncGroup *SyncGroup
	// Link is the network the router runs on. Nil means OpenRawLink on
	// Interface (Linux only), opened by Run and closed when it returns.
	// A Link given here is not closed by Run.
	Link Link
	// OnStateChange, if set, is called on every transition, in order,
	// from Run's goroutine, after the transition's actions were carried
	// out. It must not block for long: adverts wait for it.
	OnStateChange func(Transition)
	// Logger receives state changes and errors. Nil means silent.
	Logger *slog.Logger
}

// validate returns a copy of c with defaults and the MachineConfig it
// implies, or an error naming the bad field.
func (c Config) validate() (Config, MachineConfig, error) {
	bad := func(format string, args ...any) (Config, MachineConfig, error) {
		return c, MachineConfig{}, fmt.Errorf("vrrp: %s: %w", fmt.Sprintf(format, args...), ErrInvalidConfig)
	}
	if c.Link == nil && c.Interface == "" {
		return bad("Interface is empty and Link is nil")
	}
	c.VIPs = slices.Clone(c.VIPs)
	c.UnicastPeers = slices.Clone(c.UnicastPeers)
	c.Track = slices.Clone(c.Track)
	addrs := make([]netip.Addr, len(c.VIPs))
	for i, p := range c.VIPs {
		if !p.IsValid() {
			return bad("VIPs[%d] is not a valid prefix", i)
		}
		c.VIPs[i] = netip.PrefixFrom(p.Addr().Unmap(), p.Bits())
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			c.VIPs[i] = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		addrs[i] = c.VIPs[i].Addr()
	}
	for i, ip := range c.UnicastPeers {
		ip = ip.Unmap()
		if !ip.IsValid() || ip.IsMulticast() || len(addrs) > 0 && ip.Is6() != addrs[0].Is6() {
			return bad("UnicastPeers[%d] %v is not a unicast address of the VIPs' family", i, c.UnicastPeers[i])
		}
		c.UnicastPeers[i] = ip
	}
	if c.UnicastSource.IsValid() {
		c.UnicastSource = c.UnicastSource.Unmap()
		switch src := c.UnicastSource; {
		case len(c.UnicastPeers) == 0:
			return bad("UnicastSource %v is set without UnicastPeers", src)
		case src.IsMulticast() || src.IsUnspecified() || len(addrs) > 0 && src.Is6() != addrs[0].Is6():
			return bad("UnicastSource %v is not a unicast address of the VIPs' family", src)
		case slices.Contains(addrs, src):
			return bad("UnicastSource %v is one of the VIPs", src)
		}
	}
	if len(c.VIPLabels) > 0 {
		labels := make(map[netip.Addr]string, len(c.VIPLabels))
		for a, l := range c.VIPLabels {
			a = a.Unmap()
			switch {
			case !slices.Contains(addrs, a):
				return bad("VIPLabels has %v, which is not one of the VIPs", a)
			case a.Is6():
				return bad("VIPLabels has %v: IPv6 addresses have no labels", a)
			case l == "" || len(l) > 15 || c.Interface != "" && !strings.HasPrefix(l, c.Interface):
				return bad("VIPLabels[%v] %q is not a label of 1..15 bytes beginning with Interface %q", a, l, c.Interface)
			}
			labels[a] = l
		}
		c.VIPLabels = labels
	}
	if c.CheckUnicastSource && len(c.UnicastPeers) == 0 {
		return bad("CheckUnicastSource is set without UnicastPeers")
	}
	for i := range c.Track {
		t, err := c.Track[i].withDefaults(i)
		if err != nil {
			return c, MachineConfig{}, err
		}
		c.Track[i] = t
	}
	if c.SyncGroup != nil && c.SyncGroup.Weights > SyncWeightsIgnore {
		return bad("SyncGroup.Weights %d is unknown", uint8(c.SyncGroup.Weights))
	}
	if c.Checksum > ChecksumV3AsV2 {
		return bad("Checksum %d is unknown", uint8(c.Checksum))
	}
	// Primary is learned from the Link in Run; a placeholder of the right
	// family lets NewMachine check the rest now.
	mc := MachineConfig{
		VRID: c.VRID, Priority: c.Priority, Version: c.Version, VIPs: addrs,
		Interval: c.Interval, NoPreempt: c.NoPreempt, PreemptDelay: c.PreemptDelay,
		NoAccept: c.NoAccept, GARPRepeat: c.GARPRepeat, GARPDelay: c.GARPDelay,
		GARPRefresh: c.GARPRefresh, GARPRefreshRepeat: c.GARPRefreshRepeat,
		GARPLowerPrioRepeat: c.GARPLowerPrioRepeat, GARPLowerPrioDelay: c.GARPLowerPrioDelay,
		Synced: c.SyncGroup != nil, AuthPass: c.AuthPass,
	}
	mc.Primary = netip.IPv4Unspecified()
	if len(addrs) > 0 && addrs[0].Is6() {
		mc.Primary = netip.IPv6Unspecified()
	}
	mc, err := mc.withDefaults()
	if err != nil {
		return c, MachineConfig{}, err
	}
	c.Priority, c.Version, c.Interval = mc.Priority, mc.Version, mc.Interval
	return c, mc, nil
}

// fitsMTU checks, as keepalived does at startup, that an advert listing
// every VIP fits in one frame of the interface's MTU (keepalived counts
// the Ethernet header too). keepalived would move the excess addresses to
// virtual_ipaddress_excluded; a Router refuses to run instead.
func (r *Router) fitsMTU(mtu int) error {
	if mtu <= 0 {
		return nil
	}
	const ether, vrrpHeader = 14, headerLen
	hdr, alen := ether+20+vrrpHeader, 4
	if r.mc.VIPs[0].Is6() {
		hdr, alen = ether+40+vrrpHeader, 16
	}
	if r.mc.Version == Version2 {
		hdr += authLen
	}
	if most := (mtu - hdr) / alen; len(r.mc.VIPs) > most {
		return fmt.Errorf("vrrp: router %s VRID %d: VIPs: %d addresses do not fit one advert on an MTU of %d (at most %d): %w",
			r.cfg.Interface, r.cfg.VRID, len(r.mc.VIPs), mtu, most, ErrInvalidConfig)
	}
	return nil
}
