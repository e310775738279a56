package galeratest

import (
	"bufio"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// The MySQL client/server protocol, the subset go-sql-driver speaks
// (MySQL Internals "Client/Server Protocol"; MariaDB's "Clients & Server
// Protocol" pages): packets, HandshakeV10 with mysql_native_password,
// COM_QUERY with text result sets, COM_STMT_PREPARE/EXECUTE with binary
// result sets, OK, ERR and EOF packets (CLIENT_DEPRECATE_EOF is not
// offered).

// Capability flags the fake server offers.
const (
	capLongPassword     = 1 << 0
	capFoundRows        = 1 << 1
	capLongFlag         = 1 << 2
	capConnectWithDB    = 1 << 3
	capProtocol41       = 1 << 9
	capTransactions     = 1 << 13
	capSecureConnection = 1 << 15
	capMultiResults     = 1 << 17
	capPluginAuth       = 1 << 19
	capConnectAttrs     = 1 << 20
	capPluginAuthLenenc = 1 << 21

	serverCaps = capLongPassword | capFoundRows | capLongFlag | capConnectWithDB | capProtocol41 |
		capTransactions | capSecureConnection | capMultiResults | capPluginAuth | capConnectAttrs | capPluginAuthLenenc
)

// Commands.
const (
	comQuit        = 0x01
	comInitDB      = 0x02
	comQuery       = 0x03
	comPing        = 0x0e
	comStmtPrepare = 0x16
	comStmtExecute = 0x17
	comStmtClose   = 0x19
	comStmtReset   = 0x1a
	comResetConn   = 0x1f
)

// Status flags.
const (
	statusInTrans    = 0x0001
	statusAutocommit = 0x0002
)

// Column types used by the fake.
const (
	typeNull      = 0x06
	typeLongLong  = 0x08
	typeVarString = 0xfd
	typeTiny      = 0x01
	typeShort     = 0x02
	typeLong      = 0x03
	typeFloat     = 0x04
	typeDouble    = 0x05
	typeInt24     = 0x09
	typeString    = 0xfe
	typeBlob      = 0xfc
	typeVarchar   = 0x0f
)

const maxPacket = 1<<24 - 1

var errMalformed = errors.New("galeratest: malformed packet")

// packetConn reads and writes protocol packets with sequence numbers.
type packetConn struct {
	r   *bufio.Reader
	w   *bufio.Writer
	seq byte
}

func (c *packetConn) readPacket() ([]byte, error) {
	var payload []byte
	for {
		var h [4]byte
		if _, err := io.ReadFull(c.r, h[:]); err != nil {
			return nil, err
		}
		n := int(h[0]) | int(h[1])<<8 | int(h[2])<<16
		c.seq = h[3] + 1
		if len(payload)+n > 1<<26 {
			return nil, errMalformed
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(c.r, buf); err != nil {
			return nil, err
		}
		payload = append(payload, buf...)
		if n < maxPacket {
			return payload, nil
		}
	}
}

func (c *packetConn) writePacket(p []byte) error {
	for {
		n := min(len(p), maxPacket)
		h := [4]byte{byte(n), byte(n >> 8), byte(n >> 16), c.seq}
		c.seq++
		if _, err := c.w.Write(h[:]); err != nil {
			return err
		}
		if _, err := c.w.Write(p[:n]); err != nil {
			return err
		}
		p = p[n:]
		if n < maxPacket {
			return nil
		}
	}
}

func (c *packetConn) flush() error { return c.w.Flush() }

func appendLenenc(b []byte, n uint64) []byte {
	switch {
	case n < 251:
		return append(b, byte(n))
	case n < 1<<16:
		return append(b, 0xfc, byte(n), byte(n>>8))
	case n < 1<<24:
		return append(b, 0xfd, byte(n), byte(n>>8), byte(n>>16))
	}
	b = append(b, 0xfe)
	return binary.LittleEndian.AppendUint64(b, n)
}

func appendLenencString(b []byte, s string) []byte {
	b = appendLenenc(b, uint64(len(s)))
	return append(b, s...)
}

// reader decodes a packet payload; any read past the end sets err.
type reader struct {
	b   []byte
	err error
}

func (r *reader) take(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.b) {
		r.err = errMalformed
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) byte1() byte {
	v := r.take(1)
	if v == nil {
		return 0
	}
	return v[0]
}

func (r *reader) uint16() uint16 {
	v := r.take(2)
	if v == nil {
		return 0
	}
	return binary.LittleEndian.Uint16(v)
}

func (r *reader) uint32() uint32 {
	v := r.take(4)
	if v == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(v)
}

func (r *reader) uint64() uint64 {
	v := r.take(8)
	if v == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(v)
}

func (r *reader) lenenc() uint64 {
	switch c := r.byte1(); {
	case c < 251:
		return uint64(c)
	case c == 0xfc:
		return uint64(r.uint16())
	case c == 0xfd:
		v := r.take(3)
		if v == nil {
			return 0
		}
		return uint64(v[0]) | uint64(v[1])<<8 | uint64(v[2])<<16
	case c == 0xfe:
		return r.uint64()
	default:
		r.err = errMalformed
		return 0
	}
}

func (r *reader) lenencBytes() []byte {
	n := r.lenenc()
	if n > uint64(len(r.b)) {
		r.err = errMalformed
		return nil
	}
	return r.take(int(n))
}

func (r *reader) nulString() string {
	for i, c := range r.b {
		if c == 0 {
			s := string(r.b[:i])
			r.b = r.b[i+1:]
			return s
		}
	}
	s := string(r.b)
	r.b = nil
	return s
}

// nativePassword computes mysql_native_password's scramble:
// SHA1(password) XOR SHA1(salt + SHA1(SHA1(password))).
func nativePassword(salt []byte, password string) []byte {
	if password == "" {
		return nil
	}
	h1 := sha1.Sum([]byte(password))
	h2 := sha1.Sum(h1[:])
	h := sha1.New()
	h.Write(salt)
	h.Write(h2[:])
	out := h.Sum(nil)
	for i := range out {
		out[i] ^= h1[i]
	}
	return out
}

func passwordMatches(salt, got []byte, password string) bool {
	want := nativePassword(salt, password)
	return len(want) == len(got) && subtle.ConstantTimeCompare(want, got) == 1
}

func handshakePacket(connID uint32, salt []byte) []byte {
	b := []byte{10}
	b = append(b, "10.11.0-MariaDB-galeratest"...)
	b = append(b, 0)
	b = binary.LittleEndian.AppendUint32(b, connID)
	b = append(b, salt[:8]...)
	b = append(b, 0)
	b = binary.LittleEndian.AppendUint16(b, uint16(serverCaps&0xffff))
	b = append(b, 45) // utf8mb4_general_ci
	b = binary.LittleEndian.AppendUint16(b, statusAutocommit)
	b = binary.LittleEndian.AppendUint16(b, uint16(serverCaps>>16))
	b = append(b, 21)
	b = append(b, make([]byte, 10)...)
	b = append(b, salt[8:20]...)
	b = append(b, 0)
	b = append(b, "mysql_native_password"...)
	return append(b, 0)
}

type handshakeResponse struct {
	caps   uint32
	user   string
	auth   []byte
	db     string
	plugin string
	hasDB  bool
}

func parseHandshakeResponse(p []byte) (handshakeResponse, error) {
	r := &reader{b: p}
	var h handshakeResponse
	h.caps = r.uint32()
	r.take(4 + 1 + 23)
	if h.caps&capProtocol41 == 0 {
		return h, fmt.Errorf("%w: client without CLIENT_PROTOCOL_41", errMalformed)
	}
	h.user = r.nulString()
	switch {
	case h.caps&capPluginAuthLenenc != 0:
		h.auth = r.lenencBytes()
	case h.caps&capSecureConnection != 0:
		h.auth = r.take(int(r.byte1()))
	default:
		h.auth = []byte(r.nulString())
	}
	if h.caps&capConnectWithDB != 0 && len(r.b) > 0 {
		h.db = r.nulString()
		h.hasDB = true
	}
	if h.caps&capPluginAuth != 0 && len(r.b) > 0 {
		h.plugin = r.nulString()
	}
	return h, r.err
}

func okPacket(affected, lastID uint64, status uint16) []byte {
	b := []byte{0}
	b = appendLenenc(b, affected)
	b = appendLenenc(b, lastID)
	b = binary.LittleEndian.AppendUint16(b, status)
	return binary.LittleEndian.AppendUint16(b, 0)
}

func errPacket(code uint16, state, msg string) []byte {
	b := []byte{0xff}
	b = binary.LittleEndian.AppendUint16(b, code)
	b = append(b, '#')
	b = append(b, (state + "HY000")[:5]...)
	return append(b, msg...)
}

func eofPacket(status uint16) []byte {
	b := []byte{0xfe, 0, 0}
	return binary.LittleEndian.AppendUint16(b, status)
}

func columnDef(name string, typ byte) []byte {
	b := appendLenencString(nil, "def")
	b = appendLenencString(b, "")
	b = appendLenencString(b, "")
	b = appendLenencString(b, "")
	b = appendLenencString(b, name)
	b = appendLenencString(b, name)
	b = append(b, 0x0c)
	charset, length := uint16(45), uint32(1024)
	if typ == typeLongLong {
		charset, length = 63, 20
	}
	b = binary.LittleEndian.AppendUint16(b, charset)
	b = binary.LittleEndian.AppendUint32(b, length)
	b = append(b, typ)
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = append(b, 0, 0, 0)
	return b
}

func textRow(vals []value) []byte {
	var b []byte
	for _, v := range vals {
		if v.null {
			b = append(b, 0xfb)
			continue
		}
		b = appendLenencString(b, v.String())
	}
	return b
}

func binaryRow(vals []value, types []byte) []byte {
	b := []byte{0}
	bitmap := make([]byte, (len(vals)+7+2)/8)
	for i, v := range vals {
		if v.null {
			bitmap[(i+2)/8] |= 1 << ((i + 2) % 8)
		}
	}
	b = append(b, bitmap...)
	for i, v := range vals {
		if v.null {
			continue
		}
		if types[i] == typeLongLong {
			b = binary.LittleEndian.AppendUint64(b, uint64(v.i))
		} else {
			b = appendLenencString(b, v.String())
		}
	}
	return b
}

// decodeParam reads one COM_STMT_EXECUTE parameter value of type typ.
func decodeParam(r *reader, typ byte, unsigned bool) value {
	switch typ {
	case typeNull:
		return value{null: true}
	case typeTiny:
		v := r.byte1()
		if unsigned {
			return intValue(int64(v))
		}
		return intValue(int64(int8(v)))
	case typeShort:
		v := r.uint16()
		if unsigned {
			return intValue(int64(v))
		}
		return intValue(int64(int16(v)))
	case typeLong, typeInt24:
		v := r.uint32()
		if unsigned {
			return intValue(int64(v))
		}
		return intValue(int64(int32(v)))
	case typeLongLong:
		v := r.uint64()
		if unsigned && v > math.MaxInt64 {
			return stringValue(fmt.Sprint(v))
		}
		return intValue(int64(v))
	case typeFloat:
		return stringValue(fmt.Sprint(math.Float32frombits(r.uint32())))
	case typeDouble:
		return stringValue(fmt.Sprint(math.Float64frombits(r.uint64())))
	default:
		return stringValue(string(r.lenencBytes()))
	}
}
