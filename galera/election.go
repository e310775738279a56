package galera

import (
	"errors"
	"syscall"
)

// The writer election: which node holds the writer role, decided from
// the probes' results alone, so that every Router that sees the same
// cluster ends on the same node whatever the phase of its probes. It
// reads no clock and touches no socket; the Router feeds it.

// verdict is what one probe says about a node's fitness to be the writer.
type verdict int

const (
	// verdictFit: the node may take writes (writerEligible).
	verdictFit verdict = iota
	// verdictSoft: a state that may pass within seconds (Donor/Desynced
	// from a backup tool's wsrep_desync or a short SST, Joined on the way
	// back, read_only, wsrep_reject_queries, pxc_maint_mode) or a probe
	// that failed without proof the node is gone (a timeout, garbage). It
	// demotes a writer only after Fall in a row, as HAProxy's fall does
	// for a failing check.
	verdictSoft
	// verdictHard: a fact that cannot pass within a probe interval
	// (mysqld refuses connections, the node left the Primary component,
	// wsrep_ready is OFF, it is Joining or Initialized, or the Primary
	// component's members no longer list it in wsrep_incoming_addresses).
	// It demotes at once.
	verdictHard
)

// String returns the verdict's name.
func (v verdict) String() string {
	switch v {
	case verdictFit:
		return "fit"
	case verdictSoft:
		return "soft"
	case verdictHard:
		return "hard"
	}
	return "verdict(?)"
}

// judge classifies one probe: st is the state read when err is nil.
func judge(st NodeState, err error) verdict {
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			return verdictHard // nothing listens: mysqld died or was stopped
		}
		return verdictSoft
	}
	switch {
	case st.ClusterStatus != ClusterStatusPrimary, !st.Ready:
		return verdictHard
	case st.LocalState == LocalStateSynced:
	case st.LocalState == LocalStateDonor, st.LocalState == LocalStateJoined:
		return verdictSoft
	default: // Initialized, Joining, Error
		return verdictHard
	}
	if writerEligible(nodeView{up: true, state: st}) {
		return verdictFit
	}
	return verdictSoft
}

// electionNode is the election's memory of one node.
type electionNode struct {
	priority int
	seen     bool
	drained  bool  // taken out of the writer role by the operator
	fit      bool  // may hold the writer role (after Rise/Fall)
	good     int   // fit probes in a row
	bad      int   // soft probes in a row
	index    int64 // wsrep_local_index last read
}

// election chooses the writer from the nodes' verdicts.
type election struct {
	rise, fall int
	sticky     bool
	// byPriority is MaxScale galeramon's use_priority, on when any node
	// has a non-zero priority.
	byPriority bool
	nodes      []electionNode
	writer     int // -1: none
	target     int // the node a switchover moves the role to; -1: none
}

func newElection(priorities []int, rise, fall int, sticky bool) *election {
	e := &election{rise: rise, fall: fall, sticky: sticky, writer: -1, target: -1, nodes: make([]electionNode, len(priorities))}
	for i, p := range priorities {
		e.nodes[i].priority = p
		if p != 0 {
			e.byPriority = true
		}
	}
	return e
}

// observe records one probe of node i: its verdict and, when the probe
// read a state (read), the node's wsrep_local_index. A failed probe keeps
// the last index read, so ranking does not move while a node is slow.
func (e *election) observe(i int, v verdict, index int64, read bool) {
	n := &e.nodes[i]
	if read {
		n.index = index
	}
	first := !n.seen
	n.seen = true
	switch v {
	case verdictFit:
		n.good++
		n.bad = 0
		// HAProxy's rise: a node that lost the role needs Rise good
		// checks in a row; at start the first check decides.
		if first || n.good >= e.rise {
			n.fit = true
		}
	case verdictSoft:
		n.bad++
		n.good = 0
		// HAProxy's fall: Fall failed checks in a row take a server down.
		if first || n.bad >= e.fall {
			n.fit = false
		}
	case verdictHard:
		n.good = 0
		n.bad = e.fall
		n.fit = false
	}
}

// fit reports whether node i may hold the writer role now.
func (e *election) fit(i int) bool { return i >= 0 && e.nodes[i].fit && e.candidate(i) }

// candidate reports whether node i's priority allows the role: with
// priorities in use, galeramon never chooses a node whose priority is 0
// or less.
func (e *election) candidate(i int) bool {
	return !e.nodes[i].drained && (!e.byPriority || e.nodes[i].priority > 0)
}

// drain takes node i out of the writer role, or gives it back (ProxySQL's
// OFFLINE_SOFT and ONLINE for a writer hostgroup).
func (e *election) drain(i int, on bool) { e.nodes[i].drained = on }

// switchTo makes node i the writer while it is fit, whatever the ranking
// says; -1 returns to the ranking.
func (e *election) switchTo(i int) { e.target = i }

// less ranks writer candidates as galeramon does: with use_priority the
// lowest positive priority, then the lowest wsrep_local_index; the
// configuration order breaks remaining ties.
func (e *election) less(a, b int) bool {
	na, nb := e.nodes[a], e.nodes[b]
	if e.byPriority && na.priority != nb.priority {
		return na.priority < nb.priority
	}
	if na.index != nb.index {
		return na.index < nb.index
	}
	return a < b
}

// preferred returns the best-ranked fit node, -1 when none is fit.
func (e *election) preferred() int {
	best := -1
	for i := range e.nodes {
		if e.fit(i) && (best < 0 || e.less(i, best)) {
			best = i
		}
	}
	return best
}

// choose returns the writer and remembers it. The preferred node takes
// the role back as soon as it is fit again (HAProxy's active server over
// its backups; galeramon's default master failback), so every Router
// returns to the same node; with sticky a fit writer keeps it (haproxy's
// "stick on" a backup, galeramon's disable_master_failback), a choice each
// process makes on its own.
func (e *election) choose() int {
	if e.fit(e.target) {
		e.writer = e.target
		return e.writer
	}
	if e.sticky && e.fit(e.writer) {
		return e.writer
	}
	e.writer = e.preferred()
	return e.writer
}
