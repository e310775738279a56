package lb_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/hakit/hakit/lb"
	"github.com/hakit/hakit/lb/haproxycfg"
	"github.com/hakit/hakit/lb/lbtest"
)

// HAProxy's weighted round robin, in HAProxy's own order.
func ExampleBackend_Pick() {
	b, err := lb.NewBackend(lb.BackendConfig{Servers: []lb.ServerConfig{
		{Name: "s1", Addr: "10.0.0.1:80", Weight: 1},
		{Name: "s2", Addr: "10.0.0.2:80", Weight: 2},
		{Name: "s3", Addr: "10.0.0.3:80", Weight: 3},
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	var order []string
	for range 6 {
		s, _ := b.Pick(&lb.Key{})
		order = append(order, s.Name())
	}
	fmt.Println(strings.Join(order, " "))
	// Output: s3 s2 s3 s1 s3 s2
}

// Backup servers take over only when no active server is usable, as with
// HAProxy's "backup".
func ExampleBackend_SetState() {
	b, _ := lb.NewBackend(lb.BackendConfig{Servers: []lb.ServerConfig{
		{Name: "web1", Addr: "10.0.0.1:80"},
		{Name: "web2", Addr: "10.0.0.2:80"},
		{Name: "sorry", Addr: "10.0.0.9:80", Backup: true},
	}})
	pick := func() string { s, _ := b.Pick(&lb.Key{}); return s.Name() }
	fmt.Println(pick(), pick())
	b.SetState("web1", lb.AdminMaint)
	fmt.Println(pick(), pick())
	b.SetState("web2", lb.AdminDrain)
	fmt.Println(pick())
	// Output:
	// web1 web2
	// web2 web2
	// sorry
}

// A HAProxy configuration served by lb: an HTTP frontend over two fake
// backends.
func ExampleFrontend_Serve() {
	one, _ := lbtest.NewBackend("one", "")
	defer one.Close()
	two, _ := lbtest.NewBackend("two", "")
	defer two.Close()
	cfg, err := haproxycfg.Parse(strings.NewReader(`
defaults
    mode http
    timeout connect 1s
frontend web
    bind 127.0.0.1:0
    default_backend app
backend app
    balance roundrobin
    server one ` + one.Addr() + `
    server two ` + two.Addr() + `
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	rt, err := haproxycfg.Build(context.Background(), cfg, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	ln, _ := net.Listen("tcp", rt.Listeners[0].Addr)
	defer ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { rt.Listeners[0].Frontend.Serve(ctx, ln); close(done) }()
	for range 3 {
		resp, err := http.Get("http://" + ln.Addr().String() + "/")
		if err != nil {
			fmt.Println(err)
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Print(string(body))
	}
	cancel()
	http.DefaultClient.CloseIdleConnections()
	<-done
	// Output:
	// one
	// two
	// one
}

// HAProxy's CSV stats of a backend.
func ExampleWriteCSV() {
	b, _ := lb.NewBackend(lb.BackendConfig{Name: "app", Servers: []lb.ServerConfig{
		{Name: "s1", Addr: "10.0.0.1:80", Weight: 2},
		{Name: "s2", Addr: "10.0.0.2:80", Admin: lb.AdminMaint},
	}})
	var out strings.Builder
	lb.WriteCSV(&out, []lb.Proxy{{Name: "app", Mode: lb.ModeHTTP, Backend: b}})
	cols := lb.CSVColumns()
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n")[1:] {
		f := strings.Split(line, ",")
		row := map[string]string{}
		for i, c := range cols {
			row[c] = f[i]
		}
		fmt.Println(row["pxname"], row["svname"], row["status"], row["weight"])
	}
	// Output:
	// app s1 no check 2
	// app s2 MAINT 1
	// app BACKEND UP 2
}
