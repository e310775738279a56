// Command clustercheck serves Percona clustercheck's HTTP answers for one
// Galera node, so haproxy's "option httpchk" can check it:
//
//	clustercheck -dsn DSN -listen ADDR [-available-when-donor] [-available-when-readonly=false] [-timeout D]
//
// Every request gets Percona clustercheck's answers, byte for byte: 200
// "Percona XtraDB Cluster Node is synced.\r\n" when the node in DSN is in
// the Primary component and Synced (wsrep_local_state 4), or
// Donor/Desynced (2) with -available-when-donor; and 503 otherwise:
// "Percona XtraDB Cluster Node is read-only.\r\n" when read_only=ON and
// -available-when-readonly=false, "Percona XtraDB Cluster Node is not
// synced or non-PRIM. \r\n" when the node is not Primary, in another
// state, in pxc_maint_mode, or cannot be queried within -timeout (default
// 1s, covering dial, handshake and queries). The cause of a 503 is in the
// X-Galera-Reason header and the log. Logs go to stderr.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hakit/hakit/galera"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "clustercheck:", err)
		os.Exit(1)
	}
}

// run serves until ctx is done.
func run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("clustercheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dsn := fs.String("dsn", "", "go-sql-driver DSN of the node to check, e.g. user:pass@tcp(127.0.0.1:3306)/")
	listen := fs.String("listen", "", "HTTP listen address, e.g. 127.0.0.1:9200")
	donor := fs.Bool("available-when-donor", false, "report a Donor/Desynced node (state 2) available")
	readonly := fs.Bool("available-when-readonly", true, "report a node with read_only=ON available")
	timeout := fs.Duration("timeout", time.Second, "bound on dial, handshake and queries of one check")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil // -h: the usage was asked for
		}
		return err
	}
	if *dsn == "" || *listen == "" {
		fs.Usage()
		return errors.New("-dsn and -listen are required")
	}
	if *timeout <= 0 {
		return fmt.Errorf("-timeout %v must be positive", *timeout)
	}
	cfg, err := galera.ParseDSN(*dsn)
	if err != nil {
		return fmt.Errorf("-dsn: %w", err)
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	checker, err := galera.NewChecker(galera.CheckerConfig{
		Driver:  cfg,
		Timeout: *timeout,
		Policy:  galera.Policy{AvailableWhenDonor: *donor, UnavailableWhenReadOnly: !*readonly},
		Logger:  log,
	})
	if err != nil {
		return err
	}
	defer checker.Close()

	srv := &http.Server{Addr: *listen, Handler: galera.Handler{Checker: checker}, ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("clustercheck: serving", "listen", *listen, "node", cfg.Addr)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}
