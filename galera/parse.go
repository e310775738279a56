package galera

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// Names of the status and server variables ParseNodeState reads.
const (
	varLocalState        = "wsrep_local_state"
	varLocalStateComment = "wsrep_local_state_comment"
	varClusterStatus     = "wsrep_cluster_status"
	varReady             = "wsrep_ready"
	varConnected         = "wsrep_connected"
	varRecvQueue         = "wsrep_local_recv_queue"
	varFCPaused          = "wsrep_flow_control_paused"
	varFCActive          = "wsrep_flow_control_active"
	varLocalIndex        = "wsrep_local_index"
	varClusterSize       = "wsrep_cluster_size"
	varConfID            = "wsrep_cluster_conf_id"
	varClusterStateUUID  = "wsrep_cluster_state_uuid"
	varLocalStateUUID    = "wsrep_local_state_uuid"
	varLastCommitted     = "wsrep_last_committed"
	varIncoming          = "wsrep_incoming_addresses"

	varDesync          = "wsrep_desync"
	varRejectQueries   = "wsrep_reject_queries"
	varDonorRejects    = "wsrep_sst_donor_rejects_queries"
	varReadOnly        = "read_only"
	varMaintMode       = "pxc_maint_mode"
	maxStateValueBytes = 4096
)

var errNegative = errors.New("negative value")

// ParseNodeState builds a NodeState from the rows a node answered:
// status holds SHOW GLOBAL STATUS LIKE 'wsrep_%' and variables holds the
// server variables read_only, wsrep_desync, wsrep_reject_queries,
// wsrep_sst_donor_rejects_queries and, on Percona XtraDB Cluster,
// pxc_maint_mode. Names are lower case, as the server writes them.
//
// wsrep_local_state, wsrep_cluster_status, wsrep_ready, wsrep_connected and
// read_only must be present; the others read as zero when absent. A present
// value that is unknown or malformed is an error, a *StateError naming node,
// the variable and the value. Unknown variable names are ignored.
func ParseNodeState(node string, status, variables map[string]string) (NodeState, error) {
	p := parser{node: node}
	s := NodeState{Node: node}

	if v, ok := p.required(status, varLocalState); ok {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil:
			p.fail(varLocalState, v, err)
		case n < int(LocalStateInitialized) || n > int(LocalStateError):
			p.fail(varLocalState, v, nil)
		default:
			s.LocalState = LocalState(n)
		}
	}
	if v, ok := p.required(status, varClusterStatus); ok {
		switch v {
		case "Primary":
			s.ClusterStatus = ClusterStatusPrimary
		case "non-Primary":
			s.ClusterStatus = ClusterStatusNonPrimary
		case "Disconnected":
			s.ClusterStatus = ClusterStatusDisconnected
		default:
			p.fail(varClusterStatus, v, nil)
		}
	}
	s.Ready = p.boolean(status, varReady, true)
	s.Connected = p.boolean(status, varConnected, true)
	s.ReadOnly = p.boolean(variables, varReadOnly, true)

	if v, ok := p.optional(status, varLocalStateComment); ok {
		s.LocalStateComment = v
	}
	s.RecvQueue = p.unsigned(status, varRecvQueue)
	if v, ok := p.optional(status, varFCPaused); ok {
		f, err := strconv.ParseFloat(v, 64)
		switch {
		case err != nil:
			p.fail(varFCPaused, v, err)
		case math.IsNaN(f) || math.IsInf(f, 0) || f < 0:
			p.fail(varFCPaused, v, nil)
		default:
			s.FlowControlPaused = f
		}
	}
	s.FlowControlActive = p.boolean(status, varFCActive, false)
	s.LocalIndex = p.signed(status, varLocalIndex)
	s.ClusterSize = p.unsigned(status, varClusterSize)
	s.ConfID = p.signed(status, varConfID)
	s.ClusterStateUUID = p.uuid(status, varClusterStateUUID)
	s.LocalStateUUID = p.uuid(status, varLocalStateUUID)
	s.LastCommitted = p.signed(status, varLastCommitted)
	if v, ok := p.optional(status, varIncoming); ok {
		s.IncomingAddresses = v
	}

	s.Desync = p.boolean(variables, varDesync, false)
	s.SSTDonorRejectsQueries = p.boolean(variables, varDonorRejects, false)
	if v, ok := p.optional(variables, varRejectQueries); ok {
		switch strings.ToUpper(v) {
		case "NONE":
			s.RejectQueries = RejectQueriesNone
		case "ALL":
			s.RejectQueries = RejectQueriesAll
		case "ALL_KILL":
			s.RejectQueries = RejectQueriesAllKill
		default:
			p.fail(varRejectQueries, v, nil)
		}
	}
	if v, ok := p.optional(variables, varMaintMode); ok {
		switch strings.ToUpper(v) {
		case "DISABLED":
			s.MaintMode = MaintModeDisabled
		case "SHUTDOWN":
			s.MaintMode = MaintModeShutdown
		case "MAINTENANCE":
			s.MaintMode = MaintModeMaintenance
		default:
			p.fail(varMaintMode, v, nil)
		}
	}
	if p.err != nil {
		return NodeState{}, p.err
	}
	return s, nil
}

