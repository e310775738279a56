package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/hakit/hakit"
	"github.com/hakit/hakit/galera"
)

func init() { backends["galera"] = openGaleraLease }

// defaultGaleraDB holds the lease table when the DSN names no database.
const defaultGaleraDB = "hakit"

// openGaleraLease opens a galera.Lease named name in the database of the
// go-sql-driver DSN addr (defaultGaleraDB when it names none), creating the
// database and the lease table if missing. Writes go through a
// galera.Router over the DSN's node, so a node outside the Primary
// component answers galera.ErrNoWriter at once.
func openGaleraLease(ctx context.Context, addr, name string) (hakit.Lease, func() error, error) {
	cfg, err := galera.ParseDSN(addr)
	if err != nil {
		return nil, nil, err
	}
	if cfg.DBName == "" {
		cfg.DBName = defaultGaleraDB
	}
	if strings.ContainsAny(cfg.DBName, "`\x00") {
		return nil, nil, fmt.Errorf("galera: database name %q in the DSN has a backquote or NUL", cfg.DBName)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 2 * time.Second
	}
	if cfg.ReadTimeout == 0 {
		// A commit may stall for the few seconds Galera takes to evict a
		// dead member; anything longer is a failure the Elector retries.
		cfg.ReadTimeout = 10 * time.Second
	}
	admin := cfg.Clone()
	admin.DBName = ""
	ac, err := mysql.NewConnector(admin)
	if err != nil {
		return nil, nil, err
	}
	adb := sql.OpenDB(ac)
	_, err = galera.RetryExec(ctx, adb, galera.RetryConfig{Interval: 100 * time.Millisecond, MaxRetries: 5},
		"CREATE DATABASE IF NOT EXISTS `"+cfg.DBName+"`")
	adb.Close()
	if err != nil {
		return nil, nil, fmt.Errorf("galera: create database %s on %s: %w", cfg.DBName, cfg.Addr, err)
	}

	router, err := galera.NewRouter(galera.RouterConfig{
		Nodes:         []galera.NodeConfig{{Addr: cfg.Addr}},
		Driver:        cfg,
		ProbeInterval: 500 * time.Millisecond,
	})
	if err != nil {
		return nil, nil, err
	}
	rctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = router.Run(rctx)
	}()
	db := sql.OpenDB(router.Writer())
	lease, err := galera.NewLease(galera.LeaseConfig{DB: db, Name: name})
	closeAll := func() error {
		err := db.Close()
		cancel()
		<-done
		return err
	}
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	if err := lease.CreateTable(ctx); err != nil {
		closeAll()
		return nil, nil, err
	}
	return lease, closeAll, nil
}
