package testenv

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"time"
)

// mongoPing sends {ping: 1, $db: "admin"} as an OP_MSG (MongoDB wire
// protocol, opcode 2013) to addr and checks that the reply document has
// ok: 1. Enough of the protocol to check health without a driver.
func mongoPing(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))

	doc := bsonDoc(
		bsonInt32("ping", 1),
		bsonString("$db", "admin"),
	)
	msg := make([]byte, 16, 16+4+1+len(doc))
	msg = binary.LittleEndian.AppendUint32(msg, 0) // flagBits
	msg = append(msg, 0)                           // section kind 0: body
	msg = append(msg, doc...)
	binary.LittleEndian.PutUint32(msg[0:], uint32(len(msg)))
	binary.LittleEndian.PutUint32(msg[4:], 1)     // requestID
	binary.LittleEndian.PutUint32(msg[12:], 2013) // OP_MSG
	if _, err := c.Write(msg); err != nil {
		return err
	}

	var hdr [16]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		return err
	}
	n := binary.LittleEndian.Uint32(hdr[0:])
	if op := binary.LittleEndian.Uint32(hdr[12:]); op != 2013 {
		return fmt.Errorf("reply opcode %d, want 2013 (OP_MSG)", op)
	}
	if n < 16+5+5 || n > 1<<24 {
		return fmt.Errorf("reply length %d", n)
	}
	body := make([]byte, n-16)
	if _, err := io.ReadFull(c, body); err != nil {
		return err
	}
	if body[4] != 0 {
		return fmt.Errorf("reply section kind %d, want 0", body[4])
	}
	ok, err := bsonOK(body[5:])
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("ping answered ok: 0")
	}
	return nil
}

func bsonDoc(elems ...[]byte) []byte {
	size := 4 + 1
	for _, e := range elems {
		size += len(e)
	}
	b := binary.LittleEndian.AppendUint32(make([]byte, 0, size), uint32(size))
	for _, e := range elems {
		b = append(b, e...)
	}
	return append(b, 0)
}

func bsonInt32(name string, v int32) []byte {
	b := append([]byte{0x10}, name...)
	b = append(b, 0)
	return binary.LittleEndian.AppendUint32(b, uint32(v))
}

func bsonString(name, v string) []byte {
	b := append([]byte{0x02}, name...)
	b = append(b, 0)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(v)+1))
	b = append(b, v...)
	return append(b, 0)
}

// bsonOK finds the top-level "ok" field of a BSON document (a double,
// int32, int64 or bool, as servers send it) and reports whether it is 1.
func bsonOK(doc []byte) (bool, error) {
	if len(doc) < 5 {
		return false, errors.New("bson: short document")
	}
	end := int(binary.LittleEndian.Uint32(doc))
	if end > len(doc) || end < 5 {
		return false, errors.New("bson: bad document length")
	}
	p := 4
	for p < end-1 {
		typ := doc[p]
		p++
		nameEnd := p
		for nameEnd < end && doc[nameEnd] != 0 {
			nameEnd++
		}
		if nameEnd >= end {
			return false, errors.New("bson: unterminated name")
		}
		name := string(doc[p:nameEnd])
		p = nameEnd + 1
		var size int
		switch typ {
		case 0x01, 0x09, 0x11, 0x12: // double, datetime, timestamp, int64
			size = 8
		case 0x10: // int32
			size = 4
		case 0x08: // bool
			size = 1
		case 0x0A: // null
			size = 0
		case 0x07: // ObjectId
			size = 12
		case 0x13: // decimal128
			size = 16
		case 0x02: // string
			if p+4 > end {
				return false, errors.New("bson: truncated")
			}
			size = 4 + int(binary.LittleEndian.Uint32(doc[p:]))
		case 0x03, 0x04: // document, array
			if p+4 > end {
				return false, errors.New("bson: truncated")
			}
			size = int(binary.LittleEndian.Uint32(doc[p:]))
		case 0x05: // binary
			if p+4 > end {
				return false, errors.New("bson: truncated")
			}
			size = 5 + int(binary.LittleEndian.Uint32(doc[p:]))
		default:
			return false, fmt.Errorf("bson: element type 0x%02x not understood", typ)
		}
		if size < 0 || p+size > end {
			return false, errors.New("bson: truncated")
		}
		if name == "ok" {
			v := doc[p : p+size]
			switch typ {
			case 0x01:
				return math.Float64frombits(binary.LittleEndian.Uint64(v)) == 1, nil
			case 0x10:
				return binary.LittleEndian.Uint32(v) == 1, nil
			case 0x12:
				return binary.LittleEndian.Uint64(v) == 1, nil
			case 0x08:
				return v[0] == 1, nil
			}
			return false, fmt.Errorf("bson: ok has type 0x%02x", typ)
		}
		p += size
	}
	return false, errors.New("bson: no ok field")
}
