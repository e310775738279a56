package vrrp

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Defaults, from keepalived.conf(5) and RFC 5798.
const (
	// DefaultPriority is the priority of a router that is not the address
	// owner: RFC 5798 section 5.2.4 and keepalived's default.
	DefaultPriority = 100
	// DefaultInterval is the advertisement interval: RFC 5798 section
	// 5.2.7 (100 centiseconds) and keepalived's advert_int.
	DefaultInterval = time.Second
	// DefaultGARPRepeat is keepalived's garp_master_repeat: gratuitous
	// ARPs per address sent on becoming MASTER, and again after
	// GARPDelay.
	DefaultGARPRepeat = 5
	// DefaultGARPDelay is keepalived's garp_master_delay.
	DefaultGARPDelay = 5 * time.Second
	// OwnerPriority is the priority of the router that owns the virtual
	// addresses (RFC 5798 section 5.2.4).
	OwnerPriority = 255
)

// MachineConfig configures a Machine. The zero value of each optional field
// is the documented default; MachineConfig is copied by NewMachine.
type MachineConfig struct {
	// VRID is the virtual router identifier, 1..255. Required.
	VRID uint8
	// Priority is the base priority, 1..255; 255 makes this router the
	// address owner. Zero means DefaultPriority (100).
	Priority uint8
	// Version is Version3 or Version2. Zero means Version3 (RFC 5798).
	// keepalived's default is VRRPv2: peers must agree.
	Version Version
	// VIPs are the virtual addresses this router advertises, 1..255, all
	// IPv4 or all IPv6 (IPv4 only for Version2). Adverts from peers must
	// list exactly these addresses, in any order, as keepalived requires.
	VIPs []netip.Addr
	// Interval is the advertisement interval: a whole number of
	// centiseconds (10ms..40.95s) for VRRPv3, of seconds (1s..255s) for
	// VRRPv2. Zero means DefaultInterval (1s).
	Interval time.Duration
	// Primary is this router's primary address on the link, the source of
	// its adverts: it breaks ties between equal priorities (RFC 5798
	// section 6.4.3). For IPv6 it is the link-local address. Required.
	Primary netip.Addr
	// NoPreempt turns RFC 5798's Preempt_Mode off: a BACKUP does not take
	// over from a lower-priority master (keepalived's nopreempt). Not
	// allowed with priority 255.
	NoPreempt bool
	// PreemptDelay is keepalived's preempt_delay: after first seeing a
	// lower-priority master, a BACKUP keeps accepting its adverts for this
	// long before preempting it (then it takes over Master_Down_Interval
	// after the last advert it accepted). The delay starts with the first
	// lower-priority advert, as in keepalived 2.2.7's code, whose manual's
	// "at startup" is that same moment for a starting BACKUP; an advert of
	// equal or higher priority cancels it. Zero means preempt at once.
	PreemptDelay time.Duration
	// NoAccept turns RFC 5798's Accept_Mode off for a router that is not
	// the address owner (keepalived's no_accept). The default, like
	// keepalived's outside strict mode, is to accept.
	NoAccept bool
	// GARPRepeat is the number of gratuitous ARP / unsolicited NA rounds
	// sent on becoming MASTER and again after GARPDelay. Zero means
	// DefaultGARPRepeat (5), keepalived's garp_master_repeat.
	GARPRepeat int
	// GARPDelay is when the second burst goes out after becoming MASTER.
	// Zero means DefaultGARPDelay (5s), keepalived's garp_master_delay; a
	// negative value sends no second burst.
	GARPDelay time.Duration
	// GARPRefresh, when positive, repeats GARPRefreshRepeat rounds at this
	// interval while MASTER (keepalived's garp_master_refresh). Zero means
	// never.
	GARPRefresh time.Duration
	// GARPRefreshRepeat is the number of rounds per refresh. Zero means 1
	// (keepalived's garp_master_refresh_repeat).
	GARPRefreshRepeat int
	// GARPLowerPrioRepeat is the number of rounds a MASTER sends when it
	// receives an advert of lower priority (or of equal priority from a
	// lower address): the sender believed itself MASTER and may have won
	// the neighbours' ARP caches. Zero means GARPRepeat, keepalived's
	// default for garp_lower_prio_repeat; negative means none.
	GARPLowerPrioRepeat int
	// GARPLowerPrioDelay is when a second such burst goes out. Zero means
	// GARPDelay, keepalived's default for garp_lower_prio_delay; negative
	// means no second burst.
	GARPLowerPrioDelay time.Duration
	// AuthPass, for VRRPv2 only, sends a simple text password (RFC 2338
	// section 5.3.6.1, keepalived's auth_type PASS with auth_pass) and
	// drops adverts without it. 1..8 bytes; empty means none, as RFC
	// 3768 has it. For legacy peers only: it authenticates nothing, the
	// password travels in clear.
	AuthPass string
	// Synced makes the Machine a member of a sync group: when its
	// Master_Down_Timer fires it reports WantMaster instead of taking
	// over, and waits for SyncTo.
	Synced bool
}

