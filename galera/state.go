package galera

import (
	"strconv"
	"strings"
)

// LocalState is wsrep_local_state, the node's position in Galera's
// membership state machine (galera's gcs node states as reported by the
// wsrep API's wsrep_member_status_t).
type LocalState int

// The values of wsrep_local_state.
const (
	// LocalStateInitialized (0) is reported while the node is not part of
	// a Primary component, for example after losing quorum.
	LocalStateInitialized LocalState = 0
	// LocalStateJoining (1): the node is requesting or receiving a state
	// transfer.
	LocalStateJoining LocalState = 1
	// LocalStateDonor (2): the node is a state transfer donor, or was
	// desynced with SET GLOBAL wsrep_desync=ON. Its comment reads
	// "Donor/Desynced".
	LocalStateDonor LocalState = 2
	// LocalStateJoined (3): the node has its state and is catching up with
	// the cluster.
	LocalStateJoined LocalState = 3
	// LocalStateSynced (4): the node is in sync and serves queries. This is
	// the only state Percona's clustercheck reports available by default.
	LocalStateSynced LocalState = 4
	// LocalStateError (5) and above are provider-specific errors.
	LocalStateError LocalState = 5
)

// String returns the state's wsrep_local_state_comment as Galera writes it.
func (s LocalState) String() string {
	switch s {
	case LocalStateInitialized:
		return "Initialized"
	case LocalStateJoining:
		return "Joining"
	case LocalStateDonor:
		return "Donor/Desynced"
	case LocalStateJoined:
		return "Joined"
	case LocalStateSynced:
		return "Synced"
	case LocalStateError:
		return "Error"
	}
	return "LocalState(" + strconv.Itoa(int(s)) + ")"
}

// ClusterStatus is wsrep_cluster_status: whether the node belongs to the
// Primary component, the one that holds quorum and accepts writes.
type ClusterStatus int

// The values of wsrep_cluster_status.
const (
	// ClusterStatusDisconnected: the node is not connected to any
	// component (its zero value, also what a node without wsrep reports).
	ClusterStatusDisconnected ClusterStatus = iota
	// ClusterStatusNonPrimary: the node is in a component without quorum
	// (after a partition or the loss of a majority); it refuses queries.
	ClusterStatusNonPrimary
	// ClusterStatusPrimary: the node is in the Primary component.
	ClusterStatusPrimary
)

// String returns the value as the server writes it.
func (s ClusterStatus) String() string {
	switch s {
	case ClusterStatusDisconnected:
		return "Disconnected"
	case ClusterStatusNonPrimary:
		return "non-Primary"
	case ClusterStatusPrimary:
		return "Primary"
	}
	return "ClusterStatus(" + strconv.Itoa(int(s)) + ")"
}

// RejectQueries is the wsrep_reject_queries variable (MariaDB): an operator
// switch that makes a node refuse client queries while it stays in the
// cluster.
type RejectQueries int

// The values of wsrep_reject_queries.
const (
	// RejectQueriesNone: queries are accepted (the default).
	RejectQueriesNone RejectQueries = iota
	// RejectQueriesAll: new queries fail with error 1047; existing
	// connections stay open.
	RejectQueriesAll
	// RejectQueriesAllKill: as All, and existing client connections are
	// killed.
	RejectQueriesAllKill
)

// String returns the value as the server writes it.
func (r RejectQueries) String() string {
	switch r {
	case RejectQueriesNone:
		return "NONE"
	case RejectQueriesAll:
		return "ALL"
	case RejectQueriesAllKill:
		return "ALL_KILL"
	}
	return "RejectQueries(" + strconv.Itoa(int(r)) + ")"
}

// MaintMode is Percona XtraDB Cluster's pxc_maint_mode variable. Servers
// without it (MariaDB) report MaintModeAbsent.
type MaintMode int

