//go:build integration

package amqp_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/hakit/hakit/amqp"
	"github.com/hakit/hakit/internal/testenv"
)

// load publishes ids to a quorum queue through a Client whose first node
// is env.URLs[pubNode] and consumes them through one starting at
// env.URLs[conNode], recording what was confirmed and received.
type load struct {
	t        *testing.T
	env      testenv.RabbitEnv
	queue    string
	r        *runner
	pub, con *amqp.Client
	p        *amqp.Publisher

	mu        sync.Mutex
	confirmed map[int]bool
	received  map[int]int
	conURLs   []string
	pubURLs   []string
	lost      []string
	blocks    []amqp091.Blocking
	next      int
}

func rotate(urls []string, first int) []string {
	return append(append([]string(nil), urls[first:]...), urls[:first]...)
}

func newLoad(t *testing.T, env testenv.RabbitEnv, pubNode, conNode int) *load {
	l := &load{t: t, env: env, r: newRunner(t), confirmed: map[int]bool{}, received: map[int]int{}}
	l.queue = "amqp-test." + strconv.FormatInt(time.Now().UnixNano(), 36)
	cfg := func(urls []string, seen *[]string) amqp.Config {
		return amqp.Config{
			URLs:      urls,
			Heartbeat: 5 * time.Second,
			RetryMax:  5 * time.Second,
			OnConnect: func(e amqp.ConnEvent) { l.mu.Lock(); *seen = append(*seen, e.URL); l.mu.Unlock() },
			OnLost:    func(e amqp.ConnEvent) { l.mu.Lock(); l.lost = append(l.lost, e.Reason); l.mu.Unlock() },
			OnBlocked: func(b amqp091.Blocking) { l.mu.Lock(); l.blocks = append(l.blocks, b); l.mu.Unlock() },
		}
	}
	var err error
	if l.pub, err = amqp.New(cfg(rotate(env.URLs, pubNode), &l.pubURLs)); err != nil {
		t.Fatal(err)
	}
	if l.con, err = amqp.New(cfg(rotate(env.URLs, conNode), &l.conURLs)); err != nil {
		t.Fatal(err)
	}
	l.r.run(l.pub.Run)
	l.r.run(l.con.Run)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	q, _ := amqp.QuorumQueue{Name: l.queue}.Queue()
	if _, err := l.pub.DeclareQueue(ctx, q); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := l.con.DeleteQueue(ctx, l.queue); err != nil {
			t.Errorf("delete %s: %v", l.queue, err)
		}
	})
	if _, err := l.con.DeclareQueue(ctx, q); err != nil {
		t.Fatal(err)
	}
	l.p = l.r.publisher(l.pub, amqp.PublisherConfig{})
	l.r.consumer(l.con, amqp.ConsumerConfig{Queue: l.queue, Prefetch: 200, Handler: func(ctx context.Context, d *amqp.Delivery) {
		id, _ := strconv.Atoi(string(d.Body))
		l.mu.Lock()
		l.received[id]++
		l.mu.Unlock()
		_ = d.Ack()
	}})
	return l
}

// publish sends n more ids, at most rate a second, 200 at a time in
// flight, and returns when each was confirmed or ctx ended.
func (l *load) publish(ctx context.Context, n, rate int) {
	var wg sync.WaitGroup
	slots := make(chan struct{}, 200)
	start := time.Now()
	for i := range n {
		if d := time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(rate))); d > 0 {
			time.Sleep(d)
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return
		}
		l.mu.Lock()
		l.next++
		id := l.next
		l.mu.Unlock()
		wg.Go(func() {
			defer func() { <-slots }()
			if err := l.p.Publish(ctx, "", l.queue, amqp091.Publishing{DeliveryMode: amqp091.Persistent, Body: []byte(strconv.Itoa(id))}); err == nil {
				l.mu.Lock()
				l.confirmed[id] = true
				l.mu.Unlock()
			}
		})
	}
	wg.Wait()
}

