package mongo_test

import (
	"errors"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/hakit/hakit/mongo"
)

// Replies of the wrong shape give errors naming the field at fault.
func TestParseErrors(t *testing.T) {
	member := func(name string, state int32, health float64, self bool) bson.D {
		return bson.D{{Key: "name", Value: name}, {Key: "state", Value: state}, {Key: "health", Value: health}, {Key: "self", Value: self}}
	}
	status := func(members ...bson.D) bson.D {
		a := bson.A{}
		for _, m := range members {
			a = append(a, m)
		}
		return bson.D{{Key: "set", Value: "rs0"}, {Key: "myState", Value: int32(1)}, {Key: "members", Value: a}, {Key: "ok", Value: 1.0}}
	}
	tests := []struct {
		name  string
		parse func([]byte) error
		doc   bson.D
		raw   []byte
		want  string
		is    error
	}{
		{name: "hello truncated", parse: parseHello, raw: []byte{9, 0, 0, 0, 8}, want: "malformed hello reply"},
		{name: "hello without isWritablePrimary", parse: parseHello, doc: bson.D{{Key: "ok", Value: 1.0}}, want: "field isWritablePrimary: missing"},
		{name: "hello of a member without me", parse: parseHello, doc: bson.D{{Key: "isWritablePrimary", Value: false}, {Key: "setName", Value: "rs0"}, {Key: "ok", Value: 1.0}}, want: "field me"},
		{name: "hello wrong type", parse: parseHello, doc: bson.D{{Key: "isWritablePrimary", Value: "yes"}, {Key: "ok", Value: 1.0}}, want: "isWritablePrimary"},
		{name: "hello failed", parse: parseHello, doc: bson.D{{Key: "ok", Value: 0.0}, {Key: "code", Value: int32(13)}, {Key: "codeName", Value: "Unauthorized"}, {Key: "errmsg", Value: "no"}}, want: "hello failed: no (13 Unauthorized)"},
		{name: "status on FerretDB", parse: parseStatus, doc: bson.D{{Key: "ok", Value: 0.0}, {Key: "code", Value: int32(59)}, {Key: "codeName", Value: "CommandNotFound"}}, is: mongo.ErrNoReplicaSet, want: "CommandNotFound"},
		{name: "status on a standalone mongod", parse: parseStatus, doc: bson.D{{Key: "ok", Value: 0.0}, {Key: "code", Value: int32(76)}, {Key: "codeName", Value: "NoReplicationEnabled"}}, is: mongo.ErrNoReplicaSet, want: "NoReplicationEnabled"},
		{name: "status without set", parse: parseStatus, doc: bson.D{{Key: "ok", Value: 1.0}}, want: "field set: missing"},
		{name: "status without members", parse: parseStatus, doc: bson.D{{Key: "set", Value: "rs0"}, {Key: "ok", Value: 1.0}}, want: "field members: empty"},
		{name: "member without name", parse: parseStatus, doc: status(member("", 1, 1, true)), want: "field members[0].name: missing"},
		{name: "member twice", parse: parseStatus, doc: status(member("a:1", 1, 1, true), member("a:1", 2, 1, false)), want: `members[1].name: "a:1" appears twice`},
		{name: "state 4", parse: parseStatus, doc: status(member("a:1", 1, 1, true), member("b:1", 4, 1, false)), want: "members[1].state: 4 is no member state"},
		{name: "health 0.5", parse: parseStatus, doc: status(member("a:1", 1, 0.5, true)), want: "members[0].health: 0.5"},
		{name: "two selves", parse: parseStatus, doc: status(member("a:1", 1, 1, true), member("b:1", 2, 1, true)), want: "2 members marked self"},
		{name: "members not an array", parse: parseStatus, doc: bson.D{{Key: "set", Value: "rs0"}, {Key: "members", Value: "a"}, {Key: "ok", Value: 1.0}}, want: "members"},
	}
	for _, tt := range tests {
		raw := tt.raw
		if raw == nil {
			raw = marshal(t, tt.doc)
		}
		err := tt.parse(raw)
		if err == nil || !strings.Contains(err.Error(), tt.want) || (tt.is != nil && !errors.Is(err, tt.is)) {
			t.Errorf("%s: err = %v, want one saying %q (wrapping %v)", tt.name, err, tt.want, tt.is)
		}
	}
}

func parseHello(b []byte) error  { _, err := mongo.ParseHello(b); return err }
func parseStatus(b []byte) error { _, err := mongo.ParseReplSetStatus(b); return err }

// A server older than 4.4 reports no writeMajorityCount; it then required
// acknowledgement from a majority of all voting members, arbiters
// included (MongoDB 4.2 manual, "Write Concern"). Primary, two
// secondaries and two arbiters with one secondary down: 3 of 5 needed,
// only 2 data-bearing members up.
func TestMajorityBefore44(t *testing.T) {
	m := func(name string, st mongo.MemberState, health float64) mongo.Member {
		return mongo.Member{Name: name, State: st, Health: health}
	}
	s := mongo.ReplSetStatus{Set: "rs0", Members: []mongo.Member{
		m("a:27017", mongo.StatePrimary, 1), m("b:27017", mongo.StateSecondary, 1),
		m("c:27017", mongo.StateDown, 0), m("d:27017", mongo.StateArbiter, 1), m("e:27017", mongo.StateArbiter, 1),
	}}
	if got := s.Majority(); got != 3 {
		t.Errorf("Majority = %d, want 3", got)
	}
	if err := s.MajorityWritable(); !errors.Is(err, mongo.ErrNoMajority) {
		t.Errorf("MajorityWritable = %v, want ErrNoMajority", err)
	}
}
