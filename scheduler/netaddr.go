package scheduler

import (
	"math/big"
	"net/netip"
	"strconv"
	"strings"
)

// This file reproduces the two pieces of the netaddr library (0.8, the one
// nova uses) that SimpleCIDRAffinityFilter relies on: parsing
// IPNetwork(build_near_host_ip + cidr) and testing IPAddress(host_ip) in it.

// ipNet is a parsed netaddr.IPNetwork: its version and the first and last
// address it covers.
type ipNet struct {
	v4          bool
	first, last netip.Addr
}

// contains is netaddr's "IPAddress in IPNetwork": false across versions (an
// IPv4-mapped IPv6 address is IPv6), else first <= a <= last.
func (n ipNet) contains(a netip.Addr) bool {
	if a.Is4() != n.v4 {
		return false
	}
	return n.first.Compare(a) <= 0 && a.Compare(n.last) <= 0
}

// parseIPNetwork is netaddr.IPNetwork(s) with the default flags: it tries
// IPv4 first and then IPv6. The address part is read with inet_pton, or for
// IPv4 as a partial address ("10", "10.1", " 010.0.0.1" expand with Python's
// int() per octet); the part after "/" is a prefix length read with int(),
// or a netmask or hostmask in address form.
func parseIPNetwork(s string) (ipNet, bool) {
	if n, ok := parseIPNetworkVersion(s, true); ok {
		return n, true
	}
	return parseIPNetworkVersion(s, false)
}

func parseIPNetworkVersion(s string, v4 bool) (ipNet, bool) {
	val1, val2, hasSlash := strings.Cut(s, "/")
	ip, ok := inetPton(val1, v4)
	if !ok {
		if !v4 {
			return ipNet{}, false
		}
		expanded, ok := expandPartialIPv4(val1)
		if !ok {
			return ipNet{}, false
		}
		if ip, ok = inetPton(expanded, true); !ok {
			return ipNet{}, false
		}
	}
	width := 128
	if v4 {
		width = 32
	}
	prefix := width
	if hasSlash {
		if n, ok := pyParseBigInt(val2); ok {
			if n.Sign() < 0 || n.Cmp(big.NewInt(int64(width))) > 0 {
				return ipNet{}, false
			}
			prefix = int(n.Int64())
		} else {
			mask, ok := inetPton(val2, v4)
			if !ok {
				return ipNet{}, false
			}
			if prefix, ok = maskPrefix(mask, width); !ok {
				return ipNet{}, false
			}
		}
	}
	b := ip.AsSlice()
	first := make([]byte, len(b))
	last := make([]byte, len(b))
	for i := range b {
		bits := prefix - 8*i // network bits in this byte
		var m byte
		switch {
		case bits >= 8:
			m = 0xff
		case bits > 0:
			m = ^byte(0xff >> uint(bits))
		}
		first[i] = b[i] & m
		last[i] = b[i] | ^m
	}
	fa, _ := netip.AddrFromSlice(first)
	la, _ := netip.AddrFromSlice(last)
	return ipNet{v4: v4, first: fa, last: la}, true
}

// maskPrefix returns the prefix length of a netmask (ones then zeros) or,
// failing that, of a hostmask (zeros then ones), as netaddr checks them.
func maskPrefix(mask netip.Addr, width int) (int, bool) {
	b := mask.AsSlice()
	ones := 0
	for _, x := range b {
		for bit := 7; bit >= 0; bit-- {
			if x&(1<<uint(bit)) != 0 {
				ones++
			}
		}
	}
	contiguous := func(lead byte) bool {
		// lead bits first, then the other value, never back
		seenOther := false
		for _, x := range b {
			for bit := 7; bit >= 0; bit-- {
				v := (x >> uint(bit)) & 1
				if v != lead {
					seenOther = true
				} else if seenOther {
					return false
				}
			}
		}
		return true
	}
	if contiguous(1) {
		return ones, true
	}
	if contiguous(0) {
		return width - ones, true
	}
	return 0, false
}

// inetPton is the C library's inet_pton for one address family: IPv4 as
// exactly four decimal octets without leading zeros, IPv6 in any RFC 4291
// text form without a zone.
func inetPton(s string, v4 bool) (netip.Addr, bool) {
	if v4 {
		var b [4]byte
		parts := strings.Split(s, ".")
		if len(parts) != 4 {
			return netip.Addr{}, false
		}
		for i, p := range parts {
			if p == "" || len(p) > 3 || (len(p) > 1 && p[0] == '0') {
				return netip.Addr{}, false
			}
			n := 0
			for j := 0; j < len(p); j++ {
				if p[j] < '0' || p[j] > '9' {
					return netip.Addr{}, false
				}
				n = n*10 + int(p[j]-'0')
			}
			if n > 255 {
				return netip.Addr{}, false
			}
			b[i] = byte(n)
		}
		return netip.AddrFrom4(b), true
	}
	if !strings.Contains(s, ":") || strings.ContainsAny(s, "% \t\n\r\v\f") {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is6() {
		return netip.Addr{}, false
	}
	return a, true
}

// expandPartialIPv4 is netaddr's expand_partial_address: one to four
// dot-separated integers read with Python's int(), padded with zero octets.
func expandPartialIPv4(s string) (string, bool) {
	if strings.Contains(s, ":") {
		return "", false
	}
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return "", false
	}
	out := make([]string, 4)
	for i := range out {
		out[i] = "0"
	}
	for i, p := range parts {
		n, ok := pyParseBigInt(p)
		if !ok {
			return "", false
		}
		out[i] = n.String()
	}
	return strings.Join(out, "."), true
}

// parseHostIP reads a host's IP address. It accepts what netip.ParseAddr
// accepts without a zone; netaddr's inet_aton forms ("10.1", octal octets)
// are refused.
func parseHostIP(s string) (netip.Addr, bool) {
	if strings.Contains(s, "%") {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a, true
}

// netaddrString is str(netaddr.IPAddress): inet_ntop's text form, which
// writes an IPv4-compatible address (::a.b.c.d) with a dotted quad.
func netaddrString(a netip.Addr) string {
	if a.Is6() && !a.Is4In6() {
		b := a.As16()
		zero := true
		for _, x := range b[:12] {
			if x != 0 {
				zero = false
				break
			}
		}
		if zero && (b[12] != 0 || b[13] != 0) {
			return "::" + strconv.Itoa(int(b[12])) + "." + strconv.Itoa(int(b[13])) + "." +
				strconv.Itoa(int(b[14])) + "." + strconv.Itoa(int(b[15]))
		}
	}
	return a.String()
}
