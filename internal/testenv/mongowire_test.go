package testenv

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"math"
	"testing"
)

func TestBSONOK(t *testing.T) {
	double := func(name string, f float64) []byte {
		b := append([]byte{0x01}, name...)
		b = append(b, 0)
		return binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
	}
	for _, tc := range []struct {
		name string
		doc  []byte
		ok   bool
		err  bool
	}{
		{"double 1", bsonDoc(double("ok", 1)), true, false},
		{"double 0", bsonDoc(double("ok", 0)), false, false},
		{"int32 after string", bsonDoc(bsonString("msg", "x"), bsonInt32("ok", 1)), true, false},
		{"nested doc skipped", bsonDoc(append(append([]byte{0x03}, "d\x00"...), bsonDoc(bsonInt32("ok", 0))...), double("ok", 1)), true, false},
		{"missing", bsonDoc(bsonInt32("n", 1)), false, true},
		{"truncated", bsonDoc(double("ok", 1))[:8], false, true},
		{"short", []byte{1, 0}, false, true},
	} {
		ok, err := bsonOK(tc.doc)
		if ok != tc.ok || (err != nil) != tc.err {
			t.Errorf("%s: ok=%v err=%v, want ok=%v err=%v", tc.name, ok, err, tc.ok, tc.err)
		}
	}
}

func FuzzBSONOK(f *testing.F) {
	f.Add(bsonDoc(bsonInt32("ok", 1)))
	f.Add(bsonDoc(bsonString("$db", "admin"), bsonInt32("ping", 1)))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = bsonOK(b) // must not panic
	})
}

func FuzzRESP(f *testing.F) {
	f.Add([]byte("*2\r\n$9\r\n127.0.0.1\r\n$5\r\n16379\r\n"))
	f.Add([]byte("-ERR no\r\n"))
	f.Add([]byte(":12\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = respRead(bufioReader(b), 0) // must not panic
	})
}

func bufioReader(b []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(b)) }
