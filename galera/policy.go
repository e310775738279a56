package galera

import "strconv"

// The reasons an UnavailableError gives. They name the cause; Handler's
// bodies are Percona clustercheck's own (BodySynced and the others).
const (
	ReasonSynced         = "Galera Cluster Node is synced."
	ReasonNotSynced      = "Galera Cluster Node is not synced."
	ReasonReadOnly       = "Galera Cluster Node is read-only."
	ReasonNotPrimary     = "Galera Cluster Node is not in the Primary component."
	ReasonNotReady       = "Galera Cluster Node is not ready (wsrep_ready OFF)."
	ReasonRejectsQueries = "Galera Cluster Node rejects queries."
	ReasonMaintenance    = "Galera Cluster Node is in maintenance (pxc_maint_mode)."
	ReasonRecvQueue      = "Galera Cluster Node is too far behind (wsrep_local_recv_queue)."
)

// Policy decides from a NodeState whether a node is available.
//
// The zero Policy is exactly Percona clustercheck with its defaults
// (available_when_donor=0, available_when_readonly=1): a node is available
// when wsrep_cluster_status is Primary and wsrep_local_state is 4
// (Synced), or 2 (Donor/Desynced) with AvailableWhenDonor, and
// pxc_maint_mode, where the server has it, is DISABLED; a node in
// read_only=ON is unavailable only with UnavailableWhenReadOnly.
// clustercheck looks at nothing else; the Require* fields and
// MaxRecvQueue add the checks it lacks, each off by default.
//
// The Primary-component rule is Percona's (PXC 5.7 and later); older
// clustercheck scripts, and those OpenStack deployments carried, look at
// wsrep_local_state alone. AllowNonPrimary gives their answer.
type Policy struct {
	// AllowNonPrimary drops the Primary-component rule, as clustercheck
	// scripts that read only wsrep_local_state do. A node outside the
	// Primary component refuses writes and serves stale reads, so this
	// is for matching such a script, not for routing.
	AllowNonPrimary bool

	// AvailableWhenDonor makes a node in state 2 (Donor/Desynced)
	// available, as clustercheck's available_when_donor=1.
	AvailableWhenDonor bool
	// UnavailableWhenReadOnly makes a node with read_only=ON unavailable,
	// as clustercheck's available_when_readonly=0. Zero means read-only
	// nodes are available, clustercheck's default.
	UnavailableWhenReadOnly bool

	// RequireReady makes a node with wsrep_ready=OFF unavailable.
	RequireReady bool
	// RequireAcceptingQueries makes a node unavailable when it refuses
	// client queries by configuration: wsrep_reject_queries ALL or
	// ALL_KILL, or a donor with wsrep_sst_donor_rejects_queries=ON
	// (MaxScale's galeramon treats both the same way).
	RequireAcceptingQueries bool
	// MaxRecvQueue, when positive, makes a node whose
	// wsrep_local_recv_queue exceeds it unavailable (ProxySQL's
	// max_transactions_behind). Zero means no bound.
	MaxRecvQueue int64
}

// StrictPolicy returns the zero Policy with every stricter check on.
func StrictPolicy() Policy {
	return Policy{RequireReady: true, RequireAcceptingQueries: true}
}

// Evaluate returns nil when s is available under p, else an
// *UnavailableError whose Reason says why. It is a pure function.
func (p Policy) Evaluate(s NodeState) error {
	// clustercheck: [[ $cluster_status == 'Primary' && ( $local_state -eq 4 ||
	// ( $local_state -eq 2 && $AVAILABLE_WHEN_DONOR -eq 1 ) ) && $pxc_maint_mode == 'DISABLED' ]]
	if s.ClusterStatus != ClusterStatusPrimary && !p.AllowNonPrimary {
		return &UnavailableError{Node: s.Node, Reason: ReasonNotPrimary + " (wsrep_cluster_status " + s.ClusterStatus.String() + ")"}
	}
	if !(s.LocalState == LocalStateSynced || s.LocalState == LocalStateDonor && p.AvailableWhenDonor) {
		return &UnavailableError{Node: s.Node, Reason: ReasonNotSynced +
			" (wsrep_local_state " + strconv.Itoa(int(s.LocalState)) + " " + s.LocalState.String() + ")"}
	}
	if s.MaintMode != MaintModeAbsent && s.MaintMode != MaintModeDisabled {
		return &UnavailableError{Node: s.Node, Reason: ReasonMaintenance + " (" + s.MaintMode.String() + ")"}
	}
	// clustercheck: read_only is consulted only when available_when_readonly=0.
	if p.UnavailableWhenReadOnly && s.ReadOnly {
		return &UnavailableError{Node: s.Node, Reason: ReasonReadOnly}
	}
	if p.RequireReady && !s.Ready {
		return &UnavailableError{Node: s.Node, Reason: ReasonNotReady}
	}
	if p.RequireAcceptingQueries {
		if s.RejectQueries != RejectQueriesNone {
			return &UnavailableError{Node: s.Node, Reason: ReasonRejectsQueries + " (wsrep_reject_queries " + s.RejectQueries.String() + ")"}
		}
		if s.LocalState == LocalStateDonor && s.SSTDonorRejectsQueries && !s.Desync {
			return &UnavailableError{Node: s.Node, Reason: ReasonRejectsQueries + " (wsrep_sst_donor_rejects_queries ON)"}
		}
	}
	if p.MaxRecvQueue > 0 && s.RecvQueue > p.MaxRecvQueue {
		return &UnavailableError{Node: s.Node, Reason: ReasonRecvQueue + " (" +
			strconv.FormatInt(s.RecvQueue, 10) + " > " + strconv.FormatInt(p.MaxRecvQueue, 10) + ")"}
	}
	return nil
}
