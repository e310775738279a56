// Package quorum is corosync votequorum's arithmetic and Pacemaker's
// no-quorum-policy, as pure functions: no clock, no network. A caller
// feeds it the membership it sees (from its own heartbeat layer) and acts
// on the State it returns; fence uses it to decide who may fence.
//
// Every rule cites votequorum(5) (corosync 3.1) where it is implemented:
// expected votes that never fall by themselves, quorum = floor(expected/2)
// + 1, two_node, wait_for_all, last_man_standing with its window,
// auto_tie_breaker with lowest, highest or a list, and allow_downscale.
//
// # Failure model
//
// The arithmetic guarantees that two disjoint partitions computed from
// the same State are never both quorate, except with two_node, where each
// half of a split two-node cluster keeps quorum and fencing alone decides
// (votequorum(5) says as much; fence's delays break that race). The
// guarantee is only as good as the membership given: a node that reports
// members it cannot reach breaks it. Last man standing lowers expected
// votes only when the caller says the window has passed while quorate;
// the caller owns that timer.
package quorum
