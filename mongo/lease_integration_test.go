//go:build integration

package mongo_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	driver "go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/hakit/hakit"
	"github.com/hakit/hakit/hakittest"
	"github.com/hakit/hakit/internal/testenv"
	"github.com/hakit/hakit/mongo"
)

// connectFerretDB returns a driver client on the project's FerretDB,
// disconnected when t ends.
func connectFerretDB(t testing.TB) *driver.Client {
	t.Helper()
	c, err := driver.Connect(options.Client().ApplyURI(testenv.FerretDB(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	return c
}

var leaseSeq atomic.Int64

// newFerretLease returns a mongo.Lease on a fresh record in the
// hakit_test.leases collection, whose documents are deleted when t ends.
func newFerretLease(t testing.TB, c *driver.Client) *mongo.Lease {
	t.Helper()
	name := fmt.Sprintf("%s-%d-%d", t.Name(), time.Now().UnixNano(), leaseSeq.Add(1))
	l, err := mongo.NewLease(mongo.LeaseConfig{Client: c, Database: "hakit_test", Name: name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = c.Database("hakit_test").Collection(mongo.DefaultLeaseCollection).
			DeleteMany(context.Background(), bson.D{{Key: "lease", Value: name}})
	})
	return l
}

// TestLeaseFerretDB runs the hakit.Lease conformance suite on FerretDB.
func TestLeaseFerretDB(t *testing.T) {
	c := connectFerretDB(t)
	hakittest.TestLease(t, func(t *testing.T) hakit.Lease { return newFerretLease(t, c) })
}

// FerretDB answers hello as a standalone server: FetchStatus, and every
// checker built on it, says there is no replica set rather than reporting
// a healthy or unhealthy one.
func TestFetchStatusStandalone(t *testing.T) {
	c := connectFerretDB(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := mongo.FetchStatus(ctx, c); !errors.Is(err, mongo.ErrNoReplicaSet) {
		t.Fatalf("FetchStatus on FerretDB: err = %v, want ErrNoReplicaSet", err)
	}
	if err := mongo.MajorityChecker(c).Check(ctx); !errors.Is(err, mongo.ErrNoReplicaSet) {
		t.Fatalf("MajorityChecker on FerretDB: err = %v, want ErrNoReplicaSet", err)
	}
}

// Create on a lease that has moved past version 3 (versions 1 and 2
// deleted) is a conflict, as on any existing lease, and leaves the record
// alone; inserting a fresh version 1 there would find no version 2 to judge
// it by.
func TestLeaseCreateAfterUpdates(t *testing.T) {
	l := newFerretLease(t, connectFerretDB(t))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cur, err := l.Create(ctx, hakit.LeaseRecord{Holder: "a", Token: 1, Duration: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		next := hakit.LeaseRecord{Holder: fmt.Sprintf("b%d", i), Token: cur.Token + 1, Duration: time.Second}
		if cur, err = l.Update(ctx, cur, next); err != nil {
			t.Fatalf("update %d: %v", i, err)
		}
	}
	if _, err := l.Create(ctx, hakit.LeaseRecord{Holder: "late", Token: 1}); !errors.Is(err, hakit.ErrLeaseConflict) {
		t.Fatalf("Create on a lease at version 5: err = %v, want ErrLeaseConflict", err)
	}
	if got, err := l.Get(ctx); err != nil || got.Holder != cur.Holder || got.Token != cur.Token {
		t.Fatalf("Get = %+v, %v; want %+v", got, err, cur)
	}
}
