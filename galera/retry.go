package galera

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Defaults of RetryConfig: oslo.db's wrap_db_retry (retry_interval=1,
// inc_retry_interval=True, max_retry_interval=10, max_retries=20).
const (
	DefaultRetryInterval    = time.Second
	DefaultRetryMaxInterval = 10 * time.Second
	DefaultMaxRetries       = 20
	DefaultRetryJitter      = 0.5
)

// RetryConfig says how RetryTx and RetryExec retry. The zero RetryConfig is
// oslo.db's wrap_db_retry defaults plus jitter.
type RetryConfig struct {
	// Interval is the wait before the first retry; zero means 1s.
	Interval time.Duration
	// MaxInterval caps the wait; zero means 10s.
	MaxInterval time.Duration
	// MaxRetries is the number of retries after the first attempt; zero
	// means 20; negative means no limit (oslo.db's -1), ctx still bounds.
	MaxRetries int
	// NoBackoff keeps every wait at Interval. Zero means the wait doubles
	// after each retry up to MaxInterval (oslo.db's inc_retry_interval).
	NoBackoff bool
	// Jitter is the fraction of each wait drawn at random: the wait is
	// uniform in [(1-Jitter)·w, w]. Zero means 0.5; NoJitter disables it.
	// Jitter keeps clients that conflicted once from conflicting again.
	Jitter   float64
	NoJitter bool
	// TxOptions are passed to BeginTx by RetryTx.
	TxOptions *sql.TxOptions
	// Idempotent, for RetryExec, retries a statement even when its outcome
	// is unknown (the connection was lost after it was sent). Only for
	// statements that may run twice: an INSERT of a fixed primary key
	// retried after it committed fails with 1062, which RetryExec then
	// reports as ErrAlreadyCommitted (acknowledged).
	Idempotent bool
	// OnRetry, if set, is called before each wait with the retry number
	// (from 1), the error that caused it and the wait, on the caller's
	// goroutine.
	OnRetry func(retry int, err error, wait time.Duration)
}

func (c RetryConfig) validate() (RetryConfig, error) {
	switch {
	case c.Interval < 0:
		return c, fmt.Errorf("galera: RetryConfig.Interval %v must not be negative", c.Interval)
	case c.MaxInterval < 0:
		return c, fmt.Errorf("galera: RetryConfig.MaxInterval %v must not be negative", c.MaxInterval)
	case c.Jitter < 0 || c.Jitter > 1:
		return c, fmt.Errorf("galera: RetryConfig.Jitter %v must be within [0, 1]", c.Jitter)
	}
	if c.Interval == 0 {
		c.Interval = DefaultRetryInterval
	}
	if c.MaxInterval == 0 {
		c.MaxInterval = DefaultRetryMaxInterval
	}
	if c.MaxInterval < c.Interval {
		return c, fmt.Errorf("galera: RetryConfig.MaxInterval %v is shorter than Interval %v", c.MaxInterval, c.Interval)
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = DefaultMaxRetries
	}
	if c.Jitter == 0 {
		c.Jitter = DefaultRetryJitter
	}
	if c.NoJitter {
		c.Jitter = 0
	}
	return c, nil
}

// Backoff returns the wait before retry number n (from 1), without
// jitter: Interval, then doubling up to MaxInterval unless NoBackoff.
func (c RetryConfig) Backoff(n int) time.Duration {
	c, err := c.validate()
	if err != nil {
		return 0
	}
	return c.backoff(n)
}

func (c RetryConfig) backoff(n int) time.Duration {
	w := c.Interval
	if !c.NoBackoff {
		for i := 1; i < n && w < c.MaxInterval; i++ {
			w *= 2
		}
	}
	return min(w, c.MaxInterval)
}

func (c RetryConfig) wait(n int) time.Duration {
	w := c.backoff(n)
	if c.Jitter > 0 {
		w -= time.Duration(rand.Float64() * c.Jitter * float64(w))
	}
	return w
}

// notExecuted reports whether err proves the statement or transaction
// was not committed: the server answered with an error that rolls it back
// (1213 deadlock or certification failure, 1205 lock wait timeout, 1047
// node not ready), or nothing was sent (driver.ErrBadConn, a failed
// connect, no writer).
func notExecuted(err error) bool {
	switch mysqlNumber(err) {
	case ErrNumDeadlock, ErrNumLockWait, ErrNumNotReady:
		return true
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, ErrNoWriter) || errors.Is(err, ErrNoReader) {
		return true
	}
	var ne *NodeError
	return errors.As(err, &ne) && ne.Op == "connect"
}

