package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/hakit/hakit/galera"
	"github.com/hakit/hakit/galera/galeratest"
)

// readAcked parses FILE's "id<TAB>unix_ms" lines.
func readAcked(t *testing.T, path string) []int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ids []int64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		id, ms, ok := strings.Cut(sc.Text(), "\t")
		n, err1 := strconv.ParseInt(id, 10, 64)
		_, err2 := strconv.ParseInt(ms, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			t.Fatalf("bad acked line %q", sc.Text())
		}
		ids = append(ids, n)
	}
	return ids
}

func TestLoadOnFakeClusterWithWriterKilled(t *testing.T) {
	c, err := galeratest.NewCluster(galeratest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	acked := filepath.Join(t.TempDir(), "acked")
	var stdout, stderr bytes.Buffer
	go func() {
		time.Sleep(700 * time.Millisecond)
		// Lose the answer to one commit first: the retry must see 1062
		// and acknowledge the row.
		c.Node(0).Inject(1, galeratest.Fault{Drop: true, AfterExec: true})
		time.Sleep(300 * time.Millisecond)
		c.Node(0).Kill()
	}()
	code := run(context.Background(), []string{"-nodes", strings.Join(c.Addrs(), ","), "-user", "hakit", "-password", "hakit",
		"-db", "load", "-duration", "4s", "-acked", acked}, &stdout, &stderr) // the failover (~250ms) ends well before
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var events []map[string]any
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("stdout line %q: %v", l, err)
		}
		events = append(events, m)
	}
	if events[0]["event"] != "writer" || events[0]["node"] != c.Node(0).Addr() {
		t.Fatalf("first line %v", events[0])
	}
	last := events[len(events)-1]
	if last["failovers"] != 1.0 || events[len(events)-2]["node"] != c.Node(1).Addr() {
		t.Fatalf("stdout %s", stdout.String())
	}
	ids := readAcked(t, acked)
	if int(last["acked"].(float64)) != len(ids) || len(ids) < 10 {
		t.Fatalf("acked %v, file has %d lines", last["acked"], len(ids))
	}
	db, err := sql.Open("mysql", c.DSN(2, "load"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i, id := range ids {
		if id != int64(i+1) {
			t.Fatalf("acked ids not 1, 2, 3...: %v", ids)
		}
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM t WHERE id = ?", id).Scan(&n); err != nil || n != 1 {
			t.Fatalf("acknowledged id %d missing on a survivor: %d %v", id, n, err)
		}
	}
}

func TestLoadFlags(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"-nodes", "127.0.0.1:1"}, &stdout, &stderr); code == 0 || stdout.Len() != 0 {
		t.Fatalf("missing flags: exit %d, stdout %q", code, stdout.String())
	}
	stderr.Reset()
	if code := run(context.Background(), []string{"-h"}, &stdout, &stderr); code != 0 || !strings.Contains(stderr.String(), "-acked") || stdout.Len() != 0 {
		t.Fatalf("-h: exit %d, stderr %q; want the usage and exit 0", code, stderr.String())
	}
}

// A writer change up to the moment the Router stops is printed before the
// final {"acked":...} line, which stays the last line.
func TestLoadFinalLineIsLast(t *testing.T) {
	c, err := galeratest.NewCluster(galeratest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	testHookBeforeStop = func() {
		c.Node(0).Kill()
		time.Sleep(1500 * time.Millisecond) // several probe intervals: the Router moves the writer
	}
	defer func() { testHookBeforeStop = nil }()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-nodes", strings.Join(c.Addrs(), ","), "-user", "hakit", "-password", "hakit",
		"-db", "load", "-duration", "500ms", "-acked", filepath.Join(t.TempDir(), "acked")}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var last map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil || last["acked"] == nil {
		t.Fatalf("last line %q is not the final one (%v); stdout:\n%s", lines[len(lines)-1], err, stdout.String())
	}
	if !strings.Contains(stdout.String(), `"node":"`+c.Node(1).Addr()+`"`) || last["failovers"] != 1.0 {
		t.Fatalf("the writer change before the Router stopped is missing; stdout:\n%s", stdout.String())
	}
}

// A writer that is lost and comes back, with no other node to take over,
// is the same writer: one writer line, no failover.
func TestLoadWriterBackIsNoFailover(t *testing.T) {
	c, err := galeratest.NewCluster(galeratest.Config{Nodes: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	go func() {
		time.Sleep(700 * time.Millisecond)
		c.Node(0).SetState(func(s *galera.NodeState) { s.LocalState = galera.LocalStateJoined })
		time.Sleep(time.Second) // several probe intervals: the Router has no writer
		c.Node(0).SetState(nil)
	}()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-nodes", c.Addrs()[0], "-user", "hakit", "-password", "hakit",
		"-db", "load", "-duration", "3s", "-acked", filepath.Join(t.TempDir(), "acked")}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var last map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil {
		t.Fatal(err)
	}
	if len(lines) != 2 || last["failovers"] != 0.0 {
		t.Fatalf("stdout:\n%s\nwant one writer line and failovers 0", stdout.String())
	}
	// The Router did lose the writer and get it back.
	if n := strings.Count(stderr.String(), `msg="galera: writer changed"`); n != 3 || !strings.Contains(stderr.String(), `to=""`) {
		t.Fatalf("the writer did not go and come back (%d changes):\n%s", n, stderr.String())
	}
}
