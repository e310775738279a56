//go:build integration

package mongo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	driver "go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/hakit/hakit"
	"github.com/hakit/hakit/internal/testenv"
)

// TestLeaseStaleInsert plays a writer that read version 1, stalled while
// the record moved on to version 4 (versions 1 and 2 deleted), and then
// inserted its version 2: the insert succeeds at the server, and Update must
// still report a conflict, or two holders would each believe they won.
func TestLeaseStaleInsert(t *testing.T) {
	c, err := driver.Connect(options.Client().ApplyURI(testenv.FerretDB(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	name := fmt.Sprintf("stale-%d", time.Now().UnixNano())
	l, err := NewLease(LeaseConfig{Client: c, Database: "hakit_test", Name: name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = l.coll.DeleteMany(context.Background(), bson.D{{Key: "lease", Value: name}})
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	rec := func(h string, tok uint64) hakit.LeaseRecord {
		now := time.Now()
		return hakit.LeaseRecord{Holder: h, Token: tok, Acquired: now, Renewed: now, Duration: time.Second}
	}
	cur, err := l.Create(ctx, rec("a", 1))
	if err != nil {
		t.Fatal(err)
	}
	v1, err := l.latest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if cur, err = l.Update(ctx, cur, rec(fmt.Sprintf("b%d", i), cur.Token+1)); err != nil {
			t.Fatalf("update %d: %v", i, err)
		}
	}
	if n, err := l.coll.CountDocuments(ctx, bson.D{{Key: "lease", Value: name}}); err != nil || n != 2 {
		t.Fatalf("documents at rest = %d, %v; want 2 (the latest and its predecessor)", n, err)
	}
	stale := l.doc(rec("late", 2), 2, v1.Nonce)
	if _, err := l.insert(ctx, "update", stale); !errors.Is(err, hakit.ErrLeaseConflict) {
		t.Fatalf("stale insert of version 2 after version 4: err = %v, want ErrLeaseConflict", err)
	}
	got, err := l.Get(ctx)
	if err != nil || !sameRecord(got, cur) {
		t.Fatalf("Get = %+v, %v; want %+v", got, err, cur)
	}

	// One step further stale: remove the stale copy and move on to
	// version 5 (versions 4 and 5 remain). A stale insert of version 2
	// then finds version 3 gone too and cannot be told from a write that
	// won and was superseded twice since: neither success nor a conflict
	// may be claimed.
	if _, err := l.coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: leaseID{name, 2}}}); err != nil {
		t.Fatal(err)
	}
	cur, err = l.Update(ctx, cur, rec("c", cur.Token+1))
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.insert(ctx, "update", l.doc(rec("late", 2), 2, v1.Nonce))
	if err == nil || errors.Is(err, hakit.ErrLeaseConflict) || !strings.Contains(err.Error(), "outcome unknown") {
		t.Fatalf("stale insert with its successor gone: err = %v, want an unknown outcome", err)
	}
	if got, err := l.Get(ctx); err != nil || !sameRecord(got, cur) {
		t.Fatalf("Get = %+v, %v; want %+v", got, err, cur)
	}
}
