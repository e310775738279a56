package galera

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/hakit/hakit"
)

// DefaultLeaseTable is the table a Lease uses when LeaseConfig.Table is
// empty.
const DefaultLeaseTable = "hakit_lease"

// LeaseConfig configures a Lease.
type LeaseConfig struct {
	// DB is where the record lives; required. Use the Router's writer,
	// sql.OpenDB(router.Writer()), so that the writes go to one node. Get
	// reads with wsrep_sync_wait=1 whatever DB is, so it sees every
	// Update the cluster committed before it, including those made
	// through other nodes by other processes, and right after a failover.
	DB *sql.DB
	// Table is the table name (letters, digits, underscores), created if
	// missing in DB's database. Zero means "hakit_lease". One table holds
	// many leases, one row per Name.
	Table string
	// Name is the lease's key in the table; required, at most 191 bytes.
	Name string
	// Retry governs retries of errors that prove a statement did not run
	// (1213, 1205, 1047, no writer). Nil means 50ms doubling to 500ms, 4
	// retries; ctx bounds them in any case.
	Retry *RetryConfig
}

// Lease is a hakit.Lease stored in one row of a Galera table, changed only
// by compare-and-set: Update is a single UPDATE whose WHERE clause holds
// every field of the old record, and which increments a hidden version
// column so that it counts as a change even when the new record equals
// the old. Galera certification orders conflicting updates from different
// nodes; the first to commit wins and the others match no row.
//
// Times are stored in microseconds, durations too; the token is stored as
// given (the row never vanishes, so tokens never repeat).
type Lease struct {
	db    *sql.DB
	table string
	name  string
	retry RetryConfig

	once    sync.Mutex
	created bool
}

var _ hakit.Lease = (*Lease)(nil)

var tableNameRE = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)

// NewLease validates cfg and returns a Lease. It does no I/O: the table is
// created by the first call that finds it missing.
func NewLease(cfg LeaseConfig) (*Lease, error) {
	if cfg.DB == nil {
		return nil, errors.New("galera: LeaseConfig.DB is required")
	}
	if cfg.Table == "" {
		cfg.Table = DefaultLeaseTable
	}
	if !tableNameRE.MatchString(cfg.Table) {
		return nil, fmt.Errorf("galera: LeaseConfig.Table %q must be 1 to 64 letters, digits or underscores", cfg.Table)
	}
	if cfg.Name == "" || len(cfg.Name) > 191 {
		return nil, fmt.Errorf("galera: LeaseConfig.Name %q must be 1 to 191 bytes", cfg.Name)
	}
	rc := RetryConfig{Interval: 50 * time.Millisecond, MaxInterval: 500 * time.Millisecond, MaxRetries: 4}
	if cfg.Retry != nil {
		rc = *cfg.Retry
	}
	rc, err := rc.validate()
	if err != nil {
		return nil, fmt.Errorf("galera: LeaseConfig.Retry: %w", err)
	}
	return &Lease{db: cfg.DB, table: cfg.Table, name: cfg.Name, retry: rc}, nil
}

// CreateTable creates the lease table if it is missing. The other methods
// call it when they find the table missing; call it first to pay for the
// DDL up front.
func (l *Lease) CreateTable(ctx context.Context) error {
	l.once.Lock()
	defer l.once.Unlock()
	_, err := RetryExec(ctx, l.db, l.retry, "CREATE TABLE IF NOT EXISTS `"+l.table+"` ("+
		"name VARCHAR(191) NOT NULL PRIMARY KEY, "+
		"holder VARCHAR(255) NOT NULL, "+
		"token BIGINT UNSIGNED NOT NULL, "+
		"acquired_us BIGINT NOT NULL, "+
		"renewed_us BIGINT NOT NULL, "+
		"duration_us BIGINT NOT NULL, "+
		"version BIGINT UNSIGNED NOT NULL"+
		") ENGINE=InnoDB")
	if err != nil {
		return fmt.Errorf("galera: lease %s: create table %s: %w", l.name, l.table, err)
	}
	l.created = true
	return nil
}

const errNumNoSuchTable = 1146 // ER_NO_SUCH_TABLE

// withTable runs op, creating the table and running op again if it was
// missing.
func (l *Lease) withTable(ctx context.Context, op func() error) error {
	err := op()
	if mysqlNumber(err) != errNumNoSuchTable {
		return err
	}
	if err := l.CreateTable(ctx); err != nil {
		return err
	}
	return op()
}

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time {
	if us == (time.Time{}).UnixMicro() {
		return time.Time{}
	}
	return time.UnixMicro(us)
}

