package cache

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/hakit/hakit"
)

// ErrUnhealthy is wrapped by every error of this package's checkers that
// comes from an answer (the server is reachable but not in the state the
// checker wants), as opposed to a failure to reach it.
var ErrUnhealthy = errors.New("cache: unhealthy")

// MemcachedChecker is a hakit.Checker of one memcached server. Check sends
// "version" and "stats" over a new connection and passes when the server
// answers both and reports accepting_conns 1 (memcached reports 0 while it
// has hit its connection limit, -c, and refuses new clients).
type MemcachedChecker struct {
	// Addr is the server's host:port.
	Addr string
	// Dial, if not nil, opens the connection; nil means a net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

var _ hakit.Checker = MemcachedChecker{}

// Check implements hakit.Checker. The ctx deadline bounds the whole check.
func (m MemcachedChecker) Check(ctx context.Context) error {
	st, err := MemcachedStats(ctx, m.Addr, m.Dial)
	if err != nil {
		return err
	}
	if v, ok := st["accepting_conns"]; ok && v != "1" {
		return fmt.Errorf("cache: memcached %s: accepting_conns %s: %w", m.Addr, v, ErrUnhealthy)
	}
	return nil
}

// MemcachedStats asks the memcached at addr for "version" and "stats" and
// returns the statistics, with the version under "version". dial may be
// nil.
func MemcachedStats(ctx context.Context, addr string, dial func(ctx context.Context, network, addr string) (net.Conn, error)) (map[string]string, error) {
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	c, err := dial(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cache: memcached %s: %w", addr, err)
	}
	defer c.Close()
	// The connection ends when ctx does: a deadline in the past unblocks
	// any read or write, after ctx.Err is set.
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := c.Write([]byte("version\r\nstats\r\n")); err != nil {
		return nil, fmt.Errorf("cache: memcached %s: %w", addr, ctxErr(ctx, err))
	}
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("cache: memcached %s: version: %w", addr, ctxErr(ctx, err))
	}
	version, ok := strings.CutPrefix(strings.TrimRight(line, "\r\n"), "VERSION ")
	if !ok {
		return nil, fmt.Errorf("cache: memcached %s: version answered %q: %w", addr, strings.TrimSpace(line), ErrUnhealthy)
	}
	var lines []string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("cache: memcached %s: stats: %w", addr, ctxErr(ctx, err))
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "END" {
			break
		}
		lines = append(lines, line)
		if len(lines) > 10000 {
			return nil, fmt.Errorf("cache: memcached %s: stats: no END after %d lines: %w", addr, len(lines), ErrUnhealthy)
		}
	}
	st, err := ParseMemcachedStats(lines)
	if err != nil {
		return nil, fmt.Errorf("cache: memcached %s: %w", addr, err)
	}
	st["version"] = version
	return st, nil
}

// ParseMemcachedStats parses the lines of a memcached "stats" answer
// ("STAT name value" each, without the final END).
func ParseMemcachedStats(lines []string) (map[string]string, error) {
	st := make(map[string]string, len(lines))
	for _, l := range lines {
		rest, ok := strings.CutPrefix(l, "STAT ")
		name, value, ok2 := strings.Cut(rest, " ")
		if !ok || !ok2 || name == "" {
			return nil, fmt.Errorf("stats: bad line %q: %w", l, ErrUnhealthy)
		}
		st[name] = value
	}
	return st, nil
}

// ctxErr prefers the context's error to the I/O error it caused.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%w)", ctx.Err(), err)
	}
	return err
}
