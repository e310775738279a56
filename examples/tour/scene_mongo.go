package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	driver "go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/hakit/hakit/mongo"
	"github.com/hakit/hakit/mongo/mongotest"
)

// sceneMongo shows a MongoDB replica set through the real driver on
// mongotest: a lagging secondary taken out of reads, the primary lost and
// a new one elected as the driver's monitors report it, and the majority
// lost while a primary still stands.
func sceneMongo(ctx context.Context, w io.Writer) error {
	tl := newTimeline(w)
	rs, err := mongotest.Start("rs0", 3)
	if err != nil {
		return err
	}
	defer rs.Close()
	name := map[string]string{"": "none"}
	for i := range 3 {
		name[rs.Addr(i)] = fmt.Sprintf("member-%d", i)
	}

	primaries := make(chan string, 16)
	watcher := mongo.NewWatcher(mongo.WatcherConfig{
		OnPrimaryChange: func(old, p string) {
			tl.printf("driver: primary %s -> %s", name[old], name[p])
			primaries <- p
		},
	})
	set, err := driver.Connect(watcher.Apply(options.Client().ApplyURI(rs.URI())))
	if err != nil {
		return err
	}
	defer set.Disconnect(context.Background())
	var direct []*driver.Client
	for i := range 3 {
		c, err := driver.Connect(options.Client().ApplyURI(rs.MemberURI(i)))
		if err != nil {
			return err
		}
		defer c.Disconnect(context.Background())
		direct = append(direct, c)
	}
	waitPrimary := func(want string) error {
		for {
			select {
			case p := <-primaries:
				if p == want {
					return nil
				}
			case <-time.After(10 * time.Second):
				return fmt.Errorf("the driver did not see primary %s", name[want])
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	verdict := func(err error) string {
		if err == nil {
			return "ok"
		}
		return err.Error()
	}
	if err := waitPrimary(rs.Addr(0)); err != nil {
		return err
	}

	tl.printf("member-2 falls 30s behind; its read check (SECONDARY within 10s) fails:")
	rs.Update(2, func(m *mongotest.Member) { m.Lag = 30 * time.Second })
	readable := mongo.MemberChecker(direct[2], 10*time.Second)
	err = readable.Check(ctx)
	tl.printf("  member-2: %s", verdict(err))
	if !errors.Is(err, mongo.ErrLagging) {
		return fmt.Errorf("lagging member passed: %v", err)
	}
	rs.Update(2, func(m *mongotest.Member) { m.Lag = 0 })
	tl.printf("member-2 catches up: %s", verdict(readable.Check(ctx)))

	tl.printf("member-0, the primary, goes down")
	rs.Update(0, func(m *mongotest.Member) { m.Down = true })
	if err := waitPrimary(""); err != nil {
		return err
	}
	err = mongo.PrimaryChecker(direct[1]).Check(ctx)
	tl.printf("  member-1 sees: %s", verdict(err))
	if !errors.Is(err, mongo.ErrNoPrimary) {
		return fmt.Errorf("primary check passed with the primary down: %v", err)
	}
	tl.printf("member-1 wins the election")
	rs.Update(1, func(m *mongotest.Member) { m.State = mongo.StatePrimary; m.SyncSource = -1 })
	if err := waitPrimary(rs.Addr(1)); err != nil {
		return err
	}
	majority := mongo.MajorityChecker(direct[1])
	tl.printf("  majority writable (2 of 3 up): %s", verdict(majority.Check(ctx)))

	tl.printf("member-2 goes down too: member-1 stays primary until it steps down, but w:majority cannot succeed")
	rs.Update(2, func(m *mongotest.Member) { m.Down = true })
	err = majority.Check(ctx)
	tl.printf("  member-1 sees: %s", verdict(err))
	if !errors.Is(err, mongo.ErrNoMajority) {
		return fmt.Errorf("majority check passed with one member of three: %v", err)
	}
	s := watcher.Stats()
	tl.printf("the watcher saw %d primary changes and %d failed heartbeats, on the driver's own connections", s.PrimaryChanges, s.HeartbeatFailures)
	return nil
}
