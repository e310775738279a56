package lb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"

	"github.com/hakit/hakit"
)

// TCPCheck is HAProxy's default check: a connection that opens is healthy.
func TCPCheck(addr string) hakit.Checker {
	return hakit.CheckerFunc(func(ctx context.Context) error {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return fmt.Errorf("lb: tcp check %s: %w", addr, err)
		}
		return c.Close()
	})
}

// HTTPCheck is HAProxy's "option httpchk <method> <uri>": healthy when the
// answer's status is expect, or any 2xx or 3xx when expect is zero
// (HAProxy's default without "http-check expect"). An empty method means
// OPTIONS, HAProxy's default. Galera's clustercheck is an HTTPCheck on its
// port (9200).
func HTTPCheck(method, url string, expect int) hakit.Checker {
	if method == "" {
		method = http.MethodOptions
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return hakit.CheckerFunc(func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, method, url, nil)
		if err != nil {
			return fmt.Errorf("lb: http check: %w", err)
		}
		req.Close = true
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("lb: http check %s: %w", url, err)
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		ok := resp.StatusCode >= 200 && resp.StatusCode < 400
		if expect != 0 {
			ok = resp.StatusCode == expect
		}
		if !ok {
			return fmt.Errorf("lb: http check %s: status %d", url, resp.StatusCode)
		}
		return nil
	})
}

// ErrMySQLRefused is a MySQL check's failure when the server answered its
// greeting with an error packet (too many connections, host blocked).
var ErrMySQLRefused = errors.New("lb: mysql server refused the connection")

// MySQLCheck is HAProxy's "option mysql-check" without a user: healthy when
// the server sends a protocol 10 handshake (an error packet is a failure).
func MySQLCheck(addr string) hakit.Checker {
	return hakit.CheckerFunc(func(ctx context.Context) error {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return fmt.Errorf("lb: mysql check %s: %w", addr, err)
		}
		defer c.Close()
		if dl, ok := ctx.Deadline(); ok {
			c.SetDeadline(dl)
		}
		return readMySQLGreeting(c)
	})
}

// readMySQLGreeting reads one MySQL packet (3-byte length, sequence id,
// payload) and checks it is a handshake, protocol version 10.
func readMySQLGreeting(r io.Reader) error {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return fmt.Errorf("lb: mysql check: reading greeting: %w", err)
	}
	n := int(hdr[0]) | int(hdr[1])<<8 | int(hdr[2])<<16
	if n == 0 || n > 1<<16 {
		return fmt.Errorf("lb: mysql check: greeting of %d bytes", n)
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(r, p); err != nil {
		return fmt.Errorf("lb: mysql check: reading greeting: %w", err)
	}
	switch p[0] {
	case 10:
		return nil
	case 0xff:
		return fmt.Errorf("%w: %q", ErrMySQLRefused, p[min(len(p), 3):])
	}
	return fmt.Errorf("lb: mysql check: protocol version %d, want 10", p[0])
}
