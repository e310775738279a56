package cachetest_test

import (
	"bufio"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/hakit/hakit/cache/cachetest"
)

func newClient(t *testing.T, s *cachetest.Server) *memcache.Client {
	t.Helper()
	c := memcache.New(s.Addr)
	c.Timeout = 2 * time.Second
	t.Cleanup(func() { c.Close() })
	return c
}

func TestGomemcacheTalksToServer(t *testing.T) {
	s := cachetest.NewServer()
	defer s.Close()
	c := newClient(t, s)

	if err := c.Set(&memcache.Item{Key: "k", Value: []byte("v1"), Flags: 7}); err != nil {
		t.Fatal(err)
	}
	it, err := c.Get("k")
	if err != nil || string(it.Value) != "v1" || it.Flags != 7 {
		t.Fatalf("Get = %+v, %v", it, err)
	}
	if _, err := c.Get("missing"); !errors.Is(err, memcache.ErrCacheMiss) {
		t.Errorf("Get(missing) = %v, want ErrCacheMiss", err)
	}
	if err := c.Add(&memcache.Item{Key: "k", Value: []byte("x")}); !errors.Is(err, memcache.ErrNotStored) {
		t.Errorf("Add existing = %v, want ErrNotStored", err)
	}
	if err := c.Replace(&memcache.Item{Key: "nope", Value: []byte("x")}); !errors.Is(err, memcache.ErrNotStored) {
		t.Errorf("Replace missing = %v, want ErrNotStored", err)
	}
	if err := c.Append(&memcache.Item{Key: "k", Value: []byte("+a")}); err != nil {
		t.Fatal(err)
	}
	if err := c.Prepend(&memcache.Item{Key: "k", Value: []byte("p+")}); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Get("k"); string(v) != "p+v1+a" {
		t.Errorf("after append/prepend: %q", v)
	}
	// Compare-and-swap: the first CAS wins, the second conflicts.
	it, _ = c.Get("k")
	it.Value = []byte("cas1")
	if err := c.CompareAndSwap(it); err != nil {
		t.Fatal(err)
	}
	it.Value = []byte("cas2")
	if err := c.CompareAndSwap(it); !errors.Is(err, memcache.ErrCASConflict) {
		t.Errorf("stale CAS = %v, want ErrCASConflict", err)
	}
	// Counters.
	c.Set(&memcache.Item{Key: "n", Value: []byte("10")})
	if v, err := c.Increment("n", 5); err != nil || v != 15 {
		t.Errorf("Increment = %d, %v", v, err)
	}
	if v, err := c.Decrement("n", 20); err != nil || v != 0 {
		t.Errorf("Decrement below zero = %d, %v; want 0", v, err)
	}
	if _, err := c.Increment("k", 1); err == nil {
		t.Error("Increment of a non-number succeeded")
	}
	// GetMulti, Touch, Delete, DeleteAll, Ping.
	got, err := c.GetMulti([]string{"k", "n", "missing"})
	if err != nil || len(got) != 2 {
		t.Errorf("GetMulti = %v, %v", got, err)
	}
	if err := c.Touch("k", 100); err != nil {
		t.Error(err)
	}
	if err := c.Delete("k"); err != nil {
		t.Error(err)
	}
	if err := c.Delete("k"); !errors.Is(err, memcache.ErrCacheMiss) {
		t.Errorf("Delete twice = %v", err)
	}
	if err := c.Ping(); err != nil {
		t.Error(err)
	}
	if err := c.DeleteAll(); err != nil || s.Len() != 0 {
		t.Errorf("DeleteAll = %v, %d items left", err, s.Len())
	}
	st := s.Stats()
	if st.Commands == 0 || st.Sets == 0 || st.Gets == 0 || st.Hits == 0 {
		t.Errorf("stats not counted: %+v", st)
	}
}

func TestExpiry(t *testing.T) {
	s := cachetest.NewServer()
	defer s.Close()
	c := newClient(t, s)
	c.Set(&memcache.Item{Key: "gone", Value: []byte("x"), Expiration: -1})
	if _, ok := s.Get("gone"); ok {
		t.Error("negative exptime: item still there")
	}
	c.Set(&memcache.Item{Key: "past", Value: []byte("x"), Expiration: int32(time.Now().Add(-time.Hour).Unix())})
	if _, ok := s.Get("past"); ok {
		t.Error("Unix exptime in the past: item still there")
	}
	c.Set(&memcache.Item{Key: "later", Value: []byte("x"), Expiration: 3600})
	if _, ok := s.Get("later"); !ok {
		t.Error("item with an hour to live is gone")
	}
}

