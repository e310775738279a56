package cache

import (
	"errors"
	"fmt"
	"math"
	"net"
	"strings"
)

// ErrInvalidServer is wrapped by every error about a malformed server
// specification; the *SpecError around it names the field.
var ErrInvalidServer = errors.New("cache: invalid server")

// SpecError reports a malformed server specification. It wraps
// ErrInvalidServer.
type SpecError struct {
	Spec   string // the specification as given, for one server
	Field  string // "host", "port", "weight", "name" or "servers"
	Reason string
}

func (e *SpecError) Error() string {
	return fmt.Sprintf("cache: server %q: %s: %s", e.Spec, e.Field, e.Reason)
}

// Unwrap returns ErrInvalidServer.
func (e *SpecError) Unwrap() error { return ErrInvalidServer }

// DefaultPort is memcached's port. twemproxy and libmemcached leave it out
// of the name they hash, so "10.0.0.1:11211" hashes as "10.0.0.1".
const DefaultPort = 11211

// MaxWeight is the largest weight of one server: nutcracker reads weights
// into a C int.
const MaxWeight = math.MaxInt32

// Server is one memcached server of a Ring.
type Server struct {
	// Addr is "host:port" as written. The host is used as written (no
	// DNS lookup, no canonical form) in the name that places the server
	// on the ring, exactly as nutcracker and libmemcached use the string
	// they were given, so "localhost:11311" and "127.0.0.1:11311" are
	// different servers to all three.
	Addr string
	// Weight is the server's share of the keys relative to the others,
	// from 1 to MaxWeight. Zero means 1: NewRing, String and the Ring's
	// copies (Ring.Servers) all read it as 1, so a zero never reaches a
	// placement. Only the text form refuses a written 0 (ParseServer), as
	// nutcracker does, since a configuration that says 0 meant something
	// other than the default.
	Weight int
	// Name, when not empty, replaces the address in the hashed name, as
	// twemproxy's "host:port:weight name" form does, so that a server can
	// move to another address and keep its keys. Only ModeTwemproxy has
	// names.
	Name string
}

// String returns the server in the form ParseServer reads:
// "host:port:weight" or "host:port:weight name".
func (s Server) String() string {
	w := s.Weight
	if w == 0 {
		w = 1
	}
	if s.Name == "" {
		return fmt.Sprintf("%s:%d", s.Addr, w)
	}
	return fmt.Sprintf("%s:%d %s", s.Addr, w, s.Name)
}

// hostPort splits Addr at its last colon, as nutcracker parses a server
// from the end of the line (so an IPv6 address may be written with or
// without brackets). It returns the host text, the port text and the port.
func (s Server) hostPort() (host, portText string, port int, ok bool) {
	i := strings.LastIndexByte(s.Addr, ':')
	if i <= 0 {
		return "", "", 0, false
	}
	host, portText = s.Addr[:i], s.Addr[i+1:]
	port, ok = atoi(portText)
	if !ok || port < 1 || port > math.MaxUint16 {
		return "", "", 0, false
	}
	return host, portText, port, true
}

// DialAddr returns the address to dial for the server, in the form of
// net.Dial: brackets are added around an IPv6 host as needed.
func (s Server) DialAddr() string {
	host, portText, _, ok := s.hostPort()
	if !ok {
		return s.Addr
	}
	return net.JoinHostPort(strings.Trim(host, "[]"), portText)
}

// ParseServers parses a comma-separated list of servers in nutcracker's
// form, "host:port:weight [name]" each, as the examples/ketama -servers
// flag takes them: "10.0.0.1:11211:1,10.0.0.2:11211:2 cache-b".
// Spaces around each entry are ignored. Errors are *SpecError.
func ParseServers(list string) ([]Server, error) {
	if strings.TrimSpace(list) == "" {
		return nil, &SpecError{Spec: list, Field: "servers", Reason: "no servers"}
	}
	parts := strings.Split(list, ",")
	out := make([]Server, 0, len(parts))
	var total uint64
	for _, p := range parts {
		s, err := ParseServer(p)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
		total += uint64(s.Weight)
	}
	if total > math.MaxUint32 {
		// What NewRing refuses, refused here already: nutcracker adds the
		// weights of a pool in a uint32.
		return nil, &SpecError{Spec: list, Field: "weight", Reason: fmt.Sprintf("the weights add up to %d, more than %d", total, uint64(math.MaxUint32))}
	}
	return out, nil
}

// ParseServer parses one server in nutcracker's "host:port:weight [name]"
// form (nutcracker's conf_add_server reads it from the end: the name after
// the last space, then the weight and the port after the last two colons).
// Spaces around the whole are ignored. Errors are *SpecError naming the
// field.
func ParseServer(spec string) (Server, error) {
	orig := spec
	spec = strings.TrimSpace(spec)
	fail := func(field, format string, args ...any) (Server, error) {
		return Server{}, &SpecError{Spec: orig, Field: field, Reason: fmt.Sprintf(format, args...)}
	}
	if spec == "" {
		return fail("servers", "empty server")
	}
	var s Server
	if i := strings.LastIndexByte(spec, ' '); i >= 0 {
		s.Name = spec[i+1:]
		spec = spec[:i]
		if strings.ContainsFunc(s.Name, badNameRune) {
			return fail("name", "%q contains a space, comma or control character", s.Name)
		}
	}
	if strings.ContainsFunc(spec, badNameRune) {
		return fail("host", "the address %q contains a space, comma or control character (want host:port:weight [name])", spec)
	}
	i := strings.LastIndexByte(spec, ':')
	if i < 0 {
		return fail("weight", "missing (want host:port:weight [name])")
	}
	weightText := spec[i+1:]
	s.Addr = spec[:i]
	w, ok := atoi(weightText)
	switch {
	case weightText == "":
		return fail("weight", "missing (want host:port:weight [name])")
	case !ok:
		return fail("weight", "%q is not a number from 1 to %d", weightText, MaxWeight)
	case w == 0:
		// nutcracker's conf_add_server: "has a zero weight".
		return fail("weight", "0 is refused, as nutcracker refuses it (write 1 or more)")
	}
	s.Weight = w
	j := strings.LastIndexByte(s.Addr, ':')
	if j < 0 {
		return fail("port", "missing (want host:port:weight [name])")
	}
	host, portText := s.Addr[:j], s.Addr[j+1:]
	if p, ok := atoi(portText); !ok || p < 1 || p > math.MaxUint16 {
		return fail("port", "%q is not a port from 1 to 65535", portText)
	}
	if host == "" {
		return fail("host", "missing (want host:port:weight [name])")
	}
	return s, nil
}

// badNameRune reports characters that no part of a server spec may hold.
func badNameRune(r rune) bool {
	return r == ' ' || r == ',' || r < 0x20 || r == 0x7f
}

// atoi parses a non-empty string of ASCII digits no larger than MaxWeight,
// as nutcracker's nc_atoi does (no sign, no spaces).
func atoi(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
		if n > MaxWeight {
			return 0, false
		}
	}
	return n, true
}

// FormatServers is the inverse of ParseServers.
func FormatServers(servers []Server) string {
	parts := make([]string, len(servers))
	for i, s := range servers {
		parts[i] = s.String()
	}
	return strings.Join(parts, ",")
}
