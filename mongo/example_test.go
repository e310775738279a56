package mongo_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	driver "go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/hakit/hakit/mongo"
	"github.com/hakit/hakit/mongo/mongotest"
)

// A checker on the primary's view says whether a w:"majority" write can
// succeed; it stops when two of three members are lost.
func ExampleMajorityChecker() {
	rs, err := mongotest.Start("rs0", 3)
	if err != nil {
		panic(err)
	}
	defer rs.Close()
	c, err := driver.Connect(options.Client().ApplyURI(rs.MemberURI(0)))
	if err != nil {
		panic(err)
	}
	defer c.Disconnect(context.Background())
	check := mongo.MajorityChecker(c)
	ctx := context.Background()

	fmt.Println("all up:", check.Check(ctx))
	rs.Update(1, func(m *mongotest.Member) { m.Down = true })
	fmt.Println("one down:", check.Check(ctx))
	rs.Update(2, func(m *mongotest.Member) { m.Down = true })
	err = check.Check(ctx)
	fmt.Println("two down, no majority:", errors.Is(err, mongo.ErrNoMajority))
	// Output:
	// all up: <nil>
	// one down: <nil>
	// two down, no majority: true
}

// A member checker on a secondary passes while it keeps up and fails when
// it falls behind or rolls back.
func ExampleMemberChecker() {
	rs, err := mongotest.Start("rs0", 3)
	if err != nil {
		panic(err)
	}
	defer rs.Close()
	c, err := driver.Connect(options.Client().ApplyURI(rs.MemberURI(2)))
	if err != nil {
		panic(err)
	}
	defer c.Disconnect(context.Background())
	check := mongo.MemberChecker(c, 10*time.Second)
	ctx := context.Background()

	fmt.Println("current:", check.Check(ctx))
	rs.Update(2, func(m *mongotest.Member) { m.Lag = time.Minute })
	fmt.Println("a minute behind:", errors.Is(check.Check(ctx), mongo.ErrLagging))
	rs.Update(2, func(m *mongotest.Member) { m.Lag = 0; m.State = mongo.StateRollback })
	st, _ := mongo.FetchStatus(ctx, c)
	self, _ := st.Status.Self()
	fmt.Println("state:", self.State, errors.Is(check.Check(ctx), mongo.ErrLagging))
	// Output:
	// current: <nil>
	// a minute behind: true
	// state: ROLLBACK true
}

// The sync-source chain of a secondary that replicates through another.
func ExampleReplSetStatus_SyncChain() {
	rs, err := mongotest.Start("rs0", 3)
	if err != nil {
		panic(err)
	}
	defer rs.Close()
	rs.Update(2, func(m *mongotest.Member) { m.SyncSource = 1 })
	c, err := driver.Connect(options.Client().ApplyURI(rs.MemberURI(2)))
	if err != nil {
		panic(err)
	}
	defer c.Disconnect(context.Background())
	st, err := mongo.FetchStatus(context.Background(), c)
	if err != nil {
		panic(err)
	}
	self, _ := st.Status.Self()
	chain, err := st.Status.SyncChain(self)
	fmt.Println(len(chain), chain[0] == rs.Addr(1), chain[1] == rs.Addr(0), err)
	// Output:
	// 2 true true <nil>
}

// A Watcher reports the failover the driver sees, without a connection
// of its own.
func ExampleWatcher() {
	rs, err := mongotest.Start("rs0", 3)
	if err != nil {
		panic(err)
	}
	defer rs.Close()
	primaries := make(chan string, 10)
	w := mongo.NewWatcher(mongo.WatcherConfig{
		OnPrimaryChange: func(_, p string) { primaries <- p },
	})
	c, err := driver.Connect(w.Apply(options.Client().ApplyURI(rs.URI())))
	if err != nil {
		panic(err)
	}
	defer c.Disconnect(context.Background())

	fmt.Println("primary is member 0:", <-primaries == rs.Addr(0))
	rs.Update(0, func(m *mongotest.Member) { m.Down = true })
	fmt.Printf("primary lost: %q\n", <-primaries)
	rs.Update(1, func(m *mongotest.Member) { m.State = mongo.StatePrimary; m.SyncSource = -1 })
	fmt.Println("member 1 elected:", <-primaries == rs.Addr(1))
	fmt.Println("changes:", w.Stats().PrimaryChanges)
	// Output:
	// primary is member 0: true
	// primary lost: ""
	// member 1 elected: true
	// changes: 3
}
