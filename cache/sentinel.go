package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/hakit/hakit"
	"github.com/redis/go-redis/v9"
)

// SentinelMasterAddr asks a Sentinel for the address of the master it
// knows as name (SENTINEL GET-MASTER-ADDR-BY-NAME), as "ip:port".
func SentinelMasterAddr(ctx context.Context, s *redis.SentinelClient, name string) (string, error) {
	hp, err := s.GetMasterAddrByName(ctx, name).Result()
	if err != nil {
		return "", fmt.Errorf("cache: sentinel master %q: %w", name, err)
	}
	if len(hp) != 2 {
		return "", fmt.Errorf("cache: sentinel master %q: answer %v: %w", name, hp, ErrUnhealthy)
	}
	return net.JoinHostPort(hp[0], hp[1]), nil
}

// SentinelChecker is a hakit.Checker of a Sentinel's view of one master:
// it passes when the Sentinel knows the master's address and SENTINEL
// CKQUORUM says enough Sentinels are reachable to reach the quorum and to
// authorize a failover.
type SentinelChecker struct {
	Sentinel   *redis.SentinelClient
	MasterName string
}

var _ hakit.Checker = SentinelChecker{}

// Check implements hakit.Checker.
func (c SentinelChecker) Check(ctx context.Context) error {
	if _, err := SentinelMasterAddr(ctx, c.Sentinel, c.MasterName); err != nil {
		return err
	}
	if err := c.Sentinel.CkQuorum(ctx, c.MasterName).Err(); err != nil {
		var rerr redis.Error
		if errors.As(err, &rerr) {
			// NOQUORUM, or an unknown master: an answer.
			return fmt.Errorf("cache: sentinel CKQUORUM %s: %w (%w)", c.MasterName, ErrUnhealthy, err)
		}
		return fmt.Errorf("cache: sentinel CKQUORUM %s: %w", c.MasterName, err)
	}
	return nil
}

// SentinelWatcherConfig configures a SentinelWatcher.
type SentinelWatcherConfig struct {
	// Addrs are the Sentinels' host:port. The watcher listens to one at a
	// time and moves to the next when it fails. Required.
	Addrs []string
	// MasterName, if not empty, keeps only the events about that master
	// (and its replicas and sentinels).
	MasterName string
	// NewClient, if not nil, makes the client for one Sentinel (for
	// passwords or TLS); nil means redis.NewSentinelClient with Addr only.
	NewClient func(addr string) *redis.SentinelClient
	// RetryInterval is the wait before trying the next Sentinel after one
	// failed. Zero means one second.
	RetryInterval time.Duration
	// PingInterval is how long the watcher waits for a message before it
	// pings the Sentinel to see that the subscription is alive. Zero
	// means 5 seconds.
	PingInterval time.Duration

	// Callbacks, each optional, are called one at a time, in the order
	// Sentinel published the events, on the goroutine of Run. They may
	// block, holding back the events behind them.

	// OnEvent gets every event.
	OnEvent func(SentinelEvent)
	// OnSDown gets +sdown (down true) and -sdown (down false).
	OnSDown func(ev SentinelEvent, down bool)
	// OnODown gets +odown (down true) and -odown (down false).
	OnODown func(ev SentinelEvent, down bool)
	// OnSwitchMaster gets +switch-master: ev.MasterName() moved from
	// ev.OldMaster.Addr() to ev.Instance.Addr().
	//
	// Sentinel does not replay events published while the watcher was
	// not subscribed (between two Sentinels, or before a reconnect), so
	// when MasterName is set the watcher also asks each Sentinel it
	// subscribes to for the master's address and config epoch (SENTINEL
	// MASTER, after the subscription is confirmed, so that no switch
	// falls between the two). An answer whose config-epoch is below the
	// highest seen comes from a Sentinel that has not yet heard of the
	// last failover: it is ignored (Stats().Stale), never reported as a
	// switch back to the old master. Otherwise, if the address differs
	// from the last one it saw, by event or by asking, it delivers a
	// +switch-master it makes itself, from the last address to the new
	// one, to OnEvent and OnSwitchMaster (counted in Stats().Missed).
	// The first answer after Run starts only sets the address.
	OnSwitchMaster func(ev SentinelEvent)
	// OnFailoverEnd gets +failover-end.
	OnFailoverEnd func(ev SentinelEvent)
	// OnConnect gets the address of each Sentinel the watcher subscribes
	// to.
	OnConnect func(addr string)

	// Logger, if not nil, gets connections, failures and malformed
	// events.
	Logger *slog.Logger
}

