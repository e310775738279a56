package galera_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"

	"time"

	"github.com/hakit/hakit"
	"github.com/hakit/hakit/galera"
	"github.com/hakit/hakit/galera/galeratest"
)

// A Router sends every write to one node; when that node dies the next
// statement finds the new writer.
func ExampleRouter() {
	c, _ := galeratest.NewCluster(galeratest.Config{}) // three fake nodes
	defer c.Close()
	name := map[string]string{"": "none"}
	for i, a := range c.Addrs() {
		name[a] = fmt.Sprintf("node%d", i+1)
	}
	admin, _ := sql.Open("mysql", c.DSN(0, ""))
	admin.Exec("CREATE DATABASE app")
	admin.Exec("CREATE TABLE app.t (id BIGINT PRIMARY KEY)")
	admin.Close()

	cfg := galera.RouterConfig{Driver: c.DriverConfig("app"), ProbeInterval: 100 * time.Millisecond}
	for _, a := range c.Addrs() {
		cfg.Nodes = append(cfg.Nodes, galera.NodeConfig{Addr: a})
	}
	r, err := galera.NewRouter(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	defer func() { cancel(); <-done }()

	db := sql.OpenDB(r.Writer())
	defer db.Close()
	db.Exec("INSERT INTO t VALUES (1)")
	fmt.Println("writer:", name[r.WriterAddr()])

	c.Node(0).Kill() // kill -9 of the writer's mysqld
	// The pooled connection is dead and the writer refuses connections:
	// the Router probes it at once and connects to the next writer.
	_, err = db.Exec("INSERT INTO t VALUES (2)")
	fmt.Println("insert after the kill:", err, "on", name[r.WriterAddr()])

	c.Node(1).Kill() // node3 alone has no quorum
	for r.WriterAddr() != "" {
		time.Sleep(10 * time.Millisecond)
	}
	_, err = db.Exec("INSERT INTO t VALUES (3)")
	fmt.Println("without a Primary component:", errors.Is(err, galera.ErrNoWriter))
	// Output:
	// writer: node1
	// insert after the kill: <nil> on node2
	// without a Primary component: true
}

// A Checker answers as Percona's clustercheck: a desynced node (state 2,
// Donor/Desynced) is unavailable unless AvailableWhenDonor.
func ExampleChecker() {
	c, _ := galeratest.NewCluster(galeratest.Config{})
	defer c.Close()
	node := c.DriverConfig("")
	node.Addr = c.Node(0).Addr()
	check, _ := galera.NewChecker(galera.CheckerConfig{Driver: node})
	defer check.Close()
	donorOK, _ := galera.NewChecker(galera.CheckerConfig{Driver: node, Policy: galera.Policy{AvailableWhenDonor: true}})
	defer donorOK.Close()

	ctx := context.Background()
	fmt.Println("synced:", check.Check(ctx))
	db, _ := sql.Open("mysql", c.DSN(0, ""))
	defer db.Close()
	db.Exec("SET GLOBAL wsrep_desync=ON")
	err := check.Check(ctx)
	var ue *galera.UnavailableError
	if errors.As(err, &ue) {
		fmt.Println("desynced:", ue.Reason)
	}
	fmt.Println("desynced, available_when_donor=1:", donorOK.Check(ctx))
	// Output:
	// synced: <nil>
	// desynced: Galera Cluster Node is not synced. (wsrep_local_state 2 Donor/Desynced)
	// desynced, available_when_donor=1: <nil>
}

// Handler serves clustercheck's HTTP answers for haproxy's option httpchk.
func ExampleHandler() {
	h := galera.Handler{Checker: hakit.CheckerFunc(func(context.Context) error {
		return &galera.UnavailableError{Node: "db1", Reason: galera.ReasonReadOnly}
	})}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	body, _ := io.ReadAll(rec.Result().Body)
	fmt.Printf("%d %q %s\n", rec.Code, body, rec.Result().Header.Get(galera.ReasonHeader))
	// Output:
	// 503 "Percona XtraDB Cluster Node is read-only.\r\n" Galera Cluster Node is read-only.
}

// RetryTx retries a transaction whose COMMIT failed Galera's
// certification (1213), and stops at a commit whose outcome is unknown.
func ExampleRetryTx() {
	c, _ := galeratest.NewCluster(galeratest.Config{})
	defer c.Close()
	db, _ := sql.Open("mysql", c.DSN(0, ""))
	defer db.Close()
	db.Exec("CREATE DATABASE app")
	db.Exec("CREATE TABLE app.counter (id BIGINT PRIMARY KEY, n BIGINT)")
	db.Exec("INSERT INTO app.counter VALUES (1, 0)")

	cfg := galera.RetryConfig{Interval: time.Millisecond, OnRetry: func(n int, err error, _ time.Duration) {
		fmt.Println("retry", n, "after:", err)
	}}
	incr := func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE app.counter SET n = n + 1 WHERE id = 1")
		return err
	}
	c.Node(0).Inject(1, galeratest.Fault{})                                            // the UPDATE passes
	c.Node(0).Inject(1, galeratest.Fault{Code: 1213, Message: "certification failed"}) // its COMMIT does not
	fmt.Println("result:", galera.RetryTx(context.Background(), db, cfg, incr))

	c.Node(0).Inject(1, galeratest.Fault{})
	c.Node(0).Inject(1, galeratest.Fault{Drop: true, AfterExec: true}) // COMMIT applied, answer lost
	err := galera.RetryTx(context.Background(), db, cfg, incr)
	fmt.Println("lost answer to COMMIT, outcome unknown:", errors.Is(err, galera.ErrOutcomeUnknown))

	var n int
	db.QueryRow("SELECT n FROM app.counter WHERE id = 1").Scan(&n)
	fmt.Println("n =", n)
	// Output:
	// retry 1 after: Error 1213 (40001): certification failed
	// result: <nil>
	// lost answer to COMMIT, outcome unknown: true
	// n = 2
}

