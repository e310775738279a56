package testenv

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeTB is a distinct test identity for driving lockState directly.
type fakeTB struct {
	testing.TB
	name string
}

func (f *fakeTB) Name() string { return f.name }

func newTB(name string) *fakeTB { return &fakeTB{name: name} }

func testLock(t *testing.T) *lockState {
	t.Helper()
	t.Setenv("HAKIT_STATE", t.TempDir())
	path, err := lockPath("galera")
	if err != nil {
		t.Fatal(err)
	}
	return lockFor(path)
}

// acquired runs f in a goroutine and reports on the channel when it returns.
func acquired(t *testing.T, f func() (func(), error)) <-chan func() {
	t.Helper()
	ch := make(chan func(), 1)
	go func() {
		rel, err := f()
		if err != nil {
			t.Error(err)
			ch <- func() {}
			return
		}
		ch <- rel
	}()
	return ch
}

func mustWait(t *testing.T, ch <-chan func(), what string) func() {
	t.Helper()
	select {
	case rel := <-ch:
		return rel
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: not acquired", what)
		return nil
	}
}

func mustBlock(t *testing.T, ch <-chan func(), what string) {
	t.Helper()
	select {
	case rel := <-ch:
		rel()
		t.Fatalf("%s: acquired, want it to wait", what)
	case <-time.After(300 * time.Millisecond):
	}
}

func TestSharesCoexistExclusiveWaits(t *testing.T) {
	l := testLock(t)
	a, b, c := newTB("a"), newTB("b"), newTB("c")

	relA := mustWait(t, acquired(t, func() (func(), error) { return l.acquireShared(a) }), "a shared")
	relB := mustWait(t, acquired(t, func() (func(), error) { return l.acquireShared(b) }), "b shared")

	ex := acquired(t, func() (func(), error) { return l.acquireExclusive(c) })
	mustBlock(t, ex, "c exclusive while a and b share")
	relA()
	mustBlock(t, ex, "c exclusive while b shares")
	relB()
	relC := mustWait(t, ex, "c exclusive after shares released")

	// While c holds it exclusively, others wait.
	sh := acquired(t, func() (func(), error) { return l.acquireShared(a) })
	mustBlock(t, sh, "a shared while c exclusive")
	relC()
	mustWait(t, sh, "a shared after c released")()
	if l.f != nil || l.held != 0 {
		t.Fatalf("lock still held after every release: held=%d", l.held)
	}
}

func TestQueuedExclusiveGoesFirst(t *testing.T) {
	l := testLock(t)
	a, b, c := newTB("a"), newTB("b"), newTB("c")
	relA := mustWait(t, acquired(t, func() (func(), error) { return l.acquireShared(a) }), "a shared")
	ex := acquired(t, func() (func(), error) { return l.acquireExclusive(b) })
	mustBlock(t, ex, "b exclusive")
	sh := acquired(t, func() (func(), error) { return l.acquireShared(c) })
	mustBlock(t, sh, "c shared behind queued exclusive")
	// a may still take another share: it would otherwise wait on itself.
	mustWait(t, acquired(t, func() (func(), error) { return l.acquireShared(a) }), "a second share")()
	relA()
	relB := mustWait(t, ex, "b exclusive")
	mustBlock(t, sh, "c shared while b exclusive")
	relB()
	mustWait(t, sh, "c shared")()
}

func TestSameTestDoesNotDeadlock(t *testing.T) {
	l := testLock(t)
	a, b := newTB("a"), newTB("b")

	// Share, then upgrade to exclusive, then accessors inside it.
	relS := mustWait(t, acquired(t, func() (func(), error) { return l.acquireShared(a) }), "a shared")
	relE := mustWait(t, acquired(t, func() (func(), error) { return l.acquireExclusive(a) }), "a upgrade")
	if l.held != lockEX {
		t.Fatalf("held = %d after upgrade, want LOCK_EX", l.held)
	}
	relS2 := mustWait(t, acquired(t, func() (func(), error) { return l.acquireShared(a) }), "a shared inside exclusive")
	relE2 := mustWait(t, acquired(t, func() (func(), error) { return l.acquireExclusive(a) }), "a nested exclusive")

	other := acquired(t, func() (func(), error) { return l.acquireShared(b) })
	relE2()
	relS2()
	mustBlock(t, other, "b while a still exclusive")
	relE()
	if l.held != lockSH {
		t.Fatalf("held = %d after exclusive released with a share left, want LOCK_SH", l.held)
	}
	relB := mustWait(t, other, "b shared after a's exclusive")
	relS()
	relB()
	if l.held != 0 {
		t.Fatalf("held = %d after every release", l.held)
	}
}

func TestExclusiveThenAccessorSameTest(t *testing.T) {
	t.Setenv("HAKIT_STATE", t.TempDir())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t.Run("inner", func(t *testing.T) {
			Exclusive(t, "redis")
			share(t, "redis")
			Exclusive(t, "redis")
		})
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Exclusive then share in the same test deadlocked")
	}
}

func TestUnknownServiceFails(t *testing.T) {
	var failed atomic.Bool
	tb := &recordTB{fakeTB: fakeTB{name: "x"}, failed: &failed}
	func() {
		defer func() { _ = recover() }()
		Exclusive(tb, "mysql")
	}()
	if !failed.Load() {
		t.Fatal("Exclusive of an unknown service did not fail the test")
	}
}

type recordTB struct {
	fakeTB
	failed *atomic.Bool
}