// withDefaults returns c with defaults filled in, or an error naming the
// first bad field.
func (c MachineConfig) withDefaults() (MachineConfig, error) {
	bad := func(format string, args ...any) (MachineConfig, error) {
		return c, fmt.Errorf("vrrp: %s: %w", fmt.Sprintf(format, args...), ErrInvalidConfig)
	}
	if c.VRID == 0 {
		return bad("VRID 0 is not in 1..255")
	}
	if c.Priority == 0 {
		c.Priority = DefaultPriority
	}
	if c.Version == 0 {
		c.Version = Version3
	}
	if c.Version != Version2 && c.Version != Version3 {
		return bad("Version %d is neither 2 nor 3", uint8(c.Version))
	}
	if c.Interval == 0 {
		c.Interval = DefaultInterval
	}
	switch c.Version {
	case Version3:
		if c.Interval%(10*time.Millisecond) != 0 || c.Interval < 10*time.Millisecond || c.Interval > 40950*time.Millisecond {
			return bad("Interval %v is not a whole number of centiseconds in 10ms..40.95s (VRRPv3)", c.Interval)
		}
	case Version2:
		if c.Interval%time.Second != 0 || c.Interval < time.Second || c.Interval > 255*time.Second {
			return bad("Interval %v is not a whole number of seconds in 1s..255s (VRRPv2)", c.Interval)
		}
	}
	if len(c.VIPs) == 0 || len(c.VIPs) > 255 {
		return bad("VIPs has %d addresses, want 1..255", len(c.VIPs))
	}
	vips := make([]netip.Addr, len(c.VIPs))
	for i, ip := range c.VIPs {
		ip = ip.Unmap()
		if !ip.IsValid() || ip.Is6() != c.VIPs[0].Unmap().Is6() {
			return bad("VIPs %v must all be valid addresses of one family", c.VIPs)
		}
		if slices.Contains(vips[:i], ip) {
			return bad("VIPs lists %v twice", ip)
		}
		vips[i] = ip
	}
	c.VIPs = vips
	v6 := vips[0].Is6()
	if v6 && c.Version == Version2 {
		return bad("VIPs are IPv6 but Version is 2 (RFC 3768 is IPv4 only)")
	}
	c.Primary = c.Primary.Unmap()
	if !c.Primary.IsValid() || c.Primary.Is6() != v6 {
		return bad("Primary %v must be an address of the VIPs' family", c.Primary)
	}
	if c.AuthPass != "" && (c.Version != Version2 || len(c.AuthPass) > 8 || strings.TrimRight(c.AuthPass, "\x00") != c.AuthPass) {
		return bad("AuthPass is VRRPv2 only, 1..8 bytes, not ending in NUL")
	}
	if c.NoPreempt && c.Priority == OwnerPriority {
		return bad("NoPreempt is incompatible with Priority 255 (the address owner always preempts)")
	}
	if c.PreemptDelay < 0 {
		return bad("PreemptDelay %v is negative", c.PreemptDelay)
	}
	if c.GARPRepeat < 0 || c.GARPRefreshRepeat < 0 || c.GARPRefresh < 0 {
		return bad("GARPRepeat %d, GARPRefresh %v and GARPRefreshRepeat %d must not be negative", c.GARPRepeat, c.GARPRefresh, c.GARPRefreshRepeat)
	}
	if c.GARPRepeat == 0 {
		c.GARPRepeat = DefaultGARPRepeat
	}
	if c.GARPDelay == 0 {
		c.GARPDelay = DefaultGARPDelay
	}
	if c.GARPRefreshRepeat == 0 {
		c.GARPRefreshRepeat = 1
	}
	if c.GARPLowerPrioRepeat == 0 {
		c.GARPLowerPrioRepeat = c.GARPRepeat
	}
	if c.GARPLowerPrioDelay == 0 {
		c.GARPLowerPrioDelay = c.GARPDelay
	}
	return c, nil
}

