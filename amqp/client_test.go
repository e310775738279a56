package amqp_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/hakit/hakit/amqp"
	"github.com/hakit/hakit/amqp/amqptest"
)

func TestConfigErrorsNameTheField(t *testing.T) {
	for _, c := range []struct {
		cfg  amqp.Config
		want string
	}{
		{amqp.Config{}, "Config.URLs is empty"},
		{amqp.Config{URLs: []string{"amqp://a/", "http://u:secret@b/"}}, `Config.URLs[1] "http://u:xxxxx@b/"`},
		{amqp.Config{URLs: testURLs, Order: 7}, "Config.Order Order(7)"},
		{amqp.Config{URLs: testURLs, RetryInterval: -time.Second}, "Config.RetryInterval -1s is negative"},
		{amqp.Config{URLs: testURLs, RetryBackoff: 0.5}, "Config.RetryBackoff 0.5 is below 1"},
		{amqp.Config{URLs: testURLs, RetryInterval: time.Minute}, "Config.RetryMax 30s is shorter than RetryInterval 1m0s"},
		{amqp.Config{URLs: testURLs, MaxAttempts: -1}, "Config.MaxAttempts -1"},
	} {
		_, err := amqp.New(c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%+v) = %v, want an error with %q", c.cfg, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("error shows the password: %v", err)
		}
	}
	c, _ := amqp.New(amqp.Config{URLs: testURLs})
	for _, f := range []func() error{
		func() error { _, err := c.NewPublisher(amqp.PublisherConfig{MaxInFlight: -1}); return err },
		func() error {
			_, err := c.NewConsumer(amqp.ConsumerConfig{Handler: func(context.Context, *amqp.Delivery) {}})
			return err
		},
		func() error { _, err := c.NewConsumer(amqp.ConsumerConfig{Queue: "q"}); return err },
	} {
		if err := f(); err == nil || !strings.Contains(err.Error(), "Config.") {
			t.Errorf("got %v, want an error naming the field", err)
		}
	}
}

// A lost connection fails over to the next URL (round-robin) after
// LostDelay, with OnLost and OnConnect called in order.
func TestFailoverRoundRobin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := amqptest.NewBroker()
		r := newRunner(t)
		var mu sync.Mutex
		var events []string
		c := r.client(b, amqp.Config{
			OnConnect: func(e amqp.ConnEvent) { mu.Lock(); events = append(events, "connect "+e.URL); mu.Unlock() },
			OnLost:    func(e amqp.ConnEvent) { mu.Lock(); events = append(events, "lost "+e.URL); mu.Unlock() },
		})
		synctest.Wait()
		if st := c.Stats(); st.URL != "amqp://u:xxxxx@node1:5672/" || st.Connects != 1 {
			t.Fatalf("stats %+v, want connected to node1", st)
		}
		b.Refuse(testURLs[1], true)
		start := time.Now()
		b.Drop(testURLs[0])
		synctest.Wait()
		if c.Stats().URL != "" {
			t.Fatal("still connected right after the drop")
		}
		for c.Stats().URL == "" {
			time.Sleep(10 * time.Millisecond)
		}
		// LostDelay 2s (+ up to 25%), node2 refused, then backoff 1s
		// (+25%) before node3.
		if d := time.Since(start); d < 3*time.Second || d > 3900*time.Millisecond {
			t.Errorf("reconnected after %v, want LostDelay plus one RetryInterval", d)
		}
		st := c.Stats()
		if st.URL != "amqp://u:xxxxx@node3:5672/" || st.Connects != 2 || st.Lost != 1 || st.DialFailures != 1 {
			t.Errorf("stats %+v", st)
		}
		if !strings.Contains(st.LastLost, "connection reset") {
			t.Errorf("LastLost %q, want the drop's error", st.LastLost)
		}
		want := []string{"connect amqp://u:xxxxx@node1:5672/", "lost amqp://u:xxxxx@node1:5672/", "connect amqp://u:xxxxx@node3:5672/"}
		mu.Lock()
		defer mu.Unlock()
		if strings.Join(events, "|") != strings.Join(want, "|") {
			t.Errorf("events %q, want %q", events, want)
		}
		if got := b.Dials(); strings.Join(got, " ") != strings.Join([]string{testURLs[0], testURLs[1], testURLs[2]}, " ") {
			t.Errorf("dials %v", got)
		}
	})
}