// SentinelWatcherStats is a snapshot of a SentinelWatcher.
type SentinelWatcherStats struct {
	Sentinel  string // the Sentinel listened to now, or ""
	Connects  int    // subscriptions made
	Events    int    // events delivered
	Malformed int    // messages that did not parse
	Failures  int    // Sentinels that failed
	Missed    int    // master switches found by asking on (re)subscribe
	Master    string // last address of MasterName seen, or ""
	Epoch     int64  // config epoch of Master: as a Sentinel gave it, or a lower bound after a published switch
	Stale     int    // answers on (re)subscribe older than Epoch, ignored
	LastError error
}

// SentinelWatcher subscribes to a Sentinel's pub/sub events (all of them,
// PSUBSCRIBE *) and turns them into callbacks. It does not route traffic:
// use it next to go-redis' FailoverClient, which follows +switch-master on
// its own, to log, alert or fence when the master moves.
type SentinelWatcher struct {
	cfg SentinelWatcherConfig

	mu    sync.Mutex
	stats SentinelWatcherStats
}

// NewSentinelWatcher validates cfg and returns a watcher. It does no I/O.
func NewSentinelWatcher(cfg SentinelWatcherConfig) (*SentinelWatcher, error) {
	if len(cfg.Addrs) == 0 {
		return nil, errors.New("cache: SentinelWatcherConfig.Addrs is empty")
	}
	if cfg.RetryInterval < 0 {
		return nil, fmt.Errorf("cache: SentinelWatcherConfig.RetryInterval %v is negative", cfg.RetryInterval)
	}
	if cfg.PingInterval < 0 {
		return nil, fmt.Errorf("cache: SentinelWatcherConfig.PingInterval %v is negative", cfg.PingInterval)
	}
	if cfg.RetryInterval == 0 {
		cfg.RetryInterval = time.Second
	}
	if cfg.PingInterval == 0 {
		cfg.PingInterval = 5 * time.Second
	}
	if cfg.NewClient == nil {
		cfg.NewClient = func(addr string) *redis.SentinelClient {
			return redis.NewSentinelClient(&redis.Options{Addr: addr})
		}
	}
	cfg.Addrs = append([]string(nil), cfg.Addrs...)
	return &SentinelWatcher{cfg: cfg}, nil
}

// Stats returns a snapshot of the watcher.
func (w *SentinelWatcher) Stats() SentinelWatcherStats {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stats
}

