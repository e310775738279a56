// Command amqp-load publishes numbered messages to a RabbitMQ cluster
// through an amqp.Publisher and consumes them through an amqp.Consumer on
// a second connection, recording which ids were confirmed and which were
// received, so that a test can kill nodes under it and check that no
// confirmed message is lost:
//
//	amqp-load -urls URL,URL,URL -queue NAME [-quorum] -count N [-rate R] -confirmed FILE1 -received FILE2 [-timeout 90s]
//
// It declares queue NAME (durable; a quorum queue with -quorum), publishes
// the ids 1..N as message bodies with publisher confirms, at most R per
// second (0, the default, means unlimited), and consumes the queue with
// manual acks. It appends every confirmed id to FILE1 and every received id
// to FILE2, one decimal id per line, written before the next is counted.
// The publisher connects to the URLs in the order given, the consumer
// starting at the second one, so that the two use different nodes.
//
// Stdout carries JSON lines, each written whole as it happens:
// {"event":"connected","role":"publisher|consumer","url":URL} at every
// (re)connection, URL as given with its password masked; the queue is
// declared and publishing starts right after the first publisher line. The
// last line is
// {"published":P,"confirmed":C,"received_unique":U,"duplicates":D,"reconnects":R}:
// ids handed to the publisher, ids confirmed, distinct ids received,
// receptions of an id already received, and connections opened beyond the
// first of each role. It exits 0 once every id is confirmed and received,
// 1 at -timeout or on a failure, 2 on bad flags. Logs go to stderr.
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
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/hakit/hakit/amqp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// out writes the JSON lines; callbacks of both clients share it.
type out struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func (o *out) emit(v any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	_ = o.enc.Encode(v)
}

type connected struct {
	Event string `json:"event"`
	Role  string `json:"role"`
	URL   string `json:"url"`
}

type summary struct {
	Published      int `json:"published"`
	Confirmed      int `json:"confirmed"`
	ReceivedUnique int `json:"received_unique"`
	Duplicates     int `json:"duplicates"`
	Reconnects     int `json:"reconnects"`
}

// tally counts what happened; the publishing goroutines and the consumer
// share it.
type tally struct {
	mu         sync.Mutex
	sum        summary
	confirmed  []bool
	received   []bool
	connects   map[string]int
	confFile   *os.File
	recvFile   *os.File
	complete   chan struct{}
	once       sync.Once
	writeError error
}

func (t *tally) check() {
	if t.sum.Confirmed == len(t.confirmed)-1 && t.sum.ReceivedUnique == len(t.received)-1 {
		t.once.Do(func() { close(t.complete) })
	}
}

func (t *tally) confirm(id int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.confirmed[id] {
		return
	}
	t.confirmed[id] = true
	t.sum.Confirmed++
	if _, err := fmt.Fprintf(t.confFile, "%d\n", id); err != nil && t.writeError == nil {
		t.writeError = err
	}
	t.check()
}

