package galeratest_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/hakit/hakit/galera"
	"github.com/hakit/hakit/galera/galeratest"
)

func newCluster(t *testing.T) *galeratest.Cluster {
	t.Helper()
	c, err := galeratest.NewCluster(galeratest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func open(t *testing.T, c *galeratest.Cluster, i int, db string, interpolate bool) *sql.DB {
	t.Helper()
	cfg := c.DriverConfig(db)
	cfg.Addr = c.Node(i).Addr()
	cfg.InterpolateParams = interpolate
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db2 := sql.OpenDB(conn)
	t.Cleanup(func() { db2.Close() })
	return db2
}

func mysqlCode(err error) uint16 {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}

func TestStateOverTheWire(t *testing.T) {
	c := newCluster(t)
	ctx := context.Background()
	db := open(t, c, 1, "", false)
	st, err := galera.ReadNodeState(ctx, db, c.Node(1).Addr())
	if err != nil {
		t.Fatal(err)
	}
	if !st.Synced() || st.LocalIndex != 1 || st.ClusterSize != 3 || !st.Ready {
		t.Fatalf("state %+v", st)
	}
	if _, err := db.ExecContext(ctx, "SET GLOBAL wsrep_desync=ON"); err != nil {
		t.Fatal(err)
	}
	st, _ = galera.ReadNodeState(ctx, db, "n")
	if st.LocalState != galera.LocalStateDonor || !st.Desync {
		t.Fatalf("after desync: %+v", st)
	}
	var ro int
	if err := db.QueryRowContext(ctx, "SELECT @@read_only").Scan(&ro); err != nil || ro != 0 {
		t.Fatalf("@@read_only = %d, %v", ro, err)
	}
}

func TestSQLAcrossNodes(t *testing.T) {
	for _, interpolate := range []bool{false, true} {
		c := newCluster(t)
		ctx := context.Background()
		db0 := open(t, c, 0, "", interpolate)
		for _, q := range []string{
			"CREATE DATABASE IF NOT EXISTS app",
			"CREATE TABLE IF NOT EXISTS app.t (id BIGINT PRIMARY KEY, at BIGINT, name VARCHAR(20))",
		} {
			if _, err := db0.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		db1 := open(t, c, 1, "app", interpolate)
		if _, err := db1.ExecContext(ctx, "INSERT INTO t (id, at, name) VALUES (?, ?, ?)", 1, 100, "it's"); err != nil {
			t.Fatal(err)
		}
		_, err := db1.ExecContext(ctx, "INSERT INTO t (id, at) VALUES (?, ?)", 1, 5)
		if mysqlCode(err) != 1062 {
			t.Fatalf("duplicate insert: %v", err)
		}
		db2 := open(t, c, 2, "app", interpolate)
		var at int64
		var name sql.NullString
		if err := db2.QueryRowContext(ctx, "SELECT at, name FROM t WHERE id = ?", 1).Scan(&at, &name); err != nil || at != 100 || name.String != "it's" {
			t.Fatalf("replicated row: %d %v %v", at, name, err)
		}
		res, err := db2.ExecContext(ctx, "UPDATE t SET at = at + 1 WHERE id = ? AND at = ?", 1, 100)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			t.Fatalf("affected %d", n)
		}
		var n int
		if err := db0.QueryRowContext(ctx, "SELECT COUNT(*) FROM app.t WHERE at = 101").Scan(&n); err != nil || n != 1 {
			t.Fatalf("count %d %v", n, err)
		}
	}
}

func TestCertificationConflict(t *testing.T) {
	c := newCluster(t)
	ctx := context.Background()
	db0 := open(t, c, 0, "", true)
	db0.ExecContext(ctx, "CREATE DATABASE app")
	db0.ExecContext(ctx, "CREATE TABLE app.k (k VARCHAR(10) PRIMARY KEY, v BIGINT)")
	db0.ExecContext(ctx, "INSERT INTO app.k VALUES ('a', 0)")
	tx0, _ := open(t, c, 0, "app", true).BeginTx(ctx, nil)
	tx1, _ := open(t, c, 1, "app", true).BeginTx(ctx, nil)
	if _, err := tx0.ExecContext(ctx, "UPDATE k SET v = 1 WHERE k = 'a'"); err != nil {
		t.Fatal(err)
	}
	if _, err := tx1.ExecContext(ctx, "UPDATE k SET v = 2 WHERE k = 'a'"); err != nil {
		t.Fatal(err)
	}
	if err := tx1.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := tx0.Commit(); mysqlCode(err) != 1213 {
		t.Fatalf("second commit: %v, want 1213", err)
	}
	if c.CertificationFailures() != 1 {
		t.Fatal("certification failure not counted")
	}
}

func TestQuorum(t *testing.T) {
	c := newCluster(t)
	ctx := context.Background()
	c.Node(0).Kill()
	db2 := open(t, c, 2, "", true)
	st, err := galera.ReadNodeState(ctx, db2, "n2")
	if err != nil || !st.Synced() || st.ClusterSize != 2 || st.LocalIndex != 1 {
		t.Fatalf("after one kill: %+v %v", st, err)
	}
	c.Node(1).Kill()
	st, err = galera.ReadNodeState(ctx, db2, "n2")
	if err != nil || st.ClusterStatus != galera.ClusterStatusNonPrimary || st.Ready || st.LocalIndex != -1 {
		t.Fatalf("after two kills: %+v %v", st, err)
	}
	if _, err := db2.ExecContext(ctx, "CREATE DATABASE x"); mysqlCode(err) != 1047 {
		t.Fatalf("write on non-Primary: %v, want 1047", err)
	}
	if _, err := db2.ExecContext(ctx, "SET GLOBAL wsrep_provider_options='pc.bootstrap=YES'"); err != nil {
		t.Fatal(err)
	}
	st, _ = galera.ReadNodeState(ctx, db2, "n2")
	if !st.Synced() || st.ClusterSize != 1 {
		t.Fatalf("after bootstrap: %+v", st)
	}
	if err := c.Node(0).Restart(); err != nil {
		t.Fatal(err)
	}
	st, _ = galera.ReadNodeState(ctx, db2, "n2")
	if !st.Synced() || st.ClusterSize != 2 {
		t.Fatalf("after restart: %+v", st)
	}
}

func TestBadPassword(t *testing.T) {
	c := newCluster(t)
	cfg := c.DriverConfig("")
	cfg.Passwd = "wrong"
	conn, _ := mysql.NewConnector(cfg)
	db := sql.OpenDB(conn)
	defer db.Close()
	if err := db.Ping(); mysqlCode(err) != 1045 {
		t.Fatalf("ping with wrong password: %v", err)
	}
}

func TestIsolateAndFaults(t *testing.T) {
	c := newCluster(t)
	ctx := context.Background()
	db0 := open(t, c, 0, "", true)
	c.Node(0).Isolate()
	st, err := galera.ReadNodeState(ctx, db0, "n0")
	if err != nil || st.ClusterStatus != galera.ClusterStatusNonPrimary || st.ClusterSize != 1 {
		t.Fatalf("isolated node: %+v %v", st, err)
	}
	if st := c.Node(1).State(); !st.Synced() || st.ClusterSize != 2 || st.LocalIndex != 0 {
		t.Fatalf("majority side: %+v", st)
	}
	c.Node(0).Heal()
	if st := c.Node(0).State(); !st.Synced() || st.ClusterSize != 3 {
		t.Fatalf("after heal: %+v", st)
	}

	// Injected faults apply to data statements only, in order.
	db0.ExecContext(ctx, "CREATE DATABASE app")
	c.Node(0).Inject(1, galeratest.Fault{Code: 1205})
	if _, err := db0.ExecContext(ctx, "SHOW GLOBAL STATUS"); err != nil {
		t.Fatalf("status query took a fault: %v", err)
	}
	if _, err := db0.ExecContext(ctx, "CREATE TABLE app.x (id INT PRIMARY KEY)"); mysqlCode(err) != 1205 {
		t.Fatalf("injected 1205: %v", err)
	}
	if _, err := db0.ExecContext(ctx, "CREATE TABLE app.x (id INT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	if q := c.Node(0).Queries(); len(q) == 0 || !strings.HasPrefix(q[len(q)-1], "CREATE TABLE app.x") {
		t.Fatalf("recorded %q", q)
	}

	// wsrep_reject_queries=ALL_KILL closes the other client connections.
	db1 := open(t, c, 0, "", true)
	db1.SetMaxIdleConns(1)
	if err := db1.PingContext(ctx); err != nil {
		t.Fatal(err)
	}
	before := c.Node(0).Conns()
	if _, err := db0.ExecContext(ctx, "SET GLOBAL wsrep_reject_queries=ALL_KILL"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for c.Node(0).Conns() >= before && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if c.Node(0).Conns() >= before {
		t.Fatalf("connections %d, were %d", c.Node(0).Conns(), before)
	}
	if _, err := db1.ExecContext(ctx, "CREATE DATABASE y"); err == nil {
		t.Fatal("a node rejecting queries ran a statement")
	}
}