// Run listens until ctx is done, moving from Sentinel to Sentinel as they
// fail, and returns ctx's error.
func (w *SentinelWatcher) Run(ctx context.Context) error {
	for i := 0; ; i = (i + 1) % len(w.cfg.Addrs) {
		addr := w.cfg.Addrs[i]
		err := w.listen(ctx, addr)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		w.mu.Lock()
		w.stats.Sentinel = ""
		w.stats.Failures++
		w.stats.LastError = err
		w.mu.Unlock()
		if w.cfg.Logger != nil {
			w.cfg.Logger.Warn("cache: sentinel subscription failed", "sentinel", addr, "err", err)
		}
		t := time.NewTimer(w.cfg.RetryInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// listen subscribes to one Sentinel and delivers its events until it
// fails or ctx is done.
//
// A Sentinel that died without closing the connection (a host gone, a
// partition) leaves a half-open socket on which writes still succeed, so
// a PING that was merely sent proves nothing. After a quiet PingInterval
// the watcher sends a PING and requires its pong, or any other message,
// within the next PingInterval; otherwise the Sentinel counts as failed
// and the watcher moves to the next one (the health check go-redis'
// PubSub.Channel does). The subscription itself must also be confirmed
// within PingInterval. Cancelling ctx closes the subscription at once.
func (w *SentinelWatcher) listen(ctx context.Context, addr string) error {
	sc := w.cfg.NewClient(addr)
	defer sc.Close()
	ps := sc.PSubscribe(ctx, "*")
	defer ps.Close()
	// Reads on the subscription do not watch ctx: close it when ctx ends.
	stop := context.AfterFunc(ctx, func() { ps.Close() })
	defer stop()
	if _, err := ps.ReceiveTimeout(ctx, w.cfg.PingInterval); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("cache: sentinel %s: subscribe: %w", addr, err)
	}
	w.mu.Lock()
	w.stats.Sentinel = addr
	w.stats.Connects++
	w.mu.Unlock()
	if w.cfg.Logger != nil {
		w.cfg.Logger.Info("cache: listening to sentinel events", "sentinel", addr)
	}
	if w.cfg.OnConnect != nil {
		w.cfg.OnConnect(addr)
	}
	if err := w.catchUp(ctx, sc, addr); err != nil {
		return err
	}
	pinged := false // a PING is out and nothing has come since
	for {
		msg, err := ps.ReceiveTimeout(ctx, w.cfg.PingInterval)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				return fmt.Errorf("cache: sentinel %s: %w", addr, err)
			}
			if pinged {
				return fmt.Errorf("cache: sentinel %s: no answer to PING within %v: %w", addr, w.cfg.PingInterval, err)
			}
			// Quiet: check the subscription is alive.
			if err := ps.Ping(ctx); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return fmt.Errorf("cache: sentinel %s: ping: %w", addr, err)
			}
			pinged = true
			continue
		}
		pinged = false
		switch m := msg.(type) {
		case *redis.Message:
			w.deliver(m.Channel, m.Payload)
		case *redis.Subscription, *redis.Pong:
		}
	}
}

// catchUp asks the Sentinel for MasterName's address and, if it moved
// since the last address seen, delivers a +switch-master for the switch
// the watcher missed. Only an unanswered question fails the Sentinel; an
// error reply or an unknown master is logged.
func (w *SentinelWatcher) catchUp(ctx context.Context, sc *redis.SentinelClient, addr string) error {
	if w.cfg.MasterName == "" {
		return nil
	}
	qctx, cancel := context.WithTimeout(ctx, w.cfg.PingInterval)
	defer cancel()
	// go-redis puts a context's deadline on the socket only with
	// ContextTimeoutEnabled, and otherwise waits out its ReadTimeout and
	// retries: closing the client at the deadline bounds the question
	// whatever options NewClient chose.
	closeAtDeadline := context.AfterFunc(qctx, func() { sc.Close() })
	m, err := sc.Master(qctx, w.cfg.MasterName).Result()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if answeredInTime := closeAtDeadline(); !answeredInTime {
		return fmt.Errorf("cache: sentinel %s: sentinel master: no answer within %v", addr, w.cfg.PingInterval)
	}
	var rerr redis.Error
	var cur SentinelInstance
	var epoch int64
	if err == nil {
		cur, epoch, err = parseSentinelMaster(addr, w.cfg.MasterName, m)
	} else if errors.As(err, &rerr) || errors.Is(err, redis.Nil) {
		err = fmt.Errorf("cache: sentinel %s: master %q: %w", addr, w.cfg.MasterName, err)
	} else {
		return fmt.Errorf("cache: sentinel %s: sentinel master: %w", addr, err)
	}
	if err != nil {
		w.mu.Lock()
		w.stats.LastError = err
		w.mu.Unlock()
		if w.cfg.Logger != nil {
			w.cfg.Logger.Warn("cache: sentinel did not give the master's address", "err", err)
		}
		return nil
	}
	w.mu.Lock()
	if epoch < w.stats.Epoch {
		// This Sentinel has not yet heard of the last failover seen.
		known, seen := w.stats.Epoch, w.stats.Master
		w.stats.Stale++
		w.mu.Unlock()
		if w.cfg.Logger != nil {
			w.cfg.Logger.Warn("cache: sentinel's configuration is older than the one seen; ignored", "sentinel", addr,
				"master", w.cfg.MasterName, "addr", cur.Addr(), "epoch", epoch, "known_epoch", known, "known_addr", seen)
		}
		return nil
	}
	w.stats.Epoch = epoch
	last := w.stats.Master
	w.stats.Master = cur.Addr()
	missed := last != "" && last != cur.Addr()
	if missed {
		w.stats.Missed++
		w.stats.Events++
	}
	w.mu.Unlock()
	if !missed {
		return nil
	}
	old := cur
	old.IP, old.Port = splitAddr(last)
	ev := SentinelEvent{Channel: EventSwitchMaster, Instance: cur, OldMaster: old}
	if w.cfg.Logger != nil {
		w.cfg.Logger.Warn("cache: master switched while not subscribed", "sentinel", addr, "master", w.cfg.MasterName, "from", last, "to", cur.Addr())
	}
	if w.cfg.OnEvent != nil {
		w.cfg.OnEvent(ev)
	}
	if w.cfg.OnSwitchMaster != nil {
		w.cfg.OnSwitchMaster(ev)
	}
	return nil
}