// SkewTime is RFC 5798's Skew_Time for a router of the given priority:
// ((256 - Priority) * Master_Adver_Interval) / 256 (section 6.1) for
// VRRPv3, and (256 - Priority) / 256 seconds for VRRPv2 (RFC 3768 section
// 6.1). It is computed to the nanosecond rather than rounded to whole
// centiseconds, as keepalived computes it to the microsecond.
func SkewTime(v Version, priority uint8, masterAdverInterval time.Duration) time.Duration {
	if v == Version2 {
		return time.Duration(256-int64(priority)) * time.Second / 256
	}
	return time.Duration(256-int64(priority)) * masterAdverInterval / 256
}

// MasterDownInterval is RFC 5798's Master_Down_Interval: (3 *
// Master_Adver_Interval) + Skew_Time (section 6.1; RFC 3768 section 6.1
// uses the local Advertisement_Interval, which VRRPv2 requires to equal
// the master's).
func MasterDownInterval(v Version, priority uint8, masterAdverInterval time.Duration) time.Duration {
	return 3*masterAdverInterval + SkewTime(v, priority, masterAdverInterval)
}

// Machine is the VRRP state machine of one virtual router, RFC 5798
// section 6 (and RFC 3768 for VRRPv2) with keepalived's FAULT state,
// preempt delay and sync-group hooks. It is pure: Step takes an Event and
// returns the Actions to carry out; it never reads the clock or touches
// the network. A Machine is not safe for concurrent use.
type Machine struct {
	cfg   MachineConfig
	state State
	prio  uint8 // effective priority

	masterAdverInterval time.Duration
	masterAddr          netip.Addr
	masterPrio          uint8

	fault          bool
	wantMaster     bool
	preemptRunning bool // TimerPreempt set and not fired
	preemptExpired bool // TimerPreempt fired: lower adverts are discarded
	nextReason     Reason
}

// NewMachine returns a Machine in INIT for cfg.
func NewMachine(cfg MachineConfig) (*Machine, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Machine{cfg: c, prio: c.Priority, masterAdverInterval: c.Interval}, nil
}

// Config returns the Machine's configuration with defaults filled in.
func (m *Machine) Config() MachineConfig {
	c := m.cfg
	c.VIPs = slices.Clone(c.VIPs)
	return c
}

// State returns the current state.
func (m *Machine) State() State { return m.state }

// Priority returns the effective priority.
func (m *Machine) Priority() uint8 { return m.prio }

// Fault reports whether a fault is raised.
func (m *Machine) Fault() bool { return m.fault }

// Master returns the source address and priority of the last advert this
// router accepted from a master, or its own primary address and priority
// while it is MASTER. The address is invalid when none is known.
func (m *Machine) Master() (netip.Addr, uint8) {
	if m.state == StateMaster {
		return m.cfg.Primary, m.prio
	}
	return m.masterAddr, m.masterPrio
}

// MasterAdverInterval is RFC 5798's Master_Adver_Interval: the interval
// learned from the master's adverts (VRRPv3), or the configured one.
func (m *Machine) MasterAdverInterval() time.Duration { return m.masterAdverInterval }

// MasterDownInterval is the current Master_Down_Interval.
func (m *Machine) MasterDownInterval() time.Duration {
	return MasterDownInterval(m.cfg.Version, m.prio, m.masterAdverInterval)
}

func (m *Machine) skew() time.Duration {
	return SkewTime(m.cfg.Version, m.prio, m.masterAdverInterval)
}

func (m *Machine) advert(prio uint8) SendAdvert {
	return SendAdvert{Advert: Advert{
		Version:  m.cfg.Version,
		VRID:     m.cfg.VRID,
		Priority: prio,
		Interval: m.cfg.Interval,
		Addrs:    slices.Clone(m.cfg.VIPs),
		AuthPass: m.cfg.AuthPass,
	}}
}

