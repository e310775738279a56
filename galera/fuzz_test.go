package galera

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzParseNodeState feeds arbitrary name/value rows to the parser. The
// input is lines "s name value" (status) or "v name value" (variable).
// Whatever parses must survive Rows and parse again to the same state.
func FuzzParseNodeState(f *testing.F) {
	// A Synced node in a Primary component, as MariaDB 10.11 answers.
	f.Add([]byte("s wsrep_local_state 4\ns wsrep_cluster_status Primary\ns wsrep_ready ON\ns wsrep_connected ON\nv read_only OFF\n"))
	// A non-Primary node: index and conf_id are unsigned -1.
	f.Add([]byte("s wsrep_local_state 0\ns wsrep_cluster_status non-Primary\ns wsrep_ready OFF\ns wsrep_connected ON\n" +
		"s wsrep_local_index 18446744073709551615\ns wsrep_cluster_conf_id 18446744073709551615\nv read_only OFF\n"))
	// A desynced donor with every optional field.
	f.Add([]byte("s wsrep_local_state 2\ns wsrep_local_state_comment Donor/Desynced\ns wsrep_cluster_status Primary\n" +
		"s wsrep_ready ON\ns wsrep_connected ON\ns wsrep_local_recv_queue 12\ns wsrep_flow_control_paused 1e-3\n" +
		"s wsrep_flow_control_active true\ns wsrep_cluster_size 3\ns wsrep_last_committed -1\n" +
		"s wsrep_cluster_state_uuid 8c2f3c5e-c9c8-11ef-8a5b-7e3a6b1f2d10\nv read_only ON\nv wsrep_desync ON\n" +
		"v wsrep_reject_queries ALL_KILL\nv wsrep_sst_donor_rejects_queries ON\nv pxc_maint_mode MAINTENANCE\n"))
	// Garbage.
	f.Add([]byte("s wsrep_local_state \xff\nv read_only\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		status, variables := map[string]string{}, map[string]string{}
		for _, line := range bytes.Split(data, []byte("\n")) {
			kind, rest, _ := bytes.Cut(line, []byte(" "))
			name, value, _ := bytes.Cut(rest, []byte(" "))
			switch string(kind) {
			case "s":
				status[string(name)] = string(value)
			case "v":
				variables[string(name)] = string(value)
			}
		}
		s, err := ParseNodeState("fuzz", status, variables)
		if err != nil {
			if !errors.Is(err, ErrMalformedState) {
				t.Fatalf("error %v does not wrap ErrMalformedState", err)
			}
			return
		}
		st, v := s.Rows()
		s2, err := ParseNodeState("fuzz", st, v)
		if err != nil {
			t.Fatalf("Rows of a parsed state do not parse: %v", err)
		}
		if s2 != s {
			t.Fatalf("round trip changed the state\n got %+v\nwant %+v", s2, s)
		}
		_ = Policy{}.Evaluate(s)
		_ = StrictPolicy().Evaluate(s)
	})
}

// ParseGTID reads what WSREP_LAST_SEEN_GTID() answers; whatever parses
// must print back to the same text.
func FuzzParseGTID(f *testing.F) {
	f.Add("0-1-8608")                                   // domain 0, server 1, seqno 8608 (MariaDB 10.11)
	f.Add("4294967295-4294967295-18446744073709551615") // every part at its maximum
	f.Add("0-1-")                                       // empty seqno
	f.Add("+0-1-2")                                     // a sign strconv would accept
	f.Add("00-1-2")                                     // leading zero: parses, prints differently
	f.Fuzz(func(t *testing.T, s string) {
		g, err := ParseGTID(s)
		if err != nil {
			return
		}
		g2, err := ParseGTID(g.String())
		if err != nil || g2 != g {
			t.Fatalf("%q parsed to %+v, which prints %q and parses to %+v, %v", s, g, g.String(), g2, err)
		}
	})
}
