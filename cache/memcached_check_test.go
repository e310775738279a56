package cache_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hakit/hakit/cache"
	"github.com/hakit/hakit/cache/cachetest"
)

func TestMemcachedChecker(t *testing.T) {
	s := cachetest.NewServer()
	defer s.Close()
	chk := cache.MemcachedChecker{Addr: s.Addr}
	ctx := context.Background()
	if err := chk.Check(ctx); err != nil {
		t.Fatalf("healthy server: %v", err)
	}
	st, err := cache.MemcachedStats(ctx, s.Addr, nil)
	if err != nil || st["version"] != cachetest.Version || st["accepting_conns"] != "1" {
		t.Errorf("stats %v, %v", st, err)
	}

	s.SetErrors(true)
	if err := chk.Check(ctx); !errors.Is(err, cache.ErrUnhealthy) {
		t.Errorf("server answering errors: %v, want ErrUnhealthy", err)
	}
	s.SetErrors(false)

	s.SetDelay(time.Second)
	tctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	err = chk.Check(tctx)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("slow server: %v, want DeadlineExceeded", err)
	}
	s.SetDelay(0)

	s.SetDown(true)
	if err := chk.Check(ctx); err == nil || errors.Is(err, cache.ErrUnhealthy) {
		t.Errorf("down server: %v, want a connection error", err)
	}
}

func TestParseMemcachedStats(t *testing.T) {
	st, err := cache.ParseMemcachedStats([]string{"STAT pid 1", "STAT version 1.6.21", "STAT rusage_user 0.1 2"})
	if err != nil || st["pid"] != "1" || st["rusage_user"] != "0.1 2" {
		t.Errorf("%v, %v", st, err)
	}
	for _, bad := range []string{"pid 1", "STAT pid", "STAT  1"} {
		if _, err := cache.ParseMemcachedStats([]string{bad}); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