// check waits until every confirmed id was received, and fails t if one
// is missing after 60s.
func (l *load) check() (confirmed, duplicates int) {
	l.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		l.mu.Lock()
		var missing []int
		duplicates = 0
		for id := range l.confirmed {
			if l.received[id] == 0 {
				missing = append(missing, id)
			}
		}
		for _, n := range l.received {
			duplicates += n - 1
		}
		confirmed = len(l.confirmed)
		l.mu.Unlock()
		if len(missing) == 0 {
			return confirmed, duplicates
		}
		if time.Now().After(deadline) {
			l.t.Fatalf("%d of %d confirmed ids never received, e.g. %v", len(missing), confirmed, missing[:min(5, len(missing))])
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (l *load) urls() (pub, con, lost []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.pubURLs...), append([]string(nil), l.conURLs...), append([]string(nil), l.lost...)
}

// stop_app of the consumer's node mid-stream: the consumer carries on
// through another node; every confirmed id is received.
func TestStopAppOfConsumerNode(t *testing.T) {
	testenv.Exclusive(t, "rabbitmq")
	env := testenv.RabbitMQ(t)
	t.Cleanup(func() { env.StartApp(t, 1) })
	l := newLoad(t, env, 0, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	done := make(chan struct{})
	go func() { defer close(done); l.publish(ctx, 3000, 1000) }()
	time.Sleep(time.Second)
	env.StopApp(t, 1)
	l.waitMoved(t, 1)
	<-done
	l.publish(ctx, 1000, 1000) // after the move
	l.finish(t, 4000)
}

// close_all_connections on the publisher's and the consumer's nodes: both
// reconnect (reason 320 CONNECTION_FORCED) and carry on.
func TestCloseAllConnections(t *testing.T) {
	testenv.Exclusive(t, "rabbitmq")
	env := testenv.RabbitMQ(t)
	l := newLoad(t, env, 0, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	done := make(chan struct{})
	go func() { defer close(done); l.publish(ctx, 3000, 1000) }()
	time.Sleep(time.Second)
	env.CloseAllConnections(t, 0, "amqp test")
	env.CloseAllConnections(t, 1, "amqp test")
	l.waitMoved(t, 1)
	<-done
	l.publish(ctx, 1000, 1000)
	l.finish(t, 4000)
	pub, _, lost := l.urls()
	if len(pub) < 2 {
		t.Errorf("publisher connections %v: want a reconnection", pub)
	}
	for _, r := range lost {
		if !strings.Contains(r, "CONNECTION_FORCED - amqp test") {
			t.Errorf("lost reasons %q, want CONNECTION_FORCED with the operator's reason", lost)
			break
		}
	}
}

// waitMoved waits until the consumer is connected to a node other than
// node i.
func (l *load) waitMoved(t *testing.T, i int) {
	t.Helper()
	waitFor(t, 30*time.Second, "consumer reconnection", func() bool {
		_, con, _ := l.urls()
		return len(con) >= 2 && l.con.Stats().URL != "" && !strings.Contains(l.con.Stats().URL, l.env.Addrs[i])
	})
}

// finish checks that n ids were confirmed and all received, and logs.
func (l *load) finish(t *testing.T, n int) {
	t.Helper()
	confirmed, dups := l.check()
	pub, con, lost := l.urls()
	t.Logf("%d confirmed, %d duplicates; publisher %v consumer %v; lost %q", confirmed, dups, pub, con, lost)
	if confirmed != n {
		t.Errorf("%d of %d confirmed", confirmed, n)
	}
}

// A memory alarm (watermark tiny) blocks the publisher's connection once
// it publishes: nothing is confirmed while blocked; once the watermark is
// back, it is unblocked and everything confirmed arrives.
func TestMemoryAlarmBlocksThenUnblocks(t *testing.T) {
	testenv.Exclusive(t, "rabbitmq")
	env := testenv.RabbitMQ(t)
	t.Cleanup(func() { env.SetMemoryWatermark(t, 0, testenv.DefaultMemoryWatermark) })
	l := newLoad(t, env, 0, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	l.publish(ctx, 500, 1000)
	env.SetMemoryWatermark(t, 0, "0.0000001")
	done := make(chan struct{})
	go func() { defer close(done); l.publish(ctx, 1000, 1000) }()
	waitFor(t, 20*time.Second, "connection.blocked", func() bool { return l.pub.Stats().Blocked })
	time.Sleep(500 * time.Millisecond) // confirms already on the wire
	before := l.p.Stats().Confirmed
	checkBlocked := checkCluster(t, env, time.Second)
	if !errors.Is(checkBlocked, amqp.ErrBlocked) {
		t.Errorf("Checker under the alarm: %v, want ErrBlocked", checkBlocked)
	}
	time.Sleep(3 * time.Second)
	if got := l.p.Stats().Confirmed; got != before {
		t.Errorf("%d confirmed while blocked", got-before)
	}
	env.SetMemoryWatermark(t, 0, testenv.DefaultMemoryWatermark)
	if err := checkCluster(t, env, 10*time.Second); err != nil {
		t.Errorf("Checker after the alarm: %v", err)
	}
	<-done
	l.finish(t, 1500)
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.blocks) < 2 || !l.blocks[0].Active || l.blocks[len(l.blocks)-1].Active {
		t.Errorf("OnBlocked got %+v, want blocked then unblocked", l.blocks)
	}
	if st := l.pub.Stats(); st.Blocked || st.Connects != 1 {
		t.Errorf("publisher client %+v, want unblocked on its first connection", st)
	}
}

// checkCluster runs a cluster Checker with the given timeout.
func checkCluster(t *testing.T, env testenv.RabbitEnv, d time.Duration) error {
	t.Helper()
	c, err := amqp.NewChecker(amqp.CheckerConfig{URLs: env.URLs})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return c.Check(ctx)
}

// The Checker passes on the healthy cluster and names a missing queue.
func TestCheckerOnCluster(t *testing.T) {
	env := testenv.RabbitMQ(t)
	if err := checkCluster(t, env, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	c, err := amqp.NewChecker(amqp.CheckerConfig{URLs: env.URLs[:1], Queue: "hakit.no.such.queue"})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Check(context.Background())
	var ae *amqp091.Error
	if !errors.As(err, &ae) || ae.Code != amqp091.NotFound {
		t.Errorf("Check = %v, want 404 NOT_FOUND", err)
	}
}

func waitFor(t *testing.T, d time.Duration, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %v", what, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Clients that open their connections on survivors right after the node
// leading a quorum queue was SIGKILLed (no LostDelay to wait out the
// election) still get every message confirmed and received: on RabbitMQ
// 3.10 such a channel may stay bound to the dead leader, and the
// publisher's nack run or the consumer's stall check moves them to a new
// connection. Whether the trap was hit is logged (it depends on timing).
func TestSurvivesChannelOpenedDuringLeaderElection(t *testing.T) {
	testenv.Exclusive(t, "rabbitmq")
	env := testenv.RabbitMQ(t)
	queue := "amqp-test.trap." + strconv.FormatInt(time.Now().UnixNano(), 36)
	t.Cleanup(func() { env.Restore(t) })
	setup, err := amqp.New(amqp.Config{URLs: env.URLs[:1]})
	if err != nil {
		t.Fatal(err)
	}
	r := newRunner(t)
	r.run(setup.Run)
	q, _ := amqp.QuorumQueue{Name: queue}.Queue()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if _, err := setup.DeclareQueue(ctx, q); err != nil {
		t.Fatal(err)
	}
	setup.Close()
	if leader := env.QueueLeader(t, 0, queue); leader != env.Nodes[0] {
		env.MoveLeader(t, queue, 0)
	}
	if err := syscall.Kill(env.PID(t, 0), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	newClient := func(url string) *amqp.Client {
		c, err := amqp.New(amqp.Config{URLs: []string{url}, LostDelay: -1, RetryInterval: 100 * time.Millisecond, RetryMax: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		r.run(c.Run)
		return c
	}
	pc, cc := newClient(env.URLs[1]), newClient(env.URLs[2])
	p := r.publisher(pc, amqp.PublisherConfig{ConfirmTimeout: 10 * time.Second})
	var mu sync.Mutex
	got := map[string]bool{}
	k := r.consumer(cc, amqp.ConsumerConfig{Queue: queue, StallTimeout: 5 * time.Second, Handler: func(ctx context.Context, d *amqp.Delivery) {
		mu.Lock()
		got[string(d.Body)] = true
		mu.Unlock()
		_ = d.Ack()
	}})
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			if err := p.Publish(ctx, "", queue, amqp091.Publishing{DeliveryMode: amqp091.Persistent, Body: []byte(strconv.Itoa(i))}); err != nil {
				t.Errorf("Publish %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	confirmedAfter := time.Since(killed)
	waitFor(t, 60*time.Second, "all 200 received", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == 200 })
	t.Logf("all confirmed %v and received %v after the kill; publisher %+v %+v; consumer %+v %+v",
		confirmedAfter.Round(time.Millisecond), time.Since(killed).Round(time.Millisecond), pc.Stats(), p.Stats(), cc.Stats(), k.Stats())
	ctxDel, cancelDel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancelDel()
	if _, err := cc.DeleteQueue(ctxDel, queue); err != nil {
		t.Errorf("delete %s: %v", queue, err)
	}
}