func (t *tally) receive(id int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, err := fmt.Fprintf(t.recvFile, "%d\n", id); err != nil && t.writeError == nil {
		t.writeError = err
	}
	if t.received[id] {
		t.sum.Duplicates++
		return
	}
	t.received[id] = true
	t.sum.ReceivedUnique++
	t.check()
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("amqp-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	urls := fs.String("urls", "", "comma-separated amqp:// URLs of the cluster's nodes")
	queue := fs.String("queue", "", "queue to declare, publish to and consume from")
	quorum := fs.Bool("quorum", false, "declare a quorum queue (default a durable classic queue)")
	count := fs.Int("count", 0, "publish the ids 1..count")
	rate := fs.Int("rate", 0, "publish at most this many messages per second (0: unlimited)")
	confPath := fs.String("confirmed", "", "file to append confirmed ids to")
	recvPath := fs.String("received", "", "file to append received ids to")
	timeout := fs.Duration("timeout", 90*time.Second, "give up (exit 1) after this long")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "amqp-load: "+format+"\n", a...)
		return 2
	}
	var urlList []string
	for _, u := range strings.Split(*urls, ",") {
		if u = strings.TrimSpace(u); u != "" {
			urlList = append(urlList, u)
		}
	}
	switch {
	case fs.NArg() > 0:
		return bad("unexpected argument %q", fs.Arg(0))
	case len(urlList) == 0:
		return bad("-urls is required")
	case *queue == "":
		return bad("-queue is required")
	case *count <= 0:
		return bad("-count %d must be positive", *count)
	case *rate < 0:
		return bad("-rate %d must not be negative", *rate)
	case *confPath == "":
		return bad("-confirmed is required")
	case *recvPath == "":
		return bad("-received is required")
	case *timeout <= 0:
		return bad("-timeout %v must be positive", *timeout)
	}
	for _, u := range urlList {
		if _, err := amqp091.ParseURI(u); err != nil {
			return bad("-urls: %s: %v", amqp.Redact(u), err)
		}
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "amqp-load: "+format+"\n", a...)
		return 1
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	o := &out{enc: json.NewEncoder(stdout)}

	t := &tally{
		confirmed: make([]bool, *count+1),
		received:  make([]bool, *count+1),
		connects:  map[string]int{},
		complete:  make(chan struct{}),
	}
	var err error
	if t.confFile, err = os.OpenFile(*confPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err != nil {
		return fail("%v", err)
	}
	defer t.confFile.Close()
	if t.recvFile, err = os.OpenFile(*recvPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err != nil {
		return fail("%v", err)
	}
	defer t.recvFile.Close()

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	firstPub := make(chan struct{})
	var firstOnce sync.Once
	onConnect := func(role string) func(amqp.ConnEvent) {
		return func(ev amqp.ConnEvent) {
			t.mu.Lock()
			t.connects[role]++
			if t.connects[role] > 1 {
				t.sum.Reconnects++
			}
			t.mu.Unlock()
			o.emit(connected{"connected", role, ev.URL})
			if role == "publisher" {
				firstOnce.Do(func() { close(firstPub) })
			}
		}
	}
	newClient := func(role string, urls []string) (*amqp.Client, error) {
		return amqp.New(amqp.Config{
			URLs:           urls,
			ConnectionName: "amqp-load " + role,
			Heartbeat:      10 * time.Second,
			RetryMax:       5 * time.Second,
			OnConnect:      onConnect(role),
			Logger:         log.With("role", role),
		})
	}
	pubClient, err := newClient("publisher", urlList)
	if err != nil {
		return bad("%v", err)
	}
	rotated := append(append([]string(nil), urlList[1%len(urlList):]...), urlList[:1%len(urlList)]...)
	conClient, err := newClient("consumer", rotated)
	if err != nil {
		return bad("%v", err)
	}
	decl := amqp.Queue{Name: *queue, Durable: true}
	if *quorum {
		if decl, err = (amqp.QuorumQueue{Name: *queue}).Queue(); err != nil {
			return bad("%v", err)
		}
	}
	pub, err := pubClient.NewPublisher(amqp.PublisherConfig{})
	if err != nil {
		return fail("%v", err)
	}
	con, err := conClient.NewConsumer(amqp.ConsumerConfig{
		Queue:    *queue,
		Prefetch: 500,
		Handler: func(ctx context.Context, d *amqp.Delivery) {
			id, err := strconv.Atoi(string(d.Body))
			if err != nil || id < 1 || id > *count {
				log.Warn("amqp-load: foreign message", "body", string(d.Body))
				_ = d.Reject(false)
				return
			}
			t.receive(id)
			if err := d.Ack(); err != nil {
				log.Warn("amqp-load: ack", "id", id, "err", err)
			}
		},
	})
	if err != nil {
		return fail("%v", err)
	}

	var wg sync.WaitGroup
	runCtx, stopAll := context.WithCancel(context.Background())
	defer func() {
		cancel()
		stopAll()
		wg.Wait()
	}()
	for _, r := range []interface{ Run(context.Context) error }{pubClient, pub} {
		wg.Go(func() { _ = r.Run(runCtx) })
	}

	result := func(code int) int {
		t.mu.Lock()
		s := t.sum
		werr := t.writeError
		t.mu.Unlock()
		o.emit(s)
		if werr != nil {
			return fail("write: %v", werr)
		}
		return code
	}
	select {
	case <-firstPub:
	case <-ctx.Done():
		return result(1)
	}
	if _, err := pubClient.DeclareQueue(ctx, decl); err != nil {
		if ctx.Err() != nil {
			return result(1)
		}
		fail("%v", err)
		return result(1)
	}
	for _, r := range []interface{ Run(context.Context) error }{conClient, con} {
		wg.Go(func() { _ = r.Run(runCtx) })
	}
	wg.Go(func() {
		if _, err := conClient.DeclareQueue(ctx, decl); err != nil && ctx.Err() == nil {
			log.Error("amqp-load: consumer declare", "err", err)
		}
	})

	// Publish: each id in its own goroutine, since Publish waits for the
	// confirm; the Publisher's MaxInFlight bounds them.
	slots := make(chan struct{}, 2000)
	start := time.Now()
	wg.Go(func() {
		for id := 1; id <= *count && ctx.Err() == nil; id++ {
			if *rate > 0 {
				due := start.Add(time.Duration(id-1) * time.Second / time.Duration(*rate))
				if !sleepUntil(ctx, due) {
					return
				}
			}
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			t.mu.Lock()
			t.sum.Published++
			t.mu.Unlock()
			wg.Go(func() {
				defer func() { <-slots }()
				body := []byte(strconv.Itoa(id))
				err := pub.Publish(ctx, "", *queue, amqp091.Publishing{DeliveryMode: amqp091.Persistent, Body: body})
				if err != nil {
					if ctx.Err() == nil {
						log.Error("amqp-load: publish", "id", id, "err", err)
					}
					return
				}
				t.confirm(id)
			})
		}
	})

	select {
	case <-t.complete:
		return result(0)
	case <-ctx.Done():
		return result(1)
	}
}

func sleepUntil(ctx context.Context, at time.Time) bool {
	d := time.Until(at)
	if d <= 0 {
		return ctx.Err() == nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-ctx.Done():
		return false
	}
}