// The values of pxc_maint_mode.
const (
	// MaintModeAbsent: the server has no pxc_maint_mode variable.
	MaintModeAbsent MaintMode = iota
	// MaintModeDisabled: the node serves traffic (PXC's default).
	MaintModeDisabled
	// MaintModeShutdown: the node is shutting down.
	MaintModeShutdown
	// MaintModeMaintenance: an operator took the node out of rotation.
	MaintModeMaintenance
)

// String returns the value as the server writes it, or "absent".
func (m MaintMode) String() string {
	switch m {
	case MaintModeAbsent:
		return "absent"
	case MaintModeDisabled:
		return "DISABLED"
	case MaintModeShutdown:
		return "SHUTDOWN"
	case MaintModeMaintenance:
		return "MAINTENANCE"
	}
	return "MaintMode(" + strconv.Itoa(int(m)) + ")"
}

// NodeState is one node's wsrep state as read by ReadNodeState from
// SHOW GLOBAL STATUS LIKE 'wsrep_%' and a few SHOW GLOBAL VARIABLES.
//
// Numbers that Galera reports as an unsigned -1 when undefined (for example
// wsrep_local_index and wsrep_cluster_conf_id outside a Primary component)
// read as -1.
type NodeState struct {
	// Node is the address the state was read from.
	Node string

	// LocalState is wsrep_local_state; LocalStateComment is
	// wsrep_local_state_comment ("Synced", "Joining: receiving State
	// Transfer", ...), kept verbatim.
	LocalState        LocalState
	LocalStateComment string
	// ClusterStatus is wsrep_cluster_status.
	ClusterStatus ClusterStatus
	// Ready is wsrep_ready: the provider accepts queries.
	Ready bool
	// Connected is wsrep_connected: the provider is connected to a group.
	Connected bool

	// Desync is the wsrep_desync variable: the node was desynced by hand
	// (its LocalState is then LocalStateDonor).
	Desync bool
	// RejectQueries is the wsrep_reject_queries variable.
	RejectQueries RejectQueries
	// SSTDonorRejectsQueries is the wsrep_sst_donor_rejects_queries
	// variable: a donor refuses client queries during a state transfer.
	SSTDonorRejectsQueries bool
	// ReadOnly is the read_only variable.
	ReadOnly bool
	// MaintMode is pxc_maint_mode where the server has it.
	MaintMode MaintMode

	// RecvQueue is wsrep_local_recv_queue: write-sets received and not
	// yet applied. A node far behind serves stale reads.
	RecvQueue int64
	// FlowControlPaused is wsrep_flow_control_paused: the fraction of
	// time since the last FLUSH STATUS that replication was paused by
	// flow control (0 to 1).
	FlowControlPaused float64
	// FlowControlActive is wsrep_flow_control_active (Galera 4): flow
	// control is pausing the cluster right now.
	FlowControlActive bool

	// LocalIndex is wsrep_local_index, the node's index in the current
	// membership; -1 outside a Primary component.
	LocalIndex int64
	// ClusterSize is wsrep_cluster_size.
	ClusterSize int64
	// ConfID is wsrep_cluster_conf_id, which grows with every membership
	// change; -1 outside a Primary component.
	ConfID int64
	// ClusterStateUUID is wsrep_cluster_state_uuid, the history the
	// cluster is on; LocalStateUUID is wsrep_local_state_uuid, the node's.
	ClusterStateUUID string
	LocalStateUUID   string
	// LastCommitted is wsrep_last_committed, the seqno of the last
	// transaction the node committed.
	LastCommitted int64
	// IncomingAddresses is wsrep_incoming_addresses as the node answers
	// it: the client addresses (wsrep_node_incoming_address) of the
	// members of its component, comma-separated; "" when absent. Members
	// splits it.
	IncomingAddresses string
}

// Members returns IncomingAddresses split at commas, nil when empty.
func (s NodeState) Members() []string {
	if s.IncomingAddresses == "" {
		return nil
	}
	return strings.Split(s.IncomingAddresses, ",")
}

// Synced reports whether the node is Synced in a Primary component.
func (s NodeState) Synced() bool {
	return s.LocalState == LocalStateSynced && s.ClusterStatus == ClusterStatusPrimary
}
