package lb

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httputil"
	"sync"
	"sync/atomic"
	"time"
)

// httpProxy is a frontend's HTTP side: an http.Server whose handler
// balances every request and forwards it with httputil.ReverseProxy.
type httpProxy struct {
	f  *Frontend
	rp *httputil.ReverseProxy
	tr *http.Transport
}

type attemptKey struct{}

// attempt is one request's server, as the retries move it.
type attempt struct {
	s   *Server
	key *Key
}

func newHTTPProxy(f *Frontend) *httpProxy {
	b := f.cfg.Backend
	h := &httpProxy{f: f}
	// The transport pools connections by address and may go on dialling
	// after the request that asked has moved to another server (a retry)
	// or taken a pooled connection: a dial serves the address it is given,
	// never the request's current server.
	byAddr := make(map[string]*Server, len(b.servers))
	for _, s := range b.servers {
		if byAddr[s.addr] == nil {
			byAddr[s.addr] = s
		}
	}
	h.tr = &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			s := byAddr[addr]
			if s == nil {
				return nil, errors.New("lb: dial of " + addr + ", which is no server's address")
			}
			c, err := s.dial(ctx)
			if err != nil {
				return nil, &connectError{err}
			}
			tc := &trackedConn{Conn: c, s: s, idle: b.cfg.ServerTimeout}
			s.track(tc)
			return tc, nil
		},
		MaxIdleConnsPerHost:   256,
		DisableCompression:    true, // pass Accept-Encoding as the client sent it
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: b.cfg.ServerTimeout,
	}
	h.rp = &httputil.ReverseProxy{
		// The request goes on as it came, as HAProxy sends it without
		// "option forwardfor".
		Rewrite: func(r *httputil.ProxyRequest) {
			r.Out.URL.Scheme = "http"
			r.Out.Header["X-Forwarded-For"] = nil
		},
		Transport:      retryTransport{h},
		ModifyResponse: h.modifyResponse,
		ErrorHandler:   h.errorHandler,
		FlushInterval:  -1,
	}
	return h
}

// trackedConn is a server connection the server can shut down
// (on-marked-down shutdown-sessions). With idle set it is also HAProxy's
// "timeout server" for the whole exchange, the body included: every read
// and write pushes the read deadline on, so a read fails once the server
// has been silent for idle (to 9/8 idle, as idleReader) since the request
// was sent or the last data came. An idle connection in the pool expires
// the same way.
type trackedConn struct {
	net.Conn
	s      *Server
	idle   time.Duration
	pushed atomic.Int64 // UnixNano of the last deadline push
	once   sync.Once
}

func (c *trackedConn) push() {
	if c.idle <= 0 {
		return
	}
	now := time.Now()
	if now.UnixNano()-c.pushed.Load() > int64(c.idle/8) {
		c.pushed.Store(now.UnixNano())
		c.Conn.SetReadDeadline(now.Add(c.idle + c.idle/8))
	}
}

func (c *trackedConn) Read(p []byte) (int, error) {
	c.push()
	return c.Conn.Read(p)
}

func (c *trackedConn) Write(p []byte) (int, error) {
	c.push()
	return c.Conn.Write(p)
}

func (c *trackedConn) Close() error {
	c.once.Do(func() { c.s.untrack(c) })
	return c.Conn.Close()
}

// retryTransport sends a request to the attempt's server, retrying failed
// connection attempts as Backend.connect does.
type retryTransport struct{ h *httpProxy }

func (t retryTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	at := r.Context().Value(attemptKey{}).(*attempt)
	b := t.h.f.cfg.Backend
	for n := 0; ; n++ {
		r.URL.Host = at.s.addr
		resp, err := t.h.tr.RoundTrip(r)
		var ce *connectError
		if err == nil || !errors.As(err, &ce) {
			return resp, err
		}
		b.observe(at.s, err, ObserveLayer4)
		if n == b.cfg.Retries {
			at.s.econ.Add(1)
			return nil, err
		}
		s, rerr := b.retry(r.Context(), at.key, at.s)
		at.s = s
		if rerr != nil {
			return nil, rerr
		}
	}
}

