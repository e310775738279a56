package lb

import (
	"time"

	"github.com/hakit/hakit"
)

// ServerStats is a snapshot of one server's state and counters, the
// columns of HAProxy's stats for a server row.
type ServerStats struct {
	Name                  string
	Backup                bool
	Admin                 AdminState
	Checked               bool         // has an active check
	Health                hakit.Status // valid when Checked
	Up                    bool         // UP by its check (always without one)
	Ejected               bool
	Weight                int // user weight
	EffectiveWeight       int // after slow start, in user units
	Conns, MaxConns       int64
	Total                 int64
	Queued, QueueMax      int64
	MaxConn               int
	BytesIn, BytesOut     int64
	ConnectErrors         int64
	ResponseErrors        int64
	Retries, Redispatches int64
	Responses             [6]int64 // 1xx..5xx, other
	CheckFailures, Downs  uint64
	LastChange            time.Time
	Downtime              time.Duration
	LastCheckDuration     time.Duration
	ErrorLimitHits        uint64
}

// BackendStats is a snapshot of a backend.
type BackendStats struct {
	Name               string
	Servers            []ServerStats
	Queued, QueueMax   int64
	Total              int64
	QueueTimeouts      int64
	Up                 bool // some server is usable
	ActiveUp, BackupUp int
	LastChange         time.Time
	Downtime           time.Duration
	Downs              uint64
}

// Stats returns a snapshot of the backend and its servers.
func (b *Backend) Stats() BackendStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	st := BackendStats{
		Name: b.cfg.Name, Queued: b.qcur.Load(), QueueMax: b.qmax.Load(),
		Total: b.tot.Load(), QueueTimeouts: b.eq.Load(), Up: b.anyUsableLocked(now),
		LastChange: b.lastChg, Downtime: b.downSum, Downs: b.chkDownBackend,
	}
	if !st.Up {
		st.Downtime += now.Sub(b.downAt)
	}
	for _, s := range b.servers {
		ss := ServerStats{
			Name: s.cfg.Name, Backup: s.cfg.Backup, Admin: s.admin, Checked: s.mon != nil,
			Up: s.up, Ejected: now.Before(s.ejected), Weight: s.uweight,
			EffectiveWeight: (s.eweight + weightScale - 1) / weightScale,
			Conns:           s.cur.Load(), MaxConns: s.max.Load(), Total: s.tot.Load(),
			Queued: s.queued.Load(), QueueMax: s.qmax.Load(), MaxConn: s.cfg.MaxConn,
			BytesIn: s.bin.Load(), BytesOut: s.bout.Load(),
			ConnectErrors: s.econ.Load(), ResponseErrors: s.eresp.Load(),
			Retries: s.retr.Load(), Redispatches: s.redisp.Load(),
			Downs: s.chkDown, LastChange: s.lastChg, Downtime: s.downSum,
		}
		if !s.downAt.IsZero() {
			ss.Downtime += now.Sub(s.downAt)
		}
		for i := range s.hrsp {
			ss.Responses[i] = s.hrsp[i].Load()
		}
		if s.mon != nil {
			ms := s.mon.Stats()
			ss.Health = ms.Status
			ss.CheckFailures = ms.Failures
			ss.LastCheckDuration = ms.LastCheckDuration
			ss.ErrorLimitHits = ms.ErrorLimitHits
		}
		if s.usable(now) {
			if s.cfg.Backup {
				st.BackupUp++
			} else {
				st.ActiveUp++
			}
		}
		st.Servers = append(st.Servers, ss)
	}
	return st
}

// FrontendStats is a snapshot of a frontend.
type FrontendStats struct {
	Name              string
	Conns, MaxConns   int64
	Total             int64
	BytesIn, BytesOut int64
	Responses         [6]int64
	MaxConn           int
}

// Stats returns a snapshot of the frontend.
func (f *Frontend) Stats() FrontendStats {
	st := FrontendStats{Name: f.cfg.Name, Conns: f.cur.Load(), MaxConns: f.max.Load(), Total: f.tot.Load(),
		BytesIn: f.bin.Load(), BytesOut: f.bout.Load(), MaxConn: f.cfg.MaxConn}
	for i := range f.hrsp {
		st.Responses[i] = f.hrsp[i].Load()
	}
	return st
}