func (r *recordTB) Helper() {}
func (r *recordTB) Fatalf(format string, args ...any) {
	r.failed.Store(true)
	panic(fmt.Sprintf(format, args...))
}

// Cross-process behaviour: the test binary re-executed as a helper that
// takes the lock, says "locked", and releases when its stdin closes.

const helperEnv = "TESTENV_LOCK_HELPER"

func TestLockHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		return // not a helper: nothing to do
	}
	l := lockFor(mustLockPath(t))
	var rel func()
	var err error
	if mode == "exclusive" {
		rel, err = l.acquireExclusive(t)
	} else {
		rel, err = l.acquireShared(t)
	}
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("locked")
	_, _ = io.Copy(io.Discard, os.Stdin)
	rel()
	os.Exit(0)
}

func mustLockPath(t *testing.T) string {
	t.Helper()
	p, err := lockPath("galera")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

type helper struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	locked chan struct{}
}

func startHelper(t *testing.T, mode string) *helper {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &helper{cmd: cmd, stdin: stdin, locked: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "locked" {
				close(h.locked)
			}
		}
	}()
	t.Cleanup(func() {
		stdin.Close()
		_ = cmd.Wait()
	})
	return h
}

func (h *helper) release(t *testing.T) {
	t.Helper()
	h.stdin.Close()
	if err := h.cmd.Wait(); err != nil {
		t.Fatalf("helper: %v", err)
	}
}

func (h *helper) waitLocked(t *testing.T, want bool) {
	t.Helper()
	select {
	case <-h.locked:
		if !want {
			t.Fatal("helper took the lock, want it to wait")
		}
	case <-time.After(map[bool]time.Duration{true: 20 * time.Second, false: 500 * time.Millisecond}[want]):
		if want {
			t.Fatal("helper did not take the lock")
		}
	}
}

func TestCrossProcessExclusive(t *testing.T) {
	l := testLock(t)
	h := startHelper(t, "exclusive")
	h.waitLocked(t, true)

	me := newTB("me")
	sh := acquired(t, func() (func(), error) { return l.acquireShared(me) })
	mustBlock(t, sh, "shared while another process holds exclusive")
	h.release(t)
	mustWait(t, sh, "shared after the other process exited")()
}

func TestCrossProcessQueuedExclusiveHoldsBackShares(t *testing.T) {
	l := testLock(t)
	first := startHelper(t, "shared")
	first.waitLocked(t, true)

	me := newTB("me")
	ex := acquired(t, func() (func(), error) { return l.acquireExclusive(me) })
	mustBlock(t, ex, "exclusive while another process shares")

	second := startHelper(t, "shared")
	second.waitLocked(t, false) // queued behind our exclusive request

	first.release(t)
	rel := mustWait(t, ex, "exclusive after the sharer left")
	second.waitLocked(t, false)
	rel()
	second.waitLocked(t, true)
	second.release(t)
}

func TestLockWaitTimeoutNamesHolder(t *testing.T) {
	l := testLock(t)
	h := startHelper(t, "exclusive")
	h.waitLocked(t, true)
	old := LockWait
	LockWait = 300 * time.Millisecond
	defer func() { LockWait = old }()
	_, err := l.acquireShared(newTB("me"))
	if err == nil {
		t.Fatal("acquired a lock another process holds exclusively")
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("pid %d", h.cmd.Process.Pid)) || !strings.Contains(err.Error(), "TestLockHelperProcess") {
		t.Fatalf("error does not name the holder: %v", err)
	}
	h.release(t)
}

func TestSubtestsShareTheParentsHold(t *testing.T) {
	l := testLock(t)
	parent, child, grandchild, other := newTB("P"), newTB("P/c"), newTB("P/c/g"), newTB("Px")

	relP := mustWait(t, acquired(t, func() (func(), error) { return l.acquireExclusive(parent) }), "parent exclusive")
	relC := mustWait(t, acquired(t, func() (func(), error) { return l.acquireShared(child) }), "child shared inside parent's exclusive")
	relG := mustWait(t, acquired(t, func() (func(), error) { return l.acquireExclusive(grandchild) }), "grandchild exclusive inside parent's exclusive")
	sh := acquired(t, func() (func(), error) { return l.acquireShared(other) })
	mustBlock(t, sh, "a test whose name only starts like the parent's")
	relG()
	relC()
	mustBlock(t, sh, "other test while the parent still holds it")
	relP()
	mustWait(t, sh, "other test after the parent released")()

	// A parent's share does not keep its subtest from taking Exclusive,
	// even with another test queued for exclusive.
	relP = mustWait(t, acquired(t, func() (func(), error) { return l.acquireShared(parent) }), "parent shared")
	ex := acquired(t, func() (func(), error) { return l.acquireExclusive(other) })
	mustBlock(t, ex, "other exclusive while the parent shares")
	relC = mustWait(t, acquired(t, func() (func(), error) { return l.acquireShared(child) }), "child share behind a queued exclusive")
	relC()
	relCE := mustWait(t, acquired(t, func() (func(), error) { return l.acquireExclusive(child) }), "child exclusive under the parent's share")
	if l.held != lockEX {
		t.Fatalf("held = %d, want LOCK_EX", l.held)
	}
	relCE()
	if l.held != lockSH {
		t.Fatalf("held = %d after the child's exclusive, want the parent's LOCK_SH", l.held)
	}
	mustBlock(t, ex, "other exclusive while the parent still shares")
	relP()
	mustWait(t, ex, "other exclusive after the parent released")()
}