// Step applies ev and returns the actions to carry out, in order. A
// non-nil error (a *RejectError) means an AdvertReceived was dropped
// because it does not match this virtual router; the Machine is unchanged.
func (m *Machine) Step(ev Event) ([]Action, error) {
	switch ev := ev.(type) {
	case Startup:
		return m.startup(), nil
	case AdvertReceived:
		if err := m.check(ev); err != nil {
			return nil, err
		}
		switch m.state {
		case StateBackup:
			return m.backupAdvert(ev), nil
		case StateMaster:
			return m.masterAdvert(ev), nil
		}
		return nil, nil // INIT and FAULT ignore adverts
	case TimerFired:
		return m.timer(ev.Timer), nil
	case PriorityChanged:
		return m.setPriority(ev.Priority), nil
	case FaultChanged:
		return m.setFault(ev.Fault), nil
	case SyncTo:
		return m.syncTo(ev.State), nil
	case VIPsRemoved:
		return m.vipsRemoved(), nil
	case PrimaryChanged:
		if p := ev.Primary.Unmap(); p.IsValid() && p.Is6() == m.cfg.Primary.Is6() {
			m.cfg.Primary = p
		}
		return nil, nil
	case Shutdown:
		return m.shutdown(), nil
	}
	return nil, nil
}

// check applies RFC 5798 section 7.1's checks that depend on the
// configuration, with keepalived's choices where the RFC says MAY.
func (m *Machine) check(ev AdvertReceived) error {
	a := ev.Advert
	reject := func(field, format string, args ...any) error {
		return &RejectError{Field: field, Reason: fmt.Sprintf(format, args...)}
	}
	// "MUST verify the VRRP version" (RFC 5798 section 7.1).
	if a.Version != m.cfg.Version {
		return reject("Version", "wrong version. Received %d and expect %d", uint8(a.Version), uint8(m.cfg.Version))
	}
	// "MUST verify that the VRID is configured on the receiving interface".
	if a.VRID != m.cfg.VRID {
		return reject("VRID", "VRID %d is not %d", a.VRID, m.cfg.VRID)
	}
	// RFC 2338 section 5.3.6.1: "The receiver MUST ... verify that the
	// Authentication type matches the locally configured authentication
	// method" and, for a simple text password, that it matches.
	if m.cfg.Version == Version2 && a.AuthPass != m.cfg.AuthPass {
		if (a.AuthPass == "") != (m.cfg.AuthPass == "") {
			return reject("AuthType", "received an advert with authentication %v, expected %v", a.AuthPass != "", m.cfg.AuthPass != "")
		}
		return reject("AuthPass", "received an advert with another password")
	}
	if src := ev.Src.Unmap(); !src.IsValid() || src.Is6() != m.cfg.Primary.Is6() {
		return reject("Family", "source %v is not of the family of %v", ev.Src, m.cfg.Primary)
	} else if src == m.cfg.Primary {
		return reject("Source", "advert from our own primary address %v", src)
	}
	// RFC 3768 section 7.1: "MUST verify that the Adver Interval in the
	// packet is the same as the locally configured for this virtual
	// router"; VRRPv3 learns the master's instead.
	if m.cfg.Version == Version2 && a.Interval != m.cfg.Interval {
		return reject("Interval", "advertisement interval mismatch mine=%d sec rcv'd=%d sec", m.cfg.Interval/time.Second, a.Interval/time.Second)
	}
	// RFC 5798 section 7.1: "MAY verify that the IPvX Address(es)
	// associated with the VRID are valid"; keepalived drops adverts whose
	// list differs from its own, so interoperation needs the same lists.
	if len(a.Addrs) != len(m.cfg.VIPs) {
		return reject("Addrs", "received an unexpected ip number count %d, expected %d!", len(a.Addrs), len(m.cfg.VIPs))
	}
	for _, vip := range m.cfg.VIPs {
		if !slices.ContainsFunc(a.Addrs, func(ip netip.Addr) bool { return ip.Unmap() == vip }) {
			return reject("Addrs", "ip address associated with VRID %d not present in MASTER advert: %v", m.cfg.VRID, vip)
		}
	}
	return nil
}

func (m *Machine) transition(to State, why Reason) Transition {
	t := Transition{From: m.state, To: to, Reason: why}
	m.state = to
	return t
}

func (m *Machine) startup() []Action {
	if m.state != StateInit {
		return nil
	}
	m.preemptRunning, m.preemptExpired, m.wantMaster = false, false, false
	m.masterAddr, m.masterPrio = netip.Addr{}, 0
	if m.fault {
		return []Action{RemoveVIPs{}, m.transition(StateFault, ReasonFault)}
	}
	// RFC 5798 section 6.4.1: "If the Priority = 255 ... transition to the
	// Master state"; else "transition to the Backup state".
	if m.cfg.Priority == OwnerPriority {
		return m.becomeMaster(ReasonOwner)
	}
	return m.enterBackup(ReasonStartup)
}

