//go:build integration

package testenv_test

import (
	"strings"
	"testing"

	"github.com/hakit/hakit/internal/testenv"
)

// A test binary that dies before its cleanups leaves a tiny memory
// watermark (a memory alarm blocking every publisher) on a node; Restore
// (`scripts/services.sh up rabbitmq`) sets every node's watermark back, even
// when the cluster is otherwise healthy and up takes its fast path.
func TestRabbitMQUpResetsMemoryWatermark(t *testing.T) {
	testenv.Exclusive(t, "rabbitmq")
	env := testenv.RabbitMQ(t)
	t.Cleanup(func() { env.SetMemoryWatermark(t, 1, testenv.DefaultMemoryWatermark) })
	env.SetMemoryWatermark(t, 1, "0.0000001")
	if a := alarms(t, env, 1); !strings.Contains(a, "memory") {
		t.Fatalf("no memory alarm on %s after a tiny watermark: %s", env.Nodes[1], a)
	}
	env.Restore(t)
	if a := alarms(t, env, 1); strings.Contains(a, "memory") {
		t.Errorf("memory alarm on %s still raised after up: %s", env.Nodes[1], a)
	}
}

// alarms returns node i's local alarms as rabbit_alarm reports them.
func alarms(t *testing.T, env testenv.RabbitEnv, i int) string {
	t.Helper()
	return env.Ctl(t, i, "eval", "rabbit_alarm:get_local_alarms().")
}
