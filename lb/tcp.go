package lb

import (
	"context"
	"io"
	"net"
	"sync"
	"time"
)

// serveTCP proxies one client connection to a server of the backend.
func (f *Frontend) serveTCP(c net.Conn) {
	b := f.cfg.Backend
	k := Key{}
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		k.Source = a.IP
	}
	if a, ok := c.LocalAddr().(*net.TCPAddr); ok {
		k.Dest = a.IP
	}
	s, sc, err := b.connect(context.Background(), &k)
	if err != nil {
		f.logErr("lb: tcp connect failed", err)
		return
	}
	defer b.Release(s)
	s.track(sc)
	defer s.untrack(sc)
	defer sc.Close()
	b.observe(s, nil, ObserveLayer4)

	var wg sync.WaitGroup
	wg.Go(func() {
		n := pipe(sc, c, f.cfg.ClientTimeout)
		s.bin.Add(n)
		f.bin.Add(n)
	})
	n := pipe(c, sc, b.cfg.ServerTimeout)
	s.bout.Add(n)
	f.bout.Add(n)
	wg.Wait()
}

// pipe copies src to dst until src ends, then half-closes dst, so that a
// client's shutdown(SHUT_WR) reaches the server and the answer still comes
// back. With no idle timeout the copy is io.Copy between two *net.TCPConn,
// which Linux splices; with one, every read first pushes the deadline on.
// An error closes both ends.
func pipe(dst, src net.Conn, idle time.Duration) int64 {
	var r io.Reader = src
	if idle > 0 {
		r = &idleReader{c: src, idle: idle}
	}
	n, err := io.Copy(dst, r)
	if err != nil {
		dst.Close()
		src.Close()
		return n
	}
	if cw, ok := dst.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	} else {
		dst.Close()
	}
	return n
}

// idleReader fails a read after idle without data: HAProxy's "timeout
// client" and "timeout server". It moves the deadline at most every idle/8,
// so a busy stream costs few syscalls, and the timeout fires between idle
// and 9/8 idle after the last data.
type idleReader struct {
	c    net.Conn
	idle time.Duration
	last time.Time
}

func (r *idleReader) Read(p []byte) (int, error) {
	if now := time.Now(); now.Sub(r.last) > r.idle/8 {
		r.last = now
		r.c.SetReadDeadline(now.Add(r.idle + r.idle/8))
	}
	return r.c.Read(p)
}

func (f *Frontend) logErr(msg string, err error) {
	if f.cfg.Logger != nil {
		f.cfg.Logger.Warn(msg, "frontend", f.cfg.Name, "backend", f.cfg.Backend.cfg.Name, "error", err)
	}
}
