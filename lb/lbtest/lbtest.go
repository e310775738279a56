package lbtest

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hakit/hakit"
)

// Mode is how a Backend answers.
type Mode int

const (
	// Healthy answers 200 with the backend's name, and /check with 200.
	Healthy Mode = iota
	// Slow answers like Healthy after the backend's Delay.
	Slow
	// Failing answers 503, /check included.
	Failing
	// Flapping alternates: every other answer (and check) fails with 503.
	Flapping
)

// Backend is a fake HTTP server on 127.0.0.1. Every request but /check is
// answered with the backend's name and a newline; /check is its health
// check. Stop and Start take it off the network and back on the same
// address, so that connections are refused in between.
type Backend struct {
	// Name is what the backend answers with.
	Name string

	mu    sync.Mutex
	addr  string
	mode  Mode
	delay time.Duration
	flip  bool
	srv   *http.Server
	ln    net.Listener
	// served is closed when srv.Serve returns.
	served chan struct{}

	// Requests and Checks count what the backend answered.
	Requests, Checks atomic.Int64
}

// NewBackend starts a healthy backend on an ephemeral loopback port, or on
// addr if it is not empty. Close it when done (t.Cleanup(b.Close)).
func NewBackend(name, addr string) (*Backend, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	b := &Backend{Name: name, addr: addr}
	if err := b.Start(); err != nil {
		return nil, err
	}
	return b, nil
}

// Addr returns host:port.
func (b *Backend) Addr() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.addr
}

// URL returns the backend's base URL.
func (b *Backend) URL() string { return "http://" + b.Addr() }

// CheckURL is the URL of its health check.
func (b *Backend) CheckURL() string { return b.URL() + "/check" }

// Set switches the mode; delay is used by Slow.
func (b *Backend) Set(m Mode, delay time.Duration) {
	b.mu.Lock()
	b.mode, b.delay = m, delay
	b.mu.Unlock()
}

// Start listens again on the backend's address after Stop.
func (b *Backend) Start() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ln != nil {
		return nil
	}
	ln, err := net.Listen("tcp", b.addr)
	if err != nil {
		return fmt.Errorf("lbtest: backend %s: %w", b.Name, err)
	}
	b.ln, b.addr = ln, ln.Addr().String()
	b.srv = &http.Server{Handler: http.HandlerFunc(b.serve)}
	b.served = make(chan struct{})
	srv, served := b.srv, b.served
	go func() {
		defer close(served)
		srv.Serve(ln)
	}()
	return nil
}

// Stop closes the listener and every connection: the backend is dead when
// Stop returns, even if it was started a moment before.
func (b *Backend) Stop() {
	b.mu.Lock()
	srv, ln, served := b.srv, b.ln, b.served
	b.srv, b.ln = nil, nil
	b.mu.Unlock()
	if srv != nil {
		// Serve may not have taken the listener yet, and then
		// srv.Close would leave it open.
		ln.Close()
		srv.Close()
		<-served
	}
}

// Close stops the backend for good.
func (b *Backend) Close() { b.Stop() }

// fails decides the answer of one request or check under the mode.
func (b *Backend) fails() (bool, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.mode {
	case Failing:
		return true, 0
	case Flapping:
		b.flip = !b.flip
		return !b.flip, 0
	case Slow:
		return false, b.delay
	}
	return false, 0
}

func (b *Backend) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/check" {
		b.Checks.Add(1)
	} else {
		b.Requests.Add(1)
	}
	fail, delay := b.fails()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	if fail {
		http.Error(w, b.Name+" failing", http.StatusServiceUnavailable)
		return
	}
	io.WriteString(w, b.Name+"\n")
}

// Checker is an HTTP health check of the backend's /check, on a fresh
// connection each time, as HAProxy's checks are.
func (b *Backend) Checker() hakit.Checker {
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	return hakit.CheckerFunc(func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.CheckURL(), nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("lbtest: %s check: status %d", b.Name, resp.StatusCode)
		}
		return nil
	})
}

// TCPBackend is a fake TCP server: it writes its name and a newline, then
// echoes what it reads until the client half-closes, then closes.
type TCPBackend struct {
	Name  string
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]struct{}
	// Conns counts accepted connections.
	Conns atomic.Int64
}

// NewTCPBackend starts a TCP backend on addr ("" for an ephemeral loopback
// port).
func NewTCPBackend(name, addr string) (*TCPBackend, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("lbtest: tcp backend %s: %w", name, err)
	}
	b := &TCPBackend{Name: name, ln: ln, conns: map[net.Conn]struct{}{}}
	b.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.Conns.Add(1)
			b.mu.Lock()
			b.conns[c] = struct{}{}
			b.mu.Unlock()
			b.wg.Go(func() {
				defer func() {
					b.mu.Lock()
					delete(b.conns, c)
					b.mu.Unlock()
					c.Close()
				}()
				io.WriteString(c, name+"\n")
				io.Copy(c, c)
			})
		}
	})
	return b, nil
}

// Addr returns host:port.
func (b *TCPBackend) Addr() string { return b.ln.Addr().String() }

// Close stops accepting, closes every connection and waits for their
// goroutines.
func (b *TCPBackend) Close() {
	b.ln.Close()
	b.mu.Lock()
	for c := range b.conns {
		c.Close()
	}
	b.mu.Unlock()
	b.wg.Wait()
}
