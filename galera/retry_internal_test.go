package galera

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/go-sql-driver/mysql"
)

// oslo.db wrap_db_retry: sleep(retry_interval), then
// next_interval = min(next_interval * 2, max_retry_interval).
func TestBackoffFollowsOsloDB(t *testing.T) {
	var c RetryConfig
	want := []time.Duration{1, 2, 4, 8, 10, 10, 10}
	for i, w := range want {
		if got := c.Backoff(i + 1); got != w*time.Second {
			t.Errorf("Backoff(%d) = %v, want %v", i+1, got, w*time.Second)
		}
	}
	c.NoBackoff = true
	if got := c.Backoff(5); got != time.Second {
		t.Errorf("NoBackoff: Backoff(5) = %v", got)
	}
}

func TestRetryWaitsWithJitterAndStops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg, _ := RetryConfig{MaxRetries: 5}.validate()
		deadlock := &mysql.MySQLError{Number: ErrNumDeadlock, Message: "Deadlock found"}
		var at []time.Duration
		start := time.Now()
		err := retry(context.Background(), cfg, func() (bool, error) {
			at = append(at, time.Since(start))
			return true, deadlock
		})
		if !errors.Is(err, deadlock) || len(at) != 6 {
			t.Fatalf("err = %v after %d attempts, want the deadlock after 6", err, len(at))
		}
		for n := 1; n < len(at); n++ {
			gap, full := at[n]-at[n-1], cfg.backoff(n)
			if gap > full || gap < full/2 {
				t.Errorf("wait before retry %d = %v, want within [%v, %v]", n, gap, full/2, full)
			}
		}
	})
}

func TestRetryEndsWithContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg, _ := RetryConfig{MaxRetries: -1}.validate()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		attempts := 0
		err := retry(ctx, cfg, func() (bool, error) {
			attempts++
			return true, &mysql.MySQLError{Number: ErrNumNotReady}
		})
		if !errors.Is(err, context.DeadlineExceeded) || mysqlNumber(err) != ErrNumNotReady {
			t.Fatalf("err = %v, want the deadline wrapping the last error", err)
		}
		if attempts < 4 || attempts > 8 {
			t.Fatalf("%d attempts in 30s", attempts)
		}
	})
}

func TestRetryableClassification(t *testing.T) {
	tests := []struct {
		err       error
		retryable bool
		unknown   bool // a lost connection at COMMIT
	}{
		{&mysql.MySQLError{Number: 1213}, true, false},
		{&mysql.MySQLError{Number: 1205}, true, false},
		{&mysql.MySQLError{Number: 1047}, true, false},
		{&mysql.MySQLError{Number: 2013}, true, true},
		{&mysql.MySQLError{Number: 2006}, true, true},
		{mysql.ErrInvalidConn, true, true},
		{&NodeError{Node: "n", Op: "connect", Err: errors.New("refused")}, true, false},
		{ErrNoWriter, true, false},
		{&mysql.MySQLError{Number: 1062}, false, false},
		{context.Canceled, false, false},
	}
	for _, tt := range tests {
		if got := Retryable(tt.err); got != tt.retryable {
			t.Errorf("Retryable(%v) = %v", tt.err, got)
		}
		if got := !notExecuted(tt.err) && connLost(tt.err); got != tt.unknown {
			t.Errorf("outcome unknown(%v) = %v", tt.err, got)
		}
	}
}
