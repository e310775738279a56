package vrrp

import (
	"net/netip"
	"testing"
)

// FuzzParseAdvert feeds arbitrary bytes to ParseAdvert under each address
// family and checksum mode. Whatever parses must encode again and parse
// back to the same Advert; nothing may panic.
func FuzzParseAdvert(f *testing.F) {
	// Seeds: the keepalived captures, byte by byte.
	//   31       version 3, type 1 (ADVERTISEMENT)
	//   2a       VRID 42
	//   c8       priority 200
	//   02       two addresses
	//   0064     reserved 0, Max Adver Int 100cs
	//   df0f     checksum over the IPv4 pseudo-header and message
	//   c0000264 192.0.2.100
	//   c0000265 192.0.2.101
	f.Add(mustHex(f, "312a c802 0064 df0f c000 0264 c000 0265"), uint8(0), uint8(0), uint8(255))
	//   21       version 2, type 1
	//   2b       VRID 43
	//   96       priority 150
	//   01       one address
	//   00       auth type 0
	//   01       Adver Int 1s
	//   866b     checksum over the message only
	//   c0000266 192.0.2.102
	//   0000000000000000  authentication data
	f.Add(mustHex(f, "212b 9601 0001 866b c000 0266 0000 0000 0000 0000"), uint8(0), uint8(0), uint8(255))
	// The same with auth type 1 (RFC 2338 simple text password):
	//   01       auth type 1, then Adver Int 1s
	//   491f     checksum
	//   7365637265740000  "secret", zero-padded
	f.Add(mustHex(f, "212b 9601 0101 491f c000 0266 7365 6372 6574 0000"), uint8(0), uint8(0), uint8(255))
	//   312c 78 01 0032 f8e5  v3, VRID 44, prio 120, 1 address, 50cs
	//   fd00::100
	f.Add(mustHex(f, "312c 7801 0032 f8e5 fd00 0000 0000 0000 0000 0000 0000 0100"), uint8(1), uint8(0), uint8(255))
	// A count of 255 IPv6 addresses with too little data behind it.
	f.Add(mustHex(f, "312c 78ff 0032 0000 fd00"), uint8(1), uint8(0), uint8(255))
	// Reserved bits set in a v3 header (ignored on reception).
	f.Add(mustHex(f, "312a c802 f064 df0f c000 0264 c000 0265"), uint8(0), uint8(1), uint8(254))
	f.Fuzz(func(t *testing.T, b []byte, fam, mode, ttl uint8) {
		h := IPHeader{Src: ka4, Dst: Group4, TTL: int(ttl)}
		if fam&1 == 1 {
			h = IPHeader{Src: ka6, Dst: Group6, TTL: int(ttl)}
		}
		if fam&2 == 2 { // unicast destination
			if h.Src.Is4() {
				h.Dst = netip.MustParseAddr("192.0.2.2")
			} else {
				h.Dst = netip.MustParseAddr("fe80::2")
			}
		}
		cm := ChecksumMode(mode % 2)
		a, err := ParseAdvert(b, h, cm)
		if err != nil {
			return
		}
		enc, err := AppendAdvert(nil, a, h.Src, h.Dst, cm)
		if err != nil {
			t.Fatalf("parsed %+v from %x but cannot encode it: %v", a, b, err)
		}
		b2, err := ParseAdvert(enc, h, cm)
		if err != nil {
			t.Fatalf("re-encoded %x does not parse: %v", enc, err)
		}
		if !a.Equal(b2) {
			t.Fatalf("round trip changed the advert: %+v then %+v", a, b2)
		}
		if len(enc) != len(b) {
			t.Fatalf("re-encoded length %d, input %d", len(enc), len(b))
		}
	})
}
