package vrrp

import (
	"slices"
	"strconv"
	"sync"
)

// SyncGroup makes virtual routers change state together, as keepalived's
// vrrp_sync_group does: typically the external and internal VIPs of one
// router, which are useless apart.
//
//   - A member whose Master_Down_Timer fires becomes MASTER only when every
//     other member wants to as well (or the group is already MASTER); then
//     all members go MASTER together.
//   - A member that leaves MASTER for BACKUP (a higher-priority peer) takes
//     the others with it.
//   - A member in FAULT puts every member in FAULT until it recovers.
//
// Add a SyncGroup to the Config of each member. A zero SyncGroup is ready
// to use; it must not be copied after first use.
type SyncGroup struct {
	// Name identifies the group in logs.
	Name string
	// Weights says what weighted Tracks of the members do. The zero
	// value, SyncWeightsCount, lets them change a member's priority as
	// anywhere else (keepalived's sync_group_tracking_weight); set
	// SyncWeightsFault or SyncWeightsIgnore for keepalived's default.
	// Set it before the members run.
	Weights SyncWeights

	mu      sync.Mutex
	members []*syncMember
}

// SyncWeights is what a weighted Track (Weight not 0) does in a member of
// a SyncGroup.
//
// keepalived, unless the group sets sync_group_tracking_weight, refuses
// floating priorities in a sync group: at configuration it logs "ignoring
// weight ... due to SYNC group" and turns a weighted track_interface (and
// a track_file of default weight) into one of weight 0, whose failure is
// a FAULT, and drops a weighted track_script (and track_bfd, and a
// track_file of explicit weight) altogether. keepalived.conf(5) warns
// that sync_group_tracking_weight "probably WON'T WORK" when members'
// weights differ, and so it is here: a peer group takes over only when
// every one of its members wants MASTER, so a priority that falls on one
// member alone moves nothing. Give every member the same weighted Tracks.
//
// The default here is SyncWeightsCount, keepalived's opt-in: a Track is
// one kind of thing, whatever it probes, so neither of keepalived's
// defaults is the obvious one for it, and counting keeps a Track meaning
// the same in and out of a group. Set SyncWeightsFault to get keepalived's
// behaviour for tracked interfaces, SyncWeightsIgnore for its behaviour
// for scripts.
type SyncWeights uint8

const (
	// SyncWeightsCount: weights change the member's priority as
	// anywhere else (keepalived's sync_group_tracking_weight).
	SyncWeightsCount SyncWeights = iota
	// SyncWeightsFault: a weighted Track counts as one of weight 0, its
	// failure a FAULT of the member and so of the group (keepalived's
	// default for a weighted track_interface).
	SyncWeightsFault
	// SyncWeightsIgnore: weighted Tracks are not applied, though they
	// still run and show in Stats (keepalived's default for a weighted
	// track_script).
	SyncWeightsIgnore
)

func (w SyncWeights) String() string {
	switch w {
	case SyncWeightsCount:
		return "count"
	case SyncWeightsFault:
		return "fault"
	case SyncWeightsIgnore:
		return "ignore"
	}
	return "SyncWeights(" + strconv.Itoa(int(w)) + ")"
}

// effective returns the weight a Track of weight w has in a member of a
// group with these Weights, and false if it is not applied at all.
func (w SyncWeights) effective(weight int) (int, bool) {
	switch {
	case weight == 0 || w == SyncWeightsCount:
		return weight, true
	case w == SyncWeightsFault:
		return 0, true
	}
	return 0, false
}

// syncMember is one Router's view of the group.
type syncMember struct {
	g     *SyncGroup
	state State
	want  bool // WantMaster
	fault bool // own fault (not the group's)

	mu      sync.Mutex
	pending []Event
	wake    chan struct{}
}

func (g *SyncGroup) join() *syncMember {
	g.mu.Lock()
	defer g.mu.Unlock()
	m := &syncMember{g: g, wake: make(chan struct{}, 1)}
	g.members = append(g.members, m)
	return m
}

func (g *SyncGroup) leave(m *syncMember) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.members = slices.DeleteFunc(g.members, func(x *syncMember) bool { return x == m })
	g.faultsChanged()
}

// post queues ev for m's Router; it never blocks.
func (m *syncMember) post(ev Event) {
	m.mu.Lock()
	m.pending = append(m.pending, ev)
	m.mu.Unlock()
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// take returns and clears m's queued events.
func (m *syncMember) take() []Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	evs := m.pending
	m.pending = nil
	return evs
}

// groupFault reports whether any member has a fault of its own. g.mu held.
func (g *SyncGroup) groupFault() bool {
	return slices.ContainsFunc(g.members, func(x *syncMember) bool { return x.fault })
}

// faultsChanged tells every member the group's fault. g.mu held.
func (g *SyncGroup) faultsChanged() {
	f := g.groupFault()
	for _, x := range g.members {
		x.post(FaultChanged{Fault: f})
	}
}

// setFault records m's own fault.
func (m *syncMember) setFault(f bool) {
	g := m.g
	g.mu.Lock()
	defer g.mu.Unlock()
	if m.fault == f {
		return
	}
	m.fault = f
	g.faultsChanged()
}

// observe records an action m's Machine took and moves the other members
// as keepalived's vrrp_sync_master and vrrp_sync_backup do.
func (m *syncMember) observe(a Action) {
	g := m.g
	g.mu.Lock()
	defer g.mu.Unlock()
	switch a := a.(type) {
	case WantMaster:
		m.want = a.Want
		if a.Want && g.canGoMaster(m) {
			for _, x := range g.members {
				x.post(SyncTo{State: StateMaster})
			}
		}
	case Transition:
		m.state = a.To
		if a.To == StateMaster {
			m.want = false
		}
		if a.Reason == ReasonSync {
			return
		}
		switch {
		case a.To == StateMaster:
			for _, x := range g.members {
				if x != m {
					x.post(SyncTo{State: StateMaster})
				}
			}
		case a.From == StateMaster && a.To == StateBackup:
			for _, x := range g.members {
				if x != m {
					x.post(SyncTo{State: StateBackup})
				}
			}
		}
	}
}

// canGoMaster is keepalived's vrrp_sync_can_goto_master: the group is
// already MASTER, or every other member wants to be. g.mu held.
func (g *SyncGroup) canGoMaster(m *syncMember) bool {
	if slices.ContainsFunc(g.members, func(x *syncMember) bool { return x != m && x.state == StateMaster }) {
		return true
	}
	for _, x := range g.members {
		if x != m && !x.want {
			return false
		}
	}
	return true
}
