package mongo_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	driver "go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"

	"github.com/hakit/hakit"
	"github.com/hakit/hakit/mongo"
	"github.com/hakit/hakit/mongo/mongotest"
)

func TestNewLeaseErrors(t *testing.T) {
	c, err := driver.Connect(options.Client().ApplyURI("mongodb://127.0.0.1:1/"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Disconnect(context.Background())
	tests := []struct {
		cfg  mongo.LeaseConfig
		want string
	}{
		{mongo.LeaseConfig{Name: "x"}, "LeaseConfig.Client is nil"},
		{mongo.LeaseConfig{Client: c}, "LeaseConfig.Name is empty"},
		{mongo.LeaseConfig{Client: c, Name: "x", WriteConcern: writeconcern.Unacknowledged()}, "LeaseConfig.WriteConcern is unacknowledged"},
	}
	for _, tt := range tests {
		if _, err := mongo.NewLease(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewLease(%+v): err = %v, want %q", tt.cfg, err, tt.want)
		}
	}
}

// leaseOn returns a Lease through a set-wide client on rs.
func leaseOn(t *testing.T, rs *mongotest.ReplicaSet) *mongo.Lease {
	t.Helper()
	c, err := driver.Connect(options.Client().ApplyURI(rs.URI()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	l, err := mongo.NewLease(mongo.LeaseConfig{Client: c, Name: "leader"})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func scriptedSet(t *testing.T) *mongotest.ReplicaSet {
	t.Helper()
	rs, err := mongotest.Start("rs0", 3)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rs.Close() })
	return rs
}

func findReply(docs ...bson.D) bson.D {
	batch := bson.A{}
	for _, d := range docs {
		batch = append(batch, d)
	}
	return bson.D{{Key: "cursor", Value: bson.D{{Key: "firstBatch", Value: batch}, {Key: "id", Value: int64(0)}, {Key: "ns", Value: "hakit.leases"}}}, {Key: "ok", Value: 1.0}}
}

// errReply is a command failure as mongod sends it.
func errReply(code int32, codeName, msg string) bson.D {
	return bson.D{{Key: "ok", Value: 0.0}, {Key: "code", Value: code}, {Key: "codeName", Value: codeName}, {Key: "errmsg", Value: msg}}
}

// dupKeyReply is an insert refused with E11000.
func dupKeyReply() bson.D {
	return bson.D{{Key: "n", Value: int32(0)}, {Key: "writeErrors", Value: bson.A{bson.D{
		{Key: "index", Value: int32(0)}, {Key: "code", Value: int32(11000)}, {Key: "errmsg", Value: "E11000 duplicate key error"}}}},
		{Key: "ok", Value: 1.0}}
}

// emptyThen answers the first find with no document (Create's look for an
// existing record) and every later one with reply.
func emptyThen(reply bson.D) mongotest.Handler {
	var finds atomic.Int32
	return func(int, bson.Raw) bson.D {
		if finds.Add(1) == 1 {
			return findReply()
		}
		return reply
	}
}

func record(holder string, token int64) hakit.LeaseRecord {
	now := time.Now()
	return hakit.LeaseRecord{Holder: holder, Token: uint64(token), Acquired: now, Renewed: now, Duration: time.Second}
}

// A write refused because the member stepped down is ErrUnavailable (an
// unknown outcome the Elector retries), never a conflict.
func TestLeaseNotPrimary(t *testing.T) {
	t.Parallel()
	rs := scriptedSet(t)
	rs.Handle("insert", func(int, bson.Raw) bson.D {
		return errReply(10107, "NotWritablePrimary", "not primary")
	})
	rs.Handle("find", func(int, bson.Raw) bson.D { return findReply() }) // no record yet
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := leaseOn(t, rs).Create(ctx, record("a", 1))
	if !errors.Is(err, mongo.ErrUnavailable) || errors.Is(err, hakit.ErrLeaseConflict) {
		t.Fatalf("Create on a stepped-down primary: err = %v, want ErrUnavailable", err)
	}
}

// The connection dies under a write: ErrUnavailable too.
func TestLeaseNetworkError(t *testing.T) {
	t.Parallel()
	rs := scriptedSet(t)
	rs.Handle("insert", func(i int, _ bson.Raw) bson.D {
		rs.Update(i, func(m *mongotest.Member) { m.Down = true }) // closes this connection
		return bson.D{{Key: "ok", Value: 1.0}}
	})
	rs.Handle("find", func(int, bson.Raw) bson.D { return findReply() }) // no record yet
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := leaseOn(t, rs).Create(ctx, record("a", 1))
	if !errors.Is(err, mongo.ErrUnavailable) {
		t.Fatalf("Create cut off mid-write: err = %v, want ErrUnavailable", err)
	}
}

// A duplicate key on insert is a conflict when the stored document is
// someone else's.
func TestLeaseDuplicateKey(t *testing.T) {
	t.Parallel()
	rs := scriptedSet(t)
	rs.Handle("insert", func(int, bson.Raw) bson.D { return dupKeyReply() })
	rs.Handle("find", emptyThen(findReply(bson.D{{Key: "_id", Value: bson.D{{Key: "lease", Value: "leader"}, {Key: "version", Value: int64(1)}}},
		{Key: "lease", Value: "leader"}, {Key: "version", Value: int64(1)}, {Key: "holder", Value: "b"},
		{Key: "token", Value: int64(4)}, {Key: "nonce", Value: "someone-else"}})))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := leaseOn(t, rs).Create(ctx, record("a", 1)); !errors.Is(err, hakit.ErrLeaseConflict) {
		t.Fatalf("Create on an existing record: err = %v, want ErrLeaseConflict", err)
	}
}

// A stored document of the wrong shape is an error naming the field, not
// a record.
func TestLeaseMalformedRecord(t *testing.T) {
	t.Parallel()
	rs := scriptedSet(t)
	doc := func(token int64, nonce string, version int64) bson.D {
		return bson.D{{Key: "_id", Value: bson.D{{Key: "lease", Value: "leader"}, {Key: "version", Value: int64(2)}}},
			{Key: "lease", Value: "leader"}, {Key: "version", Value: version}, {Key: "holder", Value: "b"},
			{Key: "token", Value: token}, {Key: "nonce", Value: nonce}}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	l := leaseOn(t, rs)
	for _, tt := range []struct {
		doc  bson.D
		want string
	}{
		{doc(-1, "n", 2), "token -1 is negative"},
		{doc(1, "", 2), "nonce is empty"},
		{doc(1, "n", 3), "does not match lease"},
		{bson.D{{Key: "_id", Value: "x"}}, "_id"},
		{append(doc(1, "n", 2)[:4], bson.E{Key: "token", Value: "seven"}), "token"},
	} {
		rs.Handle("find", func(int, bson.Raw) bson.D { return findReply(tt.doc) })
		if _, err := l.Get(ctx); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Get of %v: err = %v, want one saying %q", tt.doc, err, tt.want)
		}
	}
	rs.Handle("find", func(int, bson.Raw) bson.D { return findReply() })
	if _, err := l.Get(ctx); !errors.Is(err, hakit.ErrNoLease) {
		t.Errorf("Get with no document: err = %v, want ErrNoLease", err)
	}
}

// An insert the server applied, followed by a read that fails for a reason
// that is not unavailability, leaves the write's fate unknown: the error
// must say so (ErrOutcomeUnknown), never read as a plain failure.
func TestLeaseInsertedThenReadFails(t *testing.T) {
	t.Parallel()
	rs := scriptedSet(t)
	rs.Handle("insert", func(int, bson.Raw) bson.D {
		return bson.D{{Key: "n", Value: int32(1)}, {Key: "ok", Value: 1.0}}
	})
	rs.Handle("find", emptyThen(errReply(96, "OperationFailed", "plan executor error")))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := leaseOn(t, rs).Create(ctx, record("a", 1))
	if !errors.Is(err, mongo.ErrOutcomeUnknown) || errors.Is(err, hakit.ErrLeaseConflict) {
		t.Fatalf("Create applied, then its check failed: err = %v, want ErrOutcomeUnknown", err)
	}
}

// A duplicate key whose document cannot be read back may be this very
// write (a driver retry of an insert the server applied): not a conflict.
func TestLeaseDuplicateKeyUnreadable(t *testing.T) {
	t.Parallel()
	rs := scriptedSet(t)
	rs.Handle("insert", func(int, bson.Raw) bson.D { return dupKeyReply() })
	rs.Handle("find", emptyThen(errReply(96, "OperationFailed", "plan executor error")))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := leaseOn(t, rs).Create(ctx, record("a", 1))
	if !errors.Is(err, mongo.ErrOutcomeUnknown) || errors.Is(err, hakit.ErrLeaseConflict) {
		t.Fatalf("duplicate key, document unreadable: err = %v, want ErrOutcomeUnknown", err)
	}
}
