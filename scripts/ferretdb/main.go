// Command ferretdb serves the MongoDB wire protocol for hakit's integration
// tests: FerretDB embedded with its SQLite backend, listening on one TCP
// address. scripts/services.sh builds and starts it; it is not part of the
// hakit module.
//
// Usage:
//
//	ferretdb -listen 127.0.0.1:27117 -dir /var/tmp/hakit/ferretdb/data
//	ferretdb -ping 127.0.0.1:27117
//
// It runs until SIGINT or SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27117", "TCP address of the MongoDB wire protocol listener")
	dir := flag.String("dir", "data", "directory of the SQLite databases")
	level := flag.String("log-level", "warn", "log level: debug, info, warn or error")
	pingAddr := flag.String("ping", "", "instead of serving, ping the server at this address and exit 0 if it answers")
	flag.Parse()

	if *pingAddr != "" {
		if err := ping(*pingAddr); err != nil {
			fmt.Fprintln(os.Stderr, "ferretdb: ping:", err)
			os.Exit(1)
		}
		return
	}

	if err := run(*listen, *dir, *level); err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb:", err)
		os.Exit(1)
	}
}

func run(listen, dir, level string) error {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))

	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("-dir: %w", err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return fmt.Errorf("-dir: %w", err)
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: listen},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + abs + "/",
	})
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	logger.Warn("ferretdb: serving", "listen", listen, "dir", abs)
	return f.Run(ctx)
}
