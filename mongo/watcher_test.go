package mongo_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	driver "go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/hakit/hakit/mongo"
	"github.com/hakit/hakit/mongo/mongotest"
)

// The Watcher on a set-wide client sees the primary go down (its server
// Unknown, its heartbeats failing, its pool cleared), then a new election,
// from the driver's own monitoring alone.
func TestWatcherFailover(t *testing.T) {
	t.Parallel()
	rs, err := mongotest.Start("rs0", 3)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rs.Close() })

	var mu sync.Mutex
	var primaries []string
	var unknown, cleared []string
	w := mongo.NewWatcher(mongo.WatcherConfig{
		OnPrimaryChange: func(_, p string) { mu.Lock(); primaries = append(primaries, p); mu.Unlock() },
		OnServerUnknown: func(a string) { mu.Lock(); unknown = append(unknown, a); mu.Unlock() },
		OnPoolCleared:   func(a string) { mu.Lock(); cleared = append(cleared, a); mu.Unlock() },
	})
	c, err := driver.Connect(w.Apply(options.Client().ApplyURI(rs.URI())))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.Ping(ctx, nil); err != nil {
		t.Fatal(err)
	}
	// eventually polls for cond; the driver heartbeats every 500ms here
	// (mongotest's URI), so 15s is many heartbeats even on a loaded machine.
	eventually := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			mu.Lock()
			ok := cond()
			mu.Unlock()
			if ok {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("no %s within 15s; stats %+v", what, w.Stats())
			}
		}
	}
	eventually("first primary", func() bool { return slices.Equal(primaries, []string{rs.Addr(0)}) })

	rs.Update(0, func(m *mongotest.Member) { m.Down = true })
	eventually("primary lost", func() bool { return len(primaries) == 2 && primaries[1] == "" })
	eventually("member 0 Unknown", func() bool { return slices.Contains(unknown, rs.Addr(0)) })
	eventually("member 0's pool cleared", func() bool { return slices.Contains(cleared, rs.Addr(0)) })

	rs.Update(1, func(m *mongotest.Member) { m.State = mongo.StatePrimary; m.SyncSource = -1 })
	eventually("new primary", func() bool { return len(primaries) == 3 && primaries[2] == rs.Addr(1) })

	s := w.Stats()
	if s.Primary != rs.Addr(1) || s.PrimaryChanges != 3 || s.HeartbeatFailures == 0 || s.Servers[rs.Addr(0)] != "Unknown" || s.Servers[rs.Addr(1)] != "RSPrimary" {
		t.Fatalf("stats %+v", s)
	}
}
