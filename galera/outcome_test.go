package galera_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/hakit/hakit/galera"
	"github.com/hakit/hakit/galera/galeratest"
)

// ErrOutcomeUnknown means exactly "this write may have committed": every
// way a write can be sent and its answer lost must report it, and none
// that proves the write did not run may.

// memApp runs in a synctest bubble: an in-memory cluster with table app.k
// holding ('a', 0), and a pool on node 0.
func memApp(t *testing.T) (*galeratest.Cluster, *sql.DB) {
	t.Helper()
	c, err := galeratest.NewCluster(galeratest.Config{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	admin := openMem(t, c, 0, "")
	for _, q := range []string{"CREATE DATABASE app", "CREATE TABLE app.k (k VARCHAR(10) PRIMARY KEY, v BIGINT)", "INSERT INTO app.k VALUES ('a', 0)"} {
		if _, err := admin.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return c, openMem(t, c, 0, "app")
}

// openMem opens a pool to node i of an in-memory cluster.
func openMem(t *testing.T, c *galeratest.Cluster, i int, db string) *sql.DB {
	t.Helper()
	cfg := c.DriverConfig(db)
	cfg.Addr = c.Node(i).Addr()
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d := sql.OpenDB(conn)
	t.Cleanup(func() { d.Close() })
	return d
}

// A ctx that ends while an autocommit write waits for its answer: the
// server executed it (here at once; on MariaDB it may run after a lock
// wait the client gave up on), go-sql-driver returns the ctx's error.
func TestRetryExecCtxEndsAfterSendIsUnknown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, db := memApp(t)
		c.Node(0).Inject(1, galeratest.Fault{Hang: true, AfterExec: true})
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := galera.RetryExec(ctx, db, fast, "UPDATE k SET v = v + 1 WHERE k = 'a'")
		if !errors.Is(err, galera.ErrOutcomeUnknown) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want ErrOutcomeUnknown wrapping the deadline", err)
		}
		if v := value(t, db); v != 1 {
			t.Fatalf("value %d, want 1: the write committed", v)
		}
	})
}

// A ctx already over before anything is sent is a plain ctx error: the
// write provably did not run.
func TestRetryExecCtxOverBeforeSendIsKnown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, db := memApp(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := galera.RetryExec(ctx, db, fast, "UPDATE k SET v = v + 1 WHERE k = 'a'")
		if !errors.Is(err, context.Canceled) || errors.Is(err, galera.ErrOutcomeUnknown) {
			t.Fatalf("err = %v, want context.Canceled alone", err)
		}
	})
}

// With Idempotent, an attempt whose answer was lost is retried; whatever
// ends the retries later, the earlier attempt may have committed, and the
// error says so.
func TestRetryExecUnknownSurvivesLaterExits(t *testing.T) {
	lost := galeratest.Fault{Drop: true, AfterExec: true}
	for _, tc := range []struct {
		name   string
		then   []galeratest.Fault
		cfg    func(*galera.RetryConfig)
		ctxEnd time.Duration // when positive, the ctx ends then
	}{
		{name: "retries exhausted", then: []galeratest.Fault{{Code: galera.ErrNumDeadlock}, {Code: galera.ErrNumDeadlock}},
			cfg: func(c *galera.RetryConfig) { c.MaxRetries = 2 }},
		{name: "non-retryable error on the retry", then: []galeratest.Fault{{Code: 1146, Message: "Table 'app.k' doesn't exist"}}},
		{name: "ctx ends while waiting to retry",
			cfg: func(c *galera.RetryConfig) { c.Interval, c.MaxInterval = time.Hour, time.Hour }, ctxEnd: time.Minute},
		// Before the driver's 30s ReadTimeout, which would lose the connection.
		{name: "ctx ends on the retry", then: []galeratest.Fault{{Hang: true}}, ctxEnd: 10 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c, db := memApp(t)
				c.Node(0).Inject(1, lost)
				for _, f := range tc.then {
					c.Node(0).Inject(1, f)
				}
				cfg := fast
				cfg.Idempotent = true
				if tc.cfg != nil {
					tc.cfg(&cfg)
				}
				ctx := context.Background()
				if tc.ctxEnd > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tc.ctxEnd)
					defer cancel()
				}
				_, err := galera.RetryExec(ctx, db, cfg, "UPDATE k SET v = v + 1 WHERE k = 'a'")
				if !errors.Is(err, galera.ErrOutcomeUnknown) {
					t.Fatalf("err = %v, want ErrOutcomeUnknown: the first attempt committed", err)
				}
				if v := value(t, db); v != 1 {
					t.Fatalf("value %d, want 1", v)
				}
			})
		})
	}
}

// A COMMIT error the classifier does not know, such as MariaDB's 1180
// "Got error N during COMMIT", may follow a commit the cluster ordered:
// unknown, not retried, the connection not reused.
func TestRetryTxUnclassifiedCommitErrorIsUnknown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, db := memApp(t)
		calls := 0
		c.Node(0).Inject(1, galeratest.Fault{}) // the UPDATE
		c.Node(0).Inject(1, galeratest.Fault{Code: galera.ErrNumErrorDuringCommit, Message: "Got error 149 during COMMIT"})
		err := galera.RetryTx(context.Background(), db, fast, func(ctx context.Context, tx *sql.Tx) error {
			calls++
			return incr(ctx, tx)
		})
		var me *mysql.MySQLError
		if !errors.Is(err, galera.ErrOutcomeUnknown) || !errors.As(err, &me) || me.Number != 1180 || calls != 1 {
			t.Fatalf("err = %v after %d calls, want ErrOutcomeUnknown wrapping 1180 after 1", err, calls)
		}
	})
}

// The same 1180 on an autocommit write.
func TestRetryExecErrorDuringCommitIsUnknown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, db := memApp(t)
		c.Node(0).Inject(1, galeratest.Fault{Code: galera.ErrNumErrorDuringCommit})
		_, err := galera.RetryExec(context.Background(), db, fast, "UPDATE k SET v = v + 1 WHERE k = 'a'")
		if !errors.Is(err, galera.ErrOutcomeUnknown) {
			t.Fatalf("err = %v, want ErrOutcomeUnknown", err)
		}
	})
}

// A COMMIT whose ctx ended before it was sent is rolled back by
// database/sql: a known outcome, no ErrOutcomeUnknown.
func TestRetryTxCtxOverBeforeCommitIsKnown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, db := memApp(t)
		ctx, cancel := context.WithCancel(context.Background())
		err := galera.RetryTx(ctx, db, fast, func(ctx context.Context, tx *sql.Tx) error {
			err := incr(ctx, tx)
			cancel()
			return err
		})
		if !errors.Is(err, context.Canceled) || errors.Is(err, galera.ErrOutcomeUnknown) {
			t.Fatalf("err = %v, want context.Canceled alone", err)
		}
		if v := value(t, db); v != 0 {
			t.Fatalf("value %d, want 0", v)
		}
	})
}
