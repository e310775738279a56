package quorum

import (
	"testing"
	"time"
)

func nodes(ids ...uint32) []Node {
	var n []Node
	for _, id := range ids {
		n = append(n, Node{ID: id})
	}
	return n
}

func ids(from, to uint32) []uint32 {
	var v []uint32
	for i := from; i <= to; i++ {
		v = append(v, i)
	}
	return v
}

// step is one event of a votequorum(5) scenario and what must follow.
type step struct {
	members  []uint32 // a membership change; nil with lms set means the window passed
	clean    []uint32
	lms      bool
	expected int
	quorum   int
	quorate  bool
}

func run(t *testing.T, c Config, steps []step) {
	t.Helper()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	s := Start(c)
	for i, st := range steps {
		if st.lms {
			s = LastManStanding(c, s)
		} else {
			s = Update(c, s, View{Members: st.members, CleanLeave: st.clean})
		}
		if s.ExpectedVotes != st.expected || s.Quorum != st.quorum || s.Quorate != st.quorate {
			t.Fatalf("step %d (members %v lms %v): expected %d quorum %d quorate %v, want %d %d %v",
				i+1, st.members, st.lms, s.ExpectedVotes, s.Quorum, s.Quorate, st.expected, st.quorum, st.quorate)
		}
	}
}

