package quorum

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Node is one entry of corosync.conf's nodelist.
type Node struct {
	ID    uint32
	Votes int // quorum_votes; zero means 1, votequorum's default
}

// TieBreaker is auto_tie_breaker_node.
type TieBreaker int

const (
	TieBreakerLowest  TieBreaker = iota // "lowest", the default: the lowest node ID decides
	TieBreakerHighest                   // "highest": the highest node ID decides
	TieBreakerList                      // a list of node IDs, tried in order
)

func (t TieBreaker) String() string {
	switch t {
	case TieBreakerLowest:
		return "lowest"
	case TieBreakerHighest:
		return "highest"
	case TieBreakerList:
		return "list"
	}
	return fmt.Sprintf("TieBreaker(%d)", int(t))
}

// WaitForAll is the wait_for_all setting, whose default depends on
// two_node.
type WaitForAll int

const (
	WaitForAllDefault WaitForAll = iota // on when TwoNode is set, off otherwise (votequorum(5))
	WaitForAllOn
	WaitForAllOff
)

// DefaultLastManStandingWindow is votequorum's last_man_standing_window
// default, 10000 ms.
const DefaultLastManStandingWindow = 10 * time.Second

// Config is a corosync.conf quorum section with its nodelist. The zero
// Config with Nodes set is votequorum's default configuration.
type Config struct {
	Nodes []Node
	// ExpectedVotes is expected_votes; zero means the sum of the Nodes'
	// votes, as votequorum computes it when a nodelist is given.
	ExpectedVotes int
	// TwoNode is two_node: quorum is 1 while expected votes are 2, and
	// wait_for_all is on unless WaitForAll says off.
	TwoNode    bool
	WaitForAll WaitForAll
	// LastManStanding is last_man_standing; LastManStandingWindow its
	// window, zero meaning DefaultLastManStandingWindow.
	LastManStanding       bool
	LastManStandingWindow time.Duration
	// AutoTieBreaker is auto_tie_breaker; TieBreaker and TieBreakerNodes
	// are auto_tie_breaker_node.
	AutoTieBreaker  bool
	TieBreaker      TieBreaker
	TieBreakerNodes []uint32
	// AllowDownscale is allow_downscale: a clean leave lowers expected
	// votes, down to ExpectedVotes.
	AllowDownscale bool
}

// ErrConfig is wrapped by every Config.Validate error.
var ErrConfig = errors.New("quorum: invalid config")

// Validate checks c and names the field at fault.
func (c Config) Validate() error {
	seen := map[uint32]bool{}
	for _, n := range c.Nodes {
		if seen[n.ID] {
			return fmt.Errorf("%w: Nodes lists node %d twice", ErrConfig, n.ID)
		}
		seen[n.ID] = true
		if n.Votes < 0 {
			return fmt.Errorf("%w: node %d has negative Votes %d", ErrConfig, n.ID, n.Votes)
		}
	}
	switch {
	case c.ExpectedVotes < 0:
		return fmt.Errorf("%w: ExpectedVotes %d is negative", ErrConfig, c.ExpectedVotes)
	case c.expected() == 0:
		return fmt.Errorf("%w: no Nodes and no ExpectedVotes", ErrConfig)
	case c.LastManStandingWindow < 0:
		return fmt.Errorf("%w: LastManStandingWindow %v is negative", ErrConfig, c.LastManStandingWindow)
	case c.TieBreaker == TieBreakerList && c.AutoTieBreaker && len(c.TieBreakerNodes) == 0:
		return fmt.Errorf("%w: TieBreaker is list but TieBreakerNodes is empty", ErrConfig)
	case c.TieBreaker < TieBreakerLowest || c.TieBreaker > TieBreakerList:
		return fmt.Errorf("%w: unknown TieBreaker %d", ErrConfig, c.TieBreaker)
	case c.LastManStanding && slices.ContainsFunc(c.Nodes, func(n Node) bool { return n.Votes > 1 }):
		// votequorum(5): "LMS does not work with asymmetric voting
		// schemes, each node must vote 1."
		return fmt.Errorf("%w: LastManStanding needs every node to have 1 vote", ErrConfig)
	}
	return nil
}

// Window is the last man standing window in effect.
func (c Config) Window() time.Duration {
	if c.LastManStandingWindow == 0 {
		return DefaultLastManStandingWindow
	}
	return c.LastManStandingWindow
}

func (c Config) votes(id uint32) int {
	for _, n := range c.Nodes {
		if n.ID == id {
			return max(n.Votes, 1)
		}
	}
	return 1 // a node outside the nodelist votes 1
}

// expected is the configured expected votes.
func (c Config) expected() int {
	if c.ExpectedVotes > 0 {
		return c.ExpectedVotes
	}
	sum := 0
	for _, n := range c.Nodes {
		sum += max(n.Votes, 1)
	}
	return sum
}

func (c Config) waitForAll() bool {
	switch c.WaitForAll {
	case WaitForAllOn:
		return true
	case WaitForAllOff:
		return false
	}
	return c.TwoNode
}

