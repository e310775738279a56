package amqp_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/hakit/hakit/amqp"
	"github.com/hakit/hakit/amqp/amqptest"
)

// A Client over three nodes publishes with confirms and consumes with
// acks; when its node is lost it fails over, and the consumer carries on.
// The in-memory broker stands in for the cluster.
func Example() {
	broker := amqptest.NewBroker()
	urls := []string{"amqp://app:secret@rabbit1:5672/", "amqp://app:secret@rabbit2:5672/", "amqp://app:secret@rabbit3:5672/"}
	connected := make(chan string, 4)
	client, err := amqp.New(amqp.Config{
		URLs:      urls,
		LostDelay: -1, // no wait after a loss: this broker has no leader election
		Dial:      broker.Dial,
		OnConnect: func(e amqp.ConnEvent) { connected <- e.URL },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	wg.Go(func() { _ = client.Run(ctx) })
	fmt.Println("connected to", <-connected)

	q, _ := amqp.QuorumQueue{Name: "orders"}.Queue()
	if _, err := client.DeclareQueue(ctx, q); err != nil {
		fmt.Println(err)
		return
	}
	pub, _ := client.NewPublisher(amqp.PublisherConfig{})
	wg.Go(func() { _ = pub.Run(ctx) })
	got := make(chan string)
	con, _ := client.NewConsumer(amqp.ConsumerConfig{
		Queue: "orders",
		Handler: func(ctx context.Context, d *amqp.Delivery) {
			if err := d.Ack(); err == nil {
				got <- string(d.Body)
			}
		},
	})
	wg.Go(func() { _ = con.Run(ctx) })

	if err := pub.Publish(ctx, "", "orders", amqp091.Publishing{Body: []byte("order 1")}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("received", <-got)

	broker.Drop(urls[0]) // the node dies
	fmt.Println("connected to", <-connected)
	if err := pub.Publish(ctx, "", "orders", amqp091.Publishing{Body: []byte("order 2")}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("received", <-got)
	// Output:
	// connected to amqp://app:xxxxx@rabbit1:5672/
	// received order 1
	// connected to amqp://app:xxxxx@rabbit2:5672/
	// received order 2
}

// QuorumQueue builds the declaration of RabbitMQ's replicated queue.
func ExampleQuorumQueue() {
	q, err := amqp.QuorumQueue{
		Name:               "tasks",
		InitialGroupSize:   3,
		DeliveryLimit:      5,
		DeadLetterExchange: "tasks.dlx",
	}.Queue()
	if err != nil {
		fmt.Println(err)
		return
	}
	keys := make([]string, 0, len(q.Args))
	for k := range q.Args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Println(q.Name, "durable:", q.Durable)
	for _, k := range keys {
		fmt.Printf("%s=%v\n", k, q.Args[k])
	}
	// Output:
	// tasks durable: true
	// x-dead-letter-exchange=tasks.dlx
	// x-delivery-limit=5
	// x-queue-type=quorum
	// x-quorum-initial-group-size=3
}

// MirrorPolicy gives the definition for `rabbitmqctl set_policy` on
// clusters that still mirror classic queues (RabbitMQ before 4.0).
func ExampleMirrorPolicy() {
	def, err := amqp.MirrorPolicy{Mode: "exactly", Exactly: 2}.Definition()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("rabbitmqctl set_policy ha-two '^' '%s' --apply-to queues\n", def)
	// Output:
	// rabbitmqctl set_policy ha-two '^' '{"ha-mode":"exactly","ha-params":2,"ha-sync-mode":"automatic"}' --apply-to queues
}

// A Checker probes a cluster: every node must accept a connection and
// confirm a publish (a node under a memory alarm does not).
func ExampleChecker() {
	broker := amqptest.NewBroker()
	check, err := amqp.NewChecker(amqp.CheckerConfig{
		URLs: []string{"amqp://rabbit1/", "amqp://rabbit2/"},
		Dial: broker.Dial,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	fmt.Println("healthy:", check.Check(ctx))
	broker.Refuse("amqp://rabbit2/", true)
	fmt.Println("node down:", check.Check(ctx))
	// Output:
	// healthy: <nil>
	// node down: amqp: 1 of 2 nodes healthy, want 2: amqp: check amqp://rabbit2/: connect: amqptest: dial amqp://rabbit2/: connection refused
}