// With every node down the waits between attempts double from
// RetryInterval up to RetryMax, jittered by at most a quarter, and
// MaxAttempts ends Run with ErrGaveUp.
func TestBackoffAndGiveUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := amqptest.NewBroker()
		for _, u := range testURLs {
			b.Refuse(u, true)
		}
		var times []time.Time
		c, err := amqp.New(amqp.Config{
			URLs:        testURLs,
			MaxAttempts: 8,
			RetryMax:    10 * time.Second,
			Dial: func(ctx context.Context, url string, cfg amqp.DialConfig) (amqp.Conn, error) {
				times = append(times, time.Now())
				return b.Dial(ctx, url, cfg)
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		err = c.Run(context.Background())
		if !errors.Is(err, amqp.ErrGaveUp) || !strings.Contains(err.Error(), "connection refused") {
			t.Fatalf("Run = %v, want ErrGaveUp with the last cause", err)
		}
		want := []time.Duration{1, 2, 4, 8, 10, 10, 10} // seconds
		if len(times) != 8 {
			t.Fatalf("%d attempts, want 8", len(times))
		}
		for i, w := range want {
			d, w := times[i+1].Sub(times[i]), w*time.Second
			if d < w || d > w+w/4 {
				t.Errorf("wait %d: %v, want %v plus at most a quarter", i+1, d, w)
			}
		}
	})
}

// OrderShuffle tries every URL once per pass.
func TestShuffleVisitsEveryNode(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := amqptest.NewBroker()
		for _, u := range testURLs {
			b.Refuse(u, true)
		}
		c, _ := amqp.New(amqp.Config{URLs: testURLs, Order: amqp.OrderShuffle, MaxAttempts: 6, Dial: b.Dial})
		_ = c.Run(context.Background())
		d := b.Dials()
		for pass := 0; pass < 2; pass++ {
			seen := map[string]bool{}
			for _, u := range d[pass*3 : pass*3+3] {
				seen[u] = true
			}
			if len(seen) != 3 {
				t.Errorf("pass %d dialled %v, want each node once", pass, d[pass*3:pass*3+3])
			}
		}
	})
}

// connection.blocked holds publishers back and is reported; unblocked
// lets them go on.
func TestBlockedConnectionHoldsPublishers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := amqptest.NewBroker()
		r := newRunner(t)
		var blocks []amqp091.Blocking
		var mu sync.Mutex
		c := r.client(b, amqp.Config{OnBlocked: func(bl amqp091.Blocking) { mu.Lock(); blocks = append(blocks, bl); mu.Unlock() }})
		p := r.publisher(c, amqp.PublisherConfig{})
		if _, err := c.DeclareQueue(r.ctx, amqp.Queue{Name: "q"}); err != nil {
			t.Fatal(err)
		}
		b.Block("low on memory")
		synctest.Wait()
		if !c.Stats().Blocked {
			t.Fatal("Stats().Blocked false after connection.blocked")
		}
		done := make(chan error, 1)
		go func() { done <- p.Publish(r.ctx, "", "q", amqp091.Publishing{Body: []byte("x")}) }()
		time.Sleep(time.Minute)
		if st, _ := b.Queue("q"); st.Ready != 0 || p.Stats().Sent != 0 {
			t.Fatalf("a blocked publisher sent: %+v, %+v", st, p.Stats())
		}
		select {
		case err := <-done:
			t.Fatalf("Publish returned %v while blocked", err)
		default:
		}
		b.Unblock()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if st, _ := b.Queue("q"); st.Ready != 1 {
			t.Fatalf("queue %+v after unblock", st)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(blocks) != 2 || !blocks[0].Active || blocks[0].Reason != "low on memory" || blocks[1].Active {
			t.Errorf("OnBlocked got %+v", blocks)
		}
		if st := c.Stats(); st.Blocked || st.Blocks != 1 {
			t.Errorf("stats %+v", st)
		}
	})
}

// The zero Config asks every connection for oslo.messaging's heartbeat
// (60s), Go's keepalive (15s) and amqp091-go's dial timeout (30s).
func TestZeroConfigDefaults(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := amqptest.NewBroker()
		got := make(chan amqp.DialConfig, 1)
		c, err := amqp.New(amqp.Config{URLs: testURLs[:1], ConnectionName: "svc", Dial: func(ctx context.Context, url string, cfg amqp.DialConfig) (amqp.Conn, error) {
			select {
			case got <- cfg:
			default:
			}
			return b.Dial(ctx, url, cfg)
		}})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- c.Run(ctx) }()
		cfg := <-got
		cancel()
		<-done
		want := amqp.DialConfig{Heartbeat: 60 * time.Second, KeepAlive: 15 * time.Second, Timeout: 30 * time.Second, ConnectionName: "svc"}
		if cfg != want {
			t.Errorf("dialled with %+v, want %+v", cfg, want)
		}
	})
}
