package hakit_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
	"testing/synctest"

	"github.com/hakit/hakit"
	"github.com/hakit/hakit/hakittest"
)

// Each row names the HAProxy 2.6 check_status a failure of that kind gets
// (management guide 9.1, "check_status").
func TestClassifyCheckError(t *testing.T) {
	dial := func(err error) error { return &net.OpError{Op: "dial", Net: "tcp", Err: err} }
	tests := []struct {
		name string
		err  error
		want hakit.CheckStatus
		code int
	}{
		{"a Checker names its class", fmt.Errorf("probe: %w", &hakit.CheckError{Status: hakit.CheckL7Status, Code: 503}), hakit.CheckL7Status, 503},
		{"a passed class in a CheckError is no pass", &hakit.CheckError{Status: hakit.CheckL7OK}, hakit.CheckUnknown, 0},
		{"an unknown class in a CheckError", &hakit.CheckError{Status: 99}, hakit.CheckUnknown, 0},
		{"a code without a class leaves the class to the wrapped error", &hakit.CheckError{Code: 421, Err: context.DeadlineExceeded}, hakit.CheckL7Timeout, 421},
		{"L4CON: connection refused (TCP RST)", dial(&os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}), hakit.CheckL4Conn, 0},
		{"L4CON: no route to host (ICMP)", fmt.Errorf("probe: %w", syscall.EHOSTUNREACH), hakit.CheckL4Conn, 0},
		{"L4CON: any other failed dial", dial(errors.New("no such host")), hakit.CheckL4Conn, 0},
		{"L4TOUT: a dial that timed out", dial(os.ErrDeadlineExceeded), hakit.CheckL4Timeout, 0},
		{"L7RSP: reset after connecting", &net.OpError{Op: "read", Net: "tcp", Err: &os.SyscallError{Syscall: "read", Err: syscall.ECONNRESET}}, hakit.CheckL7Resp, 0},
		{"L6RSP: TLS alert", fmt.Errorf("handshake: %w", tls.AlertError(40)), hakit.CheckL6Resp, 0},
		{"L6RSP: unknown certificate authority", &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}, hakit.CheckL6Resp, 0},
		{"L7TOUT: the check's ctx ran out", fmt.Errorf("query: %w", context.DeadlineExceeded), hakit.CheckL7Timeout, 0},
		{"L7TOUT: a read deadline", &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}, hakit.CheckL7Timeout, 0},
		{"L7TOUT: the previous check still running", hakit.ErrCheckRunning, hakit.CheckL7Timeout, 0},
		{"UNK: an error that says nothing of its layer", errors.New("wsrep not ready"), hakit.CheckUnknown, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, code := hakit.ClassifyCheckError(tt.err)
			if got != tt.want || code != tt.code {
				t.Errorf("ClassifyCheckError(%v) = %v, %d; want %v, %d", tt.err, got, code, tt.want, tt.code)
			}
		})
	}
}

// A real refused connection on loopback is L4CON.
func TestClassifyRefusedDial(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = net.Dial("tcp", addr)
	if err == nil {
		t.Fatalf("dial %s after closing its listener succeeded", addr)
	}
	if got, _ := hakit.ClassifyCheckError(err); got != hakit.CheckL4Conn {
		t.Fatalf("ClassifyCheckError(%v) = %v, want L4CON", err, got)
	}
}

func TestCheckStatusNames(t *testing.T) {
	// HAProxy 2.6 management guide 9.1, "check_status".
	want := "UNK INI SOCKERR L4OK L4TOUT L4CON L6OK L6TOUT L6RSP L7OK L7OKC L7TOUT L7RSP L7STS PROCERR PROCTOUT PROCOK"
	var got string
	for s := hakit.CheckUnknown; s <= hakit.CheckProcOK; s++ {
		if got != "" {
			got += " "
		}
		got += s.String()
	}
	if got != want {
		t.Fatalf("names:\n got %s\nwant %s", got, want)
	}
	if s := hakit.CheckStatus(99).String(); s != "CheckStatus(99)" {
		t.Fatalf("out of range: %s", s)
	}
}

// Stats carries the class of the last check: INI before any, PassStatus for
// a pass, the Checker's class for a failure.
func TestMonitorCheckStatus(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		chk := &hakittest.Checker{}
		m, err := hakit.NewMonitor(hakit.MonitorConfig{Checker: chk, PassStatus: hakit.CheckL4OK})
		if err != nil {
			t.Fatal(err)
		}
		var trail []string
		add := func() {
			s := m.Stats()
			trail = append(trail, fmt.Sprintf("%v/%d", s.CheckStatus, s.CheckCode))
		}
		add()
		chk.Script(nil, &hakit.CheckError{Status: hakit.CheckL7Status, Code: 503}, context.DeadlineExceeded)
		for range 3 {
			runOneCheck(t, m, chk)
			add()
		}
		if got, want := fmt.Sprint(trail), "[INI/0 L4OK/0 L7STS/503 L7TOUT/0]"; got != want {
			t.Fatalf("check statuses %s, want %s", got, want)
		}
	})
	if _, err := hakit.NewMonitor(hakit.MonitorConfig{Checker: &hakittest.Checker{}, PassStatus: hakit.CheckL4Conn}); err == nil {
		t.Fatal("PassStatus L4CON accepted")
	}
}
