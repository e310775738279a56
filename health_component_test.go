package hakit_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hakit/hakit"
	"github.com/hakit/hakit/hakittest"
)

func probe(t *testing.T, h *hakit.Health) (int, hakit.HealthReport, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	var rep hakit.HealthReport
	if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil {
		t.Fatalf("body %q: %v", rec.Body, err)
	}
	return rec.Code, rep, rec.Body.String()
}

// markDown takes a fully-up monitor DOWN by reporting err three times.
func markDown(m *hakit.Monitor, err error) {
	for range 3 {
		m.Report(err)
	}
}

func upMonitor(t *testing.T) *hakit.Monitor {
	t.Helper()
	m, err := hakit.NewMonitor(hakit.MonitorConfig{Checker: &hakittest.Checker{}, InitState: hakit.InitStateFullyUp, ErrorLimit: 1})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// checkedMonitor is an upMonitor that has passed one active check (L7OK);
// call it inside a synctest bubble.
func checkedMonitor(t *testing.T) *hakit.Monitor {
	t.Helper()
	chk := &hakittest.Checker{}
	m, err := hakit.NewMonitor(hakit.MonitorConfig{Checker: chk, InitState: hakit.InitStateFullyUp, ErrorLimit: 1})
	if err != nil {
		t.Fatal(err)
	}
	runOneCheck(t, m, chk)
	return m
}

// The answer for each combination of component states and admin states:
// 503 for a critical component DOWN or MAINT or a Health in MAINT, 404 for
// draining (HAProxy's "http-check disable-on-404"), 200 otherwise; a
// non-critical component never changes it.
func TestHealthAnswers(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(t *testing.T, h *hakit.Health, crit, opt *hakit.Monitor)
		code       int
		status     string
		critStatus string
	}{
		{"all up", func(*testing.T, *hakit.Health, *hakit.Monitor, *hakit.Monitor) {}, 200, "UP", "UP"},
		{"non-critical down", func(_ *testing.T, _ *hakit.Health, _, opt *hakit.Monitor) { markDown(opt, errDown) }, 200, "UP", "UP"},
		{"non-critical in maintenance", func(_ *testing.T, _ *hakit.Health, _, opt *hakit.Monitor) { opt.SetAdmin(hakit.AdminMaint) }, 200, "UP", "UP"},
		{"non-critical draining", func(_ *testing.T, _ *hakit.Health, _, opt *hakit.Monitor) { opt.SetAdmin(hakit.AdminDrain) }, 200, "UP", "UP"},
		{"critical going down is still in service", func(_ *testing.T, _ *hakit.Health, crit, _ *hakit.Monitor) { crit.Report(errDown) }, 200, "UP", "UP 2/3"},
		{"critical down", func(_ *testing.T, _ *hakit.Health, crit, _ *hakit.Monitor) { markDown(crit, errDown) }, 503, "DOWN", "DOWN"},
		{"critical in maintenance", func(_ *testing.T, _ *hakit.Health, crit, _ *hakit.Monitor) { crit.SetAdmin(hakit.AdminMaint) }, 503, "DOWN", "MAINT"},
		{"critical draining", func(_ *testing.T, _ *hakit.Health, crit, _ *hakit.Monitor) { crit.SetAdmin(hakit.AdminDrain) }, 404, "DRAIN", "DRAIN"},
		{"critical draining and down", func(_ *testing.T, _ *hakit.Health, crit, _ *hakit.Monitor) {
			crit.SetAdmin(hakit.AdminDrain)
			markDown(crit, errDown)
		}, 503, "DOWN", "DOWN"},
		{"health draining", func(t *testing.T, h *hakit.Health, _, _ *hakit.Monitor) { must0(t, h.SetAdmin(hakit.AdminDrain)) }, 404, "DRAIN", "UP"},
		{"health in maintenance", func(t *testing.T, h *hakit.Health, _, _ *hakit.Monitor) { must0(t, h.SetAdmin(hakit.AdminMaint)) }, 503, "MAINT", "UP"},
		{"health back to ready", func(t *testing.T, h *hakit.Health, _, _ *hakit.Monitor) {
			must0(t, h.SetAdmin(hakit.AdminMaint))
			must0(t, h.SetAdmin(hakit.AdminReady))
		}, 200, "UP", "UP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { healthAnswer(t, tt.setup, tt.code, tt.status, tt.critStatus) })
		})
	}
}

