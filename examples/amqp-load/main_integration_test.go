//go:build integration

package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/hakit/hakit/internal/testenv"
)

// SIGKILL of the publisher's node while amqp-load publishes 30000 ids at
// 5000/s into a quorum queue led by that same node: every id ends
// confirmed, every confirmed id is received, and the publisher is
// connected to another node within 8s of the kill.
func TestLoadSurvivesKillOfPublisherNodeAndLeader(t *testing.T) {
	testenv.Exclusive(t, "rabbitmq")
	env := testenv.RabbitMQ(t)
	queue := "amqp-load.kill." + strconv.FormatInt(time.Now().UnixNano(), 36)
	t.Cleanup(func() { deleteQueue(t, env.URLs[1], queue) })
	t.Cleanup(func() { env.Restore(t) })

	// Declare through node 2 so that the leader starts elsewhere, then
	// move it to node 1, which the publisher connects to first.
	declareQuorum(t, env.URLs[1], queue)
	env.MoveLeader(t, queue, 0)

	bin := filepath.Join(t.TempDir(), "amqp-load")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dir := t.TempDir()
	confirmed, received := filepath.Join(dir, "confirmed"), filepath.Join(dir, "received")
	cmd := exec.Command(bin, "-urls", strings.Join(env.URLs, ","), "-queue", queue, "-quorum",
		"-count", "30000", "-rate", "5000", "-confirmed", confirmed, "-received", received, "-timeout", "90s")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	lines := make(chan map[string]any, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				m = map[string]any{"bad": sc.Text()}
			}
			lines <- m
		}
	}()
	next := func() map[string]any {
		select {
		case m, ok := <-lines:
			if !ok {
				t.Fatal("amqp-load stdout ended")
			}
			if m["bad"] != nil {
				t.Fatalf("stdout line %q is not JSON", m["bad"])
			}
			return m
		case <-time.After(100 * time.Second):
			t.Fatal("no line from amqp-load in 100s")
		}
		return nil
	}
	if m := next(); m["role"] != "publisher" || !strings.Contains(m["url"].(string), env.Addrs[0]) {
		t.Fatalf("first line %v, want the publisher on %s", m, env.Addrs[0])
	}
	// Kill mid-publish: once some thousands are confirmed.
	waitLines(t, confirmed, 5000)
	killed := time.Now()
	if err := syscall.Kill(env.PID(t, 0), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var final map[string]any
	var resumed time.Duration
	for final == nil {
		m := next()
		switch {
		case m["event"] == "connected" && m["role"] == "publisher" && resumed == 0:
			resumed = time.Since(killed)
			if strings.Contains(m["url"].(string), env.Addrs[0]) {
				t.Errorf("publisher reconnected to the killed node: %v", m)
			}
		case m["event"] == nil:
			final = m
		}
	}
	err = cmd.Wait()
	t.Logf("summary %v; publisher resumed %v after the kill", final, resumed.Round(time.Millisecond))
	if err != nil {
		t.Errorf("amqp-load: %v", err)
	}
	// LostDelay (2s, jittered to 2.5s) plus a dial; 8s leaves room for a
	// loaded machine and still fails a client that backs off or hangs on
	// the dead node.
	if resumed == 0 || resumed > 8*time.Second {
		t.Errorf("publisher resumed %v after the kill, want within 8s", resumed)
	}
	conf, recv := readIDs(t, confirmed), readIDs(t, received)
	for id := 1; id <= 30000; id++ {
		if conf[id] == 0 {
			t.Fatalf("id %d never confirmed", id)
		}
		if recv[id] == 0 {
			t.Fatalf("id %d confirmed, never received", id)
		}
	}
	dups := 0
	for _, n := range recv {
		dups += n - 1
	}
	if final["duplicates"] != float64(dups) || final["confirmed"] != float64(30000) || final["received_unique"] != float64(30000) {
		t.Errorf("summary %v, files say %d duplicates", final, dups)
	}
	if final["reconnects"].(float64) < 1 {
		t.Errorf("summary %v counts no reconnect", final)
	}
}

func declareQuorum(t *testing.T, url, queue string) {
	t.Helper()
	c, err := amqp091.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ch, err := c.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ch.QueueDeclare(queue, true, false, false, false, amqp091.Table{"x-queue-type": "quorum"}); err != nil {
		t.Fatal(err)
	}
}

func deleteQueue(t *testing.T, url, queue string) {
	c, err := amqp091.Dial(url)
	if err != nil {
		t.Errorf("delete %s: %v", queue, err)
		return
	}
	defer c.Close()
	ch, err := c.Channel()
	if err == nil {
		_, err = ch.QueueDelete(queue, false, false, false)
	}
	if err != nil {
		t.Errorf("delete %s: %v", queue, err)
	}
}

// waitLines waits until file has at least n lines.
func waitLines(t *testing.T, file string, n int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(file)
		if strings.Count(string(b), "\n") >= n {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s: fewer than %d lines after 60s", file, n)
}

// readIDs counts each id's lines in file.
func readIDs(t *testing.T, file string) map[int]int {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[int]int{}
	for _, l := range strings.Fields(string(b)) {
		id, err := strconv.Atoi(l)
		if err != nil {
			t.Fatalf("%s: line %q", file, l)
		}
		ids[id]++
	}
	return ids
}
