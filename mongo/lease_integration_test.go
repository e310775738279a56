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