func healthAnswer(t *testing.T, setup func(t *testing.T, h *hakit.Health, crit, opt *hakit.Monitor), wantCode int, wantStatus, wantCrit string) {
	var h hakit.Health
	crit, opt := checkedMonitor(t), checkedMonitor(t)
	must0(t, h.Add("db", crit))
	must0(t, h.AddComponent("cache", hakit.Component{Monitor: opt, NonCritical: true}))
	setup(t, &h, crit, opt)
	code, rep, body := probe(t, &h)
	if code != wantCode || rep.Status != wantStatus || rep.Components["db"].Status != wantCrit {
		t.Fatalf("got %d %s with db %s, want %d %s with db %s\n%s", code, rep.Status, rep.Components["db"].Status, wantCode, wantStatus, wantCrit, body)
	}
	// HAProxy shows no check_status in maintenance, the last
	// check's otherwise (L7OK: reports do not change it).
	if db := rep.Components["db"]; (db.Status == "MAINT") != (db.CheckStatus == "") {
		t.Fatalf("db %s with check_status %q: want it empty exactly in maintenance", db.Status, db.CheckStatus)
	}
	if !rep.Components["db"].Critical || rep.Components["cache"].Critical {
		t.Fatalf("critical flags wrong: %s", body)
	}
	if h.Healthy() != (code == 200) {
		t.Fatalf("Healthy() = %v with answer %d", h.Healthy(), code)
	}
}

func must0(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestHealthAddComponentErrors(t *testing.T) {
	var h hakit.Health
	m := upMonitor(t)
	e, _ := hakit.NewElector(hakit.ElectorConfig{Lease: hakittest.NewLease(), Identity: "a"})
	for _, tt := range []struct {
		name string
		c    hakit.Component
		want string
	}{
		{"", hakit.Component{Monitor: m}, "empty component name"},
		{"x", hakit.Component{}, "exactly one"},
		{"x", hakit.Component{Monitor: m, Elector: e}, "exactly one"},
		{"x", hakit.Component{Elector: e, ElectorTimeout: -1}, "ElectorTimeout"},
	} {
		if err := h.AddComponent(tt.name, tt.c); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("AddComponent(%q, %+v) = %v, want an error containing %q", tt.name, tt.c, err, tt.want)
		}
	}
	if err := h.SetAdmin(9); err == nil {
		t.Error("SetAdmin(9) accepted")
	}
}

