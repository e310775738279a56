// Command lbd serves a HAProxy configuration with package lb, in the
// foreground:
//
//	lbd -f haproxy.cfg
//
// It listens on every bind of the file within a second or two. A listen
// section with "stats enable" and "stats uri /stats" serves the HTML stats
// page at /stats and HAProxy's CSV at /stats;csv (and Prometheus text where
// "http-request use-service prometheus-exporter if { path /metrics }" says).
//
// SIGTERM stops accepting, lets established connections finish (at most
// -grace), and exits 0. SIGHUP reloads the file without dropping
// established connections: listeners are kept and handed to the new
// configuration, while the old one drains. A file with an error keeps the
// running configuration and logs the line. A keyword outside lb's subset is
// such an error, naming its line; at startup it makes lbd exit 1.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/hakit/hakit/lb/haproxycfg"
)

func main() {
	path := flag.String("f", "", "HAProxy configuration file (required)")
	grace := flag.Duration("grace", 30*time.Second, "longest drain on SIGTERM before open connections are closed")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if *path == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: lbd -f haproxy.cfg [-grace 30s]")
		os.Exit(2)
	}
	if err := run(*path, *grace, log); err != nil {
		log.Error("lbd: " + err.Error())
		os.Exit(1)
	}
}

// generation is one loaded configuration, running.
type generation struct {
	rt     *haproxycfg.Runtime
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func load(ctx context.Context, path string, log *slog.Logger) (*haproxycfg.Runtime, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cfg, err := haproxycfg.Parse(f)
	if err != nil {
		return nil, err
	}
	return haproxycfg.Build(ctx, cfg, log)
}

func run(path string, grace time.Duration, log *slog.Logger) error {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	rt, err := load(context.Background(), path, log)
	if err != nil {
		return err
	}
	listeners := map[string]net.Listener{}
	if err := listen(rt, listeners); err != nil {
		return err
	}
	cur := start(rt, listeners)
	log.Info("lbd: serving", "file", path, "listeners", len(listeners))
	for sig := range sigs {
		if sig != syscall.SIGHUP {
			log.Info("lbd: draining", "signal", sig.String())
			return stop(cur, listeners, grace)
		}
		next, err := load(context.Background(), path, log)
		if err == nil {
			err = listen(next, listeners)
		}
		if err != nil {
			log.Error("lbd: reload failed, keeping the running configuration", "error", err.Error())
			continue
		}
		newGen := start(next, listeners)
		old := cur
		cur = newGen
		old.cancel()
		// Close the listeners the new configuration dropped.
		keep := map[string]bool{}
		for _, l := range next.Listeners {
			keep[l.Addr] = true
		}
		for addr, ln := range listeners {
			if !keep[addr] {
				ln.Close()
				delete(listeners, addr)
			}
		}
		go old.wg.Wait() // the old configuration drains on its own
		log.Info("lbd: reloaded", "file", path, "listeners", len(listeners))
	}
	return nil
}

// listen opens the listeners rt needs that are not open yet.
func listen(rt *haproxycfg.Runtime, listeners map[string]net.Listener) error {
	var opened []string
	for _, l := range rt.Listeners {
		if _, ok := listeners[l.Addr]; ok {
			continue
		}
		ln, err := net.Listen("tcp", l.Addr)
		if err != nil {
			for _, a := range opened {
				listeners[a].Close()
				delete(listeners, a)
			}
			return fmt.Errorf("line %d: bind %s: %w", l.Proxy.Line, l.Addr, err)
		}
		listeners[l.Addr] = ln
		opened = append(opened, l.Addr)
	}
	return nil
}

// start runs rt's backends and serves its listeners.
func start(rt *haproxycfg.Runtime, listeners map[string]net.Listener) *generation {
	ctx, cancel := context.WithCancel(context.Background())
	g := &generation{rt: rt, cancel: cancel}
	for _, b := range rt.Backends {
		g.wg.Go(func() { b.Run(ctx) })
	}
	for _, l := range rt.Listeners {
		ln := listeners[l.Addr]
		if l.Frontend != nil {
			g.wg.Go(func() { l.Frontend.Serve(ctx, ln) })
			continue
		}
		srv := &http.Server{Handler: l.Handler, ReadHeaderTimeout: 10 * time.Second}
		g.wg.Go(func() {
			srv.Serve(keepListener{ln})
			setDeadline(ln, time.Time{}) // the next configuration accepts again
		})
		context.AfterFunc(ctx, func() { srv.Shutdown(context.Background()) })
	}
	return g
}

// stop drains g, closing whatever is still open after grace.
func stop(g *generation, listeners map[string]net.Listener, grace time.Duration) error {
	g.cancel()
	done := make(chan struct{})
	go func() { g.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
		for _, l := range g.rt.Listeners {
			if l.Frontend != nil {
				l.Frontend.Close()
			}
		}
		<-done
	}
	var errs []error
	for _, ln := range listeners {
		errs = append(errs, ln.Close())
	}
	return errors.Join(errs...)
}

// keepListener lets an http.Server stop accepting without closing the
// listener, which the next configuration serves.
type keepListener struct{ net.Listener }

func (l keepListener) Close() error {
	setDeadline(l.Listener, time.Unix(1, 0)) // unblocks Accept
	return nil
}

func setDeadline(ln net.Listener, t time.Time) {
	if d, ok := ln.(interface{ SetDeadline(time.Time) error }); ok {
		d.SetDeadline(t)
	}
}