func TestDown(t *testing.T) {
	s := cachetest.NewServer()
	defer s.Close()
	c := newClient(t, s)
	if err := c.Set(&memcache.Item{Key: "k", Value: []byte("v")}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetDown(true); err != nil {
		t.Fatal(err)
	}
	_, err := c.Get("k")
	var ne net.Error
	if err == nil || !errors.As(err, &ne) && !strings.Contains(err.Error(), "EOF") {
		t.Fatalf("Get while down = %v, want a connection error", err)
	}
	if _, err := net.DialTimeout("tcp", s.Addr, time.Second); err == nil {
		t.Error("down server accepted a connection")
	}
	if err := s.SetDown(false); err != nil {
		t.Fatal(err)
	}
	it, err := c.Get("k")
	if err != nil || string(it.Value) != "v" {
		t.Fatalf("Get after coming back = %v, %v (items must survive)", it, err)
	}
}

func TestDelay(t *testing.T) {
	s := cachetest.NewServer()
	defer s.Close()
	c := newClient(t, s)
	c.Timeout = 200 * time.Millisecond // the dial must fit in it too
	s.SetDelay(time.Second)
	_, err := c.Get("k")
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("Get from a slow server = %v, want a timeout", err)
	}
	s.SetDelay(0)
	if _, err := c.Get("k"); !errors.Is(err, memcache.ErrCacheMiss) {
		t.Fatalf("Get after delay cleared = %v", err)
	}
}

func TestErrors(t *testing.T) {
	s := cachetest.NewServer()
	defer s.Close()
	c := newClient(t, s)
	s.SetErrors(true)
	if err := c.Set(&memcache.Item{Key: "k", Value: []byte("v")}); err == nil || !strings.Contains(err.Error(), "SERVER_ERROR") {
		t.Errorf("Set = %v, want SERVER_ERROR", err)
	}
	if _, err := c.Get("k"); err == nil {
		t.Error("Get succeeded with errors injected")
	}
	if s.Stats().Errors < 2 {
		t.Errorf("errors counted: %d", s.Stats().Errors)
	}
	s.SetErrors(false)
	if err := c.Set(&memcache.Item{Key: "k", Value: []byte("v")}); err != nil {
		t.Fatal(err)
	}
}

func TestProtocolEdges(t *testing.T) {
	s := cachetest.NewServer()
	defer s.Close()
	conn, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	for _, tc := range []struct{ send, want string }{
		{"bogus\r\n", "ERROR\r\n"},
		{"\r\n", "ERROR\r\n"},
		{"set a 0 0 1 noreply\r\nx\r\nget a\r\n", "VALUE a 0 1\r\n"},
		{"", "x\r\n"},
		{"", "END\r\n"},
		{"gats 0 a\r\n", "VALUE a 0 1 1\r\n"},
		{"", "x\r\n"},
		{"", "END\r\n"},
		{"cas a 0 0 1 99\r\ny\r\n", "EXISTS\r\n"},
		{"cas zz 0 0 1 1\r\ny\r\n", "NOT_FOUND\r\n"},
		{"touch zz 0\r\n", "NOT_FOUND\r\n"},
		{"incr zz 1\r\n", "NOT_FOUND\r\n"},
		{"stats\r\n", "STAT pid "},
	} {
		if tc.send != "" {
			if _, err := conn.Write([]byte(tc.send)); err != nil {
				t.Fatal(err)
			}
		}
		conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		line, err := r.ReadString('\n')
		if err != nil || !strings.HasPrefix(line, tc.want) {
			t.Fatalf("after %q: got %q, %v; want %q", tc.send, line, err, tc.want)
		}
	}
	conn.Write([]byte("set b 0 0 1\r\nxyz\r\n"))
	if line, _ := readUntil(r, "CLIENT_ERROR"); !strings.HasPrefix(line, "CLIENT_ERROR bad data chunk") {
		t.Errorf("bad data chunk: %q", line)
	}
}

func readUntil(r *bufio.Reader, prefix string) (string, error) {
	for range 100 {
		line, err := r.ReadString('\n')
		if err != nil || strings.HasPrefix(line, prefix) {
			return line, err
		}
	}
	return "", errors.New("not found")
}

func TestCloseTwiceAndDownWhenClosed(t *testing.T) {
	s := cachetest.NewServer()
	s.Close()
	s.Close()
	if err := s.SetDown(false); err != nil {
		t.Error(err)
	}
}
