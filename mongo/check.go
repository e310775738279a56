package mongo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hakit/hakit"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
)

// ReplicaSetStatus is one member's view of its replica set: its hello
// reply and its replSetGetStatus reply, read one after the other.
type ReplicaSetStatus struct {
	Hello  Hello
	Status ReplSetStatus
}

// FetchStatus runs hello and replSetGetStatus on the admin database of c
// and parses both. With a client on the whole set they go to the primary,
// or to a secondary when the driver knows of no primary (read preference
// primaryPreferred), so that a set without a primary is reported as such;
// a client made with directConnection=true asks the one member it names. A server that is not
// in a replica set (a standalone mongod, FerretDB) gives an error wrapping
// ErrNoReplicaSet.
func FetchStatus(ctx context.Context, c *mongo.Client) (ReplicaSetStatus, error) {
	if c == nil {
		return ReplicaSetStatus{}, errors.New("mongo: FetchStatus: client is nil")
	}
	admin := c.Database("admin")
	pref := options.RunCmd().SetReadPreference(readpref.PrimaryPreferred())
	raw, err := admin.RunCommand(ctx, bson.D{{Key: "hello", Value: 1}}, pref).Raw()
	if err != nil {
		return ReplicaSetStatus{}, commandErr("hello", err)
	}
	h, err := ParseHello(raw)
	if err != nil {
		return ReplicaSetStatus{}, err
	}
	if h.SetName == "" {
		return ReplicaSetStatus{}, fmt.Errorf("%w: hello names no setName", ErrNoReplicaSet)
	}
	res := admin.RunCommand(ctx, bson.D{{Key: "replSetGetStatus", Value: 1}}, pref)
	raw, err = res.Raw()
	var ce mongo.CommandError
	if errors.As(err, &ce) && (ce.Code == 76 || ce.Code == 59) {
		return ReplicaSetStatus{}, fmt.Errorf("%w: replSetGetStatus: %w", ErrNoReplicaSet, err)
	}
	if err != nil {
		return ReplicaSetStatus{}, commandErr("replSetGetStatus", err)
	}
	s, err := ParseReplSetStatus(raw)
	if err != nil {
		return ReplicaSetStatus{}, err
	}
	if s.Set != h.SetName {
		return ReplicaSetStatus{}, &ParseError{Command: "replSetGetStatus", Field: "set", Err: fmt.Errorf("%q, but hello said setName %q", s.Set, h.SetName)}
	}
	return ReplicaSetStatus{Hello: h, Status: s}, nil
}

func commandErr(cmd string, err error) error {
	if unavailable(err) {
		return fmt.Errorf("mongo: %s: %w: %w", cmd, ErrUnavailable, err)
	}
	return fmt.Errorf("mongo: %s: %w", cmd, err)
}

// PrimaryChecker returns a hakit.Checker that is healthy while the set
// has a healthy primary, by replSetGetStatus of whichever member c reaches.
func PrimaryChecker(c *mongo.Client) hakit.Checker {
	return hakit.CheckerFunc(func(ctx context.Context) error {
		st, err := FetchStatus(ctx, c)
		if err != nil {
			return err
		}
		return st.HasPrimary()
	})
}

// MemberChecker returns a hakit.Checker that is healthy while the member c
// connects to (use directConnection=true) is PRIMARY, or SECONDARY no
// more than maxLag behind the primary. Zero maxLag means 10s.
func MemberChecker(c *mongo.Client, maxLag time.Duration) hakit.Checker {
	if maxLag <= 0 {
		maxLag = 10 * time.Second
	}
	return hakit.CheckerFunc(func(ctx context.Context) error {
		st, err := FetchStatus(ctx, c)
		if err != nil {
			return err
		}
		return st.MemberUsable(maxLag)
	})
}

// MajorityChecker returns a hakit.Checker that is healthy while a
// w:"majority" write can succeed (see ReplSetStatus.MajorityWritable).
func MajorityChecker(c *mongo.Client) hakit.Checker {
	return hakit.CheckerFunc(func(ctx context.Context) error {
		st, err := FetchStatus(ctx, c)
		if err != nil {
			return err
		}
		return st.MajorityWritable()
	})
}

// MajorityWritable is MajorityChecker's verdict: ReplSetStatus's, where
// only members hello does not list under hosts (priority 0: passives and
// hidden members) can be the non-voting ones, as mongod requires of a
// member with votes: 0.
func (st ReplicaSetStatus) MajorityWritable() error {
	return st.Status.majorityWritable(func(m Member) bool {
		return !slices.Contains(st.Hello.Hosts, m.Name)
	})
}

// HasPrimary is PrimaryChecker's verdict: nil, or an error wrapping
// ErrNoPrimary.
func (st ReplicaSetStatus) HasPrimary() error {
	if _, ok := st.Status.Primary(); ok {
		return nil
	}
	return fmt.Errorf("%w in set %q (term %d)", ErrNoPrimary, st.Status.Set, st.Status.Term)
}

// MemberUsable is MemberChecker's verdict on the answering member: nil
// for a PRIMARY or a SECONDARY within maxLag of the primary, else an
// error wrapping ErrLagging that names the state or the lag.
func (st ReplicaSetStatus) MemberUsable(maxLag time.Duration) error {
	self, ok := st.Status.Self()
	if !ok {
		return &ParseError{Command: "replSetGetStatus", Field: "members", Err: errors.New("no member marked self")}
	}
	switch self.State {
	case StatePrimary:
		return nil
	case StateSecondary:
		lag, ok := st.Status.Lag(self)
		if !ok {
			return fmt.Errorf("%w: %s is SECONDARY and there is no primary to measure its lag against", ErrLagging, self.Name)
		}
		if lag > maxLag {
			return fmt.Errorf("%w: %s is %v behind the primary, more than %v", ErrLagging, self.Name, lag, maxLag)
		}
		return nil
	}
	return fmt.Errorf("%w: %s is %s", ErrLagging, self.Name, self.State)
}
