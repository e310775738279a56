package lb

import (
	"bytes"
	"errors"
	"testing"
)

// The MySQL greeting check reads one packet: a protocol 10 handshake is
// healthy, an error packet (0xff) is ErrMySQLRefused.
func TestMySQLGreeting(t *testing.T) {
	handshake := append([]byte{5, 0, 0, 0, 10}, "5.7\x00"...)
	handshake[0] = byte(len(handshake) - 4)
	if err := readMySQLGreeting(bytes.NewReader(handshake)); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	refused := append([]byte{0, 0, 0, 0, 0xff, 0x10, 0x04}, "Too many connections"...)
	refused[0] = byte(len(refused) - 4)
	if err := readMySQLGreeting(bytes.NewReader(refused)); !errors.Is(err, ErrMySQLRefused) {
		t.Fatalf("error packet: %v", err)
	}
	for _, bad := range [][]byte{nil, {1, 0}, {0, 0, 0, 0}, {1, 0, 0, 0, 9}, {5, 0, 0, 0, 10}} {
		if err := readMySQLGreeting(bytes.NewReader(bad)); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

// FuzzMySQLGreeting: no input from a server makes the check panic, and
// only a packet whose first payload byte is 10 passes.
func FuzzMySQLGreeting(f *testing.F) {
	f.Add([]byte{5, 0, 0, 0, 10, '5', '.', '7', 0}) // length 5, seq 0, protocol 10, "5.7\0"
	f.Add([]byte{3, 0, 0, 0, 0xff, 0x10, 0x04})     // error packet 1040
	f.Add([]byte{0xff, 0xff, 0xff, 0, 10})          // length beyond the limit
	f.Add([]byte{2, 0, 0})                          // a header cut short
	f.Fuzz(func(t *testing.T, data []byte) {
		err := readMySQLGreeting(bytes.NewReader(data))
		if err == nil && (len(data) < 5 || data[4] != 10) {
			t.Fatalf("accepted %v", data)
		}
	})
}

// FuzzQueryParam: url_param's parser finds what net/url would, without
// allocating, on any URI.
func FuzzQueryParam(f *testing.F) {
	f.Add("/p?a=b&user=42", "user") // the parameter after another
	f.Add("/p?user", "user")        // a parameter without a value
	f.Add("/p", "user")             // no query
	f.Add("/p?x=1&&user=", "user")  // an empty pair, an empty value
	f.Fuzz(func(t *testing.T, uri, name string) {
		v, ok := queryParam(uri, name)
		if ok && !bytes.Contains([]byte(uri), []byte(name+"="+v)) && !bytes.HasSuffix([]byte(uri), []byte(name)) && !bytes.Contains([]byte(uri), []byte(name+"&")) {
			t.Fatalf("queryParam(%q, %q) = %q, not in the URI", uri, name, v)
		}
	})
}
