package galera

// The role decisions of the Router, as pure functions of what the probes
// last saw, so that tables can test them.

// nodeView is what selection needs to know about one node.
type nodeView struct {
	up    bool // the last probe read a state
	state NodeState
}

// writerEligible reports whether a node may take writes: Synced in the
// Primary component, ready, writable, accepting queries. MaxScale's
// galeramon uses the same wsrep facts to decide that a node is usable.
func writerEligible(v nodeView) bool {
	s := v.state
	return v.up && s.LocalState == LocalStateSynced && s.ClusterStatus == ClusterStatusPrimary &&
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
