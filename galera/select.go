package galera

// The role decisions of the Router, as pure functions of what the probes
// last saw, so that tables can test them.

// nodeView is what selection needs to know about one node.
type nodeView struct {
	up       bool // the last probe read a state
	state    NodeState
	priority int
}

// writerEligible reports whether a node may take writes: Synced in the
// Primary component, ready, writable, accepting queries. MaxScale's
// galeramon uses the same wsrep facts to decide that a node is usable.
func writerEligible(v nodeView) bool {
	s := v.state
	return v.up && v.priority >= 0 && s.LocalState == LocalStateSynced && s.ClusterStatus == ClusterStatusPrimary &&
		s.Ready && !s.ReadOnly && s.RejectQueries == RejectQueriesNone &&
		(s.MaintMode == MaintModeAbsent || s.MaintMode == MaintModeDisabled)
}

// readerEligible reports whether a node may serve reads. Donors qualify
// with donorOK unless they reject queries during a state transfer; a node
// whose receive queue exceeds maxQueue (when positive) is shed, as
// ProxySQL's max_transactions_behind does.
func readerEligible(v nodeView, donorOK bool, maxQueue int64) bool {
	s := v.state
	if !v.up || s.ClusterStatus != ClusterStatusPrimary || !s.Ready || s.RejectQueries != RejectQueriesNone {
		return false
	}
	if s.MaintMode != MaintModeAbsent && s.MaintMode != MaintModeDisabled {
		return false
	}
	switch {
	case s.LocalState == LocalStateSynced:
	case s.LocalState == LocalStateDonor && donorOK && !(s.SSTDonorRejectsQueries && !s.Desync):
	default:
		return false
	}
	return maxQueue <= 0 || s.RecvQueue <= maxQueue
}

// writerRank orders writer candidates as MaxScale's galeramon does with
// use_priority: lower positive priorities first, then priority 0 (no
// preference), then the lowest wsrep_local_index; the configuration order
// breaks remaining ties. Lower ranks win.
func writerLess(a, b nodeView, ai, bi int) bool {
	pa, pb := a.priority, b.priority
	if (pa > 0) != (pb > 0) {
		return pa > 0
	}
	if pa != pb {
		return pa < pb
	}
	if a.state.LocalIndex != b.state.LocalIndex {
		return a.state.LocalIndex < b.state.LocalIndex
	}
	return ai < bi
}

// selectWriter returns the index of the writer, or -1 when no node is
// eligible. Without failback a current writer that is still eligible
// keeps the role even if a better-ranked node is back, like a haproxy
// "backup" server that stays active (MaxScale's disable_master_failback).
func selectWriter(views []nodeView, current int, failback bool) int {
	if !failback && current >= 0 && current < len(views) && writerEligible(views[current]) {
		return current
	}
	best := -1
	for i, v := range views {
		if !writerEligible(v) {
			continue
		}
		if best < 0 || writerLess(v, views[best], i, best) {
			best = i
		}
	}
	return best
}

// ReaderPolicy says which nodes the Router's reader connector uses. The
// names map to ProxySQL's mysql_galera_hostgroups.writer_is_also_reader.
type ReaderPolicy int

const (
	// ReadersStandbys (the zero value) reads from every eligible node
	// except the writer: ProxySQL's writer_is_also_reader=2, where the
	// backup writers serve reads.
	ReadersStandbys ReaderPolicy = iota
	// ReadersAll reads from every eligible node, the writer included:
	// writer_is_also_reader=1.
	ReadersAll
	// ReadersReadOnly reads only from eligible nodes with read_only=ON:
	// writer_is_also_reader=0, where writable nodes are writers or backup
	// writers and only read-only nodes are readers.
	ReadersReadOnly
)

// String returns the policy's name.
func (p ReaderPolicy) String() string {
	switch p {
	case ReadersStandbys:
		return "standbys"
	case ReadersAll:
		return "all"
	case ReadersReadOnly:
		return "read-only"
	}
	return "ReaderPolicy(?)"
}

// selectReaders returns the reader indexes under policy. When none
// qualifies and fallback is set, the writer (if any) reads too.
func selectReaders(views []nodeView, writer int, policy ReaderPolicy, donorOK bool, maxQueue int64, fallback bool) []int {
	var out []int
	for i, v := range views {
		if !readerEligible(v, donorOK, maxQueue) {
			continue
		}
		switch policy {
		case ReadersStandbys:
			if i == writer {
				continue
			}
		case ReadersReadOnly:
			if !v.state.ReadOnly {
				continue
			}
		}
		out = append(out, i)
	}
	if len(out) == 0 && fallback && writer >= 0 {
		out = []int{writer}
	}
	return out
}
