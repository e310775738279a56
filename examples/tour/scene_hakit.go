package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/hakit/hakit"
	"github.com/hakit/hakit/hakittest"
)

// fencedStore stands for any downstream system that remembers the highest
// fencing token it has seen and refuses writes with a lower one.
type fencedStore struct {
	mu      sync.Mutex
	highest uint64
}

func (s *fencedStore) write(token uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if token < s.highest {
		return fmt.Errorf("token %d is below %d", token, s.highest)
	}
	s.highest = token
	return nil
}

func sceneElection(ctx context.Context, w io.Writer) error {
	tl := newTimeline(w)
	store := hakittest.NewLease()
	downstream := &fencedStore{}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	type candidate struct {
		id     string
		lease  *hakittest.Lease
		tokens chan uint64
	}
	var cands []*candidate
	var wg sync.WaitGroup
	tl.printf("node-a, node-b and node-c contend for one lease (lease 600ms, renew deadline 400ms, retry 100ms)")
	for _, id := range []string{"node-a", "node-b", "node-c"} {
		c := &candidate{id: id, lease: store.Client(id), tokens: make(chan uint64, 4)}
		cands = append(cands, c)
		e, err := hakit.NewElector(hakit.ElectorConfig{
			Lease: c.lease, Identity: id,
			LeaseDuration: 600 * time.Millisecond, RenewDeadline: 400 * time.Millisecond, RetryPeriod: 100 * time.Millisecond,
			OnStartedLeading: func(ctx context.Context, token uint64) {
				tl.printf("%s leads with fencing token %d", id, token)
				c.tokens <- token
				<-ctx.Done()
				tl.printf("%s stops leading: its leadership context is cancelled", id)
			},
		})
		if err != nil {
			return err
		}
		wg.Go(func() { e.Run(ctx) })
		if id == "node-a" {
			// node-a starts first so the story is the same every run.
			if err := waitToken(ctx, c.tokens); err != nil {
				return err
			}
		}
	}
	a := cands[0]
	if err := downstream.write(1); err != nil {
		return err
	}
	tl.printf("node-a writes downstream with token 1: accepted")
	time.Sleep(300 * time.Millisecond)
	tl.printf("network partition: node-a can no longer reach the lease store")
	a.lease.Partition()

	var next uint64
	select {
	case next = <-cands[1].tokens:
	case next = <-cands[2].tokens:
	case <-ctx.Done():
		return ctx.Err()
	}
	if err := downstream.write(next); err != nil {
		return err
	}
	tl.printf("the new leader writes downstream with token %d: accepted", next)
	if err := downstream.write(1); err != nil {
		tl.printf("a late write from node-a with token 1 arrives: rejected (%v)", err)
	} else {
		return errors.New("the downstream store accepted a stale token")
	}
	a.lease.Heal()
	tl.printf("the partition heals: node-a rejoins as a follower")
	time.Sleep(300 * time.Millisecond)
	tl.printf("the scene ends: every candidate stops")
	cancel()
	wg.Wait()
	return nil
}

func waitToken(ctx context.Context, ch chan uint64) error {
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func sceneMonitor(ctx context.Context, w io.Writer) error {
	tl := newTimeline(w)
	chk := &hakittest.Checker{}
	changed := make(chan hakit.Status, 16)
	m, err := hakit.NewMonitor(hakit.MonitorConfig{
		Checker: chk, Inter: 200 * time.Millisecond, FastInter: 50 * time.Millisecond, DownInter: 400 * time.Millisecond,
		InitState: hakit.InitStateFullyUp,
		OnChange:  func(prev, cur hakit.Status) { changed <- cur },
	})
	if err != nil {
		return err
	}
	var health hakit.Health
	if err := health.Add("db", m); err != nil {
		return err
	}
	probe := func() int {
		rec := httptest.NewRecorder()
		health.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
		return rec.Code
	}
	tl.printf("monitoring db: inter 200ms, fastinter 50ms, downinter 400ms, rise 2, fall 3; /healthz answers %d", probe())
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()

	time.Sleep(250 * time.Millisecond)
	tl.printf("db starts refusing connections")
	chk.Set(&hakit.CheckError{Status: hakit.CheckL4Conn, Err: errors.New("connection refused")})
	if err := waitFor(ctx, tl, m, changed, hakit.StateDown, probe); err != nil {
		return err
	}
	tl.printf("db accepts connections again")
	chk.Set(nil)
	if err := waitFor(ctx, tl, m, changed, hakit.StateUp, probe); err != nil {
		return err
	}
	// HAProxy's "set server ... state drain": still checked, but a load
	// balancer with "http-check disable-on-404" sends no new work.
	m.SetAdmin(hakit.AdminDrain)
	tl.printf("the operator drains db: it is %s; /healthz answers %d", m.Status(), probe())
	m.SetAdmin(hakit.AdminReady)
	s := m.Stats()
	tl.printf("stats: %d checks, %d failed, %d transitions", s.Checks, s.Failures, s.Transitions)
	cancel()
	<-done
	return nil
}

// waitFor prints each status change until the monitor reaches state.
func waitFor(ctx context.Context, tl *timeline, m *hakit.Monitor, changed chan hakit.Status, state hakit.State, probe func() int) error {
	for {
		select {
		case s := <-changed:
			tl.printf("db is %s; /healthz answers %d (last check %s)", s, probe(), m.Stats().CheckStatus)
			if s.State == state && !s.Transitional() {
				return nil
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