// Errors that carry credentials, as drivers and wrappers format them. The
// body keeps the class and what locates the fault (host, port, user), never
// the secret.
func TestHealthBodyCarriesNoSecret(t *testing.T) {
	const secret = "s3cr3t-Pw"
	tests := []struct {
		err  error
		keep string
	}{
		{fmt.Errorf("open mysql://app:%s@db1:3306/app: %w", secret, errors.New("connection refused")), "db1:3306"},
		{fmt.Errorf("galera: dsn app:%s@tcp(10.0.0.5:13301)/app?timeout=1s: %w", secret, context.DeadlineExceeded), "tcp(10.0.0.5:13301)"},
		{fmt.Errorf("dsn app:p@%s@tcp(db:3306)/x: bad", secret), "tcp(db:3306)"},
		{fmt.Errorf("dsn app:%s@unix(/run/mysqld/mysqld.sock)/x: bad", secret), "unix(/run/mysqld/mysqld.sock)"},
		{fmt.Errorf("redis://:%s@127.0.0.1:16379/0: NOAUTH", secret), "127.0.0.1:16379"},
		{fmt.Errorf("mongodb://admin:%s@127.0.0.1:27117/?authSource=admin: no reachable servers", secret), "127.0.0.1:27117"},
		{fmt.Errorf("amqp dial amqp://guest:%s@localhost:5681/: %w", secret, &hakit.CheckError{Status: hakit.CheckL4Conn}), "localhost:5681"},
		{fmt.Errorf("pq: host=db user=app password=%s dbname=x: failed", secret), "host=db"},
		{fmt.Errorf(`config {"user":"app","password":"%s"} rejected`, secret), `"user":"app"`},
		{fmt.Errorf("env DB_PASSWORD=%s MYSQL_PWD=%s invalid", secret, secret), "invalid"},
		{fmt.Errorf("GET /check: Authorization: Bearer %s: 401", secret), "401"},
		{fmt.Errorf("api_key: %s; token='%s'", secret, secret), "api_key"},
		{fmt.Errorf("tls: private_key=%s passphrase: %s unusable", secret, secret), "unusable"},
		{fmt.Errorf("%s mysql://app:%s@db:3306/x", strings.Repeat("x", 150), secret), "xxx"},
		// A password holding '@', ':' or '/': a URL's userinfo ends at its
		// last '@', and go-sql-driver's DSN splits at the last '@' before
		// the "/dbname" (app:pw@/db, with no protocol, is its short form).
		{fmt.Errorf("mongodb://app:p@%s@db1:27017,db2:27017/?replicaSet=rs0&authSource=admin: timeout", secret), "db1:27017,db2:27017"},
		{fmt.Errorf("amqp://guest:p@%s@rabbit:5672/vhost: refused", secret), "rabbit:5672"},
		{fmt.Errorf("rediss://default:p@%s@cache:6380/0: NOAUTH", secret), "cache:6380"},
		{fmt.Errorf("dsn app:%s@/appdb?parseTime=true: bad", secret), "/appdb"},
		{fmt.Errorf("dsn app:%s:x@/appdb: bad", secret), "/appdb"},
		{fmt.Errorf("dsn app:p/%s@/appdb: bad", secret), "/appdb"},
		{fmt.Errorf("dsn app:p/%s@tcp(db:3306)/appdb: bad", secret), "tcp(db:3306)"},
		{fmt.Errorf("mongodb://db/?authMechanism=MONGODB-AWS&authMechanismProperties=AWS_SESSION_TOKEN:%s: denied", secret), "authMechanism=MONGODB-AWS"},
	}
	for _, tt := range tests {
		var h hakit.Health
		m := upMonitor(t)
		must0(t, h.Add("db", m))
		markDown(m, tt.err)
		_, rep, body := probe(t, &h)
		if strings.Contains(body, secret) || strings.Contains(body, "s3cr3t") {
			t.Errorf("body carries the secret of %q:\n%s", tt.err, body)
		}
		last := rep.Components["db"].LastError
		class, _ := hakit.ClassifyCheckError(tt.err)
		if !strings.HasPrefix(last, class.String()+": ") || !strings.Contains(last, tt.keep) {
			t.Errorf("last_error %q, want the class %v and %q kept", last, class, tt.keep)
		}
		if len(last) > 200 {
			t.Errorf("last_error is %d bytes, want a short message", len(last))
		}
	}
}

func TestRedactLeavesPlainErrors(t *testing.T) {
	for _, s := range []string{
		"dial tcp 127.0.0.1:13301: connect: connection refused",
		"wsrep_local_state 2 (Donor/Desynced), want 4 (Synced)",
		"HTTP 503 from http://10.0.0.1:9200/",
		"[fe80::1%eth0]:80: no route to host",
		"GET http://10.0.0.1:9200/_cluster/health?wait_for_status=green: 503",
		"dial mongodb://db1:27017,db2:27017/?replicaSet=rs0: server selection timeout",
	} {
		if got := hakit.Redact(s); got != s {
			t.Errorf("Redact(%q) = %q, want it unchanged", s, got)
		}
	}
}

