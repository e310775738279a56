// Command galera-load writes rows through a galera.Router's writer and
// records which writes were acknowledged, so that a test can kill nodes
// under it and check that no acknowledged write is lost:
//
//	galera-load -nodes HOST:PORT,HOST:PORT,HOST:PORT -user U -password P -db NAME -duration 30s -acked FILE
//
// It creates database NAME and table t(id BIGINT PRIMARY KEY, at BIGINT)
// if missing, then inserts rows with ids 1, 2, 3, ... (continuing after
// the largest id already in t), one autocommit INSERT each, through the
// Router's writer, retrying retryable errors. After each acknowledged
// commit it appends "id<TAB>unix_ms" to FILE, flushed to the file before
// the next insert starts.
//
// A write is acknowledged when its INSERT succeeded, or when an earlier
// attempt lost its connection (outcome unknown) and a retry of the same id
// answered 1062 (duplicate key): the earlier attempt committed. A write
// whose outcome stays unknown is never acknowledged.
//
// Stdout carries JSON lines: {"event":"writer","node":"HOST:PORT"} at
// start and at every writer change, and last
// {"acked":N,"failed":F,"failovers":K}, K counting the changes to another
// node (a spell without a writer is not printed, and the same writer
// coming back after one is not a change). It exits 0 at -duration. Logs
// go to stderr.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/hakit/hakit/galera"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// out writes the JSON lines; the Router's callback goroutine and the load
// loop share it.
type out struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func (o *out) emit(v any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	_ = o.enc.Encode(v)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("galera-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	nodes := fs.String("nodes", "", "comma-separated HOST:PORT of the cluster's nodes")
	user := fs.String("user", "", "MySQL user")
	password := fs.String("password", "", "MySQL password")
	dbName := fs.String("db", "", "database to create and write to")
	duration := fs.Duration("duration", 30*time.Second, "how long to write")
	ackedPath := fs.String("acked", "", "file to append acknowledged ids to")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0 // -h: the usage was asked for
		}
		return 2
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "galera-load: "+format+"\n", a...)
		return 1
	}
	switch {
	case *nodes == "":
		return fail("-nodes is required")
	case *dbName == "" || strings.ContainsAny(*dbName, "`\x00"):
		return fail("-db %q: a database name is required", *dbName)
	case *ackedPath == "":
		return fail("-acked is required")
	case *duration <= 0:
		return fail("-duration %v must be positive", *duration)
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	o := &out{enc: json.NewEncoder(stdout)}

	acked, err := os.OpenFile(*ackedPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fail("%v", err)
	}
	defer acked.Close()

	drv := mysql.NewConfig()
	drv.User, drv.Passwd, drv.Net = *user, *password, "tcp"
	drv.Timeout = 2 * time.Second
	drv.Logger = mysqlLogger{log}
	var failovers int
	var lastWriter string // the last writer printed
	cfg := galera.RouterConfig{
		Driver:        drv,
		ProbeInterval: 200 * time.Millisecond,
		ProbeTimeout:  time.Second,
		Logger:        log,
		OnWriterChange: func(from, to string) {
			// A gap with no writer is not printed; a writer that comes
			// back after one is the same writer, not a failover.
			o.mu.Lock()
			changed := to != "" && to != lastWriter
			if changed {
				if lastWriter != "" {
					failovers++
				}
				lastWriter = to
			}
			o.mu.Unlock()
			if changed {
				o.emit(map[string]string{"event": "writer", "node": to})
			}
		},
	}
	for _, a := range strings.Split(*nodes, ",") {
		cfg.Nodes = append(cfg.Nodes, galera.NodeConfig{Addr: strings.TrimSpace(a)})
	}
	router, err := galera.NewRouter(cfg)
	if err != nil {
		return fail("%v", err)
	}
	rctx, cancelRouter := context.WithCancel(context.Background())
	routerDone := make(chan struct{})
	go func() {
		defer close(routerDone)
		_ = router.Run(rctx)
	}()
	db := sql.OpenDB(router.Writer())
	stopped := false
	stopRouter := func() {
		if stopped {
			return
		}
		stopped = true
		db.Close()
		if testHookBeforeStop != nil {
			testHookBeforeStop()
		}
		cancelRouter()
		<-routerDone // Run returns after the last OnWriterChange call
	}
	defer stopRouter()

	deadline := time.Now().Add(*duration)
	lctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	table := "`" + *dbName + "`.t"
	setup := galera.RetryConfig{Interval: 100 * time.Millisecond, MaxInterval: time.Second, MaxRetries: -1}
	next := int64(1)
	err = galera.RetryTx(lctx, db, setup, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS `"+*dbName+"`"); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+table+" (id BIGINT PRIMARY KEY, at BIGINT)"); err != nil {
			return err
		}
		var max sql.NullInt64
		if err := tx.QueryRowContext(ctx, "SELECT MAX(id) FROM "+table).Scan(&max); err != nil {
			return err
		}
		next = max.Int64 + 1
		return nil
	})
	if err != nil && lctx.Err() == nil {
		return fail("create %s: %v", table, err)
	}

	var nAcked, nFailed int
	for lctx.Err() == nil {
		id := next
		next++
		ok, err := insert(lctx, db, table, id, log)
		if !ok {
			// Not acknowledged: refused, or its outcome still unknown
			// when -duration ended.
			nFailed++
			log.Warn("galera-load: write not acknowledged", "id", id, "err", err)
			continue
		}
		if _, err := fmt.Fprintf(acked, "%d\t%d\n", id, time.Now().UnixMilli()); err != nil {
			return fail("write %s: %v", *ackedPath, err)
		}
		nAcked++
	}
	// The final line is the last: no writer event may follow it.
	stopRouter()
	o.mu.Lock()
	k := failovers
	o.mu.Unlock()
	o.emit(struct {
		Acked     int `json:"acked"`
		Failed    int `json:"failed"`
		Failovers int `json:"failovers"`
	}{nAcked, nFailed, k})
	return 0
}

// insert writes row id until it is acknowledged or the outcome cannot be
// settled before ctx ends. It reports whether the row is acknowledged:
// the INSERT succeeded, or a retry after an unknown outcome answered 1062
// (galera.ErrAlreadyCommitted).
func insert(ctx context.Context, db *sql.DB, table string, id int64, log *slog.Logger) (bool, error) {
	retry := galera.RetryConfig{
		Interval: 20 * time.Millisecond, MaxInterval: 200 * time.Millisecond, MaxRetries: -1,
		Idempotent: true,
		OnRetry: func(n int, err error, _ time.Duration) {
			log.Info("galera-load: retrying", "id", id, "attempt", n, "err", err)
		},
	}
	_, err := galera.RetryExec(ctx, db, retry, "INSERT INTO "+table+" (id, at) VALUES (?, ?)", id, time.Now().UnixMilli())
	if err == nil || errors.Is(err, galera.ErrAlreadyCommitted) {
		return true, nil
	}
	return false, err
}

// testHookBeforeStop, when set by a test, runs after the load ends and
// just before the Router is stopped.
var testHookBeforeStop func()

type mysqlLogger struct{ log *slog.Logger }

func (l mysqlLogger) Print(v ...any) { l.log.Debug("mysql: " + fmt.Sprint(v...)) }
