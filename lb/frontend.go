package lb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Mode is HAProxy's "mode": what a frontend proxies.
type Mode int

const (
	// ModeTCP proxies connections: one server per connection, bytes both
	// ways, half-close passed on. HAProxy's default.
	ModeTCP Mode = iota
	// ModeHTTP proxies HTTP/1.1 requests: every request, kept-alive ones
	// included, is balanced again.
	ModeHTTP
)

// String returns HAProxy's keyword.
func (m Mode) String() string {
	switch m {
	case ModeTCP:
		return "tcp"
	case ModeHTTP:
		return "http"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// FrontendConfig is a HAProxy frontend: where to listen and which backend
// serves it.
type FrontendConfig struct {
	// Name identifies the frontend in stats.
	Name string
	// Mode is ModeTCP (the zero value, HAProxy's default) or ModeHTTP.
	Mode Mode
	// Backend serves the frontend's traffic. Required.
	Backend *Backend
	// ClientTimeout is the longest the client may stay silent ("timeout
	// client"). Zero means no limit.
	ClientTimeout time.Duration
	// MaxConn bounds the frontend's concurrent connections; more wait in
	// the kernel's accept queue. Zero means no limit.
	MaxConn int
	// Logger, if not nil, receives proxying errors.
	Logger *slog.Logger
}

// Frontend accepts connections and proxies them to its Backend. It is safe
// for concurrent use.
type Frontend struct {
	cfg  FrontendConfig
	http *httpProxy

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
	closed bool

	cur, max, tot atomic.Int64
	bin, bout     atomic.Int64
	hrsp          [6]atomic.Int64
}

// NewFrontend validates cfg and returns a Frontend. It does no I/O.
func NewFrontend(cfg FrontendConfig) (*Frontend, error) {
	if cfg.Backend == nil {
		return nil, configErr("Backend", "", "is nil")
	}
	if cfg.Mode != ModeTCP && cfg.Mode != ModeHTTP {
		return nil, configErr("Mode", cfg.Mode.String(), "not a Mode")
	}
	if cfg.ClientTimeout < 0 {
		return nil, configErr("ClientTimeout", cfg.ClientTimeout.String(), "is negative")
	}
	if cfg.MaxConn < 0 {
		return nil, configErr("MaxConn", itoa(cfg.MaxConn), "is negative")
	}
	f := &Frontend{cfg: cfg, conns: make(map[net.Conn]struct{})}
	if cfg.Mode == ModeHTTP {
		f.http = newHTTPProxy(f)
	}
	return f, nil
}

// Name returns the frontend's name.
func (f *Frontend) Name() string { return f.cfg.Name }

// Backend returns the frontend's backend.
func (f *Frontend) Backend() *Backend { return f.cfg.Backend }

// Serve accepts connections on ln until ctx is done, then stops accepting
// and waits for the connections it proxies to end: a graceful drain. It does
// not close ln, so that a reloaded configuration can serve the same
// listener (HAProxy's seamless reload); close ln to give the port up. It
// returns nil after a drain and the accept error otherwise.
func (f *Frontend) Serve(ctx context.Context, ln net.Listener) error {
	if f.http != nil {
		return f.http.serve(ctx, ln)
	}
	stop := context.AfterFunc(ctx, func() { unblockAccept(ln) })
	defer stop()
	var sem chan struct{}
	if f.cfg.MaxConn > 0 {
		sem = make(chan struct{}, f.cfg.MaxConn)
	}
	var err error
	for {
		if sem != nil {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			break
		}
		var c net.Conn
		c, err = ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				err = nil
				break
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			break
		}
		if !f.add(c) {
			c.Close()
			break
		}
		f.wg.Go(func() {
			defer f.remove(c)
			if sem != nil {
				defer func() { <-sem }()
			}
			f.serveTCP(c)
		})
	}
	resetAccept(ln)
	f.wg.Wait()
	return err
}

// unblockAccept makes a blocked Accept return without closing ln.
func unblockAccept(ln net.Listener) {
	if d, ok := ln.(interface{ SetDeadline(time.Time) error }); ok {
		d.SetDeadline(time.Unix(1, 0))
	}
}

func resetAccept(ln net.Listener) {
	if d, ok := ln.(interface{ SetDeadline(time.Time) error }); ok {
		d.SetDeadline(time.Time{})
	}
}

func (f *Frontend) add(c net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return false
	}
	f.conns[c] = struct{}{}
	n := f.cur.Add(1)
	if n > f.max.Load() {
		f.max.Store(n)
	}
	f.tot.Add(1)
	return true
}

func (f *Frontend) remove(c net.Conn) {
	f.mu.Lock()
	_, ok := f.conns[c]
	delete(f.conns, c)
	f.mu.Unlock()
	if ok {
		f.cur.Add(-1)
	}
	c.Close()
}

// Close closes every connection the frontend proxies; Serve then returns.
func (f *Frontend) Close() error {
	f.mu.Lock()
	f.closed = true
	for c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	return nil
}

// connectError is an attempt that failed before the server got anything:
// safe to retry.
type connectError struct{ err error }

func (e *connectError) Error() string { return e.err.Error() }
func (e *connectError) Unwrap() error { return e.err }

// connect acquires a server and dials it, retrying failed attempts as
// HAProxy 2.6 does (see retry). It returns the acquired server and the
// connection; the caller releases the server.
func (b *Backend) connect(ctx context.Context, k *Key) (*Server, net.Conn, error) {
	s, err := b.Acquire(ctx, k, nil, false)
	if err != nil {
		return nil, nil, err
	}
	for attempt := 0; ; attempt++ {
		c, err := s.dial(ctx)
		if err == nil {
			return s, c, nil
		}
		b.observe(s, err, ObserveLayer4)
		if attempt == b.cfg.Retries {
			s.econ.Add(1)
			b.Release(s)
			return nil, nil, &connectError{fmt.Errorf("lb: connect to %s/%s: %w", b.cfg.Name, s.cfg.Name, err)}
		}
		if s, err = b.retry(ctx, k, s); err != nil {
			return nil, nil, err
		}
	}
}

// retry prepares the attempt after a failed connection to s, as HAProxy
// 2.6 does (observed on haproxy 2.6 with "retries" and "option
// redispatch"): without Redispatch it waits min(timeout connect, 1s), the
// turn-around that spares a restarting server, and tries s again (counted
// in s's wretr); with Redispatch every retry goes to the server the
// algorithm picks next, other than s (counted in s's wredis). It returns
// the server to try, acquired; s is released if it changes. On error
// nothing is held.
func (b *Backend) retry(ctx context.Context, k *Key, s *Server) (*Server, error) {
	if b.cfg.Redispatch {
		n, err := b.Acquire(ctx, k, s, true)
		b.Release(s)
		if err != nil {
			return nil, err
		}
		s.redisp.Add(1)
		return n, nil
	}
	s.retr.Add(1)
	t := time.NewTimer(min(b.cfg.ConnectTimeout, time.Second))
	defer t.Stop()
	select {
	case <-t.C:
		return s, nil
	case <-ctx.Done():
		b.Release(s)
		return nil, ctx.Err()
	}
}

func (s *Server) dial(ctx context.Context) (net.Conn, error) {
	d := net.Dialer{Timeout: s.b.cfg.ConnectTimeout}
	c, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return nil, err
	}
	return c, nil
}
