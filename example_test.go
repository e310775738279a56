package hakit_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"syscall"

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

// A Checker names the HAProxy class of its failure with a *CheckError;
// other errors are classified from what they carry.
func ExampleClassifyCheckError() {
	for _, err := range []error{
		&hakit.CheckError{Status: hakit.CheckL7Status, Code: 503},
		&net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}},
		fmt.Errorf("query: %w", context.DeadlineExceeded),
		errors.New("wsrep not synced"),
	} {
		class, code := hakit.ClassifyCheckError(err)
		fmt.Println(class, code)
	}
	// Output:
	// L7STS 503
	// L4CON 0
	// L7TOUT 0
	// UNK 0
}

// Maintenance stops the checks and reports DOWN; leaving it restarts one
// failed check away from DOWN, as HAProxy does. Draining keeps the state.
func ExampleMonitor_SetAdmin() {
	m, _ := hakit.NewMonitor(hakit.MonitorConfig{
		Checker:   hakit.CheckerFunc(func(context.Context) error { return nil }),
		InitState: hakit.InitStateFullyUp,
	})
	for _, a := range []hakit.AdminState{hakit.AdminDrain, hakit.AdminMaint, hakit.AdminReady} {
		m.SetAdmin(a)
		fmt.Printf("%s: %s, up %v\n", a, m.Status(), m.Up())
	}
	// Output:
	// drain: DRAIN, up true
	// maint: MAINT, up false
	// ready: UP 1/3, up true
}

// A non-critical component is reported without changing the answer; a
// drained Health answers 404, which HAProxy's "http-check disable-on-404"
// takes as "no new work". Error texts lose their credentials.
func ExampleHealth_AddComponent() {
	up := func() *hakit.Monitor {
		m, _ := hakit.NewMonitor(hakit.MonitorConfig{
			Checker:    hakit.CheckerFunc(func(context.Context) error { return nil }),
			InitState:  hakit.InitStateFullyUp,
			ErrorLimit: 1, OnError: hakit.OnErrorMarkDown,
		})
		return m
	}
	db, cache := up(), up()
	var h hakit.Health
	h.Add("db", db)
	h.AddComponent("cache", hakit.Component{Monitor: cache, NonCritical: true})
	cache.Report(errors.New("dial redis://:hunter2@10.0.0.7:6379: connection refused"))
	answer := func() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
		fmt.Println(rec.Code, h.Report().Status)
	}
	answer()
	fmt.Println(h.Report().Components["cache"].LastError)
	h.SetAdmin(hakit.AdminDrain)
	answer()
	db.Report(&hakit.CheckError{Status: hakit.CheckL7Status, Code: 503})
	answer()
	// Output:
	// 200 UP
	// UNK: dial redis://xxxxx@10.0.0.7:6379: connection refused
	// 404 DRAIN
	// 503 DOWN
}

// An Elector in a Health is judged as client-go's HealthzAdaptor judges a
// leader: healthy while leading and renewing or following, unhealthy when
// it goes on acting as leader long after it last renewed.
func ExampleElector_LeaderHealth() {
	ctx, cancel := context.WithCancel(context.Background())
	var h hakit.Health
	var e *hakit.Elector
	e, err := hakit.NewElector(hakit.ElectorConfig{
		Lease:           hakittest.NewLease(),
		Identity:        "node-a",
		ReleaseOnCancel: true,
		OnStartedLeading: func(ctx context.Context, token uint64) {
			fmt.Println(e.LeaderHealth(0), h.Report().Components["leader"].Up)
			cancel()
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	h.AddComponent("leader", hakit.Component{Elector: e})
	e.Run(ctx)
	fmt.Println(e.LeaderHealth(0), h.Healthy())
	// Output:
	// LEADING true
	// FOLLOWING true
}