// parseSentinelMaster reads the address and config epoch of master name
// from a SENTINEL MASTER reply of the Sentinel at addr.
func parseSentinelMaster(addr, name string, m map[string]string) (SentinelInstance, int64, error) {
	port, ok := parsePort(m["port"])
	if m["ip"] == "" || !ok {
		return SentinelInstance{}, 0, fmt.Errorf("cache: sentinel %s: master %q: address %q port %q: %w", addr, name, m["ip"], m["port"], ErrUnhealthy)
	}
	epoch, err := strconv.ParseInt(m["config-epoch"], 10, 64)
	if err != nil || epoch < 0 {
		return SentinelInstance{}, 0, fmt.Errorf("cache: sentinel %s: master %q: config-epoch %q: %w", addr, name, m["config-epoch"], ErrUnhealthy)
	}
	return SentinelInstance{Type: "master", Name: name, IP: m["ip"], Port: port}, epoch, nil
}

// splitAddr splits an address made by SentinelInstance.Addr.
func splitAddr(a string) (string, int) {
	h, p, _ := net.SplitHostPort(a)
	n, _ := strconv.Atoi(p)
	return h, n
}

// deliver parses one message and calls the callbacks.
func (w *SentinelWatcher) deliver(channel, payload string) {
	ev, err := ParseSentinelEvent(channel, payload)
	if err != nil {
		w.mu.Lock()
		w.stats.Malformed++
		w.stats.LastError = err
		w.mu.Unlock()
		if w.cfg.Logger != nil {
			w.cfg.Logger.Warn("cache: malformed sentinel event", "err", err)
		}
		return
	}
	if w.cfg.MasterName != "" && ev.MasterName() != w.cfg.MasterName {
		return
	}
	w.mu.Lock()
	w.stats.Events++
	if ev.Channel == EventSwitchMaster && w.cfg.MasterName != "" && w.stats.Master != ev.Instance.Addr() {
		// The event carries no epoch, but the configuration it announces
		// is newer than the one known: its epoch is at least one more.
		w.stats.Master = ev.Instance.Addr()
		w.stats.Epoch++
	}
	w.mu.Unlock()
	if w.cfg.OnEvent != nil {
		w.cfg.OnEvent(ev)
	}
	switch ev.Channel {
	case EventSDown, EventSDownEnd:
		if w.cfg.OnSDown != nil {
			w.cfg.OnSDown(ev, ev.Channel == EventSDown)
		}
	case EventODown, EventODownEnd:
		if w.cfg.OnODown != nil {
			w.cfg.OnODown(ev, ev.Channel == EventODown)
		}
	case EventSwitchMaster:
		if w.cfg.OnSwitchMaster != nil {
			w.cfg.OnSwitchMaster(ev)
		}
	case EventFailoverEnd:
		if w.cfg.OnFailoverEnd != nil {
			w.cfg.OnFailoverEnd(ev)
		}
	}
}