// enterBackup: RFC 5798 section 6.4.1: "Set Master_Adver_Interval to
// Advertisement_Interval ... Set the Master_Down_Timer to
// Master_Down_Interval ... Transition to the {Backup} state". The
// addresses go first: whatever state the router comes from, a BACKUP
// holds none (see RemoveVIPs).
func (m *Machine) enterBackup(why Reason) []Action {
	m.masterAdverInterval = m.cfg.Interval
	m.nextReason = ReasonMasterDown
	return []Action{
		RemoveVIPs{},
		SetTimer{Timer: TimerMasterDown, After: m.MasterDownInterval()},
		m.transition(StateBackup, why),
	}
}

// becomeMaster: RFC 5798 section 6.4.2: "Send an ADVERTISEMENT ...
// broadcast a gratuitous ARP request / send an Unsolicited ND ... Set the
// Adver_Timer to Advertisement_Interval ... Transition to the {Master}
// state". The advert goes first so that the old master, if alive, drops
// the addresses before the announcements (keepalived does the same).
func (m *Machine) becomeMaster(why Reason) []Action {
	m.masterAdverInterval = m.cfg.Interval
	m.preemptRunning, m.preemptExpired, m.wantMaster = false, false, false
	acts := []Action{
		StopTimer{Timer: TimerMasterDown},
		StopTimer{Timer: TimerPreempt},
		m.advert(m.prio),
		// RFC 5798 section 6.4.3 (650): accept if the address owner or
		// Accept_Mode is True.
		AddVIPs{Accept: m.cfg.Priority == OwnerPriority || !m.cfg.NoAccept},
		Announce{Repeat: m.cfg.GARPRepeat},
		SetTimer{Timer: TimerAdvert, After: m.cfg.Interval},
	}
	if m.cfg.GARPDelay > 0 {
		acts = append(acts, SetTimer{Timer: TimerGARP, After: m.cfg.GARPDelay})
	}
	if m.cfg.GARPRefresh > 0 {
		acts = append(acts, SetTimer{Timer: TimerGARPRefresh, After: m.cfg.GARPRefresh})
	}
	return append(acts, m.transition(StateMaster, why))
}

// leaveMaster stops the master's timers and gives the addresses up.
func (m *Machine) leaveMaster(acts []Action) []Action {
	return append(acts,
		StopTimer{Timer: TimerAdvert},
		StopTimer{Timer: TimerGARP},
		StopTimer{Timer: TimerGARPRefresh},
		StopTimer{Timer: TimerGARPLowerPrio},
		RemoveVIPs{},
	)
}

func (m *Machine) backupAdvert(ev AdvertReceived) []Action {
	a := ev.Advert
	// RFC 5798 section 6.4.2: "If the Priority in the ADVERTISEMENT is
	// zero, then: Set the Master_Down_Timer to Skew_Time".
	if a.Priority == 0 {
		m.nextReason = ReasonPriorityZero
		return []Action{SetTimer{Timer: TimerMasterDown, After: m.skew()}}
	}
	// "If Preempt_Mode is False, or if the Priority in the ADVERTISEMENT
	// is greater than or equal to the local Priority, then: Set
	// Master_Adver_Interval to Adver Interval contained in the
	// ADVERTISEMENT, Recompute the Master_Down_Interval, Reset the
	// Master_Down_Timer to Master_Down_Interval". keepalived's
	// preempt_delay also accepts a lower priority until the delay is over.
	lower := a.Priority < m.prio
	if !m.cfg.NoPreempt && lower && (m.cfg.PreemptDelay == 0 || m.preemptExpired) {
		// "Else (Priority in the ADVERTISEMENT is less than the local
		// Priority and Preempt_Mode is True): Discard the ADVERTISEMENT".
		m.nextReason = ReasonPreempt
		m.masterAddr, m.masterPrio = ev.Src.Unmap(), a.Priority
		return nil
	}
	var acts []Action
	if m.cfg.Version == Version3 {
		m.masterAdverInterval = a.Interval
	}
	m.masterAddr, m.masterPrio = ev.Src.Unmap(), a.Priority
	m.nextReason = ReasonMasterDown
	if m.cfg.PreemptDelay > 0 && !m.cfg.NoPreempt {
		switch {
		case !lower && (m.preemptRunning || m.preemptExpired):
			m.preemptRunning, m.preemptExpired = false, false
			acts = append(acts, StopTimer{Timer: TimerPreempt})
		case lower && !m.preemptRunning:
			m.preemptRunning = true
			acts = append(acts, SetTimer{Timer: TimerPreempt, After: m.cfg.PreemptDelay})
		}
	}
	acts = append(acts, SetTimer{Timer: TimerMasterDown, After: m.MasterDownInterval()})
	if m.wantMaster {
		m.wantMaster = false
		acts = append(acts, WantMaster{Want: false})
	}
	return acts
}

