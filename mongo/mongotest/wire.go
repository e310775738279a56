package mongotest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Opcodes of the MongoDB wire protocol (MongoDB manual, "MongoDB Wire
// Protocol").
const (
	opReply = 1
	opQuery = 2004
	opMsg   = 2013
)

// maxMessage bounds a request, as mongod's maxMessageSizeBytes does.
const maxMessage = 48000000

// request is one decoded client message.
type request struct {
	id     int32
	opcode int32
	cmd    bson.Raw // the command document
}

// readMessage reads one message from r.
func readMessage(r io.Reader) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := int32(binary.LittleEndian.Uint32(hdr[:]))
	if n < 16 || n > maxMessage {
		return nil, fmt.Errorf("mongotest: message length %d out of range", n)
	}
	b := make([]byte, n)
	copy(b, hdr[:])
	if _, err := io.ReadFull(r, b[4:]); err != nil {
		return nil, err
	}
	return b, nil
}

// parseMessage decodes an OP_MSG or OP_QUERY message: header (length,
// requestID, responseTo, opCode), then for OP_MSG flagBits and sections
// (kind 0: the body document; kind 1: a document sequence, which only
// writes use and which is ignored here) and an optional CRC-32C when flag
// bit 0 is set; for OP_QUERY flags, fullCollectionName, numberToSkip,
// numberToReturn and the query document.
func parseMessage(b []byte) (request, error) {
	if len(b) < 16 || int(binary.LittleEndian.Uint32(b)) != len(b) {
		return request{}, errors.New("mongotest: bad message length")
	}
	req := request{id: int32(binary.LittleEndian.Uint32(b[4:])), opcode: int32(binary.LittleEndian.Uint32(b[12:]))}
	body := b[16:]
	switch req.opcode {
	case opMsg:
		if len(body) < 4 {
			return request{}, errors.New("mongotest: OP_MSG without flagBits")
		}
		flags := binary.LittleEndian.Uint32(body)
		body = body[4:]
		if flags&1 != 0 {
			if len(body) < 4 {
				return request{}, errors.New("mongotest: OP_MSG checksum missing")
			}
			body = body[:len(body)-4]
		}
		for len(body) > 0 {
			kind := body[0]
			body = body[1:]
			switch kind {
			case 0:
				doc, rest, err := readDoc(body)
				if err != nil {
					return request{}, err
				}
				if req.cmd != nil {
					return request{}, errors.New("mongotest: OP_MSG with two body sections")
				}
				req.cmd, body = doc, rest
			case 1:
				if len(body) < 4 {
					return request{}, errors.New("mongotest: OP_MSG short document sequence")
				}
				n := int(binary.LittleEndian.Uint32(body))
				if n < 4 || n > len(body) {
					return request{}, fmt.Errorf("mongotest: OP_MSG document sequence size %d out of range", n)
				}
				body = body[n:]
			default:
				return request{}, fmt.Errorf("mongotest: OP_MSG section kind %d", kind)
			}
		}
		if req.cmd == nil {
			return request{}, errors.New("mongotest: OP_MSG without a body section")
		}
	case opQuery:
		if len(body) < 4 {
			return request{}, errors.New("mongotest: OP_QUERY without flags")
		}
		body = body[4:]
		i := 0
		for i < len(body) && body[i] != 0 {
			i++
		}
		if i+9 > len(body) {
			return request{}, errors.New("mongotest: OP_QUERY truncated collection name")
		}
		doc, _, err := readDoc(body[i+9:])
		if err != nil {
			return request{}, err
		}
		req.cmd = doc
	default:
		return request{}, fmt.Errorf("mongotest: opcode %d not supported", req.opcode)
	}
	return req, nil
}

func readDoc(b []byte) (bson.Raw, []byte, error) {
	if len(b) < 5 {
		return nil, nil, errors.New("mongotest: truncated document")
	}
	n := int(int32(binary.LittleEndian.Uint32(b)))
	if n < 5 || n > len(b) {
		return nil, nil, fmt.Errorf("mongotest: document size %d out of range", n)
	}
	doc := bson.Raw(b[:n])
	if err := doc.Validate(); err != nil {
		return nil, nil, fmt.Errorf("mongotest: %w", err)
	}
	return doc, b[n:], nil
}

// reply encodes doc as the answer to req: OP_MSG for OP_MSG, OP_REPLY for
// OP_QUERY.
func reply(req request, id int32, doc []byte) []byte {
	var b []byte
	b = binary.LittleEndian.AppendUint32(b, 0) // length, set below
	b = binary.LittleEndian.AppendUint32(b, uint32(id))
	b = binary.LittleEndian.AppendUint32(b, uint32(req.id))
	if req.opcode == opQuery {
		b = binary.LittleEndian.AppendUint32(b, opReply)
		b = binary.LittleEndian.AppendUint32(b, 0) // responseFlags
		b = binary.LittleEndian.AppendUint64(b, 0) // cursorID
		b = binary.LittleEndian.AppendUint32(b, 0) // startingFrom
		b = binary.LittleEndian.AppendUint32(b, 1) // numberReturned
	} else {
		b = binary.LittleEndian.AppendUint32(b, opMsg)
		b = binary.LittleEndian.AppendUint32(b, 0) // flagBits
		b = append(b, 0)                           // section kind 0
	}
	b = append(b, doc...)
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	return b
}
