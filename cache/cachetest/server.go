package cachetest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Version is what the Server answers to "version".
const Version = "1.6.0-cachetest"

// maxKey is memcached's KEY_MAX_LENGTH.
const maxKey = 250

// relativeLimit is memcached's REALTIME_MAXDELTA: exptimes up to 30 days
// are relative to now, larger ones are Unix times.
const relativeLimit = 60 * 60 * 24 * 30

// Stats counts what reached a Server.
type Stats struct {
	Conns       int // connections accepted
	Commands    int // commands read
	Gets        int // keys asked for by get, gets, gat, gats
	Hits        int // of which found
	Sets        int // storage commands
	Errors      int // commands answered with an injected SERVER_ERROR
	Refused     int // connections refused or dropped while down
	CurrentConn int // connections open now
}

type item struct {
	value   []byte
	flags   uint32
	cas     uint64
	expires time.Time // zero: never
}

// Server is an in-memory memcached on a loopback port. Its methods are safe
// for concurrent use.
type Server struct {
	// Addr is the "127.0.0.1:port" the Server listens on. It stays the
	// same across SetDown(true) and SetDown(false).
	Addr string

	mu      sync.Mutex
	ln      net.Listener
	conns   map[net.Conn]struct{}
	items   map[string]*item
	nextCAS uint64
	down    bool
	delay   time.Duration
	fail    bool
	closed  bool
	stats   Stats
	wg      sync.WaitGroup
	started time.Time
}

// NewServer starts a Server on a free port of 127.0.0.1. It panics if it
// cannot listen, as httptest.NewServer does; call Close when done.
func NewServer() *Server {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("cachetest: failed to listen on a port: %v", err))
	}
	s := &Server{
		Addr:    ln.Addr().String(),
		conns:   map[net.Conn]struct{}{},
		items:   map[string]*item{},
		started: time.Now(),
	}
	s.serve(ln)
	return s
}

func (s *Server) serve(ln net.Listener) {
	s.ln = ln
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			if s.down || s.closed {
				s.stats.Refused++
				s.mu.Unlock()
				c.Close()
				continue
			}
			s.conns[c] = struct{}{}
			s.stats.Conns++
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.handle(c)
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
				c.Close()
			}()
		}
	}()
}

// Close stops the Server, closes its connections and waits for its
// goroutines to end.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	if s.ln != nil {
		s.ln.Close()
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// SetDown takes the Server down (true) or brings it back (false). Down, it
// stops listening, so connections are refused, and drops the open ones, as
// a stopped memcached does; its items survive. Coming back, it listens on
// the same Addr again; the error says why it could not.
func (s *Server) SetDown(down bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || down == s.down {
		return nil
	}
	s.down = down
	if down {
		s.ln.Close()
		s.ln = nil
		for c := range s.conns {
			c.Close()
			s.stats.Refused++
		}
		return nil
	}
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		s.down = true
		return fmt.Errorf("cachetest: listen again on %s: %w", s.Addr, err)
	}
	s.serve(ln)
	return nil
}

// SetDelay makes the Server wait d before each answer (zero: answer at
// once), as an overloaded or swapping memcached does.
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	s.delay = d
	s.mu.Unlock()
}

// SetErrors makes the Server answer every command with
// "SERVER_ERROR injected failure" (true) or serve normally (false).
func (s *Server) SetErrors(on bool) {
	s.mu.Lock()
	s.fail = on
	s.mu.Unlock()
}

// Stats returns a snapshot of the Server's counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.CurrentConn = len(s.conns)
	return st
}

// Get returns the value stored under key, if any and not expired.
func (s *Server) Get(key string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it := s.lookup(key, time.Now())
	if it == nil {
		return nil, false
	}
	return bytes.Clone(it.value), true
}

// Len returns the number of items that have not expired.
func (s *Server) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	n := 0
	for k := range s.items {
		if s.lookup(k, now) != nil {
			n++
		}
	}
	return n
}

// Flush removes every item.
func (s *Server) Flush() {
	s.mu.Lock()
	clear(s.items)
	s.mu.Unlock()
}

// lookup returns the live item under key, dropping it if expired. s.mu is
// held.
func (s *Server) lookup(key string, now time.Time) *item {
	it := s.items[key]
	if it == nil {
		return nil
	}
	if !it.expires.IsZero() && !now.Before(it.expires) {
		delete(s.items, key)
		return nil
	}
	return it
}

