// Command tour shows the hakit building blocks working end to end in one
// process, on the in-memory fakes each package ships. It needs nothing
// installed: `make demo` runs it.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// scene is one part of the tour: it prints a readable timeline to w.
type scene struct {
	title string
	run   func(ctx context.Context, w io.Writer) error
}

var scenes = []scene{
	{"Leader election with fencing tokens (hakit.Elector on hakittest.Lease)", sceneElection},
	{"Health checks with HAProxy's rise/fall (hakit.Monitor, hakit.Health)", sceneMonitor},
	{"Cache tier: ketama placement, memcached ejection, Redis lease (cache on cachetest and miniredis)", sceneCache},
	{"Galera single-writer routing: kill -9, quorum loss, pc.bootstrap, certification retry (galera.Router on galeratest)", sceneGalera},
	{"Nova scheduling: filters, weighers, server groups (scheduler)", sceneScheduler},
	{"Virtual IPs with VRRP (vrrp.Router on vrrptest.LAN): crash, preempt, clean stop", sceneVRRP},
	{"Fencing: quorum, watchdog self-fencing, topology levels, fence before evacuate (fence on fencetest)", sceneFence},
	{"MongoDB replica set through the real driver: lag, failover, majority lost (mongo on mongotest)", sceneMongo},
	{"Load balancing as HAProxy does it: weighted order, health checks, backup (lb on lbtest backends)", sceneLB},
	{"RabbitMQ: confirmed publishing across node loss, memory alarm and a stuck channel (amqp.Client on amqptest)", sceneAMQP},
}

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for i, s := range scenes {
		fmt.Printf("\n== %d. %s\n", i+1, s.title)
		if err := s.run(ctx, os.Stdout); err != nil {
			fmt.Fprintf(os.Stderr, "tour: %s: %v\n", s.title, err)
			os.Exit(1)
		}
	}
	fmt.Println("\nThe tour is over: every scene ran on in-memory fakes.")
}

// timeline prints lines stamped with the time since it was made. Scenes
// print from callbacks on many goroutines, so lines are written one at a
// time.
type timeline struct {
	mu    sync.Mutex
	w     io.Writer
	start time.Time
}

func newTimeline(w io.Writer) *timeline { return &timeline{w: w, start: time.Now()} }

func (t *timeline) printf(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintf(t.w, "[%6.3fs] %s\n", time.Since(t.start).Seconds(), fmt.Sprintf(format, args...))
}
