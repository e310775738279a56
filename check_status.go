package hakit

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
)

// CheckStatus is the class of a check's result, named as HAProxy's
// "check_status" stats column names it (HAProxy 2.6 management guide,
// section 9.1): the layer the check reached and how it ended there.
type CheckStatus int

// The classes HAProxy 2.6 reports. The zero value is CheckUnknown.
const (
	// CheckUnknown ("UNK"): the result could not be classified.
	CheckUnknown CheckStatus = iota
	// CheckInit ("INI"): no check has finished yet.
	CheckInit
	// CheckSockErr ("SOCKERR"): a local socket error before any
	// connection attempt.
	CheckSockErr
	// CheckL4OK ("L4OK"): passed on layer 4, no upper layer tested.
	CheckL4OK
	// CheckL4Timeout ("L4TOUT"): layer 1-4 timeout, such as a connect
	// that never completed.
	CheckL4Timeout
	// CheckL4Conn ("L4CON"): layer 1-4 connection problem, such as
	// "Connection refused" (TCP RST) or "No route to host" (ICMP).
	CheckL4Conn
	// CheckL6OK ("L6OK"): passed on layer 6 (TLS).
	CheckL6OK
	// CheckL6Timeout ("L6TOUT"): layer 6 (TLS) timeout.
	CheckL6Timeout
	// CheckL6Resp ("L6RSP"): layer 6 invalid response, a TLS protocol
	// or certificate error.
	CheckL6Resp
	// CheckL7OK ("L7OK"): passed on layer 7.
	CheckL7OK
	// CheckL7OKC ("L7OKC"): conditionally passed on layer 7, as a 404
	// under "http-check disable-on-404".
	CheckL7OKC
	// CheckL7Timeout ("L7TOUT"): layer 7 timeout: connected, but no
	// complete answer within the check's timeout.
	CheckL7Timeout
	// CheckL7Resp ("L7RSP"): layer 7 invalid response, a protocol error.
	CheckL7Resp
	// CheckL7Status ("L7STS"): layer 7 response error, such as an HTTP
	// 5xx or a database that answers it is not ready.
	CheckL7Status
	// CheckProcErr ("PROCERR"): an external check process failed.
	CheckProcErr
	// CheckProcTimeout ("PROCTOUT"): an external check process timed
	// out.
	CheckProcTimeout
	// CheckProcOK ("PROCOK"): an external check process passed.
	CheckProcOK
)

var checkStatusNames = [...]string{
	CheckUnknown:     "UNK",
	CheckInit:        "INI",
	CheckSockErr:     "SOCKERR",
	CheckL4OK:        "L4OK",
	CheckL4Timeout:   "L4TOUT",
	CheckL4Conn:      "L4CON",
	CheckL6OK:        "L6OK",
	CheckL6Timeout:   "L6TOUT",
	CheckL6Resp:      "L6RSP",
	CheckL7OK:        "L7OK",
	CheckL7OKC:       "L7OKC",
	CheckL7Timeout:   "L7TOUT",
	CheckL7Resp:      "L7RSP",
	CheckL7Status:    "L7STS",
	CheckProcErr:     "PROCERR",
	CheckProcTimeout: "PROCTOUT",
	CheckProcOK:      "PROCOK",
}

// String returns HAProxy's name for the class ("L4CON", "L7OK", ...).
func (s CheckStatus) String() string {
	if s >= 0 && int(s) < len(checkStatusNames) {
		return checkStatusNames[s]
	}
	return fmt.Sprintf("CheckStatus(%d)", int(s))
}

// Passed reports whether the class is one of a passed check (L4OK, L6OK,
// L7OK, L7OKC, PROCOK).
func (s CheckStatus) Passed() bool {
	switch s {
	case CheckL4OK, CheckL6OK, CheckL7OK, CheckL7OKC, CheckProcOK:
		return true
	}
	return false
}

