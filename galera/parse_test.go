package galera

import (
	"errors"
	"maps"
	"strconv"
	"strings"
	"testing"
)

// syncedRows returns the rows a healthy MariaDB 10.11 Galera node answers
// (values as observed on the project's 3-node cluster).
func syncedRows() (status, variables map[string]string) {
	status = map[string]string{
		"wsrep_local_state":         "4",
		"wsrep_local_state_comment": "Synced",
		"wsrep_cluster_status":      "Primary",
		"wsrep_ready":               "ON",
		"wsrep_connected":           "ON",
		"wsrep_local_recv_queue":    "0",
		"wsrep_flow_control_paused": "0",
		"wsrep_flow_control_active": "false",
		"wsrep_local_index":         "1",
		"wsrep_cluster_size":        "3",
		"wsrep_cluster_conf_id":     "3",
		"wsrep_cluster_state_uuid":  "8c2f3c5e-c9c8-11ef-8a5b-7e3a6b1f2d10",
		"wsrep_local_state_uuid":    "8c2f3c5e-c9c8-11ef-8a5b-7e3a6b1f2d10",
		"wsrep_last_committed":      "42",
		"wsrep_provider_name":       "Galera",
	}
	variables = map[string]string{
		"read_only":                       "OFF",
		"wsrep_desync":                    "OFF",
		"wsrep_reject_queries":            "NONE",
		"wsrep_sst_donor_rejects_queries": "OFF",
	}
	return status, variables
}

func TestParseNodeStateSynced(t *testing.T) {
	st, vars := syncedRows()
	s, err := ParseNodeState("n1:3306", st, vars)
	if err != nil {
		t.Fatal(err)
	}
	want := NodeState{
		Node: "n1:3306", LocalState: LocalStateSynced, LocalStateComment: "Synced",
		ClusterStatus: ClusterStatusPrimary, Ready: true, Connected: true,
		RejectQueries: RejectQueriesNone, LocalIndex: 1, ClusterSize: 3, ConfID: 3,
		ClusterStateUUID: "8c2f3c5e-c9c8-11ef-8a5b-7e3a6b1f2d10",
		LocalStateUUID:   "8c2f3c5e-c9c8-11ef-8a5b-7e3a6b1f2d10", LastCommitted: 42,
	}
	if s != want {
		t.Fatalf("got  %+v\nwant %+v", s, want)
	}
	if !s.Synced() {
		t.Fatal("Synced() = false")
	}
}

func TestParseNodeStateValues(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(st, v map[string]string)
		check func(NodeState) bool
	}{
		{"desynced node reports 2 Donor/Desynced", func(st, v map[string]string) {
			st["wsrep_local_state"], st["wsrep_local_state_comment"], v["wsrep_desync"] = "2", "Donor/Desynced", "ON"
		}, func(s NodeState) bool { return s.LocalState == LocalStateDonor && s.Desync }},
		{"non-Primary after quorum loss: index and conf_id are unsigned -1", func(st, v map[string]string) {
			st["wsrep_cluster_status"], st["wsrep_local_state"] = "non-Primary", "0"
			st["wsrep_local_index"], st["wsrep_cluster_conf_id"] = "18446744073709551615", "18446744073709551615"
			st["wsrep_ready"] = "OFF"
		}, func(s NodeState) bool {
			return s.ClusterStatus == ClusterStatusNonPrimary && s.LocalIndex == -1 && s.ConfID == -1 &&
				!s.Ready && s.LocalState == LocalStateInitialized
		}},
		{"wsrep_last_committed -1 before any commit", func(st, v map[string]string) { st["wsrep_last_committed"] = "-1" },
			func(s NodeState) bool { return s.LastCommitted == -1 }},
		{"reject queries ALL_KILL", func(st, v map[string]string) { v["wsrep_reject_queries"] = "ALL_KILL" },
			func(s NodeState) bool { return s.RejectQueries == RejectQueriesAllKill }},
		{"read_only ON", func(st, v map[string]string) { v["read_only"] = "ON" },
			func(s NodeState) bool { return s.ReadOnly && s.LocalState == LocalStateSynced }},
		{"PXC maintenance", func(st, v map[string]string) { v["pxc_maint_mode"] = "MAINTENANCE" },
			func(s NodeState) bool { return s.MaintMode == MaintModeMaintenance }},
		{"flow control", func(st, v map[string]string) {
			st["wsrep_flow_control_paused"], st["wsrep_flow_control_active"], st["wsrep_local_recv_queue"] = "0.25", "true", "17"
		}, func(s NodeState) bool { return s.FlowControlPaused == 0.25 && s.FlowControlActive && s.RecvQueue == 17 }},
		{"optional variables absent", func(st, v map[string]string) {
			delete(st, "wsrep_local_recv_queue")
			delete(st, "wsrep_cluster_state_uuid")
			delete(v, "wsrep_reject_queries")
		}, func(s NodeState) bool {
			return s.RecvQueue == 0 && s.ClusterStateUUID == "" && s.MaintMode == MaintModeAbsent
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, v := syncedRows()
			tt.edit(st, v)
			s, err := ParseNodeState("n1", st, v)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(s) {
				t.Fatalf("unexpected state %+v", s)
			}
		})
	}
}