// ParseNodeState reads the rows of SHOW GLOBAL STATUS LIKE 'wsrep_%' and a
// few server variables; unknown values are errors naming node and value.
func ExampleParseNodeState() {
	status := map[string]string{
		"wsrep_local_state": "2", "wsrep_local_state_comment": "Donor/Desynced",
		"wsrep_cluster_status": "Primary", "wsrep_ready": "ON", "wsrep_connected": "ON",
		"wsrep_local_index": "18446744073709551615",
	}
	vars := map[string]string{"read_only": "OFF", "wsrep_desync": "ON"}
	s, err := galera.ParseNodeState("db1:3306", status, vars)
	fmt.Println(s.LocalState, s.ClusterStatus, s.Desync, s.LocalIndex, err)

	status["wsrep_cluster_status"] = "Primary?"
	_, err = galera.ParseNodeState("db1:3306", status, vars)
	fmt.Println(err)
	// Output:
	// Donor/Desynced Primary true -1 <nil>
	// galera: node db1:3306: wsrep_cluster_status = "Primary?": unknown value
}

// A Lease keeps an election's record in a table, written through the
// Router's writer; here on a fake node.
func ExampleLease() {
	c, _ := galeratest.NewCluster(galeratest.Config{})
	defer c.Close()
	admin, _ := sql.Open("mysql", c.DSN(0, ""))
	admin.Exec("CREATE DATABASE app")
	admin.Close()
	db, _ := sql.Open("mysql", c.DSN(0, "app"))
	defer db.Close()

	l, _ := galera.NewLease(galera.LeaseConfig{DB: db, Name: "scheduler"})
	ctx := context.Background()
	now := time.Now()
	v1, err := l.Create(ctx, hakit.LeaseRecord{Holder: "a", Token: 1, Acquired: now, Renewed: now, Duration: 3 * time.Second})
	fmt.Println("a holds token", v1.Token, err)
	_, err = l.Create(ctx, hakit.LeaseRecord{Holder: "b", Token: 1})
	fmt.Println("b creates:", errors.Is(err, hakit.ErrLeaseConflict))
	v2, err := l.Update(ctx, v1, hakit.LeaseRecord{Holder: "b", Token: v1.Token + 1, Acquired: now, Renewed: now, Duration: 3 * time.Second})
	fmt.Println("b takes over with token", v2.Token, err)
	_, err = l.Update(ctx, v1, hakit.LeaseRecord{Holder: "a", Token: 1})
	fmt.Println("a renews a stale record:", errors.Is(err, hakit.ErrLeaseConflict))
	// Output:
	// a holds token 1 <nil>
	// b creates: true
	// b takes over with token 2 <nil>
	// a renews a stale record: true
}