// An Elector in a Health reports as client-go's HealthzAdaptor judges it:
// a follower and a renewing leader are healthy; a leader that keeps acting
// (its OnStartedLeading ignores its ctx) without renewing for longer than
// LeaseDuration plus the timeout is not.
func TestHealthElector(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := hakittest.NewLease()
		a := store.Client("a")
		stuck := make(chan struct{})
		defer close(stuck)
		ea, _ := hakit.NewElector(hakit.ElectorConfig{Lease: a, Identity: "a", JitterFactor: -1,
			OnStartedLeading: func(context.Context, uint64) { <-stuck }}) // ignores its ctx
		eb, _ := hakit.NewElector(hakit.ElectorConfig{Lease: store.Client("b"), Identity: "b", JitterFactor: -1})
		var h hakit.Health
		must0(t, h.AddComponent("leader-a", hakit.Component{Elector: ea, ElectorTimeout: 5 * time.Second}))
		must0(t, h.AddComponent("leader-b", hakit.Component{Elector: eb}))
		answers := func() string {
			code, rep, _ := probe(t, &h)
			return fmt.Sprintf("%d a=%s b=%s", code, rep.Components["leader-a"].Status, rep.Components["leader-b"].Status)
		}
		if got, want := answers(), "200 a=FOLLOWING b=FOLLOWING"; got != want {
			t.Fatalf("before Run: %s, want %s", got, want)
		}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go ea.Run(ctx)
		synctest.Wait()
		go eb.Run(ctx)
		time.Sleep(time.Second)
		if got, want := answers(), "200 a=LEADING b=FOLLOWING"; got != want {
			t.Fatalf("a leading: %s, want %s", got, want)
		}
		// a renews at 2s; cut off after it, a's leadership ends at 12s,
		// but its callback goes on acting. Past LeaseDuration 15s + 5s
		// from the renewal at 2s, at 22s, it is late.
		time.Sleep(1500 * time.Millisecond)
		a.Partition()
		time.Sleep(22*time.Second - 2500*time.Millisecond - time.Millisecond)
		if got, want := answers(), "200 a=LEADING b=LEADING"; got != want {
			t.Fatalf("just before a is late: %s, want %s", got, want)
		}
		time.Sleep(2 * time.Millisecond)
		if got, want := answers(), "503 a=LEADING LATE b=LEADING"; got != want {
			t.Fatalf("a wedged past LeaseDuration+timeout: %s, want %s", got, want)
		}
		if ea.IsLeader() {
			t.Fatal("a still claims IsLeader")
		}
	})
}

// A leader whose store call hangs deaf to its ctx stays in its renewal
// loop after its leadership ended: it is late once LeaseDuration plus the
// timeout have passed since its last renewal, and follows again once the
// call returns.
func TestLeaderHealthStoreCallHangs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := hakittest.NewLease()
		a := store.Client("a")
		e, _ := hakit.NewElector(hakit.ElectorConfig{Lease: a, Identity: "a", JitterFactor: -1})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		defer func() {
			// A deaf call in flight ends only at its own timeout;
			// the bubble's clock gets there once all else blocks.
			a.IgnoreContext(0)
			cancel()
			<-done
		}()
		t0 := time.Now()
		go func() { e.Run(ctx); close(done) }()
		synctest.Wait()
		// The renewal at 2s succeeds; the one at 4s hangs for a minute.
		time.Sleep(3 * time.Second)
		a.IgnoreContext(time.Minute)
		a.Partition()
		var trail []string
		for _, at := range []time.Duration{13, 22, 23, 70} { // seconds since start
			time.Sleep(at*time.Second - time.Since(t0))
			trail = append(trail, e.LeaderHealth(5*time.Second).String())
		}
		// 13s: leadership ended at 12s, the call still hangs; 22s is
		// exactly 2s + 15s + 5s; past it, late; at 70s the call has
		// given up (4s + 1 minute) and a is back to contending.
		if got, want := strings.Join(trail, ","), "LEADING,LEADING,LEADING LATE,FOLLOWING"; got != want {
			t.Fatalf("leader health at 13s, 22s, 23s, 70s: %s, want %s", got, want)
		}
	})
}
