package hakit_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"

	"github.com/hakit/hakit"
	"github.com/hakit/hakit/hakittest"
)

// A Monitor keeps HAProxy's rise/fall state. Here passive reports drive it:
// with on-error fail-check and an error limit of 1, every reported error
// counts as one failed check, and fall 3 marks the target DOWN.
func ExampleMonitor() {
	m, err := hakit.NewMonitor(hakit.MonitorConfig{
		Checker:    hakit.CheckerFunc(func(context.Context) error { return nil }),
		InitState:  hakit.InitStateFullyUp,
		ErrorLimit: 1,
		OnError:    hakit.OnErrorFailCheck,
		OnChange: func(prev, cur hakit.Status) {
			fmt.Printf("%s -> %s\n", prev, cur)
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for range 3 {
		m.Report(errors.New("connection refused"))
	}
	fmt.Println("up:", m.Up())
	// Output:
	// UP -> UP 2/3
	// UP 2/3 -> UP 1/3
	// UP 1/3 -> DOWN
	// up: false
}

// An Elector leads while it holds the lease; its leadership is a context.
func ExampleElector() {
	lease := hakittest.NewLease()
	ctx, cancel := context.WithCancel(context.Background())
	e, err := hakit.NewElector(hakit.ElectorConfig{
		Lease:           lease,
		Identity:        "node-a",
		ReleaseOnCancel: true,
		OnStartedLeading: func(ctx context.Context, token uint64) {
			fmt.Println("leading with fencing token", token)
			cancel() // done with the work: step down
		},
		OnStoppedLeading: func() { fmt.Println("stopped leading") },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	e.Run(ctx)
	r, _ := lease.Record()
	fmt.Printf("released: holder %q, token %d\n", r.Holder, r.Token)
	// Output:
	// leading with fencing token 1
	// stopped leading
	// released: holder "", token 1
}

// A Health answers load-balancer probes: 503 while any component is DOWN.
func ExampleHealth() {
	db, _ := hakit.NewMonitor(hakit.MonitorConfig{
		Checker:   hakit.CheckerFunc(func(context.Context) error { return nil }),
		InitState: hakit.InitStateFullyDown,
	})
	var h hakit.Health
	h.Add("db", db)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	fmt.Println(rec.Code, h.Report().Components["db"].Status)
	// Output:
	// 503 DOWN
}
