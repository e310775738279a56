package mongo_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	driver "go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/hakit/hakit/mongo"
	"github.com/hakit/hakit/mongo/mongotest"
)

// startSet starts a scripted three-member set and returns it with one
// direct driver client per member.
func startSet(t *testing.T) (*mongotest.ReplicaSet, []*driver.Client) {
	t.Helper()
	rs, err := mongotest.Start("rs0", 3)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rs.Close() })
	var cs []*driver.Client
	for i := range 3 {
		c, err := driver.Connect(options.Client().ApplyURI(rs.MemberURI(i)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Disconnect(context.Background()) })
		cs = append(cs, c)
	}
	return rs, cs
}

// verdicts runs the three checkers against client c.
type verdicts struct{ primary, member, majority error }

func check(t *testing.T, c *driver.Client) verdicts {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return verdicts{
		primary:  mongo.PrimaryChecker(c).Check(ctx),
		member:   mongo.MemberChecker(c, 10*time.Second).Check(ctx),
		majority: mongo.MajorityChecker(c).Check(ctx),
	}
}

func wantErr(t *testing.T, what string, got, want error) {
	t.Helper()
	if want == nil && got != nil || want != nil && !errors.Is(got, want) {
		t.Errorf("%s: err = %v, want %v", what, got, want)
	}
}

func fetch(t *testing.T, c *driver.Client) mongo.ReplicaSetStatus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := mongo.FetchStatus(ctx, c)
	if err != nil {
		t.Fatalf("FetchStatus: %v", err)
	}
	return st
}

