// Command vrrpd runs one VRRP router (package vrrp) on a network interface:
// it adds and removes the virtual addresses on the interface itself, sends
// gratuitous ARP / unsolicited neighbour advertisements, and prints each
// state transition as a JSON line on stdout:
//
//	{"state":"BACKUP","vrid":42}
//
// with state one of INIT, BACKUP, MASTER, FAULT (the first line is the
// settling as BACKUP, or MASTER for priority 255, at start; the last, after
// SIGTERM, is INIT).
//
// Usage:
//
//	vrrpd -iface IF -vrid N -priority P -vip CIDR [-vip CIDR]... [-advert 1s] [-version 3|2]
//	      [-nopreempt] [-preempt-delay D] [-unicast-peer IP]... [-unicast-src IP] [-notify PROG] [-noaccept]
//	vrrpd -f keepalived.conf
//
// With -f, vrrpd runs every vrrp_instance of a keepalived.conf in one
// process, with its vrrp_sync_group, vrrp_script, track_interface,
// track_script, notify and notify_* settings (vrrp.ParseKeepalivedConf
// lists what it reads; any other keyword stops vrrpd before it starts,
// with its file and line, exit 2). Each JSON line then names the
// instance as well:
//
//	{"state":"MASTER","vrid":51,"instance":"VI_1"}
//
// One instance failing to run stops them all (exit 1).
//
// -unicast-src is keepalived's unicast_src_ip: the address (of the
// interface; for IPv6 it may be a global one) that unicast adverts go out
// from and that peers list as their unicast_peer.
//
// Adverts list exactly the -vip addresses (keepalived drops adverts whose
// list differs from its own virtual_ipaddress). IPv6 VIPs are added with
// nodad. -noaccept is keepalived's no_accept (RFC 5798 Accept_Mode False):
// while MASTER, and unless its priority is 255, vrrpd drops packets
// addressed to the VIPs with nftables rules of its own; by default, as
// keepalived outside vrrp_strict for both versions, it accepts them.
//
// -notify runs PROG INSTANCE VRID STATE PRIORITY on each transition, like
// keepalived's notify script (keepalived.conf(5): "INSTANCE" NAME
// MASTER|BACKUP|FAULT|STOP PRIORITY, here with the VRID as the name):
// STATE is MASTER, BACKUP or FAULT, and STOP when vrrpd shuts down (the
// JSON line then says INIT). The calls run one at a time, in order, off
// the router's goroutine, and none is dropped however slow PROG is.
// Logs go to stderr.
//
// SIGTERM (or SIGINT) shuts the router down as RFC 5798 says: a MASTER
// sends a priority 0 advert so that a backup takes over after Skew_Time,
// removes its addresses, and vrrpd exits 0. SIGKILL leaves no goodbye: the
// backups take over after Master_Down_Interval.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hakit/hakit/vrrp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, nil))
}

// listFlag collects a repeated flag.
type listFlag[T any] struct {
	parse func(string) (T, error)
	vals  []T
}

func (l *listFlag[T]) String() string { return fmt.Sprint(l.vals) }
func (l *listFlag[T]) Set(s string) error {
	v, err := l.parse(s)
	if err != nil {
		return err
	}
	l.vals = append(l.vals, v)
	return nil
}

// line is one line of output; Instance is set with -f only.
type line struct {
	State    string `json:"state"`
	VRID     int    `json:"vrid"`
	Instance string `json:"instance,omitempty"`
}

