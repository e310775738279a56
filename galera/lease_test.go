package galera_test

import (
	"database/sql"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

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
