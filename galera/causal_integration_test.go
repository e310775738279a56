//go:build integration

package galera_test

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/hakit/hakit/galera"
)

// A reader paused by FLUSH TABLES WITH READ LOCK (Galera desyncs the node
// and stops applying) serves a stale read; a read there that waits for
// the write's GTID (WaitGTID) or runs with ReaderSyncWait=1 blocks until
// the node has applied the write, then sees it.
func TestIntegrationCausalReads(t *testing.T) {
	e := galeraEnv(t, true)
	dbName := e.Database(t)
	r, w := e.router(dbName, func(c *galera.RouterConfig) { c.Sticky = true; c.ReadFromDonors = true; c.ReaderSyncWait = 1 })
	ctx := context.Background()
	if _, err := w.ExecContext(ctx, "CREATE TABLE t (id BIGINT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	writer := e.index(e.waitWriter(r, func(a string) bool { return a != "" }, 5*time.Second))
	lagging := (writer + 1) % 3
	plainDB := e.admin(lagging) // no sync wait: sees what the node applied

	for _, tc := range []struct {
		name string
		read func(ctx context.Context, id int64, g galera.GTID) (bool, error)
	}{
		{"WaitGTID", func(ctx context.Context, id int64, g galera.GTID) (bool, error) {
			conn, err := plainDB.Conn(ctx)
			if err != nil {
				return false, err
			}
			defer conn.Close()
			if err := galera.WaitGTID(ctx, conn, g, 30*time.Second); err != nil {
				return false, err
			}
			return exists(ctx, conn, dbName, id)
		}},
		{"ReaderSyncWait", func(ctx context.Context, id int64, _ galera.GTID) (bool, error) {
			rd := sql.OpenDB(r.Reader())
			defer rd.Close()
			conn, err := rd.Conn(ctx)
			if err != nil {
				return false, err
			}
			defer conn.Close()
			var port int
			if err := conn.QueryRowContext(ctx, "SELECT @@port").Scan(&port); err != nil {
				return false, err
			}
			if e.Nodes[lagging] != "127.0.0.1:"+strconv.Itoa(port) {
				return false, errors.New("the reader connection is not on the paused node")
			}
			return exists(ctx, conn, dbName, id)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := time.Now().UnixNano()
			lock, err := e.admin(lagging).Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer lock.Close()
			if _, err := lock.ExecContext(ctx, "FLUSH TABLES WITH READ LOCK"); err != nil {
				t.Fatal(err)
			}
			locked := true
			defer func() {
				if locked {
					_, _ = lock.ExecContext(ctx, "UNLOCK TABLES")
				}
			}()
			// Only the paused node may serve reads now: the third one
			// rejects queries until the subtest ends.
			other := 3 - writer - lagging
			e.exec(other, "SET GLOBAL wsrep_reject_queries=ALL")
			defer e.exec(other, "SET GLOBAL wsrep_reject_queries=NONE")
			deadline := time.Now().Add(5 * time.Second)
			for {
				st := r.Stats()
				if st.Nodes[lagging].Role == galera.RoleReader && st.Nodes[other].Role != galera.RoleReader {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("roles %+v", st.Nodes)
				}
				time.Sleep(20 * time.Millisecond)
			}

			wc, err := w.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer wc.Close()
			if _, err := wc.ExecContext(ctx, "INSERT INTO t VALUES (?)", id); err != nil {
				t.Fatal(err)
			}
			g, err := galera.LastSeenGTID(ctx, wc)
			if err != nil {
				t.Fatal(err)
			}
			// Without waiting, the paused node has not applied it: the
			// lag the waits below are for.
			if ok, err := exists(ctx, plainDB, dbName, id); err != nil || ok {
				t.Fatalf("plain read on the paused node saw the row (%v, %v): no lag to test", ok, err)
			}
			type answer struct {
				ok  bool
				err error
				at  time.Time
			}
			ch := make(chan answer, 1)
			go func() {
				ok, err := tc.read(ctx, id, g)
				ch <- answer{ok, err, time.Now()}
			}()
			time.Sleep(500 * time.Millisecond)
			select {
			case a := <-ch:
				t.Fatalf("the causal read returned (%v, %v) while the node was paused", a.ok, a.err)
			default:
			}
			released := time.Now()
			if _, err := lock.ExecContext(ctx, "UNLOCK TABLES"); err != nil {
				t.Fatal(err)
			}
			locked = false
			a := <-ch
			if a.err != nil || !a.ok {
				t.Fatalf("causal read after the node resumed: %v, %v; want the row", a.ok, a.err)
			}
			t.Logf("%s: the read waited for GTID %v and returned %v after the node resumed", tc.name, g, a.at.Sub(released))
		})
	}
}

func exists(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, db string, id int64) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM `"+db+"`.t WHERE id = ?", id).Scan(&n)
	return n == 1, err
}
