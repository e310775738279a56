//go:build integration

package galera_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hakit/hakit/galera"
)

// On MariaDB a write whose client gave up while it waited for a row lock
// still runs once the lock is released: the server does not notice the
// closed connection during the wait. RetryExec must report the outcome
// as unknown, not as a plain context error.
func TestIntegrationCtxEndsDuringLockWaitIsUnknown(t *testing.T) {
	e := galeraEnv(t, false)
	dbName := e.Database(t)
	db := e.admin(0)
	ctx := context.Background()
	for _, q := range []string{"CREATE TABLE `" + dbName + "`.k (k VARCHAR(10) PRIMARY KEY, v BIGINT)",
		"INSERT INTO `" + dbName + "`.k VALUES ('a', 0)"} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var v int
	if err := tx.QueryRowContext(ctx, "SELECT v FROM `"+dbName+"`.k WHERE k = 'a' FOR UPDATE").Scan(&v); err != nil {
		t.Fatal(err)
	}
	// The UPDATE waits for the lock tx holds (innodb_lock_wait_timeout is
	// 50s by default); 500ms is long enough for it to reach the server
	// on a loaded machine, and the test fails if it did not.
	wctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	_, err = galera.RetryExec(wctx, db, fast, "UPDATE `"+dbName+"`.k SET v = v + 1 WHERE k = 'a'")
	cancel()
	if !errors.Is(err, galera.ErrOutcomeUnknown) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want ErrOutcomeUnknown wrapping the deadline", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	// Whether the abandoned UPDATE ran is up to the server; log it.
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if err := db.QueryRowContext(ctx, "SELECT v FROM `"+dbName+"`.k WHERE k = 'a'").Scan(&v); err != nil {
			t.Fatal(err)
		}
		if v == 1 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("abandoned UPDATE applied: %v", v == 1)
}