// run is vrrpd with its arguments and streams; link, if not nil, replaces
// the raw-socket link (tests).
func run(ctx context.Context, args []string, stdout, stderr io.Writer, link vrrp.Link) int {
	fs := flag.NewFlagSet("vrrpd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	iface := fs.String("iface", "", "network interface to run on")
	vrid := fs.Uint("vrid", 0, "virtual router id, 1..255")
	prio := fs.Uint("priority", vrrp.DefaultPriority, "priority, 1..255 (255: address owner)")
	vips := &listFlag[netip.Prefix]{parse: func(s string) (netip.Prefix, error) {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return p, err
		}
		return netip.PrefixFrom(p.Addr(), p.Bits()), nil
	}}
	fs.Var(vips, "vip", "virtual address in CIDR form (repeat for more)")
	advert := fs.Duration("advert", vrrp.DefaultInterval, "advertisement interval")
	version := fs.Uint("version", 3, "VRRP version, 3 or 2")
	nopreempt := fs.Bool("nopreempt", false, "do not preempt a lower-priority master")
	preemptDelay := fs.Duration("preempt-delay", 0, "wait this long after seeing a lower-priority master before preempting it")
	peers := &listFlag[netip.Addr]{parse: netip.ParseAddr}
	fs.Var(peers, "unicast-peer", "send adverts to this peer instead of the multicast group (repeat for more)")
	var unicastSrc netip.Addr
	fs.Func("unicast-src", "send unicast adverts from this address of the interface (keepalived's unicast_src_ip)", func(s string) (err error) {
		unicastSrc, err = netip.ParseAddr(s)
		return err
	})
	notify := fs.String("notify", "", "program run as PROG INSTANCE VRID STATE PRIORITY on each transition")
	noaccept := fs.Bool("noaccept", false, "as MASTER (below priority 255), drop packets addressed to the VIPs (keepalived's no_accept)")
	file := fs.String("f", "", "run the VRRP instances of this keepalived.conf instead (no other flag with it)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0 // -h: the usage was asked for
		}
		return 2
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "vrrpd: "+format+"\n", a...)
		fs.Usage()
		return 2
	}
	if *file != "" {
		var others []string
		fs.Visit(func(f *flag.Flag) {
			if f.Name != "f" {
				others = append(others, "-"+f.Name)
			}
		})
		switch {
		case len(others) > 0:
			return usage("-f takes no other flag, got %s", strings.Join(others, " "))
		case fs.NArg() > 0:
			return usage("unexpected arguments %q", fs.Args())
		}
		return runFile(ctx, *file, stdout, stderr, nil)
	}
	switch {
	case fs.NArg() > 0:
		return usage("unexpected arguments %q", fs.Args())
	case *iface == "" && link == nil:
		return usage("-iface is required")
	case *vrid < 1 || *vrid > 255:
		return usage("-vrid %d is not in 1..255", *vrid)
	case *prio < 1 || *prio > 255:
		return usage("-priority %d is not in 1..255", *prio)
	case len(vips.vals) == 0:
		return usage("at least one -vip is required")
	case *version != 2 && *version != 3:
		return usage("-version %d is neither 3 nor 2", *version)
	case *advert <= 0:
		return usage("-advert %v must be positive", *advert)
	}

	log := slog.New(slog.NewTextHandler(stderr, nil))
	var outMu sync.Mutex
	enc := json.NewEncoder(stdout)
	notifier := newNotifier(ctx, log)
	defer notifier.close()
	var r *vrrp.Router
	cfg := vrrp.Config{
		Interface:     *iface,
		VRID:          uint8(*vrid),
		Priority:      uint8(*prio),
		Version:       vrrp.Version(*version),
		VIPs:          vips.vals,
		Interval:      *advert,
		NoPreempt:     *nopreempt,
		PreemptDelay:  *preemptDelay,
		NoAccept:      *noaccept,
		UnicastPeers:  peers.vals,
		UnicastSource: unicastSrc,
		Link:          link,
		Logger:        log,
		OnStateChange: func(t vrrp.Transition) {
			outMu.Lock()
			enc.Encode(line{State: t.To.String(), VRID: int(*vrid)})
			outMu.Unlock()
			if *notify != "" {
				notifier.run([]string{*notify, "INSTANCE", strconv.Itoa(int(*vrid)), notifyState(t.To), strconv.Itoa(int(r.Stats().Priority))})
			}
		},
	}
	r, err := vrrp.New(cfg)
	if err != nil {
		return usage("%s", flagNames(err))
	}
	if err := r.Run(ctx); err != nil {
		fmt.Fprintln(stderr, "vrrpd:", err)
		return 1
	}
	return 0
}

