package vrrp

import (
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// IPProtocol is the IP protocol number of VRRP (RFC 5798 section 5.2.4).
const IPProtocol = 112

// TTL is the IPv4 TTL / IPv6 hop limit every advertisement is sent with and
// must arrive with (RFC 5798 section 5.1.1.3 and 5.1.2.3).
const TTL = 255

// The multicast groups adverts are sent to (RFC 5798 section 5.1.1.2 and
// 5.1.2.2).
var (
	Group4 = netip.MustParseAddr("224.0.0.18")
	Group6 = netip.MustParseAddr("ff02::12")
)

// Version is the VRRP version of an advertisement.
type Version uint8

// Versions this package speaks.
const (
	// Version2 is VRRPv2 (RFC 3768): IPv4 only, interval in seconds,
	// checksum over the VRRP message alone.
	Version2 Version = 2
	// Version3 is VRRPv3 (RFC 5798): IPv4 and IPv6, interval in
	// centiseconds, checksum including the IP pseudo-header.
	Version3 Version = 3
)

func (v Version) String() string {
	switch v {
	case Version2:
		return "VRRPv2"
	case Version3:
		return "VRRPv3"
	}
	return "Version(" + strconv.Itoa(int(v)) + ")"
}

// ChecksumMode selects how a VRRPv3 checksum over IPv4 is computed.
type ChecksumMode uint8

const (
	// ChecksumRFC is RFC 5798 section 5.2.8: VRRPv3 checksums include the
	// IPv4 or IPv6 pseudo-header; VRRPv2 checksums (RFC 3768 section
	// 5.3.8) cover only the VRRP message.
	ChecksumRFC ChecksumMode = iota
	// ChecksumV3AsV2 omits the pseudo-header from VRRPv3 checksums over
	// IPv4, as keepalived's v3_checksum_as_v2 option does (added in
	// keepalived 2.2.8): some vendors (keepalived's notes name Cisco and
	// Juniper) read RFC 5798 section 5.2.8, whose pseudo-header is RFC
	// 2460's, as applying to IPv6 only, and checksum a VRRPv3 IPv4
	// message as a VRRPv2 one. IPv6 and VRRPv2 are unaffected. This mode
	// is checked against hand-computed vectors, not a live peer: Debian's
	// keepalived 2.2.7 lacks the option.
	ChecksumV3AsV2
)

func (m ChecksumMode) String() string {
	switch m {
	case ChecksumRFC:
		return "rfc"
	case ChecksumV3AsV2:
		return "v3-as-v2"
	}
	return "ChecksumMode(" + strconv.Itoa(int(m)) + ")"
}

// Advert is a VRRP advertisement, the only VRRP packet type (RFC 5798
// section 5.1, RFC 3768 section 5.1).
type Advert struct {
	// Version is Version2 or Version3.
	Version Version
	// VRID is the virtual router identifier, 1..255.
	VRID uint8
	// Priority is the sender's priority: 255 for the address owner, 0 when
	// the master stops, 1..254 otherwise.
	Priority uint8
	// Interval is the advertisement interval: VRRPv3 carries it in
	// centiseconds (10ms..40.95s), VRRPv2 in whole seconds (1s..255s).
	Interval time.Duration
	// Addrs are the virtual addresses, all IPv4 or all IPv6, in the
	// order they travel.
	Addrs []netip.Addr
	// AuthPass is VRRPv2's simple text password (RFC 2338 section 5.3.6.1,
	// authentication type 1, keepalived's auth_type PASS), at most 8
	// bytes, sent zero-padded; empty means authentication type 0. RFC
	// 3768 removed authentication; it is here for legacy peers only.
	AuthPass string
}

// IPHeader holds the fields of the IP header around an advertisement that
// the protocol checks.
type IPHeader struct {
	// Src and Dst are the IP source and destination.
	Src, Dst netip.Addr
	// TTL is the IPv4 TTL or IPv6 hop limit the packet arrived with, or
	// -1 when the transport could not learn it (the check is skipped).
	TTL int
}

const (
	headerLen  = 8
	authLen    = 8 // RFC 3768 section 5.3.10: two 32-bit words, zero for auth type 0
	typeAdvert = 1
	authPass   = 1 // RFC 2338 section 5.3.6.1: Simple Text Password
)

// AppendAdvert appends the VRRP message for a (no IP header) to b. src and
// dst are the IP source and destination it will travel with; VRRPv3 needs
// them for the checksum pseudo-header. The checksum is filled in.
func AppendAdvert(b []byte, a Advert, src, dst netip.Addr, mode ChecksumMode) ([]byte, error) {
	src, dst = src.Unmap(), dst.Unmap()
	bad := func(field, format string, args ...any) ([]byte, error) {
		return b, fmt.Errorf("vrrp: encode advertisement: %s %s: %w", field, fmt.Sprintf(format, args...), ErrInvalidAdvert)
	}
	if a.Version != Version2 && a.Version != Version3 {
		return bad("Version", "%d is neither 2 nor 3", uint8(a.Version))
	}
	if a.VRID == 0 {
		return bad("VRID", "0 is not in 1..255")
	}
	if len(a.Addrs) == 0 || len(a.Addrs) > 255 {
		return bad("Addrs", "has %d addresses, want 1..255", len(a.Addrs))
	}
	v6 := a.Addrs[0].Unmap().Is6()
	for _, ip := range a.Addrs {
		if !ip.IsValid() || ip.Unmap().Is6() != v6 {
			return bad("Addrs", "must all be valid and of one family, got %v", a.Addrs)
		}
	}
	if a.Version == Version2 && v6 {
		return bad("Version", "2 cannot carry IPv6 addresses (RFC 3768 is IPv4 only)")
	}
	if a.AuthPass != "" && (a.Version != Version2 || len(a.AuthPass) > authLen || strings.TrimRight(a.AuthPass, "\x00") != a.AuthPass) {
		return bad("AuthPass", "%q: a password is VRRPv2 only, 1..8 bytes, not ending in NUL", a.AuthPass)
	}
	if a.Version == Version3 && (!src.IsValid() || !dst.IsValid()) {
		return bad("Src", "%v and Dst %v must both be set for the VRRPv3 pseudo-header", src, dst)
	}
	if src.IsValid() && src.Is6() != v6 || dst.IsValid() && dst.Is6() != v6 {
		return bad("Src", "%v or Dst %v is not of the family of Addrs", src, dst)
	}
	var interval uint16
	switch a.Version {
	case Version3:
		if a.Interval%(10*time.Millisecond) != 0 || a.Interval < 10*time.Millisecond || a.Interval > 4095*10*time.Millisecond {
			return bad("Interval", "%v is not a whole number of centiseconds in 10ms..40.95s", a.Interval)
		}
		interval = uint16(a.Interval / (10 * time.Millisecond))
	case Version2:
		if a.Interval%time.Second != 0 || a.Interval < time.Second || a.Interval > 255*time.Second {
			return bad("Interval", "%v is not a whole number of seconds in 1s..255s", a.Interval)
		}
		interval = uint16(a.Interval / time.Second)
	}

	start := len(b)
	b = append(b, byte(a.Version)<<4|typeAdvert, a.VRID, a.Priority, byte(len(a.Addrs)))
	if a.Version == Version2 {
		auth := byte(0) // Auth Type, then Adver Int in seconds
		if a.AuthPass != "" {
			auth = authPass
		}
		b = append(b, auth, byte(interval))
	} else {
		b = binary.BigEndian.AppendUint16(b, interval&0x0fff) // 4 reserved bits, Max Adver Int
	}
	b = append(b, 0, 0) // checksum, filled below
	for _, ip := range a.Addrs {
		b = append(b, ip.Unmap().AsSlice()...)
	}
	if a.Version == Version2 {
		var data [authLen]byte
		copy(data[:], a.AuthPass)
		b = append(b, data[:]...)
	}
	msg := b[start:]
	sum := checksum(pseudoHeader(a.Version, mode, src, dst, len(msg)), msg)
	binary.BigEndian.PutUint16(msg[6:], sum)
	return b, nil
}

// ParseAdvert decodes and validates one VRRP message (without IP header)
// that arrived with IP header h. It checks, as RFC 5798 section 7.1 and RFC
// 3768 section 7.1 require, the TTL/hop limit (255, for packets sent to a
// multicast group), version, type, VRID, address count, VRRPv2
// authentication type, length and checksum. Errors are *ParseError.
//
// The returned Advert's Addrs do not alias b.
func ParseAdvert(b []byte, h IPHeader, mode ChecksumMode) (Advert, error) {
	src, dst := h.Src.Unmap(), h.Dst.Unmap()
	short := func(field string, off, need int) error {
		return &ParseError{Field: field, Offset: off, Reason: fmt.Sprintf("message is %d bytes, need %d", len(b), need), Err: io.ErrUnexpectedEOF}
	}
	bad := func(field string, off int, format string, args ...any) error {
		return &ParseError{Field: field, Offset: off, Reason: fmt.Sprintf(format, args...), Err: ErrMalformedAdvert}
	}
	if len(b) < headerLen {
		return Advert{}, short("Length", 0, headerLen)
	}
	if !src.IsValid() {
		return Advert{}, bad("Source", -1, "no IP source address")
	}
	v6 := src.Is6()
	if dst.IsValid() && dst.Is6() != v6 {
		return Advert{}, bad("Destination", -1, "source %v and destination %v differ in family", src, dst)
	}
	// RFC 5798 section 7.1: "MUST verify that the IPv4 TTL/IPv6 Hop Limit
	// is 255". keepalived applies this to multicast only, since unicast
	// peers may sit behind routers; so do we.
	if h.TTL >= 0 && h.TTL != TTL && dst.IsMulticast() {
		return Advert{}, bad("TTL", -1, "TTL/hop limit is %d, must be %d", h.TTL, TTL)
	}
	a := Advert{Version: Version(b[0] >> 4), VRID: b[1], Priority: b[2]}
	if a.Version != Version2 && a.Version != Version3 {
		return Advert{}, bad("Version", 0, "version %d is neither 2 nor 3", uint8(a.Version))
	}
	if a.Version == Version3 && !dst.IsValid() {
		return Advert{}, bad("Destination", -1, "no IP destination address for the VRRPv3 pseudo-header")
	}
	if a.Version == Version2 && v6 {
		return Advert{}, bad("Version", 0, "VRRPv2 over IPv6 (RFC 3768 is IPv4 only)")
	}
	// RFC 5798 section 5.2.2: "The only packet type defined in this version
	// of the protocol is: 1 ADVERTISEMENT. A packet with unknown type MUST
	// be discarded."
	if t := b[0] & 0x0f; t != typeAdvert {
		return Advert{}, bad("Type", 0, "type %d is not 1 (ADVERTISEMENT)", t)
	}
	// RFC 5798 section 5.2.3: VRID is 1..255.
	if a.VRID == 0 {
		return Advert{}, bad("VRID", 1, "VRID 0 is not in 1..255")
	}
	// RFC 5798 section 5.2.5: "the minimum value is 1".
	n := int(b[3])
	if n == 0 {
		return Advert{}, bad("Count", 3, "address count 0, the minimum is 1")
	}
	if a.Version == Version2 {
		// RFC 3768 section 5.3.6: type 0 is "No Authentication"; types 1
		// and 2 were removed from the protocol. Type 1, RFC 2338's simple
		// text password, is read for legacy peers (the Machine refuses
		// it unless configured); type 2 (IP Authentication Header) never.
		if b[4] != 0 && b[4] != authPass {
			return Advert{}, bad("AuthType", 4, "authentication type %d, only 0 and 1 (PASS) are supported", b[4])
		}
		if b[5] == 0 {
			return Advert{}, bad("Interval", 5, "advertisement interval 0s")
		}
		a.Interval = time.Duration(b[5]) * time.Second
	} else {
		// RFC 5798 section 5.2.6: the 4 reserved bits "MUST be set to zero
		// on transmission and ignored on reception".
		cs := binary.BigEndian.Uint16(b[4:]) & 0x0fff
		if cs == 0 {
			return Advert{}, bad("Interval", 4, "maximum advertisement interval 0cs")
		}
		a.Interval = time.Duration(cs) * 10 * time.Millisecond
	}
	alen := 4
	if v6 {
		alen = 16
	}
	want := headerLen + n*alen
	if a.Version == Version2 {
		want += authLen
	}
	// RFC 5798 section 7.1: "MUST verify that the received packet contains
	// the complete VRRP packet (including fixed fields, and IPvX
	// address(es))". keepalived also refuses longer packets ("vrrp packet
	// too long").
	if len(b) < want {
		return Advert{}, short("Length", len(b), want)
	}
	if len(b) > want {
		return Advert{}, bad("Length", want, "message is %d bytes, %d addresses need exactly %d", len(b), n, want)
	}
	// RFC 5798 section 7.1: "MUST verify the VRRP checksum".
	if checksum(pseudoHeader(a.Version, mode, src, dst, len(b)), b) != 0 {
		return Advert{}, bad("Checksum", 6, "checksum 0x%04x does not verify (%s, %s)", binary.BigEndian.Uint16(b[6:]), a.Version, mode)
	}
	if a.Version == Version2 && b[4] == authPass {
		data := b[len(b)-authLen:]
		a.AuthPass = strings.TrimRight(string(data), "\x00")
		if a.AuthPass == "" {
			return Advert{}, bad("AuthType", len(b)-authLen, "authentication type 1 (PASS) with an empty password")
		}
	}
	a.Addrs = make([]netip.Addr, n)
	for i := range n {
		off := headerLen + i*alen
		if v6 {
			a.Addrs[i] = netip.AddrFrom16([16]byte(b[off : off+16]))
			// An IPv4-mapped address (RFC 4291 section 2.5.5.2) names an
			// IPv4 node; this package unmaps it everywhere else (a VIP
			// ::ffff:192.0.2.1 is 192.0.2.1), so inside an IPv6 advert it
			// could neither be encoded again nor match a VIP. keepalived
			// has no IPv6 VIP it could equal either: vrrp_in_chk_vips
			// compares the 16 bytes against its IPv6 VIPs only, and an
			// IPv4 VIP in an IPv6 instance is refused at configuration
			// ("address family must match VRRP instance").
			if a.Addrs[i].Is4In6() {
				return Advert{}, bad("Addrs", off, "address %d is IPv4-mapped (%v) in an IPv6 advertisement", i, a.Addrs[i])
			}
		} else {
			a.Addrs[i] = netip.AddrFrom4([4]byte(b[off : off+4]))
		}
	}
	return a, nil
}

// pseudoHeader returns the bytes that precede the VRRP message in its
// checksum: none for VRRPv2 (RFC 3768 section 5.3.8) and for
// ChecksumV3AsV2 over IPv4, else the IPv4 (RFC 5798 section 5.2.8, as for
// UDP in RFC 768) or IPv6 (RFC 8200 section 8.1) pseudo-header.
func pseudoHeader(v Version, mode ChecksumMode, src, dst netip.Addr, n int) []byte {
	if v == Version2 {
		return nil
	}
	if src.Is4() {
		if mode == ChecksumV3AsV2 {
			return nil
		}
		p := make([]byte, 0, 12)
		p = append(p, src.AsSlice()...)
		p = append(p, dst.AsSlice()...)
		p = append(p, 0, IPProtocol)
		return binary.BigEndian.AppendUint16(p, uint16(n))
	}
	p := make([]byte, 0, 40)
	p = append(p, src.AsSlice()...)
	p = append(p, dst.AsSlice()...)
	p = binary.BigEndian.AppendUint32(p, uint32(n))
	return append(p, 0, 0, 0, IPProtocol)
}

// checksum is the Internet checksum (RFC 1071) of pseudo followed by msg.
// Over a message whose checksum field is filled in correctly it is 0.
func checksum(pseudo, msg []byte) uint16 {
	var sum uint32
	add := func(p []byte) {
		for len(p) >= 2 {
			sum += uint32(p[0])<<8 | uint32(p[1])
			p = p[2:]
		}
		if len(p) == 1 {
			sum += uint32(p[0]) << 8
		}
	}
	add(pseudo) // always of even length
	add(msg)
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

// Equal reports whether a and b are the same advertisement, with the
// addresses in the same order.
func (a Advert) Equal(b Advert) bool {
	return a.Version == b.Version && a.VRID == b.VRID && a.Priority == b.Priority &&
		a.Interval == b.Interval && slices.Equal(a.Addrs, b.Addrs) && a.AuthPass == b.AuthPass
}
