package mongotest

import (
	"bytes"
	"encoding/binary"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// opMsg builds an OP_MSG with one body section holding doc.
func opMsgBytes(id int32, flags uint32, doc []byte, checksum bool) []byte {
	var b []byte
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, uint32(id))
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, opMsg)
	b = binary.LittleEndian.AppendUint32(b, flags)
	b = append(b, 0)
	b = append(b, doc...)
	if checksum {
		b = append(b, 0, 0, 0, 0)
	}
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	return b
}

// opQueryBytes builds a legacy OP_QUERY on admin.$cmd: flags,
// "admin.$cmd\0", numberToSkip 0, numberToReturn -1, the query doc.
func opQueryBytes(id int32, doc []byte) []byte {
	q := binary.LittleEndian.AppendUint32(nil, 0)
	q = append(q, "admin.$cmd\x00"...)
	q = binary.LittleEndian.AppendUint32(q, 0)
	q = binary.LittleEndian.AppendUint32(q, 0xffffffff)
	q = append(q, doc...)
	hdr := binary.LittleEndian.AppendUint32(nil, uint32(16+len(q)))
	hdr = binary.LittleEndian.AppendUint32(hdr, uint32(id))
	hdr = binary.LittleEndian.AppendUint32(hdr, 0)
	hdr = binary.LittleEndian.AppendUint32(hdr, opQuery)
	return append(hdr, q...)
}

// FuzzParseMessage: any bytes give a request or an error, never a panic;
// a parsed command re-encoded as an OP_MSG parses to the same command.
func FuzzParseMessage(f *testing.F) {
	hello, _ := bson.Marshal(bson.D{{Key: "hello", Value: int32(1)}, {Key: "$db", Value: "admin"}})
	// OP_MSG {hello: 1, $db: "admin"}, request 7, no flags.
	f.Add(opMsgBytes(7, 0, hello, false))
	// The same with the checksumPresent flag (bit 0) and a CRC.
	f.Add(opMsgBytes(7, 1, hello, true))
	// Legacy OP_QUERY on admin.$cmd.
	f.Add(opQueryBytes(9, hello))
	// A header claiming more bytes than follow.
	f.Add([]byte{0xff, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0xdd, 7, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := parseMessage(b)
		if err != nil {
			return
		}
		if err := req.cmd.Validate(); err != nil {
			t.Fatalf("parsed an invalid document: %v", err)
		}
		again, err := parseMessage(opMsgBytes(req.id, 0, req.cmd, false))
		if err != nil || !bytes.Equal(again.cmd, req.cmd) || again.id != req.id {
			t.Fatalf("round trip: %v, %v != %v", err, again, req)
		}
		if _, err := readMessage(bytes.NewReader(b)); err != nil {
			t.Fatalf("readMessage refused what parseMessage took: %v", err)
		}
	})
}