func (h *httpProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b := h.f.cfg.Backend
	k := &Key{URI: r.RequestURI, Header: r.Header}
	if b.cfg.Balance == Source || b.cfg.Balance == SH {
		if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
			k.Source = net.ParseIP(host)
		}
	}
	var s *Server
	if b.cfg.Cookie != "" {
		if c, err := r.Cookie(b.cfg.Cookie); err == nil {
			if p := b.byCookie[c.Value]; p != nil && b.acquirePersistent(p) {
				s = p
			}
		}
	}
	if s == nil {
		var err error
		if s, err = b.Acquire(r.Context(), k, nil, false); err != nil {
			h.fail(w, nil, http.StatusServiceUnavailable)
			return
		}
	}
	at := &attempt{s: s, key: k}
	defer func() {
		if at.s != nil {
			b.Release(at.s)
		}
	}()
	ctx := context.WithValue(r.Context(), attemptKey{}, at)
	h.rp.ServeHTTP(w, r.WithContext(ctx))
}

func (h *httpProxy) modifyResponse(resp *http.Response) error {
	at := resp.Request.Context().Value(attemptKey{}).(*attempt)
	b := h.f.cfg.Backend
	h.count(at.s, resp.StatusCode)
	if layer7Failure(resp.StatusCode) {
		b.observe(at.s, statusError(resp.StatusCode), ObserveLayer7)
	} else {
		b.observe(at.s, nil, ObserveLayer7)
	}
	if name := b.cfg.Cookie; name != "" {
		if c, err := resp.Request.Cookie(name); err != nil || c.Value != at.s.cfg.Cookie {
			// HAProxy's "insert": the answer names its server.
			resp.Header.Add("Set-Cookie", name+"="+at.s.cfg.Cookie+"; path=/")
		}
	}
	if resp.ContentLength > 0 {
		at.s.bout.Add(resp.ContentLength)
		h.f.bout.Add(resp.ContentLength)
	}
	return nil
}

// errorHandler answers as HAProxy does: 503 when no connection could be
// made (after retries), 504 when the server timed out, 502 otherwise.
func (h *httpProxy) errorHandler(w http.ResponseWriter, r *http.Request, err error) {
	at := r.Context().Value(attemptKey{}).(*attempt)
	var ce *connectError
	var ne net.Error
	code := http.StatusBadGateway
	switch {
	case errors.As(err, &ce), errors.Is(err, ErrNoServer), errors.Is(err, ErrQueueTimeout):
		code = http.StatusServiceUnavailable
	case errors.As(err, &ne) && ne.Timeout():
		code = http.StatusGatewayTimeout
	}
	if code != http.StatusServiceUnavailable && at.s != nil {
		at.s.eresp.Add(1)
		h.f.cfg.Backend.observe(at.s, err, ObserveLayer7)
	}
	h.f.logErr("lb: http proxy error", err)
	h.fail(w, at.s, code)
}

func (h *httpProxy) fail(w http.ResponseWriter, s *Server, code int) {
	h.count(s, code)
	http.Error(w, http.StatusText(code), code)
}

func (h *httpProxy) count(s *Server, code int) {
	c := code/100 - 1
	if c < 0 || c > 4 {
		c = 5
	}
	h.f.hrsp[c].Add(1)
	if s != nil {
		s.hrsp[c].Add(1)
	}
}

