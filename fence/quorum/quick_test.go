package quorum

import (
	"slices"
	"testing"
)

// naiveQuorum counts up to the smallest strict majority of expected.
func naiveQuorum(expected int) int {
	q := 0
	for 2*q <= expected {
		q++
	}
	return q
}

// naiveQuorate decides one partition from scratch: a strict majority of
// expected votes, or exactly half with the tie-breaker among its members.
func naiveQuorate(c Config, expected int, members, before []uint32) bool {
	votes := 0
	for _, m := range members {
		v := 1
		for _, n := range c.Nodes {
			if n.ID == m && n.Votes > 0 {
				v = n.Votes
			}
		}
		votes += v
	}
	if 2*votes > expected {
		return true
	}
	if !c.AutoTieBreaker || 2*votes != expected {
		return false
	}
	all := slices.Clone(before)
	for _, n := range c.Nodes {
		all = append(all, n.ID)
	}
	slices.Sort(all)
	var decider uint32
	switch c.TieBreaker {
	case TieBreakerLowest:
		decider = all[0]
	case TieBreakerHighest:
		decider = all[len(all)-1]
	case TieBreakerList:
		i := slices.IndexFunc(c.TieBreakerNodes, func(id uint32) bool { return slices.Contains(before, id) })
		if i < 0 {
			return false
		}
		decider = c.TieBreakerNodes[i]
	}
	return slices.Contains(members, decider)
}

// FuzzSplitBrain builds a cluster and a history of membership changes and
// last-man-standing windows from the input, splits the last partition in
// two, and checks that (1) the package agrees with the naive version on
// quorum and quorate and (2) the two halves are never both quorate unless
// two_node is in effect, where votequorum(5) leaves the tie to fencing.
func FuzzSplitBrain(f *testing.F) {
	f.Add([]byte{6, 0b00000, 0b00111})                                  // 8 nodes, no options, split 3/5
	f.Add([]byte{2, 0b00100, 0b00011})                                  // 4 nodes, auto_tie_breaker lowest, split 2/2
	f.Add([]byte{0, 0b00001, 0b00001})                                  // 2 nodes two_node, split 1/1
	f.Add([]byte{6, 0b01010, 0b00001, 0x3f, 0x01})                      // 8 nodes, LMS + ATB, a round down to 6 then a window
	f.Add([]byte{4, 0b11100, 0b01010, 0, 0, 0, 0, 0, 0, 0, 0, 2, 3, 1}) // ATB list, weighted votes
	f.Fuzz(func(t *testing.T, b []byte) {
		at := func(i int) byte {
			if i < len(b) {
				return b[i]
			}
			return 0
		}
		n := 2 + int(at(0))%7
		opts := at(1)
		c := Config{
			TwoNode:         opts&1 != 0,
			LastManStanding: opts&2 != 0,
			AutoTieBreaker:  opts&4 != 0,
			TieBreaker:      TieBreaker(opts >> 3 % 3),
			AllowDownscale:  opts&0x20 != 0,
		}
		for i := range n {
			v := 1
			if !c.LastManStanding {
				v = 1 + int(at(3+i))%3
			}
			c.Nodes = append(c.Nodes, Node{ID: uint32(i + 1), Votes: v})
		}
		if c.TieBreaker == TieBreakerList {
			c.TieBreakerNodes = []uint32{uint32(at(11)) % 10, uint32(at(12)) % 10, uint32(at(13)) % 10}
		}
		if err := c.Validate(); err != nil {
			return
		}
		all := make([]uint32, n)
		for i := range all {
			all[i] = uint32(i + 1)
		}
		s := Update(c, Start(c), View{Members: all})
		for r := 14; r+1 < len(b) && r < 24; r += 2 {
			sub := subset(s.Members, b[r])
			var clean []uint32
			if b[r+1]&1 != 0 {
				clean = without(s.Members, sub)
			}
			s = Update(c, s, View{Members: sub, CleanLeave: clean})
			if b[r+1]&2 != 0 {
				s = LastManStanding(c, s)
			}
		}
		mask := at(2)
		a := subset(s.Members, mask)
		rest := without(s.Members, a)
		sa := Update(c, s, View{Members: a})
		sb := Update(c, s, View{Members: rest})
		for _, x := range []struct {
			st      State
			members []uint32
		}{{sa, a}, {sb, rest}} {
			if x.st.Quorum != naiveQuorum(x.st.ExpectedVotes) && !x.st.TwoNode {
				t.Fatalf("quorum %d for expected %d, naive %d", x.st.Quorum, x.st.ExpectedVotes, naiveQuorum(x.st.ExpectedVotes))
			}
			if !x.st.TwoNode && !x.st.WaitingForAll && x.st.Quorate != naiveQuorate(c, x.st.ExpectedVotes, x.members, s.Members) {
				t.Fatalf("%+v: quorate %v for %v, naive disagrees", c, x.st.Quorate, x.members)
			}
		}
		if sa.Quorate && sb.Quorate && !sa.TwoNode {
			t.Fatalf("split brain: %+v\nbefore %+v\nA %+v\nB %+v", c, s, sa, sb)
		}
	})
}

func subset(members []uint32, mask byte) []uint32 {
	var s []uint32
	for i, m := range members {
		if mask&(1<<(i%8)) != 0 {
			s = append(s, m)
		}
	}
	return s
}

func without(members, drop []uint32) []uint32 {
	var s []uint32
	for _, m := range members {
		if !slices.Contains(drop, m) {
			s = append(s, m)
		}
	}
	return s
}
