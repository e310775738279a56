package mongotest

import (
	"encoding/binary"
	"net"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// roundTrip sends msg to addr and returns the reply document and opcode.
func roundTrip(t *testing.T, addr string, msg []byte) (bson.Raw, int32) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	b, err := readMessage(c)
	if err != nil {
		t.Fatal(err)
	}
	op := int32(binary.LittleEndian.Uint32(b[12:]))
	body := b[16:]
	if op == opReply {
		body = body[20:] // responseFlags, cursorID, startingFrom, numberReturned
	} else {
		body = body[5:] // flagBits, section kind
	}
	return bson.Raw(body), op
}

// The legacy handshake: isMaster over OP_QUERY on admin.$cmd gets an
// OP_REPLY with ismaster; an unknown command over OP_MSG gets code 59.
func TestLegacyHelloAndUnknownCommand(t *testing.T) {
	rs, err := Start("rs0", 2)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	isMaster, _ := bson.Marshal(bson.D{{Key: "isMaster", Value: int32(1)}})
	doc, op := roundTrip(t, rs.Addr(1), opQueryBytes(5, isMaster))
	if op != opReply {
		t.Fatalf("reply opcode %d, want OP_REPLY", op)
	}
	if v, err := doc.LookupErr("ismaster"); err != nil || v.Boolean() {
		t.Fatalf("member 1's ismaster = %v, %v; want false", v, err)
	}
	if v := doc.Lookup("primary").StringValue(); v != rs.Addr(0) {
		t.Fatalf("primary = %q, want %q", v, rs.Addr(0))
	}

	find, _ := bson.Marshal(bson.D{{Key: "find", Value: "c"}, {Key: "$db", Value: "test"}})
	doc, op = roundTrip(t, rs.Addr(0), opMsgBytes(6, 0, find, false))
	if op != opMsg || doc.Lookup("code").Int32() != 59 || doc.Lookup("ok").Double() != 0 {
		t.Fatalf("find: opcode %d, reply %v; want OP_MSG with code 59", op, doc)
	}
	if n := rs.Commands()["find"]; n != 1 {
		t.Fatalf("Commands()[find] = %d, want 1", n)
	}
}

func TestStartErrors(t *testing.T) {
	if _, err := Start("", 3); err == nil {
		t.Error("Start with no name: no error")
	}
	if _, err := Start("rs0", 0); err == nil {
		t.Error("Start with 0 members: no error")
	}
}
