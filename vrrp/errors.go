package vrrp

import (
	"errors"
	"fmt"
)

// Sentinel errors. Everything the package returns wraps one of them (or a
// context error), so callers branch with errors.Is.
var (
	// ErrMalformedAdvert is wrapped by every *ParseError that is not about
	// short input (short input wraps io.ErrUnexpectedEOF instead).
	ErrMalformedAdvert = errors.New("vrrp: malformed advertisement")
	// ErrInvalidAdvert is returned by AppendAdvert when an Advert cannot
	// be encoded (an interval the version cannot carry, no addresses, ...).
	ErrInvalidAdvert = errors.New("vrrp: advertisement cannot be encoded")
	// ErrAdvertRejected is wrapped by the error Machine.Step returns for an
	// advertisement that parsed but does not belong to this virtual router
	// as configured (other version, family, address list or, in VRRPv2,
	// advertisement interval). Such adverts are counted and dropped.
	ErrAdvertRejected = errors.New("vrrp: advertisement rejected")
	// ErrInvalidConfig is wrapped by New and NewMachine when a Config field
	// is out of range; the message names the field.
	ErrInvalidConfig = errors.New("vrrp: invalid config")
	// ErrUnsupported is returned by the raw-socket transport on systems
	// other than Linux.
	ErrUnsupported = errors.New("vrrp: not supported on this system")
)

// ParseError describes why ParseAdvert refused a packet: which field, at
// which byte offset of the VRRP message (-1 for a field of the IP header,
// such as the TTL), and why. It wraps io.ErrUnexpectedEOF when the input
// is shorter than the field needs, and ErrMalformedAdvert otherwise.
type ParseError struct {
	// Field is the name of the offending field: "Length", "Version",
	// "Type", "VRID", "Count", "AuthType", "Interval", "TTL", "Checksum",
	// "Addrs" (an IPv4-mapped address in an IPv6 advert), "Source",
	// "Destination".
	Field string
	// Offset is the byte offset of Field in the VRRP message, or -1 for an
	// IP header field.
	Offset int
	// Reason says what was wrong with the value.
	Reason string
	// Err is io.ErrUnexpectedEOF or ErrMalformedAdvert.
	Err error
}

func (e *ParseError) Error() string {
	if e.Offset < 0 {
		return fmt.Sprintf("vrrp: parse advertisement: %s (IP header): %s", e.Field, e.Reason)
	}
	return fmt.Sprintf("vrrp: parse advertisement: %s at offset %d: %s", e.Field, e.Offset, e.Reason)
}

// Unwrap returns io.ErrUnexpectedEOF or ErrMalformedAdvert.
func (e *ParseError) Unwrap() error { return e.Err }

// RejectError says why a Machine dropped a well-formed advertisement.
// It wraps ErrAdvertRejected.
type RejectError struct {
	// Field is what did not match: "Version", "VRID", "Family", "Addrs",
	// "Interval", "Source" (our own address), or, from a Router,
	// "Destination" (multicast where unicast was expected or the
	// reverse) and "Peer" (a sender that is not a unicast peer, with
	// Config.CheckUnicastSource); "AuthType" and "AuthPass" for a VRRPv2
	// password that is missing, unexpected or different.
	Field string
	// Reason is a readable explanation, in the words keepalived logs
	// where there are some.
	Reason string
}

func (e *RejectError) Error() string {
	return "vrrp: advertisement rejected: " + e.Field + ": " + e.Reason
}

// Unwrap returns ErrAdvertRejected.
func (e *RejectError) Unwrap() error { return ErrAdvertRejected }

// ConfFileError is an error in a keepalived.conf: where, and what. It
// wraps ErrInvalidConfig.
type ConfFileError struct {
	File string
	Line int
	// Msg says what is wrong, naming the keyword.
	Msg string
}

func (e *ConfFileError) Error() string {
	return fmt.Sprintf("vrrp: %s:%d: %s", e.File, e.Line, e.Msg)
}

// Unwrap returns ErrInvalidConfig.
func (e *ConfFileError) Unwrap() error { return ErrInvalidConfig }

func confErrorf(file string, line int, format string, args ...any) error {
	return &ConfFileError{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
}