func (s CheckStatus) valid() bool { return s >= 0 && int(s) < len(checkStatusNames) }

// CheckError is an error a Checker returns to name the class of its
// failure, and optionally the layer 5-7 code it saw (an HTTP status, as
// HAProxy's "check_code"), when the error alone would not tell.
type CheckError struct {
	// Status is the class; a passed class (see CheckStatus.Passed) is
	// still a failure, reported as CheckUnknown. CheckUnknown (zero)
	// leaves the class to what Err tells.
	Status CheckStatus
	// Code is the layer 5-7 code, 0 if none.
	Code int
	// Err is the underlying error; it may be nil.
	Err error
}

// Error returns the class, the code if any, and the underlying error.
func (e *CheckError) Error() string {
	s := "hakit: check failed: " + e.Status.String()
	if e.Code != 0 {
		s += fmt.Sprintf(" (code %d)", e.Code)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (e *CheckError) Unwrap() error { return e.Err }

// ClassifyCheckError returns the class of a failed check's error, and
// the layer 5-7 code a *CheckError carries (0 otherwise). It tells what
// the error tells:
//
//   - a *CheckError anywhere in the chain names its class;
//   - a failed dial (a *net.OpError with Op "dial") is L4TOUT when it timed
//     out and L4CON otherwise; ECONNREFUSED, EHOSTUNREACH and ENETUNREACH
//     are L4CON wherever they appear;
//   - ECONNRESET or EPIPE outside a dial (connected, then cut off) is L7RSP;
//   - a TLS alert, record or certificate error is L6RSP;
//   - any other timeout (context.DeadlineExceeded, os.ErrDeadlineExceeded,
//     a net.Error whose Timeout is true) is L7TOUT: the target accepted
//     the check but did not answer it in time;
//   - everything else is UNK: a Checker that knows better returns a
//     *CheckError.
//
// A nil error is not a failure: ClassifyCheckError(nil) is CheckUnknown.
func ClassifyCheckError(err error) (CheckStatus, int) {
	if err == nil {
		return CheckUnknown, 0
	}
	if ce, ok := errors.AsType[*CheckError](err); ok {
		switch {
		case ce.Status == CheckUnknown && ce.Err != nil:
			// A code without a class: the wrapped error may tell.
			class, _ := ClassifyCheckError(ce.Err)
			return class, ce.Code
		case ce.Status.Passed() || !ce.Status.valid():
			return CheckUnknown, ce.Code
		}
		return ce.Status, ce.Code
	}
	if op, ok := errors.AsType[*net.OpError](err); ok && op.Op == "dial" {
		if op.Timeout() {
			return CheckL4Timeout, 0
		}
		return CheckL4Conn, 0
	}
	for _, errno := range []syscall.Errno{syscall.ECONNREFUSED, syscall.EHOSTUNREACH, syscall.ENETUNREACH} {
		if errors.Is(err, errno) {
			return CheckL4Conn, 0
		}
	}
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		// Connected, then cut off: HAProxy reports a connection error
		// past layer 4 at the layer the check had reached.
		return CheckL7Resp, 0
	}
	if isTLSError(err) {
		return CheckL6Resp, 0
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, ErrCheckRunning) {
		return CheckL7Timeout, 0
	}
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		return CheckL7Timeout, 0
	}
	return CheckUnknown, 0
}

func isTLSError(err error) bool {
	if _, ok := errors.AsType[tls.AlertError](err); ok {
		return true
	}
	if _, ok := errors.AsType[tls.RecordHeaderError](err); ok {
		return true
	}
	if _, ok := errors.AsType[*tls.CertificateVerificationError](err); ok {
		return true
	}
	if _, ok := errors.AsType[x509.UnknownAuthorityError](err); ok {
		return true
	}
	if _, ok := errors.AsType[x509.HostnameError](err); ok {
		return true
	}
	if _, ok := errors.AsType[x509.CertificateInvalidError](err); ok {
		return true
	}
	return false
}
