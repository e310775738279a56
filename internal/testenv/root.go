package testenv

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// services are the names scripts/services.sh knows.
var services = []string{"galera", "redis", "memcached", "nutcracker", "nova", "rabbitmq", "ipmisim", "ferretdb"}

func knownService(name string) bool { return slices.Contains(services, name) }

// StateDir is where scripts/services.sh keeps its instances: $HAKIT_STATE,
// or /var/tmp/hakit when it is unset.
func StateDir() string {
	if d := os.Getenv("HAKIT_STATE"); d != "" {
		return d
	}
	return "/var/tmp/hakit"
}

var (
	rootOnce sync.Once
	rootDir  string
	rootErr  error
)

// RepoRoot returns the repository root: the nearest directory, from the
// test's working directory upwards, that holds scripts/services.sh.
func RepoRoot(t testing.TB) string {
	t.Helper()
	rootOnce.Do(func() {
		dir, err := os.Getwd()
		if err != nil {
			rootErr = err
			return
		}
		for {
			if _, err := os.Stat(filepath.Join(dir, "scripts", "services.sh")); err == nil {
				rootDir = dir
				return
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				rootErr = errors.New("no scripts/services.sh in the working directory or above it")
				return
			}
			dir = parent
		}
	})
	if rootErr != nil {
		t.Fatalf("testenv: repository root: %v", rootErr)
	}
	return rootDir
}

// scriptTimeout bounds one run of scripts/services.sh from a test.
const scriptTimeout = 15 * time.Minute

// Up runs `scripts/services.sh up NAME...` and fails t with its output if
// it fails. Tests use it to repair a service they disrupted (the Restore
// methods call it); it does not take any lock.
func Up(t testing.TB, names ...string) {
	t.Helper()
	runScript(t, append([]string{"up"}, names...)...)
}

func runScript(t testing.TB, args ...string) []byte {
	t.Helper()
	root := RepoRoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(root, "scripts", "services.sh"), args...)
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	// The daemons it starts close their inherited stdio, so Wait returns
	// when the script does; WaitDelay covers a daemon that would not.
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Run(); err != nil {
		t.Fatalf("testenv: scripts/services.sh %v: %v\n%s", args, err, out.Bytes())
	}
	return out.Bytes()
}

// fatalDown fails t because service name does not answer.
func fatalDown(t testing.TB, name string, err error) {
	t.Helper()
	t.Fatalf("testenv: %s is not running or not healthy (%v): run `scripts/services.sh up %s`", name, err, name)
}

// retry calls f until it succeeds or d passes, returning its last error:
// accessors give a service that is settling (a replica resyncing after a
// restore) a moment before declaring it down.
func retry(d time.Duration, f func() error) error {
	deadline := time.Now().Add(d)
	for {
		err := f()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(250 * time.Millisecond)
	}
}
