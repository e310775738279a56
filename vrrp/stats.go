package vrrp

import (
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
	// ParseErrors counts packets ParseAdvert refused (length, TTL,
	// version, type, checksum, ...); Rejected counts well-formed adverts
	// of this VRID that did not match the configuration (address list,
	// VRRPv2 interval, version). Both are dropped.
	ParseErrors, Rejected uint64
	// OtherVRID counts well-formed adverts of other virtual routers on the
	// link (not errors).
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
