package vrrp

import (
	"net/netip"
	"strconv"
	"time"
)

// State is the state of a virtual router: the three of RFC 5798 section
// 6.4 plus keepalived's FAULT.
type State uint8

// States.
const (
	// StateInit waits for Startup (RFC 5798 section 6.4.1); a Machine is
	// also back in it after Shutdown.
	StateInit State = iota
	// StateBackup monitors the master (RFC 5798 section 6.4.2).
	StateBackup
	// StateMaster forwards for the virtual addresses and advertises
	// (RFC 5798 section 6.4.3).
	StateMaster
	// StateFault is keepalived's state for a router whose interface or a
	// tracked check with weight 0 has failed: it neither advertises nor
	// holds the addresses, and backs up no one.
	StateFault
)

func (s State) String() string {
	switch s {
	case StateInit:
		return "INIT"
	case StateBackup:
		return "BACKUP"
	case StateMaster:
		return "MASTER"
	case StateFault:
		return "FAULT"
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// Timer names one of the timers a Machine asks its driver to run.
type Timer uint8

// Timers.
const (
	// TimerAdvert is RFC 5798's Adver_Timer (MASTER).
	TimerAdvert Timer = iota
	// TimerMasterDown is RFC 5798's Master_Down_Timer (BACKUP).
	TimerMasterDown
	// TimerPreempt runs keepalived's preempt_delay (BACKUP).
	TimerPreempt
	// TimerGARP fires the second burst of gratuitous ARPs / unsolicited
	// neighbour advertisements, keepalived's garp_master_delay (MASTER).
	TimerGARP
	// TimerGARPRefresh repeats them periodically, keepalived's
	// garp_master_refresh (MASTER).
	TimerGARPRefresh
	// TimerGARPLowerPrio fires the second burst after a lower-priority
	// advert, keepalived's garp_lower_prio_delay (MASTER).
	TimerGARPLowerPrio
	numTimers
)

func (t Timer) String() string {
	switch t {
	case TimerAdvert:
		return "advert"
	case TimerMasterDown:
		return "master-down"
	case TimerPreempt:
		return "preempt"
	case TimerGARP:
		return "garp"
	case TimerGARPRefresh:
		return "garp-refresh"
	case TimerGARPLowerPrio:
		return "garp-lower-prio"
	}
	return "Timer(" + strconv.Itoa(int(t)) + ")"
}

// Reason says why a transition happened.
type Reason uint8

// Reasons.
const (
	// ReasonStartup: Startup moved INIT to BACKUP.
	ReasonStartup Reason = iota
	// ReasonOwner: the address owner (priority 255) became MASTER at
	// once (RFC 5798 section 6.4.1).
	ReasonOwner
	// ReasonMasterDown: the Master_Down_Timer fired: no advert from the
	// master for Master_Down_Interval (RFC 5798 section 6.4.2).
	ReasonMasterDown
	// ReasonPriorityZero: the master stopped and said so with priority 0;
	// the backup took over after Skew_Time (RFC 5798 section 6.4.2).
	ReasonPriorityZero
	// ReasonPreempt: this router discarded a lower-priority master's
	// adverts and took over (RFC 5798 section 6.4.2, Preempt_Mode).
	ReasonPreempt
	// ReasonHigherPriority: a MASTER heard a higher priority, or an equal
	// one from a higher primary address (RFC 5798 section 6.4.3).
	ReasonHigherPriority
	// ReasonFault: a fault was raised (interface down, a failed check of
	// weight 0, or a sync group member in FAULT).
	ReasonFault
	// ReasonFaultCleared: the fault is gone.
	ReasonFaultCleared
	// ReasonSync: the sync group moved this router with another member.
	ReasonSync
	// ReasonShutdown: Shutdown (RFC 5798 section 6.4.2 and 6.4.3).
	ReasonShutdown
	// ReasonVIPsRemoved: someone else removed a virtual address from the
	// interface of a MASTER; as keepalived does, it sent priority 0, gave
	// the other addresses up and takes over again after Skew_Time unless
	// a better router does first.
	ReasonVIPsRemoved
)

func (r Reason) String() string {
	switch r {
	case ReasonStartup:
		return "startup"
	case ReasonOwner:
		return "address owner"
	case ReasonMasterDown:
		return "master down"
	case ReasonPriorityZero:
		return "master sent priority 0"
	case ReasonPreempt:
		return "preempted lower priority master"
	case ReasonHigherPriority:
		return "higher priority advert"
	case ReasonFault:
		return "fault"
	case ReasonFaultCleared:
		return "fault cleared"
	case ReasonSync:
		return "sync group"
	case ReasonShutdown:
		return "shutdown"
	case ReasonVIPsRemoved:
		return "virtual address removed"
	}
	return "Reason(" + strconv.Itoa(int(r)) + ")"
}

// Event is something that happens to a Machine: one of Startup,
// AdvertReceived, TimerFired, PriorityChanged, FaultChanged, SyncTo,
// VIPsRemoved, PrimaryChanged, Shutdown. The set is closed.
type Event interface{ isEvent() }

// Startup starts the router (RFC 5798 section 6.4.1).
type Startup struct{}

// AdvertReceived is a parsed advertisement from Src, the IP source of the
// packet (the sender's primary address).
type AdvertReceived struct {
	Src    netip.Addr
	Advert Advert
}

// TimerFired reports that the timer last set by a SetTimer action expired.
// Drivers must not deliver an expiry of a timer stopped or set again since.
type TimerFired struct{ Timer Timer }

// PriorityChanged sets the effective priority (1..254), as tracking
// computes it. It is ignored for the address owner (priority 255), as in
// keepalived.
type PriorityChanged struct{ Priority uint8 }

// FaultChanged raises (Fault true) or clears a fault.
type FaultChanged struct{ Fault bool }

// SyncTo is sent by a sync group to move a member to MASTER or BACKUP
// together with another member.
type SyncTo struct{ State State }

// VIPsRemoved reports that a virtual address vanished from the interface
// of a MASTER without the Machine asking (an administrator, another
// daemon). keepalived's answer is to leave MASTER with a priority 0 advert
// and to take over again after Skew_Time, so that the addresses are added
// and announced afresh by whichever router is best. Outside MASTER it is
// ignored.
type VIPsRemoved struct{}

// PrimaryChanged reports a new primary address of the link (the first
// was removed, another took its place): adverts go out from it and it
// breaks ties from now on. A link left without one should raise a fault
// instead (keepalived puts such a router in FAULT).
type PrimaryChanged struct{ Primary netip.Addr }

// Shutdown stops the router: a MASTER sends a priority 0 advert and gives
// up its addresses (RFC 5798 section 6.4.3), and the Machine returns to
// INIT.
type Shutdown struct{}

func (Startup) isEvent()         {}
func (AdvertReceived) isEvent()  {}
func (TimerFired) isEvent()      {}
func (PriorityChanged) isEvent() {}
func (FaultChanged) isEvent()    {}
func (SyncTo) isEvent()          {}
func (VIPsRemoved) isEvent()     {}
func (PrimaryChanged) isEvent()  {}
func (Shutdown) isEvent()        {}

// Action is something a Machine asks its driver to do, in the order
// returned: one of SendAdvert, AddVIPs, RemoveVIPs, Announce, SetTimer,
// StopTimer, Transition, WantMaster. The set is closed.
type Action interface{ isAction() }

// SendAdvert asks the driver to send Advert to the multicast group (or
// each unicast peer).
type SendAdvert struct{ Advert Advert }

// AddVIPs asks the driver to add the virtual addresses to the interface.
// Accept is RFC 5798's Accept_Mode (true for the address owner): when
// false, packets addressed to the virtual addresses must not be accepted.
type AddVIPs struct{ Accept bool }

// RemoveVIPs asks the driver to remove the virtual addresses, and with
// them what it installed for Accept_Mode False. It comes with every entry
// to INIT, BACKUP and FAULT, whatever the state before: a router killed
// while MASTER leaves its addresses on the interface, and the next run
// must not hold them as BACKUP or FAULT while a peer is MASTER
// (keepalived removes them too whenever an instance enters either state).
type RemoveVIPs struct{}

// Announce asks the driver to send Repeat rounds of gratuitous ARP (IPv4)
// or unsolicited neighbour advertisements (IPv6) for every virtual address
// (RFC 5798 section 6.4.1 and 6.4.2).
type Announce struct{ Repeat int }

// SetTimer asks the driver to (re)start Timer to fire After from now.
type SetTimer struct {
	Timer Timer
	After time.Duration
}

// StopTimer asks the driver to stop Timer.
type StopTimer struct{ Timer Timer }

// Transition reports a change of state; drivers run notify callbacks on
// it.
type Transition struct {
	From, To State
	Reason   Reason
}

// WantMaster reports, for a member of a sync group, whether its
// Master_Down_Timer has fired without it being allowed to take over
// (keepalived's wantstate MASTER). The group answers with SyncTo.
type WantMaster struct{ Want bool }

func (SendAdvert) isAction() {}
func (AddVIPs) isAction()    {}
func (RemoveVIPs) isAction() {}
func (Announce) isAction()   {}
func (SetTimer) isAction()   {}
func (StopTimer) isAction()  {}
func (Transition) isAction() {}
func (WantMaster) isAction() {}
