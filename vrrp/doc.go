// Package vrrp holds virtual IP addresses with the Virtual Router
// Redundancy Protocol: VRRPv3 (RFC 5798) over IPv4 and IPv6, and VRRPv2
// (RFC 3768), interoperating with keepalived.
//
// A group of routers on one link shares a virtual router identifier (VRID)
// and a list of virtual addresses (VIPs). The one with the highest priority
// is MASTER: it holds the addresses on its interface, announces them with
// gratuitous ARP / unsolicited neighbour advertisements, and multicasts an
// advertisement every interval. The others are BACKUP: when they hear
// nothing for Master_Down_Interval (three intervals plus a skew that is
// shorter for higher priorities), the best of them takes over. A master
// that stops says so with a priority 0 advert, and a backup takes over
// after the skew alone.
//
// The package has four layers, each usable on its own:
//
//   - The codec (AppendAdvert, ParseAdvert) encodes and strictly checks
//     advertisements: TTL / hop limit 255, version, type, VRID, address
//     count, length and checksum (with keepalived's v3_checksum_as_v2
//     variant, ChecksumV3AsV2, for vendors that leave the pseudo-header
//     out of VRRPv3 IPv4 checksums), with a *ParseError naming the field.
//   - Machine is the protocol as a pure state machine (INIT, BACKUP,
//     MASTER and keepalived's FAULT): Step takes an Event and returns
//     Actions. It never reads the clock or touches a socket, so tests drive
//     it through any scenario without goroutines.
//   - Router drives a Machine on a Link: it owns the timers, parses
//     packets, runs tracking (Track: interfaces, scripts, any
//     hakit.Checker, with keepalived's weights) and sync groups (SyncGroup),
//     carries the actions out, and keeps Stats.
//   - Links: RawLink is the real one on Linux (raw IP protocol 112 sockets,
//     netlink for addresses, github.com/mdlayher/arp and ndp for
//     announcements, github.com/google/nftables for Accept_Mode). Routers
//     of one process that open their own (Config.Link nil) share one
//     RawLink per interface, family and kind of destination: each packet
//     is read once and handed to the Router of its VRID
//     (TestManyVRIDsShareOneSocket runs 255 on one interface). Package
//     vrrptest provides an in-memory LAN with partitions, loss, delay and
//     crashes under testing/synctest.
//
// # Using a Router
//
//  1. Fill a Config: Interface, VRID, VIPs (with prefix lengths) and
//     usually Priority. Everything else has keepalived's default: advert
//     interval 1s, preemption on, accept mode on, five gratuitous ARPs on
//     becoming MASTER and five more 5s later. Version defaults to 3;
//     keepalived defaults to 2, so say "version 3" there or set Version2
//     here.
//  2. List exactly the addresses the other routers list: keepalived drops
//     adverts whose address list differs from its own virtual_ipaddress
//     (same count, any order). Over IPv6 the adverts come from the
//     link-local address, which is not in the list.
//  3. Call New, then Run(ctx) in a goroutine. Run needs CAP_NET_RAW and
//     CAP_NET_ADMIN for the raw link; it returns nil after ctx is done and
//     the router has shut down (a MASTER sends priority 0 and removes its
//     addresses).
//  4. Watch OnStateChange or Stats. OnStateChange runs on Run's goroutine:
//     hand slow work (scripts, API calls) to another goroutine.
//
// # Accept mode
//
// RFC 5798 (section 6.1) defaults Accept_Mode to False, and RFC 3768
// (section 6.4.3) has no such switch: a MASTER that is not the address
// owner must not accept packets addressed to the virtual addresses. Like
// keepalived outside vrrp_strict, for both versions, a Router accepts them
// unless Config.NoAccept is set. With NoAccept, a RawLink enforces the rule
// as keepalived 2.2.7 does with nftables: while the router is MASTER, and
// only then, a table of its own (hakit_vrrp_IFACE_VRID, family ip or ip6)
// drops every packet addressed to a VIP in the input hook and every packet
// sent from one in the output hook, at priority -1, ICMP echo included;
// ARP is not IP and IPv6 neighbour solicitations and advertisements are let
// through, so the addresses stay resolvable. The table is created on
// becoming MASTER, before the addresses are added, and deleted after they
// are removed, and at startup (where a killed run may have left one). It
// needs a kernel with nf_tables (CONFIG_NF_TABLES, CONFIG_NF_TABLES_IPV4 /
// IPV6); without it the failure is logged and counted in Stats.VIPErrors,
// and the addresses are added anyway, as keepalived does. The address
// owner (priority 255) always accepts. TestAcceptModeOnTheWire checks it
// in network namespaces, next to keepalived's no_accept (table
// "keepalived", same rules): TCP to the VIP of a no-accept MASTER is
// dropped, TCP to its own address and ARP / neighbour discovery of the VIP
// still work, and the table is gone once the router stops.
//
// # Interoperation with keepalived
//
// The tests run Router (through examples/vrrpd) against keepalived 2.2.7 in
// network namespaces: elections agree both ways for VRRPv3 over IPv4,
// VRRPv2 and VRRPv3 over IPv6, for preemption, nopreempt and equal
// priorities (the higher primary address wins between two masters).
// Takeover times, backup priority 100 and advert interval 1s, are
// measured and printed by
//
//	go test -tags integration -run TestInteropFailover -v ./vrrp/
//
// for each family and each pair (keepalived>keepalived, vrrpd>keepalived,
// keepalived>vrrpd), after SIGTERM from the signal and after kill -9 from
// the master's last advert as the backup saw it; the test fails when
// vrrpd's time exceeds keepalived's own in that run by more than 0.5s
// (after SIGTERM, or 1.5s, whichever is longer).
// The protocol's figures are Skew_Time (0.609s at priority 100) after
// SIGTERM and Master_Down_Interval (3.609s) after a crash.
//
// With unicast (keepalived's unicast_peer and unicast_src_ip;
// Config.UnicastPeers and Config.UnicastSource) the same pairs run in
// TestInteropUnicastFailover, the IPv6 one from global addresses:
// `go test -tags integration -run TestInteropUnicastFailover -v ./vrrp/`
// prints the same table, each takeover held to keepalived's own time in
// that run + 0.5s. The source address is the router's address in
// elections too, as in keepalived. Config.CheckUnicastSource drops
// adverts from senders that are not peers (check_unicast_src).
//
// # keepalived.conf
//
// ParseKeepalivedConf reads an operator's keepalived.conf (vrrp_instance,
// vrrp_sync_group, vrrp_script, global_defs' router_id, include) and
// refuses every keyword it does not run with a *ConfFileError naming the
// file and line; RouterConfigs turns it into Configs with keepalived's
// defaults (VRRPv2, its sync-group weight rules). examples/vrrpd runs such
// a file with -f, and TestKeepalivedConfAgainstKeepalived runs one pair of
// mirror files, two instances in a sync group with a track_script, unicast
// peers and a PASS password, under keepalived and vrrpd side by side.
//
// # Failure model
//
// VRRP decides with what each router hears, nothing else. It survives the
// crash, stop or disconnection of any router: a backup takes over after
// Master_Down_Interval (about 3.6s with the defaults), or after Skew_Time
// (about 0.6s) when the master stops cleanly. It does not survive, and
// cannot detect:
//
//   - Split brain. When adverts are lost both ways (a partition, a
//     firewall dropping protocol 112, a congested link, multicast not
//     forwarded by a switch) every side believes the others dead and
//     becomes MASTER, and the address is held twice: clients reach
//     whichever host their ARP cache names. When the link heals, the
//     masters hear each other and all but the best yield within one
//     interval, with fresh gratuitous ARPs; nothing fences the loser
//     during the partition. Run an odd number of routers on a link
//     that cannot split from the clients, or put a fencing token
//     (hakit.Elector) in front of anything that must never have two
//     writers.
//   - One-way loss. A backup that stops hearing a master that still hears
//     it takes over, and the master does not yield (its adverts are higher):
//     two masters until the loss ends.
//   - A live master that no longer serves. VRRP only knows that the router
//     process runs. Tracking is how the service's health reaches it: a
//     failing Track of weight 0 puts the router in FAULT (it sends priority
//     0, removes the addresses and stops advertising, so a backup takes
//     over after Skew_Time); a weighted Track lowers the priority so that a
//     preempting backup takes over after Master_Down_Interval. A FAULT
//     router comes back as BACKUP when its tracks recover. When Link is
//     nil the Router tracks its own interface and is in FAULT while it is
//     down. A Track's first result decides at once; a Router does not
//     start before its weight 0 Tracks have reported.
//   - Address changes. On a RawLink the Router follows the interface's
//     addresses as keepalived does: while it has no address of the
//     family (it was removed, or never added) the router is in FAULT; a
//     new primary address is taken up at once; a VIP removed by someone
//     else from a MASTER makes it send priority 0, give up the rest and
//     take over again after Skew_Time, adding and announcing them afresh.
//   - Sync groups move members together (a faulted member faults them
//     all), but they coordinate only the routers of one process.
//   - A peer configured differently. Adverts that do not match (address
//     list, version, VRRPv2 interval or password, TTL below 255, checksum
//     convention, unicast against multicast) are dropped, so both sides
//     may be MASTER. Each drop is counted in Stats; the first from each
//     peer, then one a minute, is logged at Warn with the cause and the
//     peer.
//
// A kill -9 leaves the addresses on the interface (and, with NoAccept,
// the nftables table), as with any daemon, until the next Run starts: it
// removes both as it starts, before it waits for its weight 0 Tracks
// (and the table even when NoAccept is now off), and again on every
// entry to BACKUP and FAULT, whatever the state before, as keepalived
// does, so a run that starts in FAULT (its interface down, a weight 0
// Track failing) or is stopped before its Tracks report holds nothing
// while a peer is MASTER (TestStaleVIPsRemovedOnEntryToFault,
// TestStaleVIPsRemovedWhileINITWaitsForTrack,
// TestStaleFilterRemovedWhenAcceptModeNow). A supervisor should restart
// the process promptly.
//
// # Differences from keepalived 2.2.7
//
// The behaviour above follows keepalived 2.2.7's source where the RFCs
// leave a choice: timers to the nanosecond (keepalived: microsecond), the
// learned interval of VRRPv3, preempt_delay counted from the first
// lower-priority advert a BACKUP hears, five gratuitous ARPs on becoming
// MASTER and five 5s later, five more (and again 5s later) when a MASTER
// hears a lower priority (garp_lower_prio_repeat), a priority 0 advert on
// entering FAULT, weights clamped to 1..254, FAULT left for BACKUP (the
// owner: MASTER), unicast and multicast adverts kept apart, packet errors
// counted as its vrrp.stats does. These differences are deliberate:
//
//   - A gratuitous ARP round is a request and a reply (keepalived sends a
//     request only); both update caches, some hosts heed only one.
//   - A priority change of a BACKUP (tracking) applies to the next
//     Master_Down_Timer; keepalived also moves the running one by the
//     change of Skew_Time (less than one interval).
//   - A MASTER that receives priority 0 resets its Adver_Timer after
//     answering, as RFC 5798 section 6.4.3 says; keepalived does not.
//   - Two address owners (priority 255) on one link: the higher primary
//     address wins, as for any tie; keepalived lowers its own priority
//     to 254 and logs a configuration error.
//   - In a sync group, the other members follow a member that gave up
//     MASTER over a removed VIP as over any loss of MASTER (no priority 0,
//     Master_Down_Interval); keepalived gives them Skew_Time too.
//   - Weighted Tracks count in a sync group member as anywhere else
//     (keepalived's sync_group_tracking_weight); by default keepalived
//     turns weighted tracked interfaces into FAULT and ignores weighted
//     scripts there: SyncGroup.Weights selects either (SyncWeights).
//   - More VIPs than one advert can carry on the interface's MTU make Run
//     fail; keepalived moves the excess to virtual_ipaddress_excluded.
//     NoPreempt with priority 255 is a configuration error (keepalived
//     clears nopreempt).
//   - An advert with a zero interval is malformed; keepalived accepts a
//     VRRPv3 one. The first IPv6 VIP need not be link-local (keepalived
//     only warns outside vrrp_strict).
//   - Not implemented: virtual MACs (use_vmac), virtual routes and rules,
//     excluded VIPs, vrrp_strict, VRRPv2 authentication other than
//     PASS (Config.AuthPass, for legacy peers), keepalived's
//     old_unicast_checksum (keepalived up to 1.3.6 computed the VRRPv3
//     unicast checksum with the multicast group as destination, and later
//     versions detect such peers; ChecksumV3AsV2, which drops the
//     pseudo-header altogether, is a different scheme),
//     down_timer_adverts other than 3, notify FIFOs.
package vrrp