// Retryable reports whether err from a statement inside a transaction
// (before COMMIT) is worth retrying the whole transaction for: a Galera
// retryable error (1213, 1205, 1047), a lost connection (the server rolls
// an open transaction back when its connection drops), or no writer.
func Retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	return notExecuted(err) || connLost(err)
}

// RetryTx runs fn in a transaction on db and commits it, retrying the
// whole transaction while the failure is retryable and its outcome known:
//
//   - fn, BeginTx or a statement fails with 1213 (deadlock or certification
//     failure), 1205 (lock wait timeout), 1047 (node not ready), a lost
//     connection or ErrNoWriter: nothing was committed, retry;
//   - COMMIT fails with 1213, 1205 or 1047, or with driver.ErrBadConn
//     (COMMIT was never sent): nothing was committed, retry;
//   - COMMIT loses the connection (2013, 2006, go-sql-driver's
//     ErrInvalidConn) or fails with an error that does not prove a
//     rollback (1180 "Got error N during COMMIT", anything unclassified):
//     the transaction may have committed; RetryTx stops and returns an
//     error wrapping ErrOutcomeUnknown and the cause;
//   - ctx ends before COMMIT is sent: database/sql rolls the transaction
//     back and RetryTx returns ctx's error (nothing committed).
//
// Each attempt runs on its own connection from db, and a connection whose
// attempt failed is closed, never returned to the pool: a transaction
// whose COMMIT was refused may still be open on the server, and reusing
// the connection would commit it with the next statement.
//
// Any other error from fn is returned as is, after a rollback. fn must
// confine its effects to tx (it may run several times) and return the
// errors of tx's methods, wrapped or not. Waits follow cfg and end early
// when ctx is done. The last error is returned when retries run out.
func RetryTx(ctx context.Context, db *sql.DB, cfg RetryConfig, fn func(ctx context.Context, tx *sql.Tx) error) error {
	cfg, err := cfg.validate()
	if err != nil {
		return err
	}
	return retry(ctx, cfg, func() (bool, error) {
		conn, err := db.Conn(ctx)
		if err != nil {
			return Retryable(err), err
		}
		again, err := txAttempt(ctx, conn, cfg.TxOptions, fn)
		if err != nil {
			discard(conn)
		} else {
			_ = conn.Close()
		}
		return again, err
	})
}

// txAttempt runs one attempt of RetryTx on conn.
func txAttempt(ctx context.Context, conn *sql.Conn, opts *sql.TxOptions, fn func(ctx context.Context, tx *sql.Tx) error) (bool, error) {
	tx, err := conn.BeginTx(ctx, opts)
	if err != nil {
		return Retryable(err), err
	}
	if err := fn(ctx, tx); err != nil {
		_ = tx.Rollback()
		return Retryable(err), err
	}
	err = tx.Commit()
	switch {
	case err == nil:
		return false, nil
	case notExecuted(err):
		return true, err
	case errors.Is(err, sql.ErrTxDone) || isCtxErr(err):
		// database/sql checks ctx before it sends COMMIT and rolls the
		// transaction back when ctx ends: nothing was committed.
		return false, err
	}
	// The connection was lost after COMMIT was sent, or the server failed
	// the commit with an error that does not prove it rolled back (1180
	// "Got error N during COMMIT", anything unclassified): the cluster
	// may have ordered the write-set.
	return false, fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)
}

// discard closes conn's driver connection instead of returning it to the
// pool. A COMMIT refused without being executed (1047 from
// wsrep_reject_queries or a node not ready; 1205 without
// innodb_rollback_on_timeout) leaves the transaction open on the server,
// and go-sql-driver's ResetSession does not reset the server session: the
// next START TRANSACTION on that connection would commit it implicitly.
// database/sql closes a connection whose Raw function returns
// driver.ErrBadConn.
func discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	_ = conn.Close()
}

