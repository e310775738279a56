package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// GaleraEnv is the 3-node MariaDB Galera cluster of `scripts/services.sh up
// galera`. Node indexes are 0-based: Nodes[i] is node i+1 of the script
// (SQL port 13301+i).
type GaleraEnv struct {
	Nodes    []string // "127.0.0.1:13301", "127.0.0.1:13302", "127.0.0.1:13303"
	User     string   // "hakit": every privilege, from 127.0.0.1 and localhost
	Password string   // "hakit"
}

// Galera returns the Galera cluster after checking that every node answers
// with wsrep_cluster_size=3 and is Synced, holding the galera lock shared for
// the rest of t; or fails t naming `scripts/services.sh up galera`.
func Galera(t testing.TB) GaleraEnv {
	t.Helper()
	share(t, "galera")
	g := galeraEnv()
	if err := retry(15*time.Second, g.check); err != nil {
		fatalDown(t, "galera", err)
	}
	return g
}

func galeraEnv() GaleraEnv {
	return GaleraEnv{
		Nodes:    []string{"127.0.0.1:13301", "127.0.0.1:13302", "127.0.0.1:13303"},
		User:     "hakit",
		Password: "hakit",
	}
}

// DSN is a go-sql-driver/mysql data source name for node i and database db
// ("" for none), with a 5 s dial timeout.
func (g GaleraEnv) DSN(i int, db string) string {
	c := mysql.NewConfig()
	c.User = g.User
	c.Passwd = g.Password
	c.Net = "tcp"
	c.Addr = g.Nodes[i]
	c.DBName = db
	c.Timeout = 5 * time.Second
	return c.FormatDSN()
}

// check verifies that every node is Synced in a cluster of three.
func (g GaleraEnv) check() error {
	for i := range g.Nodes {
		st, err := g.status(i, "wsrep_cluster_size", "wsrep_local_state_comment", "wsrep_ready")
		if err != nil {
			return err
		}
		if st["wsrep_cluster_size"] != "3" || st["wsrep_local_state_comment"] != "Synced" || st["wsrep_ready"] != "ON" {
			return fmt.Errorf("node %s: wsrep_cluster_size=%s wsrep_local_state_comment=%s wsrep_ready=%s",
				g.Nodes[i], st["wsrep_cluster_size"], st["wsrep_local_state_comment"], st["wsrep_ready"])
		}
	}
	return nil
}

// status reads global status variables of node i.
func (g GaleraEnv) status(i int, names ...string) (map[string]string, error) {
	db, err := sql.Open("mysql", g.DSN(i, ""))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rows, err := db.QueryContext(ctx, "SHOW GLOBAL STATUS LIKE 'wsrep_%'")
	if err != nil {
		return nil, fmt.Errorf("node %s: %w", g.Nodes[i], err)
	}
	defer rows.Close()
	all := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		all[strings.ToLower(k)] = v
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	st := make(map[string]string, len(names))
	for _, n := range names {
		st[n] = all[n]
	}
	return st, nil
}

// PID returns the pid of node i's mariadbd (from its pidfile), so a test
// holding Exclusive(t, "galera") can signal it.
func (g GaleraEnv) PID(t testing.TB, i int) int {
	t.Helper()
	return readPID(t, filepath.Join(StateDir(), "galera", fmt.Sprintf("node%d", i+1), "mariadbd.pid"))
}

// Restore brings the cluster back to three Synced nodes after a test
// disrupted it (runs `scripts/services.sh up galera`): it restarts nodes
// that are down, rejoining them to the running ones; makes the most advanced
// survivor Primary when no node is (pc.bootstrap); restarts nodes left in
// another component (such as a lone node a test bootstrapped with
// pc.bootstrap while the others ran); and bootstraps a new cluster when no
// node runs.
func (g GaleraEnv) Restore(t testing.TB) {
	t.Helper()
	Up(t, "galera")
}

// Database creates an empty database with a name unique to this call on
// the cluster and drops it when t ends.
func (g GaleraEnv) Database(t testing.TB) string {
	t.Helper()
	name := "t_" + sanitize(t.Name(), 40) + "_" + randomHex(4)
	db, err := sql.Open("mysql", g.DSN(0, ""))
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE DATABASE `" + name + "`"); err != nil {
		t.Fatalf("testenv: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		for i := range g.Nodes {
			db, err := sql.Open("mysql", g.DSN(i, ""))
			if err != nil {
				continue
			}
			_, err = db.Exec("DROP DATABASE IF EXISTS `" + name + "`")
			db.Close()
			if err == nil {
				return
			}
		}
		t.Logf("testenv: could not drop database %s", name)
	})
	return name
}

// sanitize keeps letters, digits and '_' of s, at most n of them.
func sanitize(s string, n int) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= n {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// readPID reads a pidfile and checks that the process runs.
func readPID(t testing.TB, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("testenv: pidfile: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		t.Fatalf("testenv: pidfile %s: bad content %q", path, b)
	}
	if _, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid))); err != nil {
		t.Fatalf("testenv: pidfile %s: process %d is not running", path, pid)
	}
	return pid
}
