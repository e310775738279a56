package lb

import (
	"context"
	"errors"
	"time"
)

// ErrFull is returned by Pick when every usable server is at its maxconn;
// Acquire waits instead.
var ErrFull = errors.New("lb: every usable server is at its maxconn")

// Acquire picks a server for k and counts a connection on it; the caller
// must call Release when the connection or request ends. When the chosen
// servers are at their maxconn it waits in the backend's queue, up to
// QueueTimeout (HAProxy's "timeout queue"), and returns ErrQueueTimeout
// after that. avoid, if not nil, is a server to avoid (a failed attempt's),
// and redispatch lets a hashing algorithm leave the key's server for it.
func (b *Backend) Acquire(ctx context.Context, k *Key, avoid *Server, redispatch bool) (*Server, error) {
	var timer *time.Timer
	queued := false
	var qs *Server // the server the wait is counted on, hashing only
	registered := false
	defer func() {
		if registered {
			b.waiters.Add(-1)
		}
	}()
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	b.mu.Lock()
	for {
		s := b.pickLocked(k, avoid, redispatch)
		if s != nil && !s.full() {
			if queued {
				b.dequeueLocked(qs)
			}
			n := s.cur.Add(1)
			if n > s.max.Load() {
				s.max.Store(n)
			}
			s.tot.Add(1)
			b.tot.Add(1)
			b.mu.Unlock()
			return s, nil
		}
		if s == nil && !b.anyUsableLocked(time.Now()) {
			if queued {
				b.dequeueLocked(qs)
			}
			b.mu.Unlock()
			return nil, ErrNoServer
		}
		if !queued {
			queued = true
			if n := b.qcur.Add(1); n > b.qmax.Load() {
				b.qmax.Store(n)
			}
			if s != nil && b.cfg.Balance.hashed() {
				qs = s
				s.queued.Add(1)
				if n := s.queued.Load(); n > s.qmax.Load() {
					s.qmax.Store(n)
				}
			}
			timer = time.NewTimer(b.cfg.QueueTimeout)
		}
		if !registered {
			// Count the waiter before looking again, so that a
			// Release after that look sees it and wakes it.
			registered = true
			b.waiters.Add(1)
			continue
		}
		if b.waitCh == nil {
			b.waitCh = make(chan struct{})
		}
		ch := b.waitCh
		b.waiting++
		b.mu.Unlock()
		var err error
		select {
		case <-ch:
		case <-timer.C:
			err = ErrQueueTimeout
		case <-ctx.Done():
			err = ctx.Err()
		}
		b.mu.Lock()
		b.waiting--
		if err != nil {
			b.dequeueLocked(qs)
			b.eq.Add(1)
			b.mu.Unlock()
			return nil, err
		}
	}
}

// dequeueLocked undoes the queue counters of a waiter.
func (b *Backend) dequeueLocked(qs *Server) {
	b.qcur.Add(-1)
	if qs != nil {
		qs.queued.Add(-1)
	}
}

// Release ends a connection counted by Acquire and lets a queued one in.
func (b *Backend) Release(s *Server) {
	s.cur.Add(-1)
	if b.waiters.Load() == 0 {
		return
	}
	b.mu.Lock()
	b.wakeLocked()
	b.mu.Unlock()
}

// wakeLocked wakes every queued Acquire to look again; b.mu held.
func (b *Backend) wakeLocked() {
	if b.waiting > 0 && b.waitCh != nil {
		close(b.waitCh)
		b.waitCh = nil
	}
}

// acquirePersistent counts a connection on the server a persistence cookie
// names, if it may take it: UP, not in maintenance (draining is fine, as
// HAProxy lets persistent sessions reach a draining server) and below its
// maxconn. It reports false otherwise, and the request is balanced.
func (b *Backend) acquirePersistent(s *Server) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if s.admin == AdminMaint || !s.up || s.full() || time.Now().Before(s.ejected) {
		return false
	}
	n := s.cur.Add(1)
	if n > s.max.Load() {
		s.max.Store(n)
	}
	s.tot.Add(1)
	b.tot.Add(1)
	return true
}
