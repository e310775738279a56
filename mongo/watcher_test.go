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
	connectWatched(t, rs, w)
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

// A member the primary no longer lists (here hidden by a reconfig) is
// dropped from the driver's topology, and from Stats().Servers with it:
// Servers describes the deployment as the driver sees it now.
func TestWatcherServerRemoved(t *testing.T) {
	t.Parallel()
	rs, err := mongotest.Start("rs0", 3)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rs.Close() })
	w := mongo.NewWatcher(mongo.WatcherConfig{})
	connectWatched(t, rs, w)
	// 15s is many of mongotest's 500ms heartbeats even on a loaded machine.
	waitServers := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(15 * time.Second); len(w.Stats().Servers) != n; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("servers %v, want %d", w.Stats().Servers, n)
			}
		}
	}
	waitServers(3)
	rs.Update(2, func(m *mongotest.Member) { m.Hidden = true })
	waitServers(2)
	if _, ok := w.Stats().Servers[rs.Addr(2)]; ok {
		t.Fatalf("servers %v still lists the removed %s", w.Stats().Servers, rs.Addr(2))
	}
}

// connectWatched connects a set-wide client on rs with w installed, and
// waits until it reaches the primary.
func connectWatched(t *testing.T, rs *mongotest.ReplicaSet, w *mongo.Watcher) {
	t.Helper()
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
}
