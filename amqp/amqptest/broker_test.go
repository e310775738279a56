package amqptest_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/hakit/hakit/amqp"
	"github.com/hakit/hakit/amqp/amqptest"
)

const url = "amqp://u:p@node1/"

func open(t *testing.T, b *amqptest.Broker) (amqp.Conn, amqp.Channel) {
	t.Helper()
	c, err := b.Dial(context.Background(), url, amqp.DialConfig{})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := c.Channel()
	if err != nil {
		t.Fatal(err)
	}
	return c, ch
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func pub(t *testing.T, ch amqp.Channel, exchange, key, body string) {
	t.Helper()
	must(t, ch.PublishWithContext(context.Background(), exchange, key, false, false, amqp091.Publishing{Body: []byte(body)}))
}

func bodies(b *amqptest.Broker, q string) []string {
	st, _ := b.Queue(q)
	return st.Bodies
}

// Routing follows RabbitMQ's exchange types (AMQP 0-9-1 model guide):
// the default exchange by queue name, direct by equal key, fanout to all,
// topic with "*" one word and "#" zero or more.
func TestRouting(t *testing.T) {
	b := amqptest.NewBroker()
	_, ch := open(t, b)
	for _, q := range []string{"a", "b", "c"} {
		_, err := ch.QueueDeclare(q, true, false, false, false, nil)
		must(t, err)
	}
	must(t, ch.ExchangeDeclare("t", "topic", true, false, false, false, nil))
	must(t, ch.QueueBind("a", "amq.direct", "amq.direct", false, nil))
	must(t, ch.QueueBind("a", "k", "amq.direct", false, nil))
	must(t, ch.QueueBind("b", "", "amq.fanout", false, nil))
	must(t, ch.QueueBind("c", "", "amq.fanout", false, nil))
	must(t, ch.QueueBind("a", "node.*", "t", false, nil))
	must(t, ch.QueueBind("b", "#.down", "t", false, nil))
	must(t, ch.QueueBind("c", "#", "t", false, nil))
	pub(t, ch, "", "a", "default")
	pub(t, ch, "amq.direct", "k", "direct")
	pub(t, ch, "amq.direct", "other", "nowhere")
	pub(t, ch, "amq.fanout", "x", "fanout")
	pub(t, ch, "t", "node.up", "up")
	pub(t, ch, "t", "node.a.down", "down")
	for q, want := range map[string][]string{
		"a": {"default", "direct", "up"},
		"b": {"fanout", "down"},
		"c": {"fanout", "up", "down"},
	} {
		if got := bodies(b, q); !slices.Equal(got, want) {
			t.Errorf("queue %s holds %v, want %v", q, got, want)
		}
	}
}

// Confirms come in publish order; NackNext nacks without storing;
// HoldConfirms stores but withholds until released; an unroutable
// mandatory message is returned before its ack.
func TestConfirmsAndFaults(t *testing.T) {
	b := amqptest.NewBroker()
	_, ch := open(t, b)
	_, err := ch.QueueDeclare("q", true, false, false, false, nil)
	must(t, err)
	must(t, ch.Confirm(false))
	confirms := ch.NotifyPublish(make(chan amqp091.Confirmation, 10))
	returns := ch.NotifyReturn(make(chan amqp091.Return, 10))
	pub(t, ch, "", "q", "1")
	b.NackNext(1)
	pub(t, ch, "", "q", "2")
	b.HoldConfirms(true)
	pub(t, ch, "", "q", "3")
	if len(confirms) != 2 {
		t.Fatalf("%d confirms while held, want 2", len(confirms))
	}
	b.HoldConfirms(false)
	must(t, ch.PublishWithContext(context.Background(), "", "none", true, false, amqp091.Publishing{Body: []byte("4")}))
	var got []amqp091.Confirmation
	for range 4 {
		got = append(got, <-confirms)
	}
	want := []amqp091.Confirmation{{DeliveryTag: 1, Ack: true}, {DeliveryTag: 2, Ack: false}, {DeliveryTag: 3, Ack: true}, {DeliveryTag: 4, Ack: true}}
	if !slices.Equal(got, want) {
		t.Errorf("confirms %v, want %v", got, want)
	}
	if r := <-returns; r.ReplyCode != amqp091.NoRoute || string(r.Body) != "4" {
		t.Errorf("return %+v", r)
	}
	if got := bodies(b, "q"); !slices.Equal(got, []string{"1", "3"}) {
		t.Errorf("queue holds %v", got)
	}
}

// Consumers get at most prefetch unacked deliveries; unacked ones come
// back, flagged redelivered, when the channel closes; acking an unknown
// tag closes the channel with 406 as RabbitMQ does.
func TestConsumePrefetchRedelivery(t *testing.T) {
	b := amqptest.NewBroker()
	_, ch := open(t, b)
	_, err := ch.QueueDeclare("q", true, false, false, false, nil)
	must(t, err)
	for _, s := range []string{"1", "2", "3"} {
		pub(t, ch, "", "q", s)
	}
	_, cch := open(t, b)
	must(t, cch.Qos(2, 0, false))
	msgs, err := cch.ConsumeWithContext(context.Background(), "q", "", false, false, false, false, nil)
	must(t, err)
	if len(msgs) != 2 {
		t.Fatalf("%d deliveries with prefetch 2", len(msgs))
	}
	d1 := <-msgs
	must(t, d1.Ack(false))
	if len(msgs) != 2 {
		t.Fatalf("%d deliveries after an ack", len(msgs))
	}
	must(t, cch.Close())
	if st, _ := b.Queue("q"); st.Ready != 2 || st.Unacked != 0 || !slices.Equal(st.Bodies, []string{"2", "3"}) {
		t.Errorf("after close: %+v", st)
	}
	if err := d1.Ack(false); !errors.Is(err, amqp091.ErrClosed) {
		t.Errorf("ack on a closed channel: %v", err)
	}
	_, cch = open(t, b)
	closes := cch.NotifyClose(make(chan *amqp091.Error, 1))
	msgs, err = cch.ConsumeWithContext(context.Background(), "q", "", false, false, false, false, nil)
	must(t, err)
	d := <-msgs
	if !d.Redelivered || string(d.Body) != "2" {
		t.Errorf("delivery %q redelivered=%v", d.Body, d.Redelivered)
	}
	must(t, cch.(amqp091.Acknowledger).Ack(99, false))
	if e := <-closes; e == nil || e.Code != amqp091.PreconditionFailed {
		t.Errorf("unknown tag: close %v, want 406", e)
	}
}

// Drop closes connections with 501 and deletes their exclusive queues;
// an auto-delete queue goes with its last consumer; Cancel and queue
// deletion send basic.cancel; Refuse fails dials.
func TestConnectionFaults(t *testing.T) {
	b := amqptest.NewBroker()
	c, ch := open(t, b)
	closed := c.NotifyClose(make(chan *amqp091.Error, 1))
	q, err := ch.QueueDeclare("", false, false, true, false, nil)
	must(t, err)
	if n := b.Drop(url); n != 1 {
		t.Fatalf("dropped %d", n)
	}
	if e := <-closed; e == nil || e.Code != amqp091.FrameError {
		t.Errorf("close %v, want 501", e)
	}
	if _, ok := b.Queue(q.Name); ok {
		t.Errorf("exclusive queue %s outlived its connection", q.Name)
	}

	_, ch = open(t, b)
	_, err = ch.QueueDeclare("ad", false, true, false, false, nil)
	must(t, err)
	_, err = ch.ConsumeWithContext(context.Background(), "ad", "t1", false, false, false, false, nil)
	must(t, err)
	must(t, ch.Cancel("t1", false))
	if _, ok := b.Queue("ad"); ok {
		t.Error("auto-delete queue outlived its last consumer")
	}

	_, err = ch.QueueDeclare("q", true, false, false, false, nil)
	must(t, err)
	cancels := ch.NotifyCancel(make(chan string, 2))
	msgs, err := ch.ConsumeWithContext(context.Background(), "q", "t2", false, false, false, false, nil)
	must(t, err)
	if n := b.Cancel("q"); n != 1 || <-cancels != "t2" {
		t.Errorf("Cancel: %d", n)
	}
	if _, ok := <-msgs; ok {
		t.Error("deliveries still open after basic.cancel")
	}
	_, err = ch.ConsumeWithContext(context.Background(), "q", "t3", false, false, false, false, nil)
	must(t, err)
	_, err = ch.QueueDelete("q", false, false, false)
	must(t, err)
	if tag := <-cancels; tag != "t3" {
		t.Errorf("queue deletion cancelled %q", tag)
	}

	b.Refuse(url, true)
	if _, err := b.Dial(context.Background(), url, amqp.DialConfig{}); err == nil {
		t.Error("dial of a refused URL succeeded")
	}
	if got := b.Dials(); len(got) != 3 {
		t.Errorf("dials %v", got)
	}
}

// Block holds publishes unrouted and unconfirmed and tells every
// connection; Unblock routes them; Trap nacks a connection's publishes
// and starves its consumers while a later connection works.
func TestBlockAndTrap(t *testing.T) {
	b := amqptest.NewBroker()
	c, ch := open(t, b)
	blocks := c.NotifyBlocked(make(chan amqp091.Blocking, 2))
	_, err := ch.QueueDeclare("q", true, false, false, false, nil)
	must(t, err)
	must(t, ch.Confirm(false))
	confirms := ch.NotifyPublish(make(chan amqp091.Confirmation, 10))
	b.Block("disk")
	pub(t, ch, "", "q", "1")
	if bl := <-blocks; !bl.Active || bl.Reason != "disk" || len(confirms) != 0 || len(bodies(b, "q")) != 0 {
		t.Fatalf("blocked: %+v, %d confirms, %v", bl, len(confirms), bodies(b, "q"))
	}
	b.Unblock()
	if bl := <-blocks; bl.Active || !(<-confirms).Ack || len(bodies(b, "q")) != 1 {
		t.Fatalf("unblocked: %+v", bl)
	}

	msgs, err := ch.ConsumeWithContext(context.Background(), "q", "", false, false, false, false, nil)
	must(t, err)
	<-msgs
	b.Trap()
	pub(t, ch, "", "q", "2")
	if cf := <-confirms; cf.Ack {
		t.Error("a trapped connection's publish was acked")
	}
	_, ch2 := open(t, b)
	pub(t, ch2, "", "q", "3")
	if len(msgs) != 0 {
		t.Error("a trapped consumer got a delivery")
	}
	msgs2, err := ch2.ConsumeWithContext(context.Background(), "q", "", false, false, false, false, nil)
	must(t, err)
	if d := <-msgs2; string(d.Body) != "3" {
		t.Errorf("new connection got %q", d.Body)
	}
}

// Declarations RabbitMQ refuses are refused: inequivalent redeclaration
// (406), a quorum queue that is not durable (406), an unknown exchange
// type (503), a passive declare of a missing queue (404), another
// connection's exclusive queue (405).
func TestDeclareErrors(t *testing.T) {
	b := amqptest.NewBroker()
	code := func(err error) int {
		var ae *amqp091.Error
		if errors.As(err, &ae) {
			return ae.Code
		}
		return 0
	}
	_, ch := open(t, b)
	_, err := ch.QueueDeclare("q", true, false, false, false, nil)
	must(t, err)
	for _, c := range []struct {
		name string
		f    func(ch amqp.Channel) error
		want int
	}{
		{"inequivalent", func(ch amqp.Channel) error {
			_, err := ch.QueueDeclare("q", false, false, false, false, nil)
			return err
		}, amqp091.PreconditionFailed},
		{"transient quorum", func(ch amqp.Channel) error {
			_, err := ch.QueueDeclare("qq", false, false, false, false, amqp091.Table{"x-queue-type": "quorum"})
			return err
		}, amqp091.PreconditionFailed},
		{"exchange type", func(ch amqp.Channel) error {
			return ch.ExchangeDeclare("h", "headers", true, false, false, false, nil)
		}, amqp091.CommandInvalid},
		{"passive missing", func(ch amqp.Channel) error {
			_, err := ch.QueueDeclarePassive("missing", false, false, false, false, nil)
			return err
		}, amqp091.NotFound},
	} {
		_, ch := open(t, b)
		if got := code(c.f(ch)); got != c.want {
			t.Errorf("%s: code %d, want %d", c.name, got, c.want)
		}
		if _, err := ch.QueueDeclarePassive("q", false, false, false, false, nil); !errors.Is(err, amqp091.ErrClosed) {
			t.Errorf("%s: channel still open after a channel error: %v", c.name, err)
		}
	}
	_, ch = open(t, b)
	_, err = ch.QueueDeclare("mine", false, false, true, false, nil)
	must(t, err)
	_, other := open(t, b)
	if _, err := other.QueueDeclare("mine", false, false, true, false, nil); code(err) != amqp091.ResourceLocked {
		t.Errorf("another connection's exclusive queue: %v", err)
	}
}