// RetryExec runs one autocommit statement on db, retrying while it
// provably did not commit (1213, 1205, 1047, driver.ErrBadConn, a failed
// connect, ErrNoWriter). Once the statement was sent, a lost connection,
// a ctx that ends while the answer is awaited, or 1180 leave its outcome
// unknown: RetryExec then returns an error wrapping ErrOutcomeUnknown and
// the cause, unless cfg.Idempotent. A ctx that ended before the statement
// was sent gives ctx's error alone.
//
// With cfg.Idempotent the statement is retried after an unknown outcome
// too. If a retry then fails with 1062 (ER_DUP_ENTRY), the attempt whose
// answer was lost had committed: RetryExec returns a nil Result and an
// error wrapping both ErrAlreadyCommitted and the 1062, which the caller
// treats as acknowledged (errors.Is(err, ErrAlreadyCommitted)). This
// holds only when no one else writes that key. A 1062 on the first
// attempt, or after attempts that all provably did not commit, is
// returned as is. Once an attempt's outcome was unknown, every later
// failure (retries exhausted, ctx ending, an error that is not retried)
// is returned wrapped in ErrOutcomeUnknown too.
func RetryExec(ctx context.Context, db *sql.DB, cfg RetryConfig, query string, args ...any) (sql.Result, error) {
	cfg, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	var res sql.Result
	unknown := false // an earlier attempt may have committed
	err = retry(ctx, cfg, func() (bool, error) {
		r, sent, err := execAttempt(ctx, db, query, args)
		switch {
		case err == nil:
			res = r
			return false, nil
		case unknown && mysqlNumber(err) == ErrNumDupEntry:
			return false, fmt.Errorf("%w: %w", ErrAlreadyCommitted, err)
		case !sent:
			return Retryable(err), err
		case notExecuted(err):
			return true, err
		case !outcomeUnknown(err):
			return false, err // the server refused the statement
		case cfg.Idempotent:
			unknown = true
			return true, err
		}
		return false, fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)
	})
	if err != nil && unknown && !errors.Is(err, ErrAlreadyCommitted) {
		// Whatever ended the retries, an attempt whose answer was lost
		// may have committed.
		return nil, fmt.Errorf("%w (an earlier attempt's answer was lost): %w", ErrOutcomeUnknown, err)
	}
	return res, err
}

// execAttempt runs query once on a connection of its own and reports
// whether it may have reached the server. Connections that database/sql
// finds bad before use (driver.ErrBadConn: nothing was sent) are replaced
// at once, as db.ExecContext does.
func execAttempt(ctx context.Context, db *sql.DB, query string, args []any) (sql.Result, bool, error) {
	for range maxBadConns {
		conn, err := db.Conn(ctx)
		if err != nil {
			return nil, false, err
		}
		if err := ctx.Err(); err != nil {
			_ = conn.Close()
			return nil, false, err
		}
		// From here on a ctx error may come after the statement was
		// sent: go-sql-driver then closes the connection and returns the
		// ctx's error, and the server may still run the statement (one
		// waiting for a row lock runs when the lock is released). A ctx
		// that ends at the very moment the statement is handed over
		// counts as sent too: the package cannot tell.
		r, err := conn.ExecContext(ctx, query, args...)
		_ = conn.Close()
		if errors.Is(err, driver.ErrBadConn) {
			continue
		}
		return r, true, err
	}
	return nil, false, driver.ErrBadConn
}

// maxBadConns bounds the connections execAttempt tries when each turns
// out bad before use (the pool's idle connections to a demoted writer).
const maxBadConns = 8

// outcomeUnknown reports whether err, from a write already sent, leaves
// its outcome unknown: the connection was lost, ctx ended while the
// answer was awaited, or the server failed the commit itself (1180).
func outcomeUnknown(err error) bool {
	return connLost(err) || isCtxErr(err) || mysqlNumber(err) == ErrNumErrorDuringCommit
}

func isCtxErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// retry runs attempt until it succeeds, says not to retry, the retries
// run out or ctx ends.
func retry(ctx context.Context, cfg RetryConfig, attempt func() (retry bool, err error)) error {
	for n := 1; ; n++ {
		again, err := attempt()
		if err == nil || !again {
			return err
		}
		if cfg.MaxRetries >= 0 && n > cfg.MaxRetries {
			return fmt.Errorf("galera: %d retries exhausted: %w", cfg.MaxRetries, err)
		}
		if ctx.Err() != nil {
			return err
		}
		w := cfg.wait(n)
		if cfg.OnRetry != nil {
			cfg.OnRetry(n, err, w)
		}
		t := time.NewTimer(w)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (while waiting to retry after: %w)", ctx.Err(), err)
		case <-t.C:
		}
	}
}
