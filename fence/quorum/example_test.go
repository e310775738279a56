package quorum_test

import (
	"fmt"

	"github.com/hakit/hakit/fence/quorum"
)

// Four nodes with auto_tie_breaker: a 2/2 split leaves only the half with
// node 1 (the lowest ID) quorate, and a partition without quorum stops its
// resources under Pacemaker's default no-quorum-policy.
func ExampleUpdate() {
	c := quorum.Config{Nodes: []quorum.Node{{ID: 1}, {ID: 2}, {ID: 3}, {ID: 4}}, AutoTieBreaker: true}
	all := quorum.Update(c, quorum.Start(c), quorum.View{Members: []uint32{1, 2, 3, 4}})
	fmt.Println("all:", all.ExpectedVotes, all.Quorum, all.Quorate)
	for _, half := range [][]uint32{{1, 2}, {3, 4}} {
		s := quorum.Update(c, all, quorum.View{Members: half})
		d := quorum.Decide(quorum.PolicyStop, s.Quorate)
		fmt.Printf("%v: quorate %v, may fence %v, stop %v\n", half, s.Quorate, d.Fence, d.Stop)
	}
	// Output:
	// all: 4 3 true
	// [1 2]: quorate true, may fence true, stop false
	// [3 4]: quorate false, may fence false, stop true
}
