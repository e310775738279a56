package galera_test

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/hakit/hakit/galera"
	"github.com/hakit/hakit/galera/galeratest"
)

var fast = galera.RetryConfig{Interval: time.Millisecond, MaxInterval: 5 * time.Millisecond}

func appCluster(t *testing.T) (*galeratest.Cluster, *sql.DB) {
	t.Helper()
	c := fakeCluster(t)
	db := openNode(t, c, 0, "")
	for _, q := range []string{"CREATE DATABASE app", "CREATE TABLE app.k (k VARCHAR(10) PRIMARY KEY, v BIGINT)", "INSERT INTO app.k VALUES ('a', 0)"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return c, openNode(t, c, 0, "app")
}

func value(t *testing.T, db *sql.DB) int {
	t.Helper()
	var v int
	if err := db.QueryRow("SELECT v FROM k WHERE k = 'a'").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func incr(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, "UPDATE k SET v = v + 1 WHERE k = 'a'")
	return err
}

func TestRetryTxRetriesCertificationFailureAtCommit(t *testing.T) {
	c, db := appCluster(t)
	retries := 0
	cfg := fast
	cfg.OnRetry = func(int, error, time.Duration) { retries++ }
	// The statement passes, COMMIT fails certification (1213).
	c.Node(0).Inject(1, galeratest.Fault{})
	c.Node(0).Inject(1, galeratest.Fault{Code: 1213})
	if err := galera.RetryTx(context.Background(), db, cfg, incr); err != nil {
		t.Fatal(err)
	}
	if retries != 1 || value(t, db) != 1 {
		t.Fatalf("retries %d value %d, want 1 and 1", retries, value(t, db))
	}
}

func TestRetryTxLostConnectionBeforeCommitIsRetried(t *testing.T) {
	c, db := appCluster(t)
	c.Node(0).Inject(1, galeratest.Fault{Drop: true})
	if err := galera.RetryTx(context.Background(), db, fast, incr); err != nil {
		t.Fatal(err)
	}
	if value(t, db) != 1 {
		t.Fatalf("value %d", value(t, db))
	}
}

func TestRetryTxLostConnectionAtCommitIsUnknown(t *testing.T) {
	c, db := appCluster(t)
	c.Node(0).Inject(1, galeratest.Fault{})                            // the UPDATE
	c.Node(0).Inject(1, galeratest.Fault{Drop: true, AfterExec: true}) // COMMIT applied, no answer
	err := galera.RetryTx(context.Background(), db, fast, incr)
	if !errors.Is(err, galera.ErrOutcomeUnknown) {
		t.Fatalf("err = %v, want ErrOutcomeUnknown", err)
	}
	if value(t, db) != 1 {
		t.Fatalf("value %d: the commit happened once and was not retried", value(t, db))
	}
}

func TestRetryTxOtherErrorsAreReturned(t *testing.T) {
	_, db := appCluster(t)
	calls := 0
	err := galera.RetryTx(context.Background(), db, fast, func(ctx context.Context, tx *sql.Tx) error {
		calls++
		_, err := tx.ExecContext(ctx, "INSERT INTO k VALUES ('a', 9)")
		return err
	})
	var me *mysql.MySQLError
	if !errors.As(err, &me) || me.Number != 1062 || calls != 1 {
		t.Fatalf("err = %v after %d calls, want 1062 after 1", err, calls)
	}
}

func TestRetryTxGivesUp(t *testing.T) {
	c, db := appCluster(t)
	c.Node(0).Inject(10, galeratest.Fault{Code: 1205})
	cfg := fast
	cfg.MaxRetries = 2
	err := galera.RetryTx(context.Background(), db, cfg, incr)
	var me *mysql.MySQLError
	if !errors.As(err, &me) || me.Number != 1205 {
		t.Fatalf("err = %v, want 1205 after the retries", err)
	}
}

// Two nodes update the same row concurrently: Galera certifies the first
// commit and fails the other with 1213; RetryTx retries it, so both
// increments land.
func TestRetryTxConcurrentConflictingWriters(t *testing.T) {
	c, db0 := appCluster(t)
	db1 := openNode(t, c, 1, "app")
	var wg sync.WaitGroup
	errs := make([]error, 2)
	updated0, done1 := make(chan struct{}), make(chan struct{})
	for i, db := range []*sql.DB{db0, db1} {
		wg.Go(func() {
			first := true
			errs[i] = galera.RetryTx(context.Background(), db, fast, func(ctx context.Context, tx *sql.Tx) error {
				if err := incr(ctx, tx); err != nil {
					return err
				}
				if first {
					first = false
					// Both update before either commits; node 0 commits
					// after node 1 has.
					if i == 0 {
						close(updated0)
						<-done1
					} else {
						<-updated0
					}
				}
				return nil
			})
			if i == 1 {
				close(done1)
			}
		})
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatal(errs)
	}
	if v := value(t, db0); v != 2 || c.CertificationFailures() != 1 {
		t.Fatalf("value %d, certification failures %d; want 2 and 1", v, c.CertificationFailures())
	}
}

func TestRetryExec(t *testing.T) {
	c, db := appCluster(t)
	ctx := context.Background()
	c.Node(0).Inject(1, galeratest.Fault{Code: 1047})
	if _, err := galera.RetryExec(ctx, db, fast, "INSERT INTO k VALUES ('b', 1)"); err != nil {
		t.Fatal(err)
	}
	c.Node(0).Inject(1, galeratest.Fault{Drop: true, AfterExec: true})
	_, err := galera.RetryExec(ctx, db, fast, "INSERT INTO k VALUES ('c', 1)")
	if !errors.Is(err, galera.ErrOutcomeUnknown) {
		t.Fatalf("err = %v, want ErrOutcomeUnknown", err)
	}
	// An idempotent insert retried after it committed answers 1062.
	c.Node(0).Inject(1, galeratest.Fault{Drop: true, AfterExec: true})
	idem := fast
	idem.Idempotent = true
	_, err = galera.RetryExec(ctx, db, idem, "INSERT INTO k VALUES ('d', 1)")
	var me *mysql.MySQLError
	if !errors.Is(err, galera.ErrAlreadyCommitted) || !errors.As(err, &me) || me.Number != 1062 {
		t.Fatalf("err = %v, want ErrAlreadyCommitted wrapping the retry's 1062", err)
	}
	// A 1062 on the first attempt is a real conflict.
	_, err = galera.RetryExec(ctx, db, idem, "INSERT INTO k VALUES ('d', 1)")
	if errors.Is(err, galera.ErrAlreadyCommitted) || !errors.As(err, &me) || me.Number != 1062 {
		t.Fatalf("err = %v, want a plain 1062", err)
	}
	// So is one after attempts that provably did not commit.
	c.Node(0).Inject(1, galeratest.Fault{Code: 1047})
	_, err = galera.RetryExec(ctx, db, idem, "INSERT INTO k VALUES ('d', 1)")
	if errors.Is(err, galera.ErrAlreadyCommitted) || !errors.As(err, &me) || me.Number != 1062 {
		t.Fatalf("err = %v after a refused attempt, want a plain 1062", err)
	}
}

// wsrep_reject_queries=ALL refuses the COMMIT with 1047 without executing
// it: the transaction stays open on the server. A retry on the same
// connection would commit it implicitly with START TRANSACTION and then
// apply fn a second time.
func TestRetryTxRefusedCommitIsNotAppliedTwice(t *testing.T) {
	c, db := appCluster(t)
	db.SetMaxOpenConns(1)
	n := c.Node(0)
	cfg := fast
	cfg.OnRetry = func(int, error, time.Duration) { n.SetState(nil) }
	attempts := 0
	err := galera.RetryTx(context.Background(), db, cfg, func(ctx context.Context, tx *sql.Tx) error {
		attempts++
		if err := incr(ctx, tx); err != nil {
			return err
		}
		if attempts == 1 {
			n.SetState(func(s *galera.NodeState) { s.RejectQueries = galera.RejectQueriesAll })
		}
		return nil
	})
	if err != nil || attempts != 2 {
		t.Fatalf("err %v after %d attempts, want nil after 2", err, attempts)
	}
	if v := value(t, db); v != 1 {
		t.Fatalf("value %d, want 1: the refused transaction was committed by the retry", v)
	}
}

// A failed COMMIT leaves the connection out of the pool for plain
// database/sql use too: the next transaction does not commit the
// refused one.
func TestRouterFailedCommitDropsConnection(t *testing.T) {
	e := startRouter(t, nil)
	ctx := context.Background()
	n0 := e.c.Node(0)
	waitWriter(t, e.r, n0.Addr())
	e.w.SetMaxOpenConns(1)
	tx, err := e.w.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("INSERT INTO t (id, at) VALUES (1, 1)"); err != nil {
		t.Fatal(err)
	}
	// 1205 at COMMIT: refused, the transaction stays open on the server.
	n0.Inject(1, galeratest.Fault{Code: 1205})
	if err := tx.Commit(); err == nil {
		t.Fatal("commit succeeded despite the injected 1205")
	}
	tx, err = e.w.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	var rows int
	if err := openNode(t, e.c, 1, "app").QueryRow("SELECT COUNT(*) FROM t").Scan(&rows); err != nil || rows != 0 {
		t.Fatalf("rows %d (%v): the refused transaction was committed on the reused connection", rows, err)
	}
}