// stored returns r as the table keeps it.
func stored(r hakit.LeaseRecord) hakit.LeaseRecord {
	return hakit.LeaseRecord{Holder: r.Holder, Token: r.Token, Acquired: fromMicros(micros(r.Acquired)),
		Renewed: fromMicros(micros(r.Renewed)), Duration: r.Duration.Truncate(time.Microsecond)}
}

// Get returns the record, or an error wrapping hakit.ErrNoLease.
func (l *Lease) Get(ctx context.Context) (hakit.LeaseRecord, error) {
	var r hakit.LeaseRecord
	err := l.withTable(ctx, func() error {
		return retry(ctx, l.retry, func() (bool, error) {
			var acq, ren, dur int64
			// A node applies other nodes' commits after they are
			// acknowledged: wait for them (MariaDB's SET STATEMENT
			// scopes the setting to this one read).
			err := l.db.QueryRowContext(ctx, "SET STATEMENT wsrep_sync_wait=1 FOR "+
				"SELECT holder, token, acquired_us, renewed_us, duration_us FROM `"+
				l.table+"` WHERE name = ?", l.name).Scan(&r.Holder, &r.Token, &acq, &ren, &dur)
			if err != nil {
				return notExecuted(err), err
			}
			r.Acquired, r.Renewed, r.Duration = fromMicros(acq), fromMicros(ren), time.Duration(dur)*time.Microsecond
			return false, nil
		})
	})
	if errors.Is(err, sql.ErrNoRows) {
		return hakit.LeaseRecord{}, fmt.Errorf("galera: lease %s: %w", l.name, hakit.ErrNoLease)
	}
	if err != nil {
		return hakit.LeaseRecord{}, fmt.Errorf("galera: lease %s: get: %w", l.name, err)
	}
	return r, nil
}

// Create stores r if no record exists, or fails with an error wrapping
// hakit.ErrLeaseConflict.
func (l *Lease) Create(ctx context.Context, r hakit.LeaseRecord) (hakit.LeaseRecord, error) {
	err := l.withTable(ctx, func() error {
		_, err := RetryExec(ctx, l.db, l.retry, "INSERT INTO `"+l.table+
			"` (name, holder, token, acquired_us, renewed_us, duration_us, version) VALUES (?, ?, ?, ?, ?, ?, 1)",
			l.name, r.Holder, r.Token, micros(r.Acquired), micros(r.Renewed), r.Duration.Microseconds())
		return err
	})
	if mysqlNumber(err) == 1062 { // ER_DUP_ENTRY
		return hakit.LeaseRecord{}, fmt.Errorf("galera: lease %s: create: %w", l.name, hakit.ErrLeaseConflict)
	}
	if err != nil {
		return hakit.LeaseRecord{}, fmt.Errorf("galera: lease %s: create: %w", l.name, err)
	}
	return stored(r), nil
}

// Update replaces the record with r if it still equals old, or fails with
// an error wrapping hakit.ErrLeaseConflict. It never lowers the token: r's
// must be at least old's (the Elector raises it for each new holder).
func (l *Lease) Update(ctx context.Context, old, r hakit.LeaseRecord) (hakit.LeaseRecord, error) {
	if r.Token < old.Token {
		return hakit.LeaseRecord{}, fmt.Errorf("galera: lease %s: update: token %d is below the token %d of the record it replaces", l.name, r.Token, old.Token)
	}
	var n int64
	err := l.withTable(ctx, func() error {
		res, err := RetryExec(ctx, l.db, l.retry, "UPDATE `"+l.table+
			"` SET holder = ?, token = ?, acquired_us = ?, renewed_us = ?, duration_us = ?, version = version + 1"+
			" WHERE name = ? AND holder = ? AND token = ? AND acquired_us = ? AND renewed_us = ? AND duration_us = ?",
			r.Holder, r.Token, micros(r.Acquired), micros(r.Renewed), r.Duration.Microseconds(),
			l.name, old.Holder, old.Token, micros(old.Acquired), micros(old.Renewed), old.Duration.Microseconds())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return hakit.LeaseRecord{}, fmt.Errorf("galera: lease %s: update: %w", l.name, err)
	}
	if n == 0 {
		return hakit.LeaseRecord{}, fmt.Errorf("galera: lease %s: update: %w", l.name, hakit.ErrLeaseConflict)
	}
	return stored(r), nil
}
