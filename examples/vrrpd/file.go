package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/hakit/hakit/vrrp"
)

// runFile is vrrpd -f: the vrrp_instance blocks of a keepalived.conf, one
// Router each, in one process; the JSON lines name the instance. linkFor,
// if not nil, gives each instance its Link (tests).
func runFile(ctx context.Context, path string, stdout, stderr io.Writer, linkFor func(name string) vrrp.Link) int {
	abs, err := filepath.Abs(path)
	if err != nil {
		fmt.Fprintln(stderr, "vrrpd:", err)
		return 2
	}
	// The file system is the root, whose paths have no leading "/": put
	// it back in the positions reported.
	rooted := func(err error) error {
		if fe, ok := errors.AsType[*vrrp.ConfFileError](err); ok {
			fe.File = "/" + fe.File
		}
		return err
	}
	conf, err := vrrp.ParseKeepalivedConf(os.DirFS("/"), strings.TrimPrefix(abs, "/"))
	if err != nil {
		fmt.Fprintln(stderr, "vrrpd:", rooted(err))
		return 2
	}
	cfgs, err := conf.RouterConfigs()
	if err != nil {
		fmt.Fprintln(stderr, "vrrpd:", rooted(err))
		return 2
	}
	if len(cfgs) == 0 {
		fmt.Fprintf(stderr, "vrrpd: %s has no vrrp_instance\n", path)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	var outMu sync.Mutex
	enc := json.NewEncoder(stdout)
	routers := make([]*vrrp.Router, len(cfgs))
	for i, cfg := range cfgs {
		in := conf.Instances[i]
		// One queue per instance: its scripts run in order, and a slow
		// one holds up no other instance's (keepalived runs each as it
		// comes).
		notifier := newNotifier(ctx, log)
		defer notifier.close()
		cfg.Logger = log.With("instance", in.Name)
		if linkFor != nil {
			cfg.Link = linkFor(in.Name)
		}
		cfg.OnStateChange = func(t vrrp.Transition) {
			outMu.Lock()
			enc.Encode(line{State: t.To.String(), VRID: int(cfg.VRID), Instance: in.Name})
			outMu.Unlock()
			// keepalived runs the state's own script, then notify with
			// "INSTANCE" NAME STATE PRIORITY appended.
			if argv := stateScript(in, t.To); argv != nil {
				notifier.run(argv)
			}
			if in.Notify != nil {
				prio := strconv.Itoa(int(routers[i].Stats().Priority))
				notifier.run(append(slices.Clone(in.Notify), "INSTANCE", in.Name, notifyState(t.To), prio))
			}
		}
		r, err := vrrp.New(cfg)
		if err != nil {
			fmt.Fprintf(stderr, "vrrpd: /%s:%d: vrrp_instance %s: %v\n", in.File, in.Line, in.Name, err)
			return 2
		}
		routers[i] = r
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, len(routers))
	var wg sync.WaitGroup
	for i, r := range routers {
		wg.Go(func() {
			if err := r.Run(ctx); err != nil {
				errs <- fmt.Errorf("vrrp_instance %s: %w", conf.Instances[i].Name, err)
				cancel() // one instance failing stops them all, as keepalived exits
			}
		})
	}
	wg.Wait()
	close(errs)
	code := 0
	for err := range errs {
		fmt.Fprintln(stderr, "vrrpd:", err)
		code = 1
	}
	return code
}

// stateScript is the instance's notify_master, notify_backup,
// notify_fault or notify_stop for state s, nil if it has none.
func stateScript(in vrrp.KeepalivedInstance, s vrrp.State) []string {
	switch s {
	case vrrp.StateMaster:
		return in.NotifyMaster
	case vrrp.StateBackup:
		return in.NotifyBackup
	case vrrp.StateFault:
		return in.NotifyFault
	case vrrp.StateInit:
		return in.NotifyStop
	}
	return nil
}
