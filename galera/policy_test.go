package galera

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hakit/hakit"
)

func synced() NodeState {
	return NodeState{Node: "n1", LocalState: LocalStateSynced, ClusterStatus: ClusterStatusPrimary, Ready: true, Connected: true}
}

func TestPolicyEvaluate(t *testing.T) {
	tests := []struct {
		name   string
		policy Policy
		edit   func(*NodeState)
		reason string // "" means available
	}{
		{"clustercheck: state 4 is available", Policy{}, func(*NodeState) {}, ""},
		{"clustercheck: state 2 unavailable by default (available_when_donor=0)", Policy{},
			func(s *NodeState) { s.LocalState = LocalStateDonor }, ReasonNotSynced},
		{"clustercheck: state 2 available with available_when_donor=1", Policy{AvailableWhenDonor: true},
			func(s *NodeState) { s.LocalState = LocalStateDonor }, ""},
		{"clustercheck: joiner unavailable even with donor allowed", Policy{AvailableWhenDonor: true},
			func(s *NodeState) { s.LocalState = LocalStateJoining }, ReasonNotSynced},
		{"clustercheck: joined (3) unavailable", Policy{}, func(s *NodeState) { s.LocalState = LocalStateJoined }, ReasonNotSynced},
		{"clustercheck: read_only=ON available by default (available_when_readonly=1)", Policy{},
			func(s *NodeState) { s.ReadOnly = true }, ""},
		{"clustercheck: read_only=ON unavailable with available_when_readonly=0", Policy{UnavailableWhenReadOnly: true},
			func(s *NodeState) { s.ReadOnly = true }, ReasonReadOnly},
		{"clustercheck: non-Primary unavailable", Policy{},
			func(s *NodeState) { s.ClusterStatus = ClusterStatusNonPrimary }, ReasonNotPrimary},
		{"clustercheck: Disconnected unavailable", Policy{AvailableWhenDonor: true},
			func(s *NodeState) { s.ClusterStatus = ClusterStatusDisconnected }, ReasonNotPrimary},
		{"older clustercheck: non-Primary in state 4 available", Policy{AllowNonPrimary: true},
			func(s *NodeState) { s.ClusterStatus = ClusterStatusNonPrimary }, ""},
		{"older clustercheck: non-Primary still needs state 4", Policy{AllowNonPrimary: true},
			func(s *NodeState) { s.ClusterStatus, s.LocalState = ClusterStatusNonPrimary, LocalStateJoined }, ReasonNotSynced},
		{"clustercheck: pxc_maint_mode MAINTENANCE unavailable", Policy{},
			func(s *NodeState) { s.MaintMode = MaintModeMaintenance }, ReasonMaintenance},
		{"strict: wsrep_ready OFF", Policy{RequireReady: true}, func(s *NodeState) { s.Ready = false }, ReasonNotReady},
		{"strict: reject_queries ALL", Policy{RequireAcceptingQueries: true},
			func(s *NodeState) { s.RejectQueries = RejectQueriesAll }, ReasonRejectsQueries},
		{"strict: donor rejecting queries during SST", Policy{AvailableWhenDonor: true, RequireAcceptingQueries: true},
			func(s *NodeState) { s.LocalState, s.SSTDonorRejectsQueries = LocalStateDonor, true }, ReasonRejectsQueries},
		{"strict: desynced node is not an SST donor", Policy{AvailableWhenDonor: true, RequireAcceptingQueries: true},
			func(s *NodeState) { s.LocalState, s.SSTDonorRejectsQueries, s.Desync = LocalStateDonor, true, true }, ""},
		{"clustercheck: pxc_maint_mode DISABLED", Policy{},
			func(s *NodeState) { s.MaintMode = MaintModeDisabled }, ""},
		{"queue above bound", Policy{MaxRecvQueue: 10}, func(s *NodeState) { s.RecvQueue = 11 }, ReasonRecvQueue},
		{"queue at bound", Policy{MaxRecvQueue: 10}, func(s *NodeState) { s.RecvQueue = 10 }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := synced()
			tt.edit(&s)
			err := tt.policy.Evaluate(s)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("unavailable: %v", err)
				}
				return
			}
			var ue *UnavailableError
			if !errors.As(err, &ue) || !errors.Is(err, ErrUnavailable) {
				t.Fatalf("err = %v, want *UnavailableError", err)
			}
			if !strings.HasPrefix(ue.Reason, tt.reason) || ue.Node != "n1" {
				t.Fatalf("reason %q node %q, want %q", ue.Reason, ue.Node, tt.reason)
			}
		})
	}
}

func TestHandler(t *testing.T) {
	tests := []struct {
		name string
		err  error
		code int
		body string
	}{
		// Percona clustercheck's bodies, byte for byte.
		{"available", nil, 200, "Percona XtraDB Cluster Node is synced.\r\n"},
		{"read-only", &UnavailableError{Node: "n", Reason: ReasonReadOnly}, 503, "Percona XtraDB Cluster Node is read-only.\r\n"},
		{"not synced", &UnavailableError{Node: "n", Reason: ReasonNotSynced + " (wsrep_local_state 2 Donor/Desynced)"}, 503,
			"Percona XtraDB Cluster Node is not synced or non-PRIM. \r\n"},
		{"non-Primary", &UnavailableError{Node: "n", Reason: ReasonNotPrimary}, 503, "Percona XtraDB Cluster Node is not synced or non-PRIM. \r\n"},
		{"unreachable", &NodeError{Node: "n", Op: "query", Err: context.DeadlineExceeded}, 503, "Percona XtraDB Cluster Node is not synced or non-PRIM. \r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := Handler{Checker: hakit.CheckerFunc(func(context.Context) error { return tt.err })}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
			res := rec.Result()
			if res.StatusCode != tt.code || rec.Body.String() != tt.body {
				t.Fatalf("got %d %q, want %d %q", res.StatusCode, rec.Body.String(), tt.code, tt.body)
			}
			if res.Header.Get("Content-Type") != "text/plain" || res.Header.Get("Connection") != "close" {
				t.Fatalf("headers %v", res.Header)
			}
			rec = httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodHead, "/", nil))
			if rec.Code != tt.code || rec.Body.Len() != 0 {
				t.Fatalf("HEAD got %d %q", rec.Code, rec.Body.String())
			}
		})
	}
}

func TestNewCheckerValidation(t *testing.T) {
	if _, err := NewChecker(CheckerConfig{}); err == nil || !strings.Contains(err.Error(), "Driver") {
		t.Fatalf("err = %v, want it to name Driver", err)
	}
}
