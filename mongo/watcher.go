package mongo

import (
	"log/slog"
	"maps"
	"sync"

	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// WatcherConfig configures a Watcher. Every callback is optional (nil is
// not called) and is called on the driver's own monitoring goroutine,
// synchronously, in the order the driver reports: it must return quickly
// and must not run operations on the client (the driver holds its topology
// lock while reporting some of these events).
type WatcherConfig struct {
	// OnPrimaryChange is called when the primary the driver sees changes:
	// old or new is "" when there was or is none.
	OnPrimaryChange func(old, new string)
	// OnServerUnknown is called when the driver marks a server Unknown
	// (a failed heartbeat, a not-primary error, a network error; the
	// driver's event does not carry the cause, OnHeartbeatFailed does).
	OnServerUnknown func(addr string)
	// OnHeartbeatFailed is called for every failed heartbeat; id is the
	// driver's monitoring connection id, "host:port[-n]".
	OnHeartbeatFailed func(id string, err error)
	// OnPoolCleared is called when the driver clears a server's
	// connection pool, dropping its idle connections.
	OnPoolCleared func(addr string)
	// Logger, if set, gets one line per change above. Nil means silent.
	Logger *slog.Logger
}

// Watcher follows a client's view of its deployment through the driver's
// own SDAM and connection-pool monitors (event.ServerMonitor,
// event.PoolMonitor): it opens no connection and sends no command of its
// own. Install it with Apply before connecting.
type Watcher struct {
	cfg WatcherConfig

	mu    sync.Mutex
	stats WatcherStats
}

// WatcherStats is a snapshot of what a Watcher has seen.
type WatcherStats struct {
	// Primary is the current primary's address, "" when there is none.
	Primary string
	// Servers maps each server in the driver's topology to its kind as
	// the driver last described it ("RSPrimary", "RSSecondary",
	// "Unknown", ...); a server the driver drops from the topology leaves
	// it.
	Servers           map[string]string
	PrimaryChanges    int
	ServersUnknown    int
	HeartbeatFailures int
	PoolClears        int
}

// NewWatcher returns a Watcher; its config needs no validation.
func NewWatcher(cfg WatcherConfig) *Watcher {
	return &Watcher{cfg: cfg, stats: WatcherStats{Servers: map[string]string{}}}
}

// Apply installs the Watcher's monitors in opts, replacing any there, and
// returns opts.
func (w *Watcher) Apply(opts *options.ClientOptions) *options.ClientOptions {
	return opts.SetServerMonitor(w.ServerMonitor()).SetPoolMonitor(w.PoolMonitor())
}

// ServerMonitor returns the SDAM monitor, for callers that combine it
// with their own.
func (w *Watcher) ServerMonitor() *event.ServerMonitor {
	return &event.ServerMonitor{
		ServerDescriptionChanged:   w.serverChanged,
		TopologyDescriptionChanged: w.topologyChanged,
		ServerHeartbeatFailed:      w.heartbeatFailed,
	}
}

// PoolMonitor returns the connection-pool monitor.
func (w *Watcher) PoolMonitor() *event.PoolMonitor {
	return &event.PoolMonitor{Event: w.poolEvent}
}

// Stats returns a snapshot.
func (w *Watcher) Stats() WatcherStats {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.stats
	s.Servers = maps.Clone(w.stats.Servers)
	return s
}

func (w *Watcher) log(msg string, args ...any) {
	if w.cfg.Logger != nil {
		w.cfg.Logger.Info(msg, args...)
	}
}

func (w *Watcher) serverChanged(e *event.ServerDescriptionChangedEvent) {
	addr := e.Address.String()
	kind := e.NewDescription.Kind
	w.mu.Lock()
	if _, ok := w.stats.Servers[addr]; ok { // not already removed
		w.stats.Servers[addr] = kind
	}
	unknown := kind == "Unknown" && e.PreviousDescription.Kind != "Unknown"
	if unknown {
		w.stats.ServersUnknown++
	}
	w.mu.Unlock()
	if unknown {
		w.log("mongo: server marked Unknown", "addr", addr)
		if w.cfg.OnServerUnknown != nil {
			w.cfg.OnServerUnknown(addr)
		}
	}
}

func (w *Watcher) topologyChanged(e *event.TopologyDescriptionChangedEvent) {
	primary := ""
	servers := map[string]string{}
	for _, s := range e.NewDescription.Servers {
		servers[s.Addr.String()] = s.Kind
		if s.Kind == "RSPrimary" {
			primary = s.Addr.String()
		}
	}
	w.mu.Lock()
	// The topology is the driver's whole list: a server it dropped (no
	// longer listed by the primary) leaves Stats too.
	w.stats.Servers = servers
	old := w.stats.Primary
	changed := primary != old
	if changed {
		w.stats.Primary = primary
		w.stats.PrimaryChanges++
	}
	w.mu.Unlock()
	if changed {
		w.log("mongo: primary changed", "old", old, "new", primary)
		if w.cfg.OnPrimaryChange != nil {
			w.cfg.OnPrimaryChange(old, primary)
		}
	}
}

func (w *Watcher) heartbeatFailed(e *event.ServerHeartbeatFailedEvent) {
	w.mu.Lock()
	w.stats.HeartbeatFailures++
	w.mu.Unlock()
	w.log("mongo: heartbeat failed", "conn", e.ConnectionID, "err", e.Failure)
	if w.cfg.OnHeartbeatFailed != nil {
		w.cfg.OnHeartbeatFailed(e.ConnectionID, e.Failure)
	}
}

func (w *Watcher) poolEvent(e *event.PoolEvent) {
	if e.Type != event.ConnectionPoolCleared {
		return
	}
	w.mu.Lock()
	w.stats.PoolClears++
	w.mu.Unlock()
	w.log("mongo: connection pool cleared", "addr", e.Address)
	if w.cfg.OnPoolCleared != nil {
		w.cfg.OnPoolCleared(e.Address)
	}
}