func TestParseNodeStateErrors(t *testing.T) {
	tests := []struct {
		name     string
		edit     func(st, v map[string]string)
		variable string
		missing  bool
	}{
		{"unknown local state", func(st, v map[string]string) { st["wsrep_local_state"] = "9" }, "wsrep_local_state", false},
		{"local state not a number", func(st, v map[string]string) { st["wsrep_local_state"] = "Synced" }, "wsrep_local_state", false},
		{"unknown cluster status", func(st, v map[string]string) { st["wsrep_cluster_status"] = "Primary?" }, "wsrep_cluster_status", false},
		{"bad boolean", func(st, v map[string]string) { st["wsrep_ready"] = "maybe" }, "wsrep_ready", false},
		{"unknown reject_queries", func(st, v map[string]string) { v["wsrep_reject_queries"] = "SOME" }, "wsrep_reject_queries", false},
		{"negative queue", func(st, v map[string]string) { st["wsrep_local_recv_queue"] = "-3" }, "wsrep_local_recv_queue", false},
		{"NaN paused", func(st, v map[string]string) { st["wsrep_flow_control_paused"] = "NaN" }, "wsrep_flow_control_paused", false},
		{"garbage uuid", func(st, v map[string]string) { st["wsrep_local_state_uuid"] = "not-a-uuid" }, "wsrep_local_state_uuid", false},
		{"unknown maint mode", func(st, v map[string]string) { v["pxc_maint_mode"] = "SLEEPY" }, "pxc_maint_mode", false},
		{"no wsrep at all", func(st, v map[string]string) { clear(st) }, "wsrep_local_state", true},
		{"read_only missing", func(st, v map[string]string) { delete(v, "read_only") }, "read_only", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, v := syncedRows()
			tt.edit(st, v)
			_, err := ParseNodeState("10.0.0.7:3306", st, v)
			var se *StateError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want *StateError", err)
			}
			if !errors.Is(err, ErrMalformedState) {
				t.Fatalf("err = %v does not wrap ErrMalformedState", err)
			}
			if se.Variable != tt.variable || se.Missing != tt.missing || se.Node != "10.0.0.7:3306" {
				t.Fatalf("err = %+v, want variable %s missing=%v", se, tt.variable, tt.missing)
			}
			msg := err.Error()
			if !strings.Contains(msg, "10.0.0.7:3306") || !strings.Contains(msg, tt.variable) {
				t.Fatalf("message %q does not name node and variable", msg)
			}
			if !tt.missing && !strings.Contains(msg, strconv.Quote(v[tt.variable]+st[tt.variable])) {
				t.Fatalf("message %q does not quote the value", msg)
			}
		})
	}
}

func TestRowsRoundTrip(t *testing.T) {
	s := NodeState{Node: "n", LocalState: LocalStateJoined, LocalStateComment: "Joined", ClusterStatus: ClusterStatusPrimary,
		Ready: true, Connected: true, Desync: false, RejectQueries: RejectQueriesAll, SSTDonorRejectsQueries: true,
		ReadOnly: true, MaintMode: MaintModeShutdown, RecvQueue: 5, FlowControlPaused: 0.125, FlowControlActive: true,
		LocalIndex: -1, ClusterSize: 2, ConfID: -1, LastCommitted: 9}
	st, v := s.Rows()
	got, err := ParseNodeState("n", st, v)
	if err != nil {
		t.Fatal(err)
	}
	if got != s {
		t.Fatalf("round trip\n got %+v\nwant %+v", got, s)
	}
	if st["wsrep_local_index"] != "18446744073709551615" {
		t.Fatalf("-1 written as %q, want Galera's unsigned form", st["wsrep_local_index"])
	}
	st2, v2 := got.Rows()
	if !maps.Equal(st, st2) || !maps.Equal(v, v2) {
		t.Fatal("Rows not stable")
	}
}

// wsrep_incoming_addresses as MariaDB 10.11 answers it on a 3-node
// cluster, and absent (older providers).
func TestIncomingAddresses(t *testing.T) {
	s := NodeState{}
	if s.Members() != nil {
		t.Fatalf("Members of an empty value: %q", s.Members())
	}
	s.IncomingAddresses = "127.0.0.1:13301,127.0.0.1:13302,127.0.0.1:13303"
	if m := s.Members(); len(m) != 3 || m[1] != "127.0.0.1:13302" {
		t.Fatalf("Members = %q", m)
	}
}
