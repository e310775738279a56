// Command elect runs a hakit.Elector on a store's Lease and prints what
// happens as JSON lines on stdout, one object a line:
//
//	{"event":"leading","id":ID,"token":N}   this process became leader under fencing token N
//	{"event":"stopped","id":ID}             this process stopped leading
//	{"event":"leader","leader":OTHER}       this process sees another leader
//
// Usage:
//
//	elect -backend redis|galera|mongo -addr ADDR -name NAME -id ID [-lease 3s] [-renew 2s] [-retry 500ms]
//
// ADDR is host:port for redis, a go-sql-driver DSN for galera (the lease
// table goes in the DSN's database, "hakit" when it names none, created if
// missing) and a mongodb:// URI for mongo (the lease documents go in the
// URI's database, "hakit" when it names none). With redis, tokens are large integers (about 1.8e15
// in 2026, below 2^53): the token counter takes Redis' clock in
// microseconds as its floor, so that tokens keep growing across a
// Sentinel failover that lost the counter's last increments. Logs go to
// stderr. SIGTERM (or SIGINT)
// releases the lease, so that another process takes over at its next retry,
// and exits 0.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hakit/hakit"
)

// openLease opens the named lease on a store; close releases its
// connections.
type openLease func(ctx context.Context, addr, name string) (lease hakit.Lease, close func() error, err error)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("elect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	backend := fs.String("backend", "", "lease store: "+strings.Join(backendNames(), "|"))
	addr := fs.String("addr", "", "store address: host:port (redis), go-sql-driver DSN (galera), mongodb:// URI (mongo)")
	name := fs.String("name", "", "lease name, shared by the candidates")
	id := fs.String("id", "", "this candidate's identity, unique among the candidates")
	leaseDur := fs.Duration("lease", 3*time.Second, "lease duration: how long followers wait before taking an unrenewed lease over")
	renew := fs.Duration("renew", 2*time.Second, "renew deadline: the leader stops leading this long after its last successful renewal")
	retry := fs.Duration("retry", 500*time.Millisecond, "retry period: how often the leader renews and followers retry")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0 // -h: the usage was asked for
		}
		return 2
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "elect: "+format+"\n", a...)
		return 1
	}
	open, ok := backends[*backend]
	switch {
	case !ok:
		return fail("unknown -backend %q: want one of %s", *backend, strings.Join(backendNames(), ", "))
	case *addr == "":
		return fail("-addr is required")
	case *name == "":
		return fail("-name is required")
	case *id == "":
		return fail("-id is required")
	}

	logger := slog.New(slog.NewTextHandler(stderr, nil))
	lease, closeLease, err := open(ctx, *addr, *name)
	if err != nil {
		return fail("%s backend at %s: %v", *backend, *addr, err)
	}
	defer closeLease()

	out := &eventWriter{w: stdout}
	e, err := hakit.NewElector(hakit.ElectorConfig{
		Lease:         lease,
		Identity:      *id,
		LeaseDuration: *leaseDur,
		RenewDeadline: *renew,
		RetryPeriod:   *retry,
		// Followers retry within RetryPeriod × [1, 1.2], so a released
		// lease is taken over about one retry period later.
		JitterFactor:    0.2,
		ReleaseOnCancel: true,
		OnStartedLeading: func(ctx context.Context, token uint64) {
			out.emit(event{Event: "leading", ID: *id, Token: &token})
			<-ctx.Done()
			out.emit(event{Event: "stopped", ID: *id})
		},
		OnNewLeader: func(leader string) {
			if leader != *id {
				out.emit(event{Event: "leader", Leader: leader})
			}
		},
		Logger: logger,
	})
	if err != nil {
		return fail("%v", err)
	}
	if err := e.Run(ctx); err != nil {
		return fail("%v", err)
	}
	if err := out.err(); err != nil && !errors.Is(err, os.ErrClosed) {
		return fail("writing events: %v", err)
	}
	return 0
}

func backendNames() []string {
	var names []string
	for n := range backends {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// event is one line of output; field order is the contract's.
type event struct {
	Event  string  `json:"event"`
	ID     string  `json:"id,omitempty"`
	Token  *uint64 `json:"token,omitempty"`
	Leader string  `json:"leader,omitempty"`
}

// eventWriter writes whole lines, one at a time, unbuffered.
type eventWriter struct {
	mu      sync.Mutex
	w       io.Writer
	lastErr error
}

func (o *eventWriter) emit(e event) {
	b, err := json.Marshal(e)
	if err != nil {
		panic(err) // the event types cannot fail to marshal
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, err := o.w.Write(append(b, '\n')); err != nil {
		o.lastErr = err
	}
}

func (o *eventWriter) err() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.lastErr
}
