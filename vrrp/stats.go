package vrrp

import (
	"errors"
	"net/netip"
	"slices"
	"time"
)

// Stats is a snapshot of a Router, with counters like keepalived's
// vrrp.stats.
type Stats struct {
	// State is the current state.
	State State
	// Priority is the effective priority (after tracking).
	Priority uint8
	// Fault reports whether a fault is raised (own or the sync group's).
	Fault bool
	// Master is the current master's primary address and priority, as
	// last seen (this router's own while MASTER); invalid when unknown.
	Master         netip.Addr
	MasterPriority uint8
	// MasterAdverInterval is the interval learned from the master.
	MasterAdverInterval time.Duration
	// Transitions counts state changes; BecameMaster and ReleasedMaster
	// count entries into and exits from MASTER.
	Transitions, BecameMaster, ReleasedMaster uint64
	// AdvertsSent and AdvertsReceived count adverts of this VRID;
	// PriorityZeroSent and PriorityZeroReceived those with priority 0.
	AdvertsSent, AdvertsReceived           uint64
	PriorityZeroSent, PriorityZeroReceived uint64
	// ParseErrors counts packets of this VRID that ParseAdvert refused
	// (length, TTL, version, type, checksum, ...); Rejected counts
	// well-formed adverts of this VRID that did not match the
	// configuration (address list, VRRPv2 interval, version, a unicast
	// advert to a router of the multicast group or the reverse). Both are
	// dropped.
	ParseErrors, Rejected uint64
	// The dropped packets by reason, as keepalived's vrrp.stats ("Packet
	// Errors": Length, TTL, Invalid Type, Advertisement Interval, Address
	// List; "Authentication Errors": Invalid Type) and RFC 6527's VRRPv3
	// MIB (version and checksum errors) count them. A packet is counted
	// under at most one; a few kinds (a VRID of 0, a source of the wrong
	// family) have none.
	LengthErrors, TTLErrors, TypeErrors, IntervalErrors, AddressListErrors uint64
	AuthTypeErrors, VersionErrors, ChecksumErrors                          uint64
	// AuthFailures counts VRRPv2 adverts whose password differs from
	// Config.AuthPass (keepalived's "Authentication Errors: Failure").
	AuthFailures uint64
	// NotPeer counts adverts dropped because their source is not one of
	// the UnicastPeers (Config.CheckUnicastSource); they are also counted
	// in Rejected.
	NotPeer uint64
	// OtherVRID counts adverts of other virtual routers on the link, well
	// formed or not (keepalived drops them before any instance sees them;
	// not this router's errors).
	OtherVRID uint64
	// SendErrors and VIPErrors count failed sends and failed address
	// changes or announcements.
	SendErrors, VIPErrors uint64
	// LastError is the last error of any kind, nil if none.
	LastError error
	// Tracks is the status of each Track, in Config order.
	Tracks []TrackStatus
}

func (s Stats) clone() Stats {
	s.Tracks = slices.Clone(s.Tracks)
	return s
}

// countError adds a dropped packet's error to the counter of its reason.
func (s *Stats) countError(err error) {
	var field string
	var pe *ParseError
	var re *RejectError
	switch {
	case errors.As(err, &pe):
		field = pe.Field
	case errors.As(err, &re):
		field = re.Field
	}
	switch field {
	case "Length":
		s.LengthErrors++
	case "TTL":
		s.TTLErrors++
	case "Type":
		s.TypeErrors++
	case "Interval":
		s.IntervalErrors++
	case "Addrs", "Count", "Destination":
		s.AddressListErrors++
	case "AuthType":
		s.AuthTypeErrors++
	case "AuthPass":
		s.AuthFailures++
	case "Version":
		s.VersionErrors++
	case "Checksum":
		s.ChecksumErrors++
	}
}