// serve runs an http.Server on ln until ctx is done, then shuts it down
// gracefully: in-flight requests finish, idle connections close.
func (h *httpProxy) serve(ctx context.Context, ln net.Listener) error {
	f := h.f
	srv := &http.Server{
		Handler:     h,
		ReadTimeout: 0,
		IdleTimeout: f.cfg.ClientTimeout,
		ConnState: func(c net.Conn, st http.ConnState) {
			switch st {
			case http.StateNew:
				if !f.add(c) {
					c.Close()
				}
			case http.StateHijacked, http.StateClosed:
				f.remove(c)
			}
		},
	}
	if f.cfg.ClientTimeout > 0 {
		srv.ReadHeaderTimeout = f.cfg.ClientTimeout
	}
	errc := make(chan error, 1)
	kl := newKeepListener(ln, f.cfg.MaxConn, f.cfg.ClientTimeout)
	go func() { errc <- srv.Serve(kl) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Stop accepting first: Serve returns, and the listener accepts again
	// at once, for the next configuration, while this one drains.
	kl.Close()
	<-errc
	resetAccept(ln)
	// Then drain without http.Server.Shutdown, which drops a request read
	// after it began (net/http returns from a connection that reads a
	// request while shutting down, without an answer): a connection
	// accepted just before the stop would lose its first request. With
	// keep-alives off, every request already read or still arriving is
	// answered with "Connection: close", and idle connections are closed,
	// as HAProxy's old process does after a reload.
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		srv.SetKeepAlivesEnabled(false) // also closes the idle connections
		if f.cur.Load() == 0 {
			break
		}
		<-tick.C
	}
	err := srv.Close()
	h.tr.CloseIdleConnections()
	return err
}

// keepListener lets http.Server stop accepting without closing the
// listener, which a reloaded configuration serves next. The accept
// deadline that stops it is the listener's, so a frontend serving the same
// listener sees it too until the stopping one resets it: Accept waits that
// out rather than fail, which http.Server would answer by backing off for
// up to a second. With slots it is also the frontend's maxconn: Accept
// takes a slot before it accepts, and the connection's Close gives it
// back, so connections over the limit wait in the kernel's accept queue.
// With idle its connections fail a write the client has not taken for
// idle: "timeout client" on the answer's side.
type keepListener struct {
	net.Listener
	slots    chan struct{} // nil without maxconn
	idle     time.Duration
	stop     chan struct{}
	stopOnce sync.Once
	stopped  atomic.Bool
}

func newKeepListener(ln net.Listener, maxConn int, idle time.Duration) *keepListener {
	l := &keepListener{Listener: ln, idle: idle, stop: make(chan struct{})}
	if maxConn > 0 {
		l.slots = make(chan struct{}, maxConn)
	}
	return l
}

func (l *keepListener) Accept() (net.Conn, error) {
	if l.slots != nil {
		select {
		case l.slots <- struct{}{}:
		case <-l.stop:
			return nil, net.ErrClosed
		}
	}
	for {
		c, err := l.Listener.Accept()
		if err == nil {
			if l.slots != nil || l.idle > 0 {
				return &clientConn{Conn: c, slots: l.slots, idle: l.idle}, nil
			}
			return c, nil
		}
		var ne net.Error
		if l.stopped.Load() || !errors.As(err, &ne) || !ne.Timeout() {
			if l.slots != nil {
				<-l.slots
			}
			if l.stopped.Load() {
				// Not the deadline's timeout, which http.Server takes for
				// a temporary error and retries for ever.
				return nil, net.ErrClosed
			}
			return nil, err
		}
		time.Sleep(time.Millisecond)
	}
}

func (l *keepListener) Close() error {
	l.stopped.Store(true)
	l.stopOnce.Do(func() { close(l.stop) })
	unblockAccept(l.Listener)
	return nil
}

// clientConn is a client connection under maxconn, "timeout client" or
// both: it gives its slot back when it closes, and every write pushes the
// write deadline on (at most every idle/8, so that the write fails between
// idle and 9/8 idle after the client stopped taking data).
type clientConn struct {
	net.Conn
	slots  chan struct{} // nil without maxconn
	once   sync.Once
	idle   time.Duration
	pushed atomic.Int64 // UnixNano of the last push
}

func (c *clientConn) Write(p []byte) (int, error) {
	if c.idle > 0 {
		if now := time.Now(); now.UnixNano()-c.pushed.Load() > int64(c.idle/8) {
			c.pushed.Store(now.UnixNano())
			c.Conn.SetWriteDeadline(now.Add(c.idle + c.idle/8))
		}
	}
	return c.Conn.Write(p)
}

func (c *clientConn) Close() error {
	c.once.Do(func() {
		if c.slots != nil {
			<-c.slots
		}
	})
	return c.Conn.Close()
}