// Quorum is votequorum's quorum for expected votes: floor(expected/2) + 1,
// a strict majority.
func Quorum(expected int) int { return expected/2 + 1 }

// State is what votequorum computes for one partition.
type State struct {
	Members       []uint32 // this partition, sorted
	TotalVotes    int      // votes of Members
	ExpectedVotes int      // runtime expected votes
	Quorum        int
	Quorate       bool
	// WaitingForAll is true until all expected votes have been seen at
	// once (wait_for_all).
	WaitingForAll bool
	TwoNode       bool // two_node is in effect
	TieBreak      bool // quorate only through auto_tie_breaker
}

// Start is the State of a node that has just started: no members yet,
// expected votes as configured, waiting for all if wait_for_all is on.
func Start(c Config) State {
	s := State{ExpectedVotes: c.expected(), WaitingForAll: c.waitForAll()}
	return settle(c, s, nil, nil)
}

// View is a membership change: the partition's members now, and those of
// the previous members that left cleanly (a normal corosync shutdown).
type View struct {
	Members    []uint32
	CleanLeave []uint32
}

// Update returns the state after membership v.
func Update(c Config, s State, v View) State {
	prev := s.Members
	members := slices.Clone(v.Members)
	slices.Sort(members)
	members = slices.Compact(members)
	total := c.sum(members)
	// "The general behaviour of votequorum is to never decrease expected
	// votes or quorum": expected grows to the votes seen.
	expected := max(s.ExpectedVotes, total)
	// allow_downscale: "both expected votes and quorum are recalculated
	// when a node leaves the cluster in a clean state ... down to
	// configured expected_votes."
	if c.AllowDownscale && len(v.CleanLeave) > 0 {
		expected = max(total, c.expected())
	}
	s.ExpectedVotes = expected
	// wait_for_all: "the cluster will be quorate for the first time only
	// after all nodes have been visible at least once at the same time."
	if s.WaitingForAll && total >= c.expected() {
		s.WaitingForAll = false
	}
	return settle(c, s, members, prev)
}

// LastManStanding is called when the partition has been quorate for the
// whole last_man_standing_window: "expected_votes and quorum are
// recalculated" to the votes present. It changes nothing without
// last_man_standing or quorum.
func LastManStanding(c Config, s State) State {
	if !c.LastManStanding || !s.Quorate || s.TotalVotes >= s.ExpectedVotes {
		return s
	}
	s.ExpectedVotes = s.TotalVotes
	return settle(c, s, s.Members, s.Members)
}

func (c Config) sum(members []uint32) int {
	t := 0
	for _, id := range members {
		t += c.votes(id)
	}
	return t
}

// settle computes quorum and quorate for members; prev are the members
// before the change, which auto_tie_breaker consults.
func settle(c Config, s State, members, prev []uint32) State {
	s.Members = members
	s.TotalVotes = c.sum(members)
	s.Quorum = Quorum(s.ExpectedVotes)
	// two_node: "quorum is set artificially to 1"; "If more than 2 nodes
	// join the cluster, the two_node option is automatically disabled."
	s.TwoNode = c.TwoNode && len(c.Nodes) <= 2 && s.ExpectedVotes == 2
	if s.TwoNode {
		s.Quorum = 1
	}
	s.TieBreak = false
	s.Quorate = !s.WaitingForAll && s.TotalVotes >= s.Quorum
	// auto_tie_breaker: "the cluster can suffer up to 50% of the nodes
	// failing at the same time, in a deterministic fashion": half the
	// expected votes, rounded down (votequorum's "half (or half-1)
	// split"), keep quorum when the tie-breaker node is among them and
	// the nodes that left cannot hold quorum between them.
	if !s.Quorate && !s.WaitingForAll && c.AutoTieBreaker && s.TotalVotes == s.ExpectedVotes/2 && len(prev)-len(members) < s.Quorum {
		if id, ok := c.tieBreaker(members, prev); ok && slices.Contains(members, id) {
			s.Quorate, s.TieBreak = true, true
		}
	}
	return s
}

// tieBreaker is the node whose side keeps quorum in a tie: the lowest or
// highest ID of the cluster (the nodelist, the members before the split
// and now), or the first listed node that is in either half ("if that
// node is not in either half (ie was not in the cluster before the split)
// then the second node ID will be checked for and so on").
func (c Config) tieBreaker(members, prev []uint32) (uint32, bool) {
	var known []uint32
	for _, n := range c.Nodes {
		known = append(known, n.ID)
	}
	known = append(append(known, prev...), members...)
	switch c.TieBreaker {
	case TieBreakerHighest:
		if len(known) == 0 {
			return 0, false
		}
		return slices.Max(known), true
	case TieBreakerList:
		seen := append(slices.Clone(prev), members...)
		for _, id := range c.TieBreakerNodes {
			if slices.Contains(seen, id) {
				return id, true
			}
		}
		return 0, false
	}
	if len(known) == 0 {
		return 0, false
	}
	return slices.Min(known), true
}
