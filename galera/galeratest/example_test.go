package galeratest_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/hakit/hakit/galera"
	"github.com/hakit/hakit/galera/galeratest"
)

// A test scripts a node's wsrep state and sees a clustercheck-style
// Checker answer as it would for a real node.
func ExampleNode_SetState() {
	c, err := galeratest.NewCluster(galeratest.Config{})
	if err != nil {
		panic(err)
	}
	defer c.Close()
	cfg := c.DriverConfig("")
	cfg.Addr = c.Node(0).Addr()
	ch, err := galera.NewChecker(galera.CheckerConfig{Driver: cfg})
	if err != nil {
		panic(err)
	}
	defer ch.Close()
	ctx := context.Background()

	fmt.Println("synced:", ch.Check(ctx))
	c.Node(0).SetState(func(s *galera.NodeState) { s.LocalState = galera.LocalStateDonor })
	fmt.Println("donor unavailable:", errors.Is(ch.Check(ctx), galera.ErrUnavailable))
	c.Node(0).SetState(nil)
	c.Node(0).Kill()
	var ne *galera.NodeError
	fmt.Println("killed, error names the node:", errors.As(ch.Check(ctx), &ne) && ne.Node == c.Node(0).Addr())
	// Output:
	// synced: <nil>
	// donor unavailable: true
	// killed, error names the node: true
}