// Rows returns the state as the rows ParseNodeState reads, with every
// variable present (pxc_maint_mode only when MaintMode is not absent):
// ParseNodeState(s.Node, s.Rows()) returns s. Fakes serve these rows.
func (s NodeState) Rows() (status, variables map[string]string) {
	status = map[string]string{
		varLocalState:        strconv.Itoa(int(s.LocalState)),
		varLocalStateComment: s.LocalStateComment,
		varClusterStatus:     s.ClusterStatus.String(),
		varReady:             onOff(s.Ready),
		varConnected:         onOff(s.Connected),
		varRecvQueue:         strconv.FormatInt(s.RecvQueue, 10),
		varFCPaused:          strconv.FormatFloat(s.FlowControlPaused, 'g', -1, 64),
		varFCActive:          strconv.FormatBool(s.FlowControlActive),
		varLocalIndex:        formatWrapped(s.LocalIndex),
		varClusterSize:       strconv.FormatInt(s.ClusterSize, 10),
		varConfID:            formatWrapped(s.ConfID),
		varClusterStateUUID:  s.ClusterStateUUID,
		varLocalStateUUID:    s.LocalStateUUID,
		varLastCommitted:     strconv.FormatInt(s.LastCommitted, 10),
	}
	if s.IncomingAddresses != "" {
		status[varIncoming] = s.IncomingAddresses
	}
	variables = map[string]string{
		varReadOnly:      onOff(s.ReadOnly),
		varDesync:        onOff(s.Desync),
		varRejectQueries: s.RejectQueries.String(),
		varDonorRejects:  onOff(s.SSTDonorRejectsQueries),
	}
	if s.MaintMode != MaintModeAbsent {
		variables[varMaintMode] = s.MaintMode.String()
	}
	return status, variables
}

func onOff(b bool) string {
	if b {
		return "ON"
	}
	return "OFF"
}

// formatWrapped writes -1 the way Galera does: as an unsigned 64-bit -1.
func formatWrapped(n int64) string {
	if n < 0 {
		return strconv.FormatUint(uint64(n), 10)
	}
	return strconv.FormatInt(n, 10)
}

// parser collects the first error; later fields are still read so that
// the first error reported is deterministic (fields are read in order).
type parser struct {
	node string
	err  error
}

func (p *parser) fail(name, value string, err error) {
	if p.err == nil {
		if len(value) > 64 {
			value = value[:64] + "..."
		}
		p.err = &StateError{Node: p.node, Variable: name, Value: value, Err: err}
	}
}

func (p *parser) required(m map[string]string, name string) (string, bool) {
	v, ok := m[name]
	if !ok {
		if p.err == nil {
			p.err = &StateError{Node: p.node, Variable: name, Missing: true}
		}
		return "", false
	}
	return p.check(name, v)
}

func (p *parser) optional(m map[string]string, name string) (string, bool) {
	v, ok := m[name]
	if !ok {
		return "", false
	}
	return p.check(name, v)
}

func (p *parser) check(name, v string) (string, bool) {
	if len(v) > maxStateValueBytes {
		p.fail(name, v, errors.New("value too long"))
		return "", false
	}
	return v, true
}

func (p *parser) boolean(m map[string]string, name string, required bool) bool {
	var v string
	var ok bool
	if required {
		v, ok = p.required(m, name)
	} else {
		v, ok = p.optional(m, name)
	}
	if !ok {
		return false
	}
	switch strings.ToUpper(v) {
	case "ON", "1", "TRUE", "YES":
		return true
	case "OFF", "0", "FALSE", "NO":
		return false
	}
	p.fail(name, v, nil)
	return false
}

// signed parses a signed number, accepting an unsigned 64-bit value as its
// two's-complement (Galera prints -1 as 18446744073709551615).
func (p *parser) signed(m map[string]string, name string) int64 {
	v, ok := p.optional(m, name)
	if !ok {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return n
	}
	u, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		p.fail(name, v, err)
		return 0
	}
	return int64(u)
}

func (p *parser) unsigned(m map[string]string, name string) int64 {
	v, ok := p.optional(m, name)
	if !ok {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		p.fail(name, v, err)
		return 0
	}
	if n < 0 {
		p.fail(name, v, errNegative)
		return 0
	}
	return n
}

// uuid accepts the 36-character textual form Galera prints
// (8-4-4-4-12 hexadecimal digits) or an empty value.
func (p *parser) uuid(m map[string]string, name string) string {
	v, ok := p.optional(m, name)
	if !ok || v == "" {
		return ""
	}
	if len(v) != 36 {
		p.fail(name, v, nil)
		return ""
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				p.fail(name, v, nil)
				return ""
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				p.fail(name, v, nil)
				return ""
			}
		}
	}
	return v
}