// Scenarios written from votequorum(5), corosync 3.1; each names the
// sentence it encodes.
func TestVotequorumManPage(t *testing.T) {
	cases := []struct {
		name  string
		cfg   Config
		steps []step
	}{
		{
			// "in an 8 node cluster, where every node has 1 vote,
			// expected_votes is set to 8 and quorum is (50% + 1) 5. As soon
			// as 5 (or more) nodes are visible to each other, the partition
			// of 5 (or more) becomes quorate".
			"simple majority", Config{Nodes: nodes(ids(1, 8)...)},
			[]step{
				{members: ids(1, 4), expected: 8, quorum: 5, quorate: false},
				{members: ids(1, 5), expected: 8, quorum: 5, quorate: true},
				{members: ids(1, 4), expected: 8, quorum: 5, quorate: false},
			},
		},
		{
			// expected_votes set explicitly; a node of 3 votes; "never
			// decrease expected votes".
			"expected votes and weights", Config{Nodes: []Node{{ID: 1, Votes: 3}, {ID: 2}, {ID: 3}}, ExpectedVotes: 4},
			[]step{
				{members: []uint32{1}, expected: 4, quorum: 3, quorate: true},
				{members: []uint32{1, 2, 3}, expected: 5, quorum: 3, quorate: true},
				{members: []uint32{2, 3}, expected: 5, quorum: 3, quorate: false},
			},
		},
		{
			// "When WFA is enabled, the cluster will wait for all nodes (8
			// in this example) to be up and running and be able to see
			// each other before the cluster will become quorate (the first
			// time)."
			"wait_for_all", Config{Nodes: nodes(ids(1, 8)...), WaitForAll: WaitForAllOn},
			[]step{
				{members: ids(1, 7), expected: 8, quorum: 5, quorate: false},
				{members: ids(1, 8), expected: 8, quorum: 5, quorate: true},
				{members: ids(1, 5), expected: 8, quorum: 5, quorate: true},
			},
		},
		{
			// "Enabling two_node: 1, quorum is set artificially to 1";
			// "enabling two_node: 1 automatically enables wait_for_all".
			"two_node", Config{Nodes: nodes(1, 2), TwoNode: true},
			[]step{
				{members: []uint32{1}, expected: 2, quorum: 1, quorate: false},
				{members: []uint32{1, 2}, expected: 2, quorum: 1, quorate: true},
				{members: []uint32{2}, expected: 2, quorum: 1, quorate: true},
			},
		},
		{
			// "It is still possible to override wait_for_all by explicitly
			// setting it to 0."
			"two_node without wait_for_all", Config{Nodes: nodes(1, 2), TwoNode: true, WaitForAll: WaitForAllOff},
			[]step{{members: []uint32{1}, expected: 2, quorum: 1, quorate: true}},
		},
		{
			// "If more than 2 nodes join the cluster, the two_node option
			// is automatically disabled."
			"two_node disabled by a third node", Config{Nodes: nodes(1, 2), TwoNode: true},
			[]step{
				{members: []uint32{1, 2, 3}, expected: 3, quorum: 2, quorate: true},
				{members: []uint32{1}, expected: 3, quorum: 2, quorate: false},
			},
		},
		{
			// The LMS chain of events of votequorum(5), steps 1 to 7.
			"last_man_standing", Config{Nodes: nodes(ids(1, 8)...), LastManStanding: true},
			[]step{
				{members: ids(1, 8), expected: 8, quorum: 5, quorate: true}, // 1) fully operational
				{members: ids(1, 5), expected: 8, quorum: 5, quorate: true}, // 2) 3 nodes die
				{lms: true, expected: 5, quorum: 3, quorate: true},          // 3) window expires
				{members: ids(1, 3), expected: 5, quorum: 3, quorate: true}, // 4) 2 more die
				{lms: true, expected: 3, quorum: 2, quorate: true},          // 5)
				{members: ids(1, 2), expected: 3, quorum: 2, quorate: true}, // 6) 1 more dies
				{lms: true, expected: 2, quorum: 2, quorate: true},          // 7)
				// "If auto_tie_breaker is not enabled, and one more failure
				// occurs, the remaining node will not be quorate."
				{members: ids(1, 1), expected: 2, quorum: 2, quorate: false},
				{lms: true, expected: 2, quorum: 2, quorate: false},
				// Nodes coming back raise expected votes again.
				{members: ids(1, 6), expected: 6, quorum: 4, quorate: true},
			},
		},
		{
			// "In order for the cluster to downgrade automatically from 2
			// nodes to a 1 node cluster, the auto_tie_breaker feature must
			// also be enabled."
			"last_man_standing with auto_tie_breaker", Config{Nodes: nodes(ids(1, 4)...), LastManStanding: true, AutoTieBreaker: true},
			[]step{
				{members: ids(1, 4), expected: 4, quorum: 3, quorate: true},
				{members: ids(1, 2), expected: 4, quorum: 3, quorate: true}, // a tie, node 1 (lowest) present
				{lms: true, expected: 2, quorum: 2, quorate: true},
				{members: ids(1, 1), expected: 2, quorum: 2, quorate: true},
				{lms: true, expected: 1, quorum: 1, quorate: true},
			},
		},
		{
			// "the cluster partition, or the set of nodes that are still in
			// contact with the node that has the lowest nodeid will remain
			// quorate. The other nodes will be inquorate."
			"auto_tie_breaker lowest, the side without node 1", Config{Nodes: nodes(ids(1, 4)...), AutoTieBreaker: true},
			[]step{
				{members: ids(1, 4), expected: 4, quorum: 3, quorate: true},
				{members: ids(3, 4), expected: 4, quorum: 3, quorate: false},
			},
		},
		{
			// "'highest' is similar in that if the current set of nodes
			// contains the highest nodeid then it will remain quorate."
			"auto_tie_breaker highest", Config{Nodes: nodes(ids(1, 4)...), AutoTieBreaker: true, TieBreaker: TieBreakerHighest},
			[]step{
				{members: ids(1, 4), expected: 4, quorum: 3, quorate: true},
				{members: ids(3, 4), expected: 4, quorum: 3, quorate: true},
			},
		},
		{
			// "If a (space-separated) list is given, the nodes are
			// evaluated in order, so if the first node is present then it
			// will be used to determine the quorate partition, if that node
			// is not in either half (ie was not in the cluster before the
			// split) then the second node ID will be checked for".
			"auto_tie_breaker list, first listed node absent before the split", Config{Nodes: nodes(ids(1, 4)...), ExpectedVotes: 4, AutoTieBreaker: true, TieBreaker: TieBreakerList, TieBreakerNodes: []uint32{9, 3}},
			[]step{
				{members: ids(1, 4), expected: 4, quorum: 3, quorate: true},
				{members: ids(3, 4), expected: 4, quorum: 3, quorate: true},
			},
		},
		{
			// votequorum grants the tie-break to "a half (or half-1)
			// split" (total votes = expected/2, rounded down) when the
			// nodes that left cannot hold quorum between them: five nodes,
			// one dead, the other four split two and two.
			"auto_tie_breaker with odd expected votes", Config{Nodes: nodes(ids(1, 5)...), AutoTieBreaker: true},
			[]step{
				{members: ids(1, 5), expected: 5, quorum: 3, quorate: true},
				{members: ids(1, 4), expected: 5, quorum: 3, quorate: true},
				{members: ids(1, 2), expected: 5, quorum: 3, quorate: true},
			},
		},
		{
			// The same half-1 side is not quorate when the other side, of
			// three nodes, holds quorum.
			"auto_tie_breaker half-1 against a quorate majority", Config{Nodes: nodes(ids(1, 5)...), AutoTieBreaker: true},
			[]step{
				{members: ids(1, 5), expected: 5, quorum: 3, quorate: true},
				{members: ids(1, 2), expected: 5, quorum: 3, quorate: false},
			},
		},
		{
			// "ATB ... allows a simultaneous node failure up to 50%", not
			// more.
			"auto_tie_breaker does not save a minority", Config{Nodes: nodes(ids(1, 4)...), AutoTieBreaker: true},
			[]step{
				{members: ids(1, 4), expected: 4, quorum: 3, quorate: true},
				{members: ids(1, 1), expected: 4, quorum: 3, quorate: false},
			},
		},
		{
			// The allow_downscale use case of votequorum(5): expected_votes
			// 3, 13 nodes running, ordered shutdown back to 3 "but not
			// below 3".
			"allow_downscale", Config{ExpectedVotes: 3, AllowDownscale: true},
			[]step{
				{members: ids(1, 3), expected: 3, quorum: 2, quorate: true},
				{members: ids(1, 13), expected: 13, quorum: 7, quorate: true},
				{members: ids(1, 8), clean: ids(9, 13), expected: 8, quorum: 5, quorate: true},
				{members: ids(1, 3), clean: ids(4, 8), expected: 3, quorum: 2, quorate: true},
				{members: ids(1, 2), clean: ids(3, 3), expected: 3, quorum: 2, quorate: true},
				{members: ids(1, 1), expected: 3, quorum: 2, quorate: false},
			},
		},
		{
			// Without allow_downscale a clean leave changes nothing.
			"no downscale", Config{ExpectedVotes: 3},
			[]step{
				{members: ids(1, 13), expected: 13, quorum: 7, quorate: true},
				{members: ids(1, 6), clean: ids(7, 13), expected: 13, quorum: 7, quorate: false},
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { run(t, c.cfg, c.steps) })
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{
		{},
		{Nodes: []Node{{ID: 1}, {ID: 1}}},
		{Nodes: []Node{{ID: 1, Votes: -1}}},
		{Nodes: nodes(1), ExpectedVotes: -1},
		{Nodes: nodes(1), LastManStandingWindow: -time.Second},
		{Nodes: nodes(1), AutoTieBreaker: true, TieBreaker: TieBreakerList},
		{Nodes: nodes(1), TieBreaker: 7},
		{Nodes: []Node{{ID: 1, Votes: 2}}, LastManStanding: true},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
	if w := (Config{}).Window(); w != 10*time.Second {
		t.Errorf("default window %v", w)
	}
}

// Pacemaker Explained, no-quorum-policy.
func TestDecide(t *testing.T) {
	cases := []struct {
		policy  string
		quorate bool
		want    Decision
	}{
		{"stop", true, Decision{Start: true, Recover: true, Fence: true}},
		{"stop", false, Decision{Stop: true}},                                // "Stop all resources in the affected cluster partition"
		{"freeze", false, Decision{Start: true}},                             // "do not recover resources from nodes not in the affected partition"
		{"ignore", false, Decision{Start: true, Recover: true, Fence: true}}, // "Continue all resource management"
		{"demote", false, Decision{Demote: true, Stop: true}},                // "Demote promotable resources and stop all other resources"
		{"suicide", false, Decision{Stop: true, SelfFence: true}},            // "Fence all nodes in the affected cluster partition"
		{"fence", false, Decision{Stop: true, SelfFence: true}},
	}
	for _, c := range cases {
		p, err := ParsePolicy(c.policy)
		if err != nil {
			t.Fatal(err)
		}
		if got := Decide(p, c.quorate); got != c.want {
			t.Errorf("%s quorate=%v: %+v, want %+v", c.policy, c.quorate, got, c.want)
		}
	}
	if _, err := ParsePolicy("panic"); err == nil {
		t.Error("unknown policy accepted")
	}
	var zero Policy
	if zero.String() != "stop" {
		t.Errorf("zero policy %v, want Pacemaker's default stop", zero)
	}
}
