package fence_test

import (
	"encoding/xml"
	"reflect"
	"testing"

	"github.com/hakit/hakit/fence"
)

// FuzzParseList: whatever parses marshals back to output that parses to
// the same list.
func FuzzParseList(f *testing.F) {
	f.Add([]byte("node1,alias1\nnode2,alias2\n"))                            // list: plug,alias
	f.Add([]byte("node1,alias1,ON\nnode2,,OFF\nnode3,a,b,UNKNOWN\n"))        // list-status, an alias holding the separator
	f.Add([]byte("NOTICE: List option is not working on this device yet\n")) // fence_ipmilan 4.12
	f.Add([]byte("\r\n  \nplug\n,alias\n"))                                  // blank lines, a plug without alias, an empty plug
	f.Add([]byte("x\x00y\n"))                                                // garbage
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := fence.ParseList(b)
		if err != nil {
			return
		}
		out, err := l.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		l2, err := fence.ParseList(out)
		if err != nil {
			t.Fatalf("re-parse of %q: %v", out, err)
		}
		if !reflect.DeepEqual(l, l2) {
			t.Fatalf("round trip of %q: %+v != %+v", b, l, l2)
		}
	})
}

// FuzzParseMetadata: whatever parses marshals back to XML that parses to
// the same metadata.
func FuzzParseMetadata(f *testing.F) {
	f.Add([]byte(fakeMetadata))                                                                                                    // parameters of every content type, deprecated aliases
	f.Add([]byte(`<resource-agent name="a"></resource-agent>`))                                                                    // nothing but a name
	f.Add([]byte(`<resource-agent name="a"><parameters><parameter name="x" required="yes"/></parameters></resource-agent>`))       // bad boolean
	f.Add([]byte(`<resource-agent name="a"><parameters><parameter name="x"/><parameter name="x"/></parameters></resource-agent>`)) // twice
	f.Add([]byte(`<resource-agent`))                                                                                               // truncated
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := fence.ParseMetadata(b)
		if err != nil {
			return
		}
		_ = m.Validate(fence.Options{"ip": "x", "ipport": "1"})
		out, err := xml.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := fence.ParseMetadata(out)
		if err != nil {
			t.Fatalf("re-parse of %s: %v", out, err)
		}
		m.XMLName, m2.XMLName = xml.Name{}, xml.Name{}
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("round trip of %q:\n%+v\n%+v", b, m, m2)
		}
	})
}
