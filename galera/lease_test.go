package galera_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hakit/hakit"
	"github.com/hakit/hakit/galera"
	"github.com/hakit/hakit/hakittest"
)

func TestLeaseConformanceOnFake(t *testing.T) {
	c := fakeCluster(t)
	if _, err := openNode(t, c, 0, "").Exec("CREATE DATABASE app"); err != nil {
		t.Fatal(err)
	}
	db := openNode(t, c, 1, "app")
	var n atomic.Int64
	hakittest.TestLease(t, func(t *testing.T) hakit.Lease {
		l, err := galera.NewLease(galera.LeaseConfig{DB: db, Name: fmt.Sprintf("lease-%d", n.Add(1))})
		if err != nil {
			t.Fatal(err)
		}
		return l
	})
}

// Update never lowers the token, whatever the caller passes.
func TestLeaseUpdateKeepsTokensUp(t *testing.T) {
	c := fakeCluster(t)
	if _, err := openNode(t, c, 0, "").Exec("CREATE DATABASE app"); err != nil {
		t.Fatal(err)
	}
	l, err := galera.NewLease(galera.LeaseConfig{DB: openNode(t, c, 1, "app"), Name: "down"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	v, err := l.Create(ctx, hakit.LeaseRecord{Holder: "a", Token: 5})
	if err != nil {
		t.Fatal(err)
	}
	lower := v
	lower.Holder, lower.Token = "b", 4
	if _, err := l.Update(ctx, v, lower); err == nil || !strings.Contains(err.Error(), "token 4 is below the token 5 of the record it replaces") {
		t.Fatalf("Update to a lower token = %v, want an error naming both tokens", err)
	}
	if got, err := l.Get(ctx); err != nil || got.Token != 5 || got.Holder != "a" {
		t.Fatalf("after the refused update: %+v, %v", got, err)
	}
}

func TestNewLeaseValidation(t *testing.T) {
	db := &sql.DB{}
	for _, tt := range []struct {
		cfg  galera.LeaseConfig
		want string
	}{
		{galera.LeaseConfig{Name: "x"}, "DB"},
		{galera.LeaseConfig{DB: db}, "Name"},
		{galera.LeaseConfig{DB: db, Name: "x", Table: "t; DROP"}, "Table"},
		{galera.LeaseConfig{DB: db, Name: "x", Retry: &galera.RetryConfig{Interval: -1}}, "Retry"},
	} {
		if _, err := galera.NewLease(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewLease(%+v) = %v, want an error naming %s", tt.cfg, err, tt.want)
		}
	}
}

// Get reads with wsrep_sync_wait=1, scoped to the one statement: on a
// node other than the one that took the last Update it waits for it.
func TestLeaseGetIsCausal(t *testing.T) {
	c := fakeCluster(t)
	if _, err := openNode(t, c, 0, "").Exec("CREATE DATABASE app"); err != nil {
		t.Fatal(err)
	}
	l, err := galera.NewLease(galera.LeaseConfig{DB: openNode(t, c, 1, "app"), Name: "causal"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Create(t.Context(), hakit.LeaseRecord{Holder: "a", Token: 1}); err != nil {
		t.Fatal(err)
	}
	c.Node(1).ResetQueries()
	if _, err := l.Get(t.Context()); err != nil {
		t.Fatal(err)
	}
	q := c.Node(1).Queries()
	if len(q) != 1 || !strings.HasPrefix(q[0], "SET STATEMENT wsrep_sync_wait=1 FOR SELECT ") {
		t.Fatalf("Get sent %q, want one SELECT under SET STATEMENT wsrep_sync_wait=1", q)
	}
}

// On a node that has not applied the last Update yet, Get waits for it
// (wsrep_sync_wait=1) instead of answering the record it replaced.
func TestLeaseGetWaitsForApply(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, db0 := memApp(t)
		db1 := openMem(t, c, 1, "app")
		l0, err := galera.NewLease(galera.LeaseConfig{DB: db0, Name: "lag"})
		if err != nil {
			t.Fatal(err)
		}
		l1, err := galera.NewLease(galera.LeaseConfig{DB: db1, Name: "lag"})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		v1, err := l0.Create(ctx, hakit.LeaseRecord{Holder: "a", Token: 1})
		if err != nil {
			t.Fatal(err)
		}
		c.Node(1).PauseApply()
		v2 := v1
		v2.Holder, v2.Token = "b", 2
		if _, err := l0.Update(ctx, v1, v2); err != nil {
			t.Fatal(err)
		}
		got := make(chan hakit.LeaseRecord, 1)
		go func() {
			r, err := l1.Get(ctx)
			if err != nil {
				t.Error(err)
			}
			got <- r
		}()
		time.Sleep(time.Second)
		synctest.Wait()
		select {
		case r := <-got:
			t.Fatalf("Get on the lagging node answered %+v before it applied the Update", r)
		default:
		}
		c.Node(1).ResumeApply()
		if r := <-got; r.Holder != "b" || r.Token != 2 {
			t.Fatalf("Get = %+v, want holder b token 2", r)
		}
	})
}
