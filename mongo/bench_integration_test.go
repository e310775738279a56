//go:build integration

package mongo_test

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readconcern"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"
)

// BenchmarkLeaseRenewal times a Lease renewal (read the latest version,
// insert the next, check and prune) on FerretDB against its peer, the
// single findOneAndUpdate a one-document compare-and-set would send with
// the same concerns, and reports the ratio as x-findAndModify.
//
//	go test -tags integration -run '^$' -bench LeaseRenewal ./mongo/
func BenchmarkLeaseRenewal(b *testing.B) {
	c := connectFerretDB(b)
	ctx := context.Background()

	l := newFerretLease(b, c)
	now := time.Now()
	cur, err := l.Create(ctx, record("a", 1))
	if err != nil {
		b.Fatal(err)
	}
	coll := c.Database("hakit_test").Collection("bench_peer", options.Collection().
		SetWriteConcern(writeconcern.Majority()).SetReadConcern(readconcern.Majority()))
	id := "peer-" + now.Format("150405.000000000")
	b.Cleanup(func() { _, _ = coll.DeleteOne(context.Background(), bson.D{{Key: "_id", Value: id}}) })
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "renewed", Value: int64(0)}}); err != nil {
		b.Fatal(err)
	}

	var lease, peer time.Duration
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		next := cur
		next.Renewed = time.Now()
		if cur, err = l.Update(ctx, cur, next); err != nil {
			b.Fatal(err)
		}
		lease += time.Since(start)

		start = time.Now()
		err := coll.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: id}, {Key: "renewed", Value: int64(i)}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "renewed", Value: int64(i + 1)}}}}).Err()
		if err != nil {
			b.Fatal(err)
		}
		peer += time.Since(start)
	}
	b.ReportMetric(float64(lease)/float64(peer), "x-findAndModify")
}
