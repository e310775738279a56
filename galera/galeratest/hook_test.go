package galeratest_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/hakit/hakit/galera/galeratest"
)

// Hook sees every data statement, with prepared statements' placeholders,
// and its Fault applies to that statement alone; injected faults come
// first.
func TestHook(t *testing.T) {
	c := newCluster(t)
	db := open(t, c, 0, "", false)
	if _, err := db.Exec("CREATE DATABASE app"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE app.t (id BIGINT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var seen []string
	c.Node(0).Hook(func(q string) galeratest.Fault {
		mu.Lock()
		seen = append(seen, q)
		mu.Unlock()
		if strings.Contains(q, "VALUES (?)") {
			return galeratest.Fault{Code: 1213}
		}
		return galeratest.Fault{}
	})
	if _, err := db.Exec("INSERT INTO app.t VALUES (1)"); err != nil {
		t.Fatalf("a statement the hook let pass: %v", err)
	}
	if _, err := db.Exec("INSERT INTO app.t VALUES (?)", 2); mysqlCode(err) != 1213 {
		t.Fatalf("prepared INSERT: %v, want the hook's 1213", err)
	}
	c.Node(0).Inject(1, galeratest.Fault{Code: 1047})
	if _, err := db.Exec("INSERT INTO app.t VALUES (3)"); mysqlCode(err) != 1047 {
		t.Fatalf("injected fault: %v, want 1047 before the hook", err)
	}
	c.Node(0).Hook(nil)
	if _, err := db.Exec("INSERT INTO app.t VALUES (?)", 4); err != nil {
		t.Fatalf("after the hook was removed: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 || seen[0] != "INSERT INTO app.t VALUES (1)" || seen[1] != "INSERT INTO app.t VALUES (?)" {
		t.Fatalf("the hook saw %q", seen)
	}
}
