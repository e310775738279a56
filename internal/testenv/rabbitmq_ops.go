package testenv

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// QueueLeader returns the node (hakitN@localhost) that leads quorum queue
// name of vhost /, as `rabbitmqctl list_queues name leader` on node i
// reports it ("" if the queue is not listed). list_queues hangs while a
// node of the cluster is down; ask only while all three run.
func (r RabbitEnv) QueueLeader(t testing.TB, i int, name string) string {
	t.Helper()
	out := r.Ctl(t, i, "list_queues", "--no-table-headers", "--quiet", "name", "leader")
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == name {
			return f[1]
		}
	}
	return ""
}

// MoveLeader makes node to lead quorum queue name of vhost / (Ra's
// transfer_leadership, what `rabbitmq-queues rebalance` uses) and waits
// until list_queues reports it there.
func (r RabbitEnv) MoveLeader(t testing.TB, name string, to int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		cur := r.QueueLeader(t, to, name)
		if cur == r.Nodes[to] {
			return
		}
		if cur == "" {
			t.Fatalf("testenv: quorum queue %q has no leader listed", name)
		}
		if time.Now().After(deadline) {
			t.Fatalf("testenv: leader of %q still %s, not %s", name, cur, r.Nodes[to])
		}
		ra := fmt.Sprintf("'%%2F_%s'", name)
		r.Ctl(t, to, "eval", fmt.Sprintf("ra:transfer_leadership({%s, '%s'}, {%s, '%s'}).", ra, cur, ra, r.Nodes[to]))
	}
}

// DefaultMemoryWatermark is vm_memory_high_watermark as services.sh leaves
// it (RabbitMQ's default, 0.4 of the RAM).
const DefaultMemoryWatermark = "0.4"

// SetMemoryWatermark sets node i's vm_memory_high_watermark (`rabbitmqctl
// set_vm_memory_high_watermark`). A tiny fraction raises the memory alarm,
// which blocks every publishing connection of the cluster
// (connection.blocked); DefaultMemoryWatermark clears it. Take
// Exclusive(t, "rabbitmq") first and restore it in a cleanup.
func (r RabbitEnv) SetMemoryWatermark(t testing.TB, i int, fraction string) {
	t.Helper()
	r.Ctl(t, i, "set_vm_memory_high_watermark", fraction)
}

// CloseAllConnections closes every client connection of node i
// (`rabbitmqctl close_all_connections REASON`): clients get
// connection.close with 320 CONNECTION_FORCED and REASON.
func (r RabbitEnv) CloseAllConnections(t testing.TB, i int, reason string) {
	t.Helper()
	r.Ctl(t, i, "close_all_connections", reason)
}
