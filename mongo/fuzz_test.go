package mongo_test

import (
	"reflect"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/hakit/hakit/mongo"
)

// marshal encodes a fixture document.
func marshal(tb testing.TB, d bson.D) []byte {
	tb.Helper()
	b, err := bson.Marshal(d)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// FuzzParseHello: any bytes give a Hello or an error, never a panic; a
// parsed reply marshals back and parses to the same Hello.
func FuzzParseHello(f *testing.F) {
	now := time.Unix(1700000000, 0).UTC()
	// A secondary of rs0, as mongod 7.0 answers.
	f.Add(marshal(f, bson.D{{Key: "isWritablePrimary", Value: false}, {Key: "secondary", Value: true},
		{Key: "setName", Value: "rs0"}, {Key: "setVersion", Value: int32(1)},
		{Key: "hosts", Value: bson.A{"a:27017", "b:27017"}}, {Key: "primary", Value: "a:27017"},
		{Key: "me", Value: "b:27017"}, {Key: "lastWrite", Value: bson.D{{Key: "lastWriteDate", Value: now}}},
		{Key: "ok", Value: 1.0}}))
	// A standalone server's legacy isMaster: ismaster, no setName.
	f.Add(marshal(f, bson.D{{Key: "ismaster", Value: true}, {Key: "ok", Value: 1.0}}))
	// A failed command.
	f.Add(marshal(f, bson.D{{Key: "ok", Value: 0.0}, {Key: "code", Value: int32(13)}, {Key: "errmsg", Value: "unauthorized"}}))
	// A writable primary that names another primary: malformed.
	f.Add(marshal(f, bson.D{{Key: "isWritablePrimary", Value: true}, {Key: "setName", Value: "rs0"},
		{Key: "me", Value: "a:1"}, {Key: "primary", Value: "b:1"}, {Key: "ok", Value: 1.0}}))
	// Truncated bytes.
	f.Add([]byte{5, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := mongo.ParseHello(b)
		if err != nil {
			return
		}
		again, err := bson.Marshal(struct {
			mongo.Hello `bson:",inline"`
			OK          float64 `bson:"ok"`
		}{h, 1})
		if err != nil {
			t.Fatalf("marshal %+v: %v", h, err)
		}
		h2, err := mongo.ParseHello(again)
		if err != nil {
			t.Fatalf("re-parse of %+v: %v", h, err)
		}
		if !reflect.DeepEqual(h, h2) {
			t.Fatalf("round trip: %+v != %+v", h, h2)
		}
	})
}

// FuzzParseReplSetStatus: any bytes give a status or an error naming the
// problem, never a panic; what parses also analyses without a panic and
// round-trips.
func FuzzParseReplSetStatus(f *testing.F) {
	now := time.Unix(1700000000, 0).UTC()
	member := func(id int32, name string, state int32, self bool, sync string) bson.D {
		return bson.D{{Key: "_id", Value: id}, {Key: "name", Value: name}, {Key: "health", Value: 1.0},
			{Key: "state", Value: state}, {Key: "optimeDate", Value: now}, {Key: "syncSourceHost", Value: sync},
			{Key: "lastHeartbeat", Value: now}, {Key: "self", Value: self}}
	}
	// Three members: primary a, secondary b syncing from a, c from b.
	f.Add(marshal(f, bson.D{{Key: "set", Value: "rs0"}, {Key: "date", Value: now}, {Key: "myState", Value: int32(2)},
		{Key: "term", Value: int64(3)}, {Key: "writeMajorityCount", Value: int32(2)},
		{Key: "members", Value: bson.A{member(0, "a:1", 1, false, ""), member(1, "b:1", 2, true, "a:1"), member(2, "c:1", 2, false, "b:1")}},
		{Key: "ok", Value: 1.0}}))
	// A standalone mongod: NoReplicationEnabled.
	f.Add(marshal(f, bson.D{{Key: "ok", Value: 0.0}, {Key: "code", Value: int32(76)}, {Key: "codeName", Value: "NoReplicationEnabled"}}))
	// A sync-source cycle and a member in ROLLBACK (state 9).
	f.Add(marshal(f, bson.D{{Key: "set", Value: "rs0"}, {Key: "myState", Value: int32(9)},
		{Key: "members", Value: bson.A{member(0, "a:1", 2, false, "b:1"), member(1, "b:1", 9, true, "a:1")}},
		{Key: "ok", Value: 1.0}}))
	// A state number that does not exist (4).
	f.Add(marshal(f, bson.D{{Key: "set", Value: "rs0"}, {Key: "myState", Value: int32(4)},
		{Key: "members", Value: bson.A{member(0, "a:1", 4, true, "")}}, {Key: "ok", Value: 1.0}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := mongo.ParseReplSetStatus(b)
		if err != nil {
			return
		}
		for _, m := range s.Members {
			_, _ = s.SyncChain(m)
			_, _ = s.Lag(m)
		}
		_ = s.MajorityWritable()
		_ = s.StaleHeartbeats(time.Second)
		again, err := bson.Marshal(struct {
			mongo.ReplSetStatus `bson:",inline"`
			OK                  float64 `bson:"ok"`
		}{s, 1})
		if err != nil {
			t.Fatalf("marshal %+v: %v", s, err)
		}
		s2, err := mongo.ParseReplSetStatus(again)
		if err != nil {
			t.Fatalf("re-parse of %+v: %v", s, err)
		}
		if !reflect.DeepEqual(s, s2) {
			t.Fatalf("round trip: %+v != %+v", s, s2)
		}
	})
}
