package testenv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// LockWait bounds how long an accessor or Exclusive waits for a service's
// lock before failing the test. A var so the lock tests can shorten it.
var LockWait = 6 * time.Minute

// lockState is this process's view of one service's cross-process lock.
//
// Across processes the lock is flock(2) on two files in the locks
// directory: NAME.lock, held shared by tests using the service and
// exclusively by a test disrupting it, and NAME.turnstile, taken briefly
// (exclusively) before NAME.lock so that a waiting exclusive request holds
// back new shared requests instead of starving behind them.
//
// Inside the process, flock locks belong to one open file, so all tests of
// the process share one descriptor: the first shared hold takes the flock,
// the last release drops it, and an exclusive request waits until no other
// test of the process holds the service.
type lockState struct {
	path string // NAME.lock; NAME.turnstile beside it

	mu     sync.Mutex
	cond   *sync.Cond
	f      *os.File           // open while the process holds the flock
	held   int                // syscall.LOCK_SH, LOCK_EX, or 0
	shares map[testing.TB]int // shared holds per test
	nshare int                // sum of shares
	owner  testing.TB         // the test holding the lock exclusively
	depth  int                // nested Exclusive calls of owner
	exWait int                // tests waiting for exclusive
}

var (
	locksMu sync.Mutex
	locks   = map[string]*lockState{}
)

func lockFor(path string) *lockState {
	locksMu.Lock()
	defer locksMu.Unlock()
	l := locks[path]
	if l == nil {
		l = &lockState{path: path, shares: map[testing.TB]int{}}
		l.cond = sync.NewCond(&l.mu)
		locks[path] = l
	}
	return l
}

// lockPath is the lock file of service name under the state directory.
func lockPath(name string) (string, error) {
	dir := filepath.Join(StateDir(), "locks")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return "", fmt.Errorf("testenv: lock directory: %w", err)
	}
	return filepath.Join(dir, name+".lock"), nil
}

// descends reports whether t is anc or one of its subtests (whose names
// extend anc's with "/"): a subtest acts within the holds of its parents.
func descends(t, anc testing.TB) bool {
	return t == anc || strings.HasPrefix(t.Name(), anc.Name()+"/")
}

// familyShares counts the shares held by t and its parents.
func (l *lockState) familyShares(t testing.TB) int {
	n := 0
	for h, c := range l.shares {
		if descends(t, h) {
			n += c
		}
	}
	return n
}

// acquireShared takes a shared hold for t and returns its release.
func (l *lockState) acquireShared(t testing.TB) (func(), error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for {
		if l.owner != nil && descends(t, l.owner) {
			// t or a parent holds the service exclusively: nothing more to take.
			return func() {}, nil
		}
		// Queued exclusive requests go first, except that a test whose
		// family already holds a share may take another (it would otherwise
		// wait on itself).
		if l.owner == nil && (l.exWait == 0 || l.familyShares(t) > 0) {
			break
		}
		l.cond.Wait()
	}
	if l.held == 0 {
		if err := l.flock(syscall.LOCK_SH); err != nil {
			return nil, err
		}
	}
	l.shares[t]++
	l.nshare++
	return func() { l.releaseShared(t) }, nil
}

func (l *lockState) releaseShared(t testing.TB) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.shares[t]--
	if l.shares[t] == 0 {
		delete(l.shares, t)
	}
	l.nshare--
	if l.nshare == 0 && l.owner == nil {
		l.unlock()
	}
	l.cond.Broadcast()
}

// acquireExclusive takes the exclusive hold for t and returns its release.
func (l *lockState) acquireExclusive(t testing.TB) (func(), error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.owner != nil && descends(t, l.owner) {
		l.depth++
		return func() { l.releaseExclusive() }, nil
	}
	l.exWait++
	// Wait until no test outside t's family holds the service.
	for l.owner != nil || l.nshare-l.familyShares(t) > 0 {
		l.cond.Wait()
		if l.owner != nil && descends(t, l.owner) {
			l.exWait--
			l.depth++
			return func() { l.releaseExclusive() }, nil
		}
	}
	l.exWait--
	if err := l.flock(syscall.LOCK_EX); err != nil {
		l.cond.Broadcast()
		return nil, err
	}
	l.owner = t
	l.depth = 1
	l.writeOwner(t)
	return func() { l.releaseExclusive() }, nil
}

