//go:build integration

package main

import (
	"bufio"
	"database/sql"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hakit/hakit/internal/testenv"
)

// Kill -9 of the writer's mariadbd while galera-load runs: no
// acknowledged row is lost (checked on both survivors), and writes resume
// within 2s of the survivors evicting the dead node.
func TestLoadSurvivesWriterKill(t *testing.T) {
	testenv.Exclusive(t, "galera")
	g := testenv.Galera(t)
	t.Cleanup(func() { g.Restore(t) })
	db := g.Database(t)

	bin := filepath.Join(t.TempDir(), "galera-load")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	acked := filepath.Join(t.TempDir(), "acked")
	cmd := exec.Command(bin, "-nodes", strings.Join(g.Nodes, ","), "-user", g.User, "-password", g.Password,
		"-db", db, "-duration", "16s", "-acked", acked)
	// The load dies with the test binary, even on a kill -9 of the test.
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
	sc := bufio.NewScanner(stdout)
	var events []map[string]any
	next := func() map[string]any {
		if !sc.Scan() {
			t.Fatalf("galera-load stdout ended: %v", sc.Err())
		}
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("stdout line %q: %v", sc.Text(), err)
		}
		events = append(events, m)
		return m
	}
	first := next()
	node, _ := first["node"].(string)
	writer := slices.Index(g.Nodes, node)
	if first["event"] != "writer" || writer < 0 {
		t.Fatalf("first line %v", first)
	}
	survivor := (writer + 1) % 3
	time.Sleep(3 * time.Second)

	sdb, err := sql.Open("mysql", g.DSN(survivor, ""))
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	killed, ev := killAndWatch(t, g, sdb, writer)
	for {
		m := next()
		if _, done := m["acked"]; done {
			break
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("galera-load: %v", err)
	}
	last := events[len(events)-1]
	if last["failovers"].(float64) < 1 || len(events) < 3 {
		t.Fatalf("stdout events %v: want a writer change", events)
	}

	f, err := os.Open(acked)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ids []int64
	var resumed time.Time
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		a, b, _ := strings.Cut(lines.Text(), "\t")
		id, _ := strconv.ParseInt(a, 10, 64)
		ms, _ := strconv.ParseInt(b, 10, 64)
		ids = append(ids, id)
		at := time.UnixMilli(ms)
		if resumed.IsZero() && at.After(killed.Add(200*time.Millisecond)) {
			resumed = at
		}
	}
	if int(last["acked"].(float64)) != len(ids) {
		t.Fatalf("acked %v but the file has %d lines", last["acked"], len(ids))
	}
	t.Logf("eviction %v after kill; first acknowledged write %v after eviction; %d acked, %v failed",
		ev.Sub(killed), resumed.Sub(ev), len(ids), last["failed"])
	if resumed.IsZero() || resumed.Sub(ev) > 2*time.Second {
		t.Errorf("writes resumed at %v, eviction at %v: want within 2s", resumed, ev)
	}
	for i := range g.Nodes {
		if i == writer {
			continue
		}
		ndb := causalDB(t, g, i, db)
		var n int
		var max sql.NullInt64
		if err := ndb.QueryRow("SELECT COUNT(*), MAX(id) FROM t WHERE id <= ?", ids[len(ids)-1]).Scan(&n, &max); err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			var k int
			if err := ndb.QueryRow("SELECT COUNT(*) FROM t WHERE id = ?", id).Scan(&k); err != nil || k != 1 {
				t.Fatalf("acknowledged id %d missing on survivor %s", id, g.Nodes[i])
			}
		}
		t.Logf("survivor %s holds all %d acknowledged rows (%d rows up to the last acked id)", g.Nodes[i], len(ids), n)
	}
}
