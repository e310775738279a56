package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/hakit/hakit/galera"
	"github.com/hakit/hakit/galera/galeratest"
)

// sceneGalera routes writes over three fake Galera nodes: the writer is
// killed, then a second node, leaving a non-Primary survivor; pc.bootstrap
// brings it back, the others rejoin without taking the writer role back,
// and a certification failure is retried.
func sceneGalera(ctx context.Context, w io.Writer) error {
	// The Router's callbacks print from their own goroutine.
	tl := newTimeline(&galeraLockedWriter{w: w})
	c, err := galeratest.NewCluster(galeratest.Config{})
	if err != nil {
		return err
	}
	defer c.Close()
	names := map[string]string{"": "none"}
	for i, a := range c.Addrs() {
		names[a] = fmt.Sprintf("node%d", i+1)
	}
	setup, err := openQuiet(c, 0)
	if err != nil {
		return err
	}
	defer setup.Close()
	for _, q := range []string{"CREATE DATABASE app", "CREATE TABLE app.t (id BIGINT PRIMARY KEY, at BIGINT)"} {
		if _, err := setup.ExecContext(ctx, q); err != nil {
			return err
		}
	}

	cfg := galera.RouterConfig{
		Driver:        quiet(c.DriverConfig("app")),
		ProbeInterval: 100 * time.Millisecond,
		ProbeTimeout:  time.Second,
		OnWriterChange: func(from, to string) {
			tl.printf("router: writer %s -> %s", names[from], names[to])
		},
	}
	for _, a := range c.Addrs() {
		cfg.Nodes = append(cfg.Nodes, galera.NodeConfig{Addr: a})
	}
	r, err := galera.NewRouter(cfg)
	if err != nil {
		return err
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = r.Run(rctx) }()
	defer func() { cancel(); <-done }()
	db := sql.OpenDB(r.Writer())
	defer db.Close()

	// No retry limit: the scene's ctx bounds the failovers it rides out.
	retry := galera.RetryConfig{Interval: 10 * time.Millisecond, MaxInterval: 50 * time.Millisecond, MaxRetries: -1}
	write := func(id int) error {
		_, err := galera.RetryExec(ctx, db, retry, "INSERT INTO t (id, at) VALUES (?, ?)", id, id)
		return err
	}
	for id := 1; id <= 3; id++ {
		if err := write(id); err != nil {
			return err
		}
	}
	tl.printf("writes 1-3 acknowledged on %s (lowest wsrep_local_index)", names[r.WriterAddr()])

	c.Node(0).Kill()
	tl.printf("node1 killed (kill -9): its connections drop, its port refuses")
	start := time.Now()
	if err := write(4); err != nil {
		return err
	}
	tl.printf("write 4 acknowledged on %s, %v after the kill", names[r.WriterAddr()], time.Since(start).Round(time.Millisecond))

	c.Node(1).Kill()
	tl.printf("node2 killed: node3 alone is 1 of the last Primary component's 2, no quorum")
	for r.WriterAddr() != "" {
		time.Sleep(10 * time.Millisecond)
	}
	st := c.Node(2).State()
	tl.printf("node3 reports wsrep_cluster_status=%s wsrep_local_state=%d (%s)", st.ClusterStatus, st.LocalState, st.LocalState)
	start = time.Now()
	if _, err := db.ExecContext(ctx, "INSERT INTO t (id, at) VALUES (5, 5)"); errors.Is(err, galera.ErrNoWriter) {
		tl.printf("write 5 refused with ErrNoWriter after %v, no hang", time.Since(start).Round(time.Millisecond))
	} else {
		return fmt.Errorf("write without a Primary component: %v", err)
	}

	if _, err := setup.ExecContext(ctx, "SELECT 1"); err == nil {
		return errors.New("node1 still answers")
	}
	boot, err := openQuiet(c, 2)
	if err != nil {
		return err
	}
	defer boot.Close()
	if _, err := boot.ExecContext(ctx, "SET GLOBAL wsrep_provider_options='pc.bootstrap=YES'"); err != nil {
		return err
	}
	tl.printf("operator: SET GLOBAL wsrep_provider_options='pc.bootstrap=YES' on node3")
	if err := write(5); err != nil {
		return err
	}
	tl.printf("write 5 acknowledged on %s", names[r.WriterAddr()])

	if err := c.Node(0).Restart(); err != nil {
		return err
	}
	if err := c.Node(1).Restart(); err != nil {
		return err
	}
	time.Sleep(300 * time.Millisecond)
	tl.printf("node1 and node2 rejoin Synced; the writer stays %s (no failback)", names[r.WriterAddr()])

	c.Node(2).Inject(1, galeratest.Fault{})                                                             // the UPDATE passes
	c.Node(2).Inject(1, galeratest.Fault{Code: galera.ErrNumDeadlock, Message: "certification failed"}) // its COMMIT does not
	retries := 0
	rt := retry
	rt.OnRetry = func(n int, err error, wait time.Duration) { retries++ }
	err = galera.RetryTx(ctx, db, rt, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE t SET at = at + 100 WHERE id = 5")
		return err
	})
	if err != nil {
		return err
	}
	var at, n int
	if err := db.QueryRowContext(ctx, "SELECT at FROM t WHERE id = 5").Scan(&at); err != nil {
		return err
	}
	tl.printf("RetryTx: COMMIT failed certification (1213), retried %d time(s); row 5 now at=%d", retries, at)
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM t").Scan(&n); err != nil {
		return err
	}
	tl.printf("%d acknowledged rows, none lost", n)
	return nil
}

// galeraLockedWriter serializes the scene's writes.
type galeraLockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *galeraLockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// quiet silences cfg's driver logger: it logs every connection the scene's
// kills break, and the timeline already tells that story. The logger is
// the connector's own, not the driver's global one.
func quiet(cfg *mysql.Config) *mysql.Config {
	cfg.Logger = log.New(io.Discard, "", 0)
	return cfg
}

// openQuiet opens a pool on node i of c with a quiet driver logger.
func openQuiet(c *galeratest.Cluster, i int) (*sql.DB, error) {
	cfg := quiet(c.DriverConfig(""))
	cfg.Addr = c.Node(i).Addr()
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(conn), nil
}