// configFlags maps the vrrp.Config fields that vrrpd sets to the flags
// that set them, longest first where one name contains another.
var configFlags = strings.NewReplacer(
	"UnicastPeers[", "-unicast-peer[",
	"UnicastSource", "-unicast-src",
	"without UnicastPeers", "without -unicast-peer",
	"PreemptDelay", "-preempt-delay",
	"NoPreempt", "-nopreempt",
	"NoAccept", "-noaccept",
	"VIPs' family", "-vip family",
	"VIPs[", "-vip[",
	"VIPs", "-vip",
	"Interval", "-advert",
	"Priority", "-priority",
	"Version", "-version",
	"VRID", "-vrid",
	"Interface", "-iface",
)

// indexRE matches the index a Config error gives a list field.
var indexRE = regexp.MustCompile(`(-unicast-peer|-vip)\[\d+\]`)

// flagNames rewrites an error of vrrp.New, which names Config fields, to
// name vrrpd's flags instead ("Interval 1.5s ..." becomes "-advert 1.5s
// ..."), without the package's prefix and sentinel.
func flagNames(err error) string {
	msg := strings.TrimPrefix(err.Error(), "vrrp: ")
	msg = strings.TrimSuffix(msg, ": "+vrrp.ErrInvalidConfig.Error())
	return indexRE.ReplaceAllString(configFlags.Replace(msg), "$1")
}

// notifier runs the notify programs for each transition, one at a time
// and in order, off the router's goroutine (as keepalived does, a slow
// script never delays adverts). Its queue has no bound: a transition is
// never dropped, and there are at most a few per advert interval.
type notifier struct {
	log  *slog.Logger
	wake chan struct{} // capacity 1: the queue has work, or is closed
	done chan struct{}

	mu     sync.Mutex
	queue  [][]string // command lines, program first
	closed bool
}

func newNotifier(ctx context.Context, log *slog.Logger) *notifier {
	n := &notifier{log: log, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(n.done)
		for range n.wake {
			for {
				n.mu.Lock()
				if len(n.queue) == 0 {
					closed := n.closed
					n.mu.Unlock()
					if closed {
						return
					}
					break
				}
				argv := n.queue[0]
				n.queue[0] = nil
				n.queue = n.queue[1:]
				n.mu.Unlock()
				// The last notification (STOP at shutdown) still runs,
				// with a bound of its own.
				cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
				cmd := exec.CommandContext(cctx, argv[0], argv[1:]...)
				// A child the program leaves in the background may hold its
				// output open: once the program exits, do not wait for it.
				cmd.WaitDelay = notifyWaitDelay
				if out, err := cmd.CombinedOutput(); err != nil && !errors.Is(err, exec.ErrWaitDelay) {
					n.log.Warn("vrrpd: notify", "prog", argv[0], "args", argv[1:], "err", err, "output", string(out))
				}
				cancel()
			}
		}
	}()
	return n
}

// notifyWaitDelay is how long a notify program's output is read after it
// exits or is killed.
const notifyWaitDelay = time.Second

func (n *notifier) signal() {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// notifyState is the STATE argument of the notify program: keepalived's
// names, STOP for the shutdown (keepalived.conf(5); vrrp_notify.c passes
// "STOP" for VRRP_STATE_STOP).
func notifyState(s vrrp.State) string {
	if s == vrrp.StateInit {
		return "STOP"
	}
	return s.String()
}

// run queues one command line; it never blocks on the program.
func (n *notifier) run(argv []string) {
	n.mu.Lock()
	n.queue = append(n.queue, argv)
	n.mu.Unlock()
	n.signal()
}

// close waits for the queued notifications to finish.
func (n *notifier) close() {
	n.mu.Lock()
	n.closed = true
	n.mu.Unlock()
	n.signal()
	<-n.done
}
