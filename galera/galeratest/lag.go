package galeratest

import (
	"maps"
	"strconv"
	"strings"
)

// Apply lag. A real node applies other nodes' commits after they are
// acknowledged; PauseApply makes this node stop applying, as FLUSH TABLES
// WITH READ LOCK does on MariaDB Galera: until ResumeApply, its reads see
// the data as it was at the pause, and statements that must see the
// latest data wait:
//
//   - a read (a SELECT with FROM) outside a transaction, with
//     wsrep_sync_wait 0, answers from the paused copy (a stale read);
//   - a read with wsrep_sync_wait non-zero (SET SESSION, or MariaDB's SET
//     STATEMENT wsrep_sync_wait=N FOR ...), and every write or
//     transaction, waits until ResumeApply.

// PauseApply makes the node stop applying commits until ResumeApply.
func (n *Node) PauseApply() {
	st := n.cluster.store
	st.mu.Lock()
	snap := st.clone()
	st.mu.Unlock()
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.lagged != nil {
		return
	}
	n.lagged = snap
	n.applied = make(chan struct{})
}

// ResumeApply makes the node apply again: it catches up at once.
func (n *Node) ResumeApply() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.lagged == nil {
		return
	}
	n.lagged = nil
	close(n.applied)
}

// storeFor returns the store a statement of kind reads, waiting for the
// node to resume applying when the statement must see the latest data.
func (s *session) storeFor(kind stmtKind, syncWait bool) *store {
	n := s.node
	for {
		n.mu.Lock()
		lagged, applied := n.lagged, n.applied
		n.mu.Unlock()
		if lagged == nil || kind == kindAdmin {
			return n.cluster.store
		}
		if kind == kindRead && !syncWait && s.tx == nil {
			return lagged
		}
		<-applied
	}
}

// syncWait reports whether the statement runs with wsrep_sync_wait
// non-zero: set for the session, or by a SET STATEMENT prefix.
func (s *session) syncWait(toks []token) bool {
	on := false
	if v, ok := s.vars["wsrep_sync_wait"]; ok {
		x, _ := v.asInt()
		on = x != 0
	}
	if len(toks) < 2 || !strings.EqualFold(toks[0].s, "SET") || !strings.EqualFold(toks[1].s, "STATEMENT") {
		return on
	}
	for i := 2; i+2 < len(toks); i++ {
		if strings.EqualFold(toks[i].s, "FOR") && toks[i].kind == tIdent {
			break
		}
		if toks[i].kind == tIdent && strings.EqualFold(toks[i].s, "wsrep_sync_wait") {
			x, err := strconv.ParseInt(toks[i+2].s, 10, 64)
			on = err == nil && x != 0
		}
	}
	return on
}

// clone copies the store's data: a paused node's view.
func (s *store) clone() *store {
	c := newStore()
	c.seq = s.seq
	for name, d := range s.dbs {
		nd := &database{tables: map[string]*table{}}
		for tn, t := range d.tables {
			nt := *t
			nt.rows = make(map[string][]value, len(t.rows))
			for k, r := range t.rows {
				nt.rows[k] = append([]value(nil), r...)
			}
			nt.versions = maps.Clone(t.versions)
			nd.tables[tn] = &nt
		}
		c.dbs[name] = nd
	}
	return c
}