// expiry turns a memcached exptime into an expiry time (zero: never).
func expiry(exptime int64, now time.Time) time.Time {
	switch {
	case exptime == 0:
		return time.Time{}
	case exptime < 0:
		return now
	case exptime <= relativeLimit:
		return now.Add(time.Duration(exptime) * time.Second)
	}
	return time.Unix(exptime, 0)
}

var errQuit = errors.New("quit")

func (s *Server) handle(c net.Conn) {
	r := bufio.NewReaderSize(c, 64<<10)
	w := bufio.NewWriter(c)
	for {
		line, err := readLine(r)
		if err != nil {
			return
		}
		s.mu.Lock()
		s.stats.Commands++
		delay, fail := s.delay, s.fail
		s.mu.Unlock()
		var resp bytes.Buffer
		err = s.command(line, r, &resp, fail)
		if delay > 0 {
			time.Sleep(delay)
		}
		if resp.Len() > 0 {
			w.Write(resp.Bytes())
			if w.Flush() != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// readLine reads one command line, without its "\r\n" (or "\n").
func readLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return "", err
	}
	if err != nil {
		return "", err
	}
	line = bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
	return string(line), nil
}

// command runs one command and writes its answer to w. A non-nil error
// ends the connection.
func (s *Server) command(line string, r *bufio.Reader, w *bytes.Buffer, fail bool) error {
	f := strings.Fields(line)
	if len(f) == 0 {
		w.WriteString("ERROR\r\n")
		return nil
	}
	cmd := f[0]
	noreply := len(f) > 1 && f[len(f)-1] == "noreply"
	if noreply {
		f = f[:len(f)-1]
	}
	reply := func(format string, args ...any) {
		if !noreply {
			fmt.Fprintf(w, format, args...)
		}
	}
	// Storage commands carry a data block, which must be read even when
	// the answer is an injected error.
	var data []byte
	switch cmd {
	case "set", "add", "replace", "append", "prepend", "cas":
		if len(f) < 5 || (cmd == "cas" && len(f) < 6) {
			w.WriteString("ERROR\r\n")
			return nil
		}
		n, err := strconv.Atoi(f[4])
		if err != nil || n < 0 {
			w.WriteString("CLIENT_ERROR bad command line format\r\n")
			return errQuit
		}
		data = make([]byte, n+2)
		if _, err := io.ReadFull(r, data); err != nil {
			return err
		}
		if !bytes.HasSuffix(data, []byte("\r\n")) {
			w.WriteString("CLIENT_ERROR bad data chunk\r\n")
			return errQuit
		}
		data = data[:n]
	}
	if cmd == "quit" {
		return errQuit
	}
	if fail {
		s.mu.Lock()
		s.stats.Errors++
		s.mu.Unlock()
		w.WriteString("SERVER_ERROR injected failure\r\n")
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	switch cmd {
	case "get", "gets", "gat", "gats":
		keys := f[1:]
		var exp int64
		touch := cmd == "gat" || cmd == "gats"
		if touch {
			if len(f) < 3 {
				w.WriteString("ERROR\r\n")
				return nil
			}
			var err error
			if exp, err = strconv.ParseInt(f[1], 10, 64); err != nil {
				w.WriteString("CLIENT_ERROR invalid exptime argument\r\n")
				return nil
			}
			keys = f[2:]
		}
		if len(keys) == 0 {
			w.WriteString("ERROR\r\n")
			return nil
		}
		for _, k := range keys {
			if len(k) > maxKey {
				w.WriteString("CLIENT_ERROR bad command line format\r\n")
				return nil
			}
		}
		for _, k := range keys {
			s.stats.Gets++
			it := s.lookup(k, now)
			if it == nil {
				continue
			}
			s.stats.Hits++
			if touch {
				it.expires = expiry(exp, now)
			}
			if cmd == "gets" || cmd == "gats" {
				fmt.Fprintf(w, "VALUE %s %d %d %d\r\n", k, it.flags, len(it.value), it.cas)
			} else {
				fmt.Fprintf(w, "VALUE %s %d %d\r\n", k, it.flags, len(it.value))
			}
			w.Write(it.value)
			w.WriteString("\r\n")
		}
		w.WriteString("END\r\n")
	case "set", "add", "replace", "append", "prepend", "cas":
		s.stats.Sets++
		key := f[1]
		flags, err1 := strconv.ParseUint(f[2], 10, 32)
		exp, err2 := strconv.ParseInt(f[3], 10, 64)
		if err1 != nil || err2 != nil || len(key) > maxKey {
			reply("CLIENT_ERROR bad command line format\r\n")
			return nil
		}
		old := s.lookup(key, now)
		switch cmd {
		case "add":
			if old != nil {
				reply("NOT_STORED\r\n")
				return nil
			}
		case "replace", "append", "prepend":
			if old == nil {
				reply("NOT_STORED\r\n")
				return nil
			}
		case "cas":
			want, err := strconv.ParseUint(f[5], 10, 64)
			if err != nil {
				reply("CLIENT_ERROR bad command line format\r\n")
				return nil
			}
			if old == nil {
				reply("NOT_FOUND\r\n")
				return nil
			}
			if old.cas != want {
				reply("EXISTS\r\n")
				return nil
			}
		}
		s.nextCAS++
		switch cmd {
		case "append":
			old.value = append(bytes.Clone(old.value), data...)
			old.cas = s.nextCAS
		case "prepend":
			old.value = append(bytes.Clone(data), old.value...)
			old.cas = s.nextCAS
		default:
			s.items[key] = &item{value: data, flags: uint32(flags), cas: s.nextCAS, expires: expiry(exp, now)}
		}
		reply("STORED\r\n")
	case "delete":
		if len(f) < 2 {
			w.WriteString("ERROR\r\n")
			return nil
		}
		if s.lookup(f[1], now) == nil {
			reply("NOT_FOUND\r\n")
			return nil
		}
		delete(s.items, f[1])
		reply("DELETED\r\n")
	case "incr", "decr":
		if len(f) != 3 {
			w.WriteString("ERROR\r\n")
			return nil
		}
		delta, err := strconv.ParseUint(f[2], 10, 64)
		if err != nil {
			reply("CLIENT_ERROR invalid numeric delta argument\r\n")
			return nil
		}
		it := s.lookup(f[1], now)
		if it == nil {
			reply("NOT_FOUND\r\n")
			return nil
		}
		v, err := strconv.ParseUint(string(it.value), 10, 64)
		if err != nil {
			reply("CLIENT_ERROR cannot increment or decrement non-numeric value\r\n")
			return nil
		}
		if cmd == "incr" {
			v += delta // wraps at 64 bits, as memcached does
		} else if delta > v {
			v = 0 // memcached's decr stops at zero
		} else {
			v -= delta
		}
		s.nextCAS++
		it.value = []byte(strconv.FormatUint(v, 10))
		it.cas = s.nextCAS
		reply("%d\r\n", v)
	case "touch":
		if len(f) != 3 {
			w.WriteString("ERROR\r\n")
			return nil
		}
		exp, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			reply("CLIENT_ERROR invalid exptime argument\r\n")
			return nil
		}
		it := s.lookup(f[1], now)
		if it == nil {
			reply("NOT_FOUND\r\n")
			return nil
		}
		it.expires = expiry(exp, now)
		reply("TOUCHED\r\n")
	case "flush_all":
		clear(s.items)
		reply("OK\r\n")
	case "version":
		fmt.Fprintf(w, "VERSION %s\r\n", Version)
	case "verbosity":
		reply("OK\r\n")
	case "stats":
		if len(f) > 1 {
			w.WriteString("END\r\n")
			return nil
		}
		for _, st := range [][2]any{
			{"pid", os.Getpid()},
			{"uptime", int64(now.Sub(s.started) / time.Second)},
			{"time", now.Unix()},
			{"version", Version},
			{"curr_connections", len(s.conns)},
			{"total_connections", s.stats.Conns},
			{"accepting_conns", 1},
			{"cmd_get", s.stats.Gets},
			{"cmd_set", s.stats.Sets},
			{"get_hits", s.stats.Hits},
			{"get_misses", s.stats.Gets - s.stats.Hits},
			{"curr_items", len(s.items)},
		} {
			fmt.Fprintf(w, "STAT %s %v\r\n", st[0], st[1])
		}
		w.WriteString("END\r\n")
	default:
		w.WriteString("ERROR\r\n")
	}
	return nil
}