func (l *lockState) releaseExclusive() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.depth--
	if l.depth > 0 {
		return
	}
	t := l.owner
	l.owner = nil
	if l.f != nil {
		_ = l.f.Truncate(0)
	}
	if l.nshare > 0 {
		// t or its parents took shares before the exclusive hold: keep them.
		if err := l.flock(syscall.LOCK_SH); err != nil {
			t.Errorf("%v", err)
			l.unlock()
		}
	} else {
		l.unlock()
	}
	l.cond.Broadcast()
}

// flock takes NAME.lock in mode how (converting a hold of the other mode),
// passing through the turnstile. Called with l.mu held.
func (l *lockState) flock(how int) error {
	if l.f == nil {
		f, err := os.OpenFile(l.path, os.O_RDWR|os.O_CREATE, 0o666)
		if err != nil {
			return fmt.Errorf("testenv: %w", err)
		}
		l.f = f
	}
	deadline := time.Now().Add(LockWait)
	ts, err := os.OpenFile(l.path[:len(l.path)-len(".lock")]+".turnstile", os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		l.unlock()
		return fmt.Errorf("testenv: %w", err)
	}
	defer ts.Close() // closing drops the turnstile flock
	if err := pollFlock(ts, syscall.LOCK_EX, deadline); err != nil {
		l.unlock()
		return l.waitError(err)
	}
	if err := pollFlock(l.f, how, deadline); err != nil {
		l.unlock()
		return l.waitError(err)
	}
	l.held = how
	return nil
}

func (l *lockState) unlock() {
	if l.f != nil {
		_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
		_ = l.f.Close()
	}
	l.f = nil
	l.held = 0
}

// writeOwner records who holds the lock exclusively, for the message of a
// test that times out waiting.
func (l *lockState) writeOwner(t testing.TB) {
	if l.f == nil {
		return
	}
	_ = l.f.Truncate(0)
	_, _ = l.f.WriteAt(fmt.Appendf(nil, "pid %d test %s since %s\n", os.Getpid(), t.Name(), time.Now().Format(time.RFC3339)), 0)
}

func (l *lockState) waitError(err error) error {
	holder, _ := os.ReadFile(l.path)
	if len(holder) == 0 {
		holder = []byte("tests of other processes holding it shared")
	}
	return fmt.Errorf("testenv: lock %s: %w (holder: %s)", l.path, err, holder)
}

const (
	lockSH = syscall.LOCK_SH
	lockEX = syscall.LOCK_EX
)

var errLockTimeout = errors.New("not acquired within LockWait")

// pollFlock takes flock(how) on f, retrying a non-blocking attempt until
// deadline so that a stuck holder fails the test instead of hanging it.
func pollFlock(f *os.File, how int, deadline time.Time) error {
	wait := 10 * time.Millisecond
	for {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if err == nil {
			return nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			return err
		}
		if time.Now().After(deadline) {
			return errLockTimeout
		}
		time.Sleep(wait)
		wait = min(2*wait, 200*time.Millisecond)
	}
}

// share takes the shared lock of service name for the rest of t.
func share(t testing.TB, name string) {
	t.Helper()
	take(t, name, false)
}

// Exclusive takes the exclusive lock of service name ("galera", "redis",
// ...) for the rest of t: it waits until no test of any process uses the
// service, and keeps others out until t ends. A test that kills, stops or
// reconfigures a shared service calls Exclusive first, then registers a
// t.Cleanup that leaves the service healthy again (such as the Restore
// method of its environment); cleanups run last-in first-out, so that one
// runs before the lock is released. Accessors and Exclusive called
// afterwards by t or its subtests (t.Run) do not wait for the lock t
// already holds, and a subtest may take Exclusive while its parent holds the
// service shared.
func Exclusive(t testing.TB, name string) {
	t.Helper()
	take(t, name, true)
}

func take(t testing.TB, name string, exclusive bool) {
	t.Helper()
	if !knownService(name) {
		t.Fatalf("testenv: unknown service %q (known: %v)", name, services)
	}
	path, err := lockPath(name)
	if err != nil {
		t.Fatalf("%v", err)
	}
	l := lockFor(path)
	var release func()
	if exclusive {
		release, err = l.acquireExclusive(t)
	} else {
		release, err = l.acquireShared(t)
	}
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(release)
}
