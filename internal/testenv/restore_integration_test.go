//go:build integration

package testenv_test

import (
	"syscall"
	"testing"
	"time"

	"github.com/hakit/hakit/internal/testenv"
)

// waitGone waits, at most 30 s, until signal 0 no longer reaches pid.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if err := syscall.Kill(pid, 0); err != nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestGaleraRestoreRejoinsKilledNode kills node 3 and checks that Restore
// brings the cluster back to three Synced nodes.
func TestGaleraRestoreRejoinsKilledNode(t *testing.T) {
	testenv.Exclusive(t, "galera")
	g := testenv.Galera(t)
	t.Cleanup(func() { g.Restore(t) })

	pid := g.PID(t, 2)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitGone(t, pid)
	g.Restore(t)
	g = testenv.Galera(t) // fails unless all three are Synced again
	if got := g.PID(t, 2); got == pid {
		t.Fatalf("node 3 still has pid %d after SIGKILL and Restore", pid)
	}
}

// TestRedisRestoreRestartsReplica kills a replica and checks that Restore
// brings it back replicating from the master the Sentinels report.
func TestRedisRestoreRestartsReplica(t *testing.T) {
	testenv.Exclusive(t, "redis")
	env := testenv.Redis(t)
	t.Cleanup(func() { env.Restore(t) })

	victim := env.Replicas[0]
	pid := env.PID(t, victim)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitGone(t, pid)
	env.Restore(t)
	after := testenv.Redis(t) // fails unless both replicas replicate again
	if after.Master != env.Master {
		t.Fatalf("master moved from %s to %s after a replica died", env.Master, after.Master)
	}
	if got := after.PID(t, victim); got == pid {
		t.Fatalf("%s still has pid %d", victim, pid)
	}
}

// TestRabbitMQStopStartApp stops the application of a node, checks that
// its AMQP port closed, and starts it again: once with StartApp, once with
// Restore.
func TestRabbitMQStopStartApp(t *testing.T) {
	testenv.Exclusive(t, "rabbitmq")
	env := testenv.RabbitMQ(t)
	t.Cleanup(func() { env.Restore(t) })

	for i, restart := range []func(){
		func() { env.StartApp(t, 1) },
		func() { env.Restore(t) },
	} {
		node := 1 + i
		env.StopApp(t, node)
		if accepts(env.Addrs[node]) {
			t.Fatalf("%s still accepts connections after stop_app", env.Addrs[node])
		}
		restart()
		testenv.RabbitMQ(t) // fails unless all three answer AMQP again
	}
}
