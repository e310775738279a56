package hakittest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hakit/hakit"
	"github.com/hakit/hakit/hakittest"
)

func TestLeaseFaults(t *testing.T) {
	ctx := context.Background()
	store := hakittest.NewLease()
	a := store.Client("a")
	now := time.Now()
	r1 := hakit.LeaseRecord{Holder: "a", Token: 1, Acquired: now, Renewed: now, Duration: time.Second}

	a.LoseWrites(1)
	if _, err := a.Create(ctx, r1); err != nil {
		t.Fatalf("lost write answered %v, want success", err)
	}
	if _, ok := store.Record(); ok {
		t.Fatal("a lost write was applied")
	}
	v1, err := a.Create(ctx, r1)
	if err != nil {
		t.Fatalf("Create after the lost write: %v", err)
	}

	a.LoseReplies(1)
	r2 := v1
	r2.Renewed = now.Add(time.Second)
	if _, err := a.Update(ctx, v1, r2); !errors.Is(err, hakittest.ErrReplyLost) {
		t.Fatalf("write with a lost reply answered %v, want ErrReplyLost", err)
	}
	if got, _ := store.Record(); !got.Renewed.Equal(r2.Renewed) {
		t.Fatalf("a write whose reply was lost was not applied: %+v", got)
	}

	injected := errors.New("boom")
	a.FailNext(2, injected)
	for range 2 {
		if _, err := a.Get(ctx); !errors.Is(err, injected) {
			t.Fatalf("Get = %v, want the injected error", err)
		}
	}
	if _, err := a.Get(ctx); err != nil {
		t.Fatalf("Get after the injected errors: %v", err)
	}

	store.Delete()
	v3, err := a.Create(ctx, r1)
	if err != nil || v3.Token != 2 {
		t.Fatalf("Create after Delete = %+v, %v; want token 2, above every token stored", v3, err)
	}
	if n := len(store.History()); n != 3 {
		t.Fatalf("history has %d records, want 3", n)
	}
}
