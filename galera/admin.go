package galera

import "fmt"

// Administrative moves of the writer role. They act on this Router only:
// in a fleet, every process's Router must be told, or the others keep
// their writer (certification keeps the data correct; hot rows then
// conflict). To move the role for every process at once, change the node
// instead (wsrep_reject_queries, read_only or pxc_maint_mode take it away
// from the node in every Router after Fall probes).
//
// Moving the role retires the old writer's connections as a failover
// does: statements and COMMITs not yet sent on them fail with
// driver.ErrBadConn, which database/sql and RetryTx retry on the new
// writer, so no write that can be retried fails; statements already sent
// finish on the old writer.

// Drain takes the node at addr out of the writer role, as ProxySQL's
// OFFLINE_SOFT does: if it is the writer, the role moves to the next
// node now; it stays a reader. Undrain gives it back.
func (r *Router) Drain(addr string) error { return r.setDrained(addr, true) }

// Undrain lets the node at addr hold the writer role again; with
// failback it takes it back after Rise probes if it ranks first.
func (r *Router) Undrain(addr string) error { return r.setDrained(addr, false) }

func (r *Router) setDrained(addr string, on bool) error {
	i, err := r.nodeIndex(addr)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.el.drain(i, on)
	if on && r.el.target == i {
		r.el.switchTo(-1)
	}
	r.recomputeLocked()
	return nil
}

// Switchover moves the writer role to the node at addr, and keeps it
// there while the node stays fit, whatever the ranking says (undrained
// if it was drained). It returns ErrNoWriter, and changes nothing, when
// that node is not fit for the role now. An empty addr returns to the
// ranking.
func (r *Router) Switchover(addr string) error {
	if addr == "" {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.el.switchTo(-1)
		r.recomputeLocked()
		return nil
	}
	i, err := r.nodeIndex(addr)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	drained := r.el.nodes[i].drained
	r.el.drain(i, false)
	if !r.el.fit(i) {
		r.el.drain(i, drained)
		return fmt.Errorf("%w: Switchover: node %s is not fit for the writer role now", ErrNoWriter, addr)
	}
	r.el.switchTo(i)
	r.recomputeLocked()
	return nil
}

func (r *Router) nodeIndex(addr string) (int, error) {
	for i, n := range r.nodes {
		if n.addr == addr {
			return i, nil
		}
	}
	return -1, fmt.Errorf("galera: %q is not a node of the Router", addr)
}