// Each situation a replica set can be in, scripted on mongotest and seen
// through the real driver, with the three checkers' verdicts.
func TestScenarios(t *testing.T) {
	t.Parallel()
	type want struct {
		from                      int // the member whose view is checked
		primary, member, majority error
	}
	tests := []struct {
		name   string
		script func(rs *mongotest.ReplicaSet)
		want   want
		also   func(t *testing.T, rs *mongotest.ReplicaSet, st mongo.ReplicaSetStatus)
	}{
		{"healthy", func(*mongotest.ReplicaSet) {}, want{from: 1}, func(t *testing.T, rs *mongotest.ReplicaSet, st mongo.ReplicaSetStatus) {
			if !st.Hello.Secondary || st.Hello.Primary != rs.Addr(0) || st.Hello.SetName != "rs0" || len(st.Hello.Hosts) != 3 {
				t.Errorf("hello = %+v", st.Hello)
			}
		}},
		{"primary lost", func(rs *mongotest.ReplicaSet) {
			rs.Update(0, func(m *mongotest.Member) { m.Down = true })
		}, want{from: 1, primary: mongo.ErrNoPrimary, member: mongo.ErrLagging, majority: mongo.ErrNoPrimary}, nil},
		{"new election", func(rs *mongotest.ReplicaSet) {
			rs.Update(0, func(m *mongotest.Member) { m.Down = true })
			rs.Update(1, func(m *mongotest.Member) { m.State = mongo.StatePrimary; m.SyncSource = -1 })
		}, want{from: 1}, func(t *testing.T, rs *mongotest.ReplicaSet, st mongo.ReplicaSetStatus) {
			if !st.Hello.IsWritablePrimary || st.Status.Term != 2 {
				t.Errorf("after the election: isWritablePrimary %v, term %d; want true, 2", st.Hello.IsWritablePrimary, st.Status.Term)
			}
		}},
		{"secondary lagging", func(rs *mongotest.ReplicaSet) {
			rs.Update(2, func(m *mongotest.Member) { m.Lag = 30 * time.Second })
		}, want{from: 2, member: mongo.ErrLagging}, func(t *testing.T, rs *mongotest.ReplicaSet, st mongo.ReplicaSetStatus) {
			self, _ := st.Status.Self()
			if lag, ok := st.Status.Lag(self); !ok || lag < 29*time.Second || lag > 31*time.Second {
				t.Errorf("lag = %v, %v; want 30s", lag, ok)
			}
		}},
		{"majority lost", func(rs *mongotest.ReplicaSet) {
			rs.Update(1, func(m *mongotest.Member) { m.Down = true })
			rs.Update(2, func(m *mongotest.Member) { m.Down = true })
		}, want{from: 0, majority: mongo.ErrNoMajority}, nil},
		{"member in ROLLBACK", func(rs *mongotest.ReplicaSet) {
			rs.Update(2, func(m *mongotest.Member) { m.State = mongo.StateRollback })
		}, want{from: 2, member: mongo.ErrLagging}, func(t *testing.T, rs *mongotest.ReplicaSet, st mongo.ReplicaSetStatus) {
			if got := st.Status.InStates(mongo.StateRecovering, mongo.StateRollback, mongo.StateStartup2); len(got) != 1 || got[0].Name != rs.Addr(2) {
				t.Errorf("members recovering = %+v, want %s", got, rs.Addr(2))
			}
		}},
		{"member in RECOVERING, majority kept", func(rs *mongotest.ReplicaSet) {
			rs.Update(1, func(m *mongotest.Member) { m.State = mongo.StateRecovering })
		}, want{from: 1, member: mongo.ErrLagging}, nil},
		{"member in STARTUP2 and one down: majority lost", func(rs *mongotest.ReplicaSet) {
			rs.Update(1, func(m *mongotest.Member) { m.State = mongo.StateStartup2 })
			rs.Update(2, func(m *mongotest.Member) { m.Down = true })
		}, want{from: 0, majority: mongo.ErrNoMajority}, nil},
		{"stale heartbeat", func(rs *mongotest.ReplicaSet) {
			rs.Update(2, func(m *mongotest.Member) { m.HeartbeatAge = 30 * time.Second })
		}, want{from: 0}, func(t *testing.T, rs *mongotest.ReplicaSet, st mongo.ReplicaSetStatus) {
			if got := st.Status.StaleHeartbeats(10 * time.Second); len(got) != 1 || got[0].Name != rs.Addr(2) {
				t.Errorf("stale heartbeats = %+v, want %s only", got, rs.Addr(2))
			}
		}},
		{"member down for a while: stale though just tried", func(rs *mongotest.ReplicaSet) {
			rs.Update(2, func(m *mongotest.Member) { m.Down = true; m.HeartbeatAge = 30 * time.Second })
		}, want{from: 0}, func(t *testing.T, rs *mongotest.ReplicaSet, st mongo.ReplicaSetStatus) {
			if got := st.Status.StaleHeartbeats(10 * time.Second); len(got) != 1 || got[0].Name != rs.Addr(2) {
				t.Errorf("stale heartbeats = %+v, want %s only", got, rs.Addr(2))
			}
		}},
		{"chained sync source", func(rs *mongotest.ReplicaSet) {
			rs.Update(2, func(m *mongotest.Member) { m.SyncSource = 1 })
		}, want{from: 2}, func(t *testing.T, rs *mongotest.ReplicaSet, st mongo.ReplicaSetStatus) {
			self, _ := st.Status.Self()
			chain, err := st.Status.SyncChain(self)
			if want := []string{rs.Addr(1), rs.Addr(0)}; err != nil || !slices.Equal(chain, want) {
				t.Errorf("sync chain = %v, %v; want %v", chain, err, want)
			}
		}},
		{"hidden and passive members", func(rs *mongotest.ReplicaSet) {
			rs.Update(1, func(m *mongotest.Member) { m.Passive = true })
			rs.Update(2, func(m *mongotest.Member) { m.Hidden = true; m.Tags = map[string]string{"dc": "east", "use": "backup"} })
		}, want{from: 2}, func(t *testing.T, rs *mongotest.ReplicaSet, st mongo.ReplicaSetStatus) {
			h := st.Hello
			if !h.Hidden || h.Tags["dc"] != "east" || h.Tags["use"] != "backup" ||
				!slices.Equal(h.Hosts, []string{rs.Addr(0)}) || !slices.Equal(h.Passives, []string{rs.Addr(1)}) {
				t.Errorf("hidden member's hello: hidden %v, tags %v, hosts %v, passives %v", h.Hidden, h.Tags, h.Hosts, h.Passives)
			}
		}},
		{"arbiter and a secondary down: majority lost", func(rs *mongotest.ReplicaSet) {
			rs.Update(2, func(m *mongotest.Member) { m.State = mongo.StateArbiter })
			rs.Update(1, func(m *mongotest.Member) { m.Down = true })
		}, want{from: 0, majority: mongo.ErrNoMajority}, func(t *testing.T, rs *mongotest.ReplicaSet, st mongo.ReplicaSetStatus) {
			// The arbiter votes, so the primary keeps its majority of
			// votes and stays primary, yet only it bears data.
			if st.Status.Majority() != 2 || !slices.Equal(st.Hello.Arbiters, []string{rs.Addr(2)}) {
				t.Errorf("majority %d, arbiters %v; want 2, [%s]", st.Status.Majority(), st.Hello.Arbiters, rs.Addr(2))
			}
		}},
		{"sync-source cycle", func(rs *mongotest.ReplicaSet) {
			rs.Update(0, func(m *mongotest.Member) { m.Down = true })
			rs.Update(1, func(m *mongotest.Member) { m.SyncSource = 2 })
			rs.Update(2, func(m *mongotest.Member) { m.SyncSource = 1 })
		}, want{from: 2, primary: mongo.ErrNoPrimary, member: mongo.ErrLagging, majority: mongo.ErrNoPrimary}, func(t *testing.T, rs *mongotest.ReplicaSet, st mongo.ReplicaSetStatus) {
			self, _ := st.Status.Self()
			if _, err := st.Status.SyncChain(self); !errors.Is(err, mongo.ErrSyncLoop) {
				t.Errorf("sync chain err = %v, want ErrSyncLoop", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rs, cs := startSet(t)
			// The healthy verdicts first, so each scenario is a change
			// seen by clients already connected.
			if v := check(t, cs[tt.want.from]); v != (verdicts{}) {
				t.Fatalf("healthy set: verdicts %+v, want all nil", v)
			}
			tt.script(rs)
			v := check(t, cs[tt.want.from])
			wantErr(t, "PrimaryChecker", v.primary, tt.want.primary)
			wantErr(t, "MemberChecker", v.member, tt.want.member)
			wantErr(t, "MajorityChecker", v.majority, tt.want.majority)
			if tt.also != nil {
				tt.also(t, rs, fetch(t, cs[tt.want.from]))
			}
		})
	}
}

// A checker on a set-wide client reports a lost primary as ErrNoPrimary
// (asking a secondary) once the driver has noticed, instead of failing
// server selection for want of a primary.
func TestPrimaryCheckerSetWide(t *testing.T) {
	t.Parallel()
	rs := scriptedSet(t)
	c, err := driver.Connect(options.Client().ApplyURI(rs.URI()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	check := mongo.PrimaryChecker(c)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := check.Check(ctx); err != nil {
		t.Fatalf("healthy set: %v", err)
	}
	rs.Update(0, func(m *mongotest.Member) { m.Down = true })
	// The first check may still pick the old primary and fail on the
	// network (ErrUnavailable); the driver then marks it Unknown. 10
	// attempts 200ms apart span many of the URI's 500ms heartbeats.
	var last error
	for range 10 {
		if last = check.Check(ctx); errors.Is(last, mongo.ErrNoPrimary) {
			return
		}
		if !errors.Is(last, mongo.ErrUnavailable) {
			t.Fatalf("primary down: err = %v, want ErrUnavailable until the driver notices, then ErrNoPrimary", last)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("primary down: still %v after 10 checks, want ErrNoPrimary", last)
}

// Members with votes: 0 acknowledge writes but do not count towards
// w:"majority" (MongoDB manual, "Write Concern", calculating majority).
// Five members, two of them non-voting and passive: with two voters down
// only the primary among the voters bears data, one short of the majority
// of 2, however many non-voters are up; with the two non-voters down the
// three voters still make it.
func TestMajorityNonVoting(t *testing.T) {
	t.Parallel()
	rs, err := mongotest.Start("rs0", 5)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rs.Close() })
	for _, i := range []int{3, 4} {
		rs.Update(i, func(m *mongotest.Member) { m.Passive, m.NonVoting = true, true })
	}
	c, err := driver.Connect(options.Client().ApplyURI(rs.MemberURI(0)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	down := func(idx ...int) {
		for i := range 5 {
			rs.Update(i, func(m *mongotest.Member) { m.Down = slices.Contains(idx, i) })
		}
	}
	for _, tt := range []struct {
		down []int
		want error
	}{
		{nil, nil},
		{[]int{1, 2}, mongo.ErrNoMajority},
		{[]int{3, 4}, nil},
		{[]int{2, 4}, nil},
	} {
		down(tt.down...)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := mongo.MajorityChecker(c).Check(ctx)
		cancel()
		if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("members %v down: MajorityChecker = %v, want %v", tt.down, err, tt.want)
		}
	}
}