// higher reports whether an advert of priority p from src beats this
// router: RFC 5798 section 6.4.3, "the Priority in the ADVERTISEMENT is
// greater than the local Priority or the Priority in the ADVERTISEMENT is
// equal to the local Priority and the primary IPvX Address of the sender
// is greater than the local primary IPvX Address".
func (m *Machine) higher(p uint8, src netip.Addr) bool {
	return p > m.prio || p == m.prio && src.Unmap().Compare(m.cfg.Primary) > 0
}

func (m *Machine) masterAdvert(ev AdvertReceived) []Action {
	a := ev.Advert
	// RFC 5798 section 6.4.3: "If the Priority in the ADVERTISEMENT is
	// zero, then: Send an ADVERTISEMENT, Reset the Adver_Timer to
	// Advertisement_Interval".
	if a.Priority == 0 {
		return []Action{m.advert(m.prio), SetTimer{Timer: TimerAdvert, After: m.cfg.Interval}}
	}
	if m.higher(a.Priority, ev.Src) {
		// "Cancel Adver_Timer, Set Master_Adver_Interval to Adver Interval
		// contained in the ADVERTISEMENT, Recompute the Skew_Time,
		// Recompute the Master_Down_Interval, Set Master_Down_Timer to
		// Master_Down_Interval, Transition to the {Backup} state".
		acts := m.leaveMaster(nil)
		if m.cfg.Version == Version3 {
			m.masterAdverInterval = a.Interval
		} else {
			m.masterAdverInterval = m.cfg.Interval
		}
		m.masterAddr, m.masterPrio = ev.Src.Unmap(), a.Priority
		m.nextReason = ReasonMasterDown
		return append(acts,
			SetTimer{Timer: TimerMasterDown, After: m.MasterDownInterval()},
			m.transition(StateBackup, ReasonHigherPriority))
	}
	// "Else: Discard the ADVERTISEMENT". keepalived answers a lower
	// priority with an advert of its own at once ("forcing new
	// election"), which ends a split brain in one round trip, and with
	// garp_lower_prio_repeat rounds of announcements, now and after
	// garp_lower_prio_delay, to win back the neighbours' caches from the
	// router that believed itself MASTER; so do we.
	acts := []Action{m.advert(m.prio)}
	if n := m.cfg.GARPLowerPrioRepeat; n > 0 {
		acts = append(acts, Announce{Repeat: n})
		if d := m.cfg.GARPLowerPrioDelay; d > 0 {
			acts = append(acts, SetTimer{Timer: TimerGARPLowerPrio, After: d})
		}
	}
	return acts
}

// vipsRemoved is keepalived's set_vrrp_backup, run when one of a
// MASTER's addresses is deleted behind its back: leave MASTER with a
// priority 0 advert and come back after Skew_Time (unless a better router
// answers the priority 0 first), which adds and announces the addresses
// again.
func (m *Machine) vipsRemoved() []Action {
	if m.state != StateMaster {
		return nil
	}
	acts := m.leaveMaster([]Action{m.advert(0)})
	m.masterAdverInterval = m.cfg.Interval
	m.masterAddr, m.masterPrio = netip.Addr{}, 0
	m.nextReason = ReasonMasterDown
	return append(acts,
		SetTimer{Timer: TimerMasterDown, After: m.skew()},
		m.transition(StateBackup, ReasonVIPsRemoved))
}

