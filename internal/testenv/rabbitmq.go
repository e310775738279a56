package testenv

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// RabbitEnv is the 3-node RabbitMQ cluster of `scripts/services.sh up
// rabbitmq`. Node indexes are 0-based: URLs[i] and Nodes[i] are node i+1
// of the script, hakit<i+1>@localhost.
type RabbitEnv struct {
	URLs     []string // "amqp://hakit:hakit@127.0.0.1:5681/" ... 5683
	Addrs    []string // "127.0.0.1:5681" ... 5683
	Nodes    []string // "hakit1@localhost" ... "hakit3@localhost"
	User     string   // "hakit", administrator with every permission on vhost /
	Password string   // "hakit"
}

// RabbitMQ returns the RabbitMQ cluster after checking that each node
// answers the AMQP 0-9-1 protocol header with Connection.Start, holding the
// rabbitmq lock shared for the rest of t; or fails t naming
// `scripts/services.sh up rabbitmq`.
func RabbitMQ(t testing.TB) RabbitEnv {
	t.Helper()
	share(t, "rabbitmq")
	env := RabbitEnv{User: "hakit", Password: "hakit"}
	for i := 1; i <= 3; i++ {
		addr := fmt.Sprintf("127.0.0.1:568%d", i)
		env.Addrs = append(env.Addrs, addr)
		env.URLs = append(env.URLs, fmt.Sprintf("amqp://%s:%s@%s/", env.User, env.Password, addr))
		env.Nodes = append(env.Nodes, fmt.Sprintf("hakit%d@localhost", i))
	}
	err := retry(15*time.Second, func() error {
		for _, a := range env.Addrs {
			if err := amqpHello(a); err != nil {
				return fmt.Errorf("rabbitmq %s: %w", a, err)
			}
		}
		return nil
	})
	if err != nil {
		fatalDown(t, "rabbitmq", err)
	}
	return env
}

// amqpHello sends the AMQP 0-9-1 protocol header and checks that the
// server answers with a method frame on channel 0 (Connection.Start).
func amqpHello(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("AMQP\x00\x00\x09\x01")); err != nil {
		return err
	}
	var hdr [7]byte // type, channel, size
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		return err
	}
	if hdr[0] != 1 || hdr[1] != 0 || hdr[2] != 0 {
		return fmt.Errorf("answered % x, want a method frame on channel 0", hdr)
	}
	return nil
}

// Ctl runs `rabbitmqctl ARGS...` against node i (with the cluster's cookie
// and epmd, through scripts/services/rabbitmqctl.sh) and returns its output,
// failing t if it fails.
func (r RabbitEnv) Ctl(t testing.TB, i int, args ...string) string {
	t.Helper()
	if i < 0 || i >= len(r.Nodes) {
		t.Fatalf("testenv: no RabbitMQ node %d", i)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	script := filepath.Join(RepoRoot(t), "scripts", "services", "rabbitmqctl.sh")
	cmd := exec.CommandContext(ctx, script, append([]string{fmt.Sprint(i + 1)}, args...)...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Run(); err != nil {
		t.Fatalf("testenv: rabbitmqctl -n %s %v: %v\n%s", r.Nodes[i], args, err, out.Bytes())
	}
	return out.String()
}

// StopApp stops the RabbitMQ application on node i (`rabbitmqctl
// stop_app`): its clients are disconnected and its AMQP port closes, while
// its Erlang VM stays up. Take Exclusive(t, "rabbitmq") first.
func (r RabbitEnv) StopApp(t testing.TB, i int) {
	t.Helper()
	r.Ctl(t, i, "stop_app")
}

// StartApp starts the application StopApp stopped and waits until the node
// has booted.
func (r RabbitEnv) StartApp(t testing.TB, i int) {
	t.Helper()
	r.Ctl(t, i, "start_app")
	r.Ctl(t, i, "await_startup", "--timeout", "120")
}

// PID returns the pid of node i's Erlang VM, so a test holding
// Exclusive(t, "rabbitmq") can kill it.
func (r RabbitEnv) PID(t testing.TB, i int) int {
	t.Helper()
	return readPID(t, filepath.Join(StateDir(), "rabbitmq", fmt.Sprintf("hakit%d", i+1), "launch.pid"))
}

// Restore brings the cluster back to three running, clustered nodes (runs
// `scripts/services.sh up rabbitmq`): it restarts dead nodes, which rejoin
// on boot, starts the application of a live node whose AMQP port is closed
// (after StopApp), and re-joins a node that left the cluster.
func (r RabbitEnv) Restore(t testing.TB) {
	t.Helper()
	Up(t, "rabbitmq")
}