func (m *Machine) timer(t Timer) []Action {
	switch {
	case m.state == StateMaster && t == TimerAdvert:
		// RFC 5798 section 6.4.3: "Send an ADVERTISEMENT, Reset the
		// Adver_Timer to Advertisement_Interval".
		return []Action{m.advert(m.prio), SetTimer{Timer: TimerAdvert, After: m.cfg.Interval}}
	case m.state == StateMaster && t == TimerGARP:
		return []Action{Announce{Repeat: m.cfg.GARPRepeat}}
	case m.state == StateMaster && t == TimerGARPLowerPrio:
		return []Action{Announce{Repeat: m.cfg.GARPLowerPrioRepeat}}
	case m.state == StateMaster && t == TimerGARPRefresh:
		return []Action{Announce{Repeat: m.cfg.GARPRefreshRepeat}, SetTimer{Timer: TimerGARPRefresh, After: m.cfg.GARPRefresh}}
	case m.state == StateBackup && t == TimerPreempt:
		m.preemptRunning, m.preemptExpired = false, true
		return nil
	case m.state == StateBackup && t == TimerMasterDown:
		if m.cfg.Synced {
			// keepalived's vrrp_sync_can_goto_master: a member only
			// goes when the whole group wants to; until the group says
			// so it stays BACKUP and waits another down interval.
			acts := []Action{SetTimer{Timer: TimerMasterDown, After: m.MasterDownInterval()}}
			if !m.wantMaster {
				m.wantMaster = true
				acts = append(acts, WantMaster{Want: true})
			}
			return acts
		}
		// RFC 5798 section 6.4.2: "If the Master_Down_Timer fires ...".
		return m.becomeMaster(m.nextReason)
	}
	return nil // a stale timer of another state
}

func (m *Machine) setPriority(p uint8) []Action {
	// keepalived's vrrp_set_effective_priority: the owner's priority never
	// changes, and others stay within 1..254.
	if m.cfg.Priority == OwnerPriority {
		return nil
	}
	m.prio = max(1, min(p, OwnerPriority-1))
	return nil
}

func (m *Machine) setFault(on bool) []Action {
	if on == m.fault {
		return nil
	}
	m.fault = on
	switch {
	case on && m.state == StateMaster:
		// keepalived sends priority 0 on its way from MASTER to FAULT,
		// so that a backup takes over after Skew_Time.
		acts := m.leaveMaster([]Action{m.advert(0)})
		return append(acts, m.transition(StateFault, ReasonFault))
	case on && m.state == StateBackup:
		acts := []Action{StopTimer{Timer: TimerMasterDown}, StopTimer{Timer: TimerPreempt}, RemoveVIPs{}}
		m.preemptRunning, m.preemptExpired = false, false
		if m.wantMaster {
			m.wantMaster = false
			acts = append(acts, WantMaster{Want: false})
		}
		return append(acts, m.transition(StateFault, ReasonFault))
	case !on && m.state == StateFault:
		// keepalived's vrrp_state_leave_fault: back to BACKUP with the
		// configured interval, or straight to MASTER for the owner.
		if m.cfg.Priority == OwnerPriority {
			return m.becomeMaster(ReasonFaultCleared)
		}
		return m.enterBackup(ReasonFaultCleared)
	}
	return nil
}

func (m *Machine) syncTo(s State) []Action {
	switch {
	case s == StateMaster && m.state == StateBackup:
		return m.becomeMaster(ReasonSync)
	case s == StateBackup && m.state == StateMaster:
		// keepalived's vrrp_sync_backup leaves master without a
		// priority 0 advert.
		acts := m.leaveMaster(nil)
		m.masterAdverInterval = m.cfg.Interval
		return append(acts,
			SetTimer{Timer: TimerMasterDown, After: m.MasterDownInterval()},
			m.transition(StateBackup, ReasonSync))
	}
	return nil
}

func (m *Machine) shutdown() []Action {
	var acts []Action
	switch m.state {
	case StateInit:
		return nil
	case StateMaster:
		// RFC 5798 section 6.4.3: "If a Shutdown event is received, then:
		// Cancel the Adver_Timer, Send an ADVERTISEMENT with Priority =
		// 0, Transition to the {Initialize} state".
		acts = m.leaveMaster([]Action{m.advert(0)})
	default:
		// RFC 5798 section 6.4.2: "Cancel the Master_Down_Timer,
		// Transition to the {Initialize} state".
		acts = []Action{StopTimer{Timer: TimerMasterDown}, StopTimer{Timer: TimerPreempt}, RemoveVIPs{}}
	}
	if m.wantMaster {
		m.wantMaster = false
		acts = append(acts, WantMaster{Want: false})
	}
	m.preemptRunning, m.preemptExpired = false, false
	return append(acts, m.transition(StateInit, ReasonShutdown))
}
