package hakit

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Health is a named set of components, Monitors and Electors, that answers
// health probes over HTTP, so that haproxy ("option httpchk"), keepalived or
// any load balancer can probe a service's /healthz:
//
//   - 503 when the Health is in AdminMaint, or any critical component is
//     DOWN (a Monitor DOWN or in MAINT, an Elector LeaderLate);
//   - 404 when the Health is in AdminDrain, or a critical Monitor is
//     draining: HAProxy's "http-check disable-on-404" then stops sending
//     new work but keeps persistent connections;
//   - 200 otherwise.
//
// Components that are not critical are reported in the body but never
// change the answer. The JSON body names each component's state, HAProxy
// check class and a short last error from which credentials (URL
// userinfo, DSN passwords, password=... pairs, bearer tokens) are removed;
// it never carries the raw error.
//
// The zero value is an empty set, which is healthy. Health is safe for
// concurrent use.
type Health struct {
	mu         sync.Mutex
	names      []string
	components map[string]Component
	admin      AdminState
}

// Component is one member of a Health: exactly one of Monitor and Elector.
type Component struct {
	Monitor *Monitor
	Elector *Elector
	// ElectorTimeout is how long past LeaseDuration an Elector that still
	// acts as leader without renewing is reported healthy, client-go's
	// HealthzAdaptor timeout. Zero means DefaultLeaderHealthTimeout.
	ElectorTimeout time.Duration
	// NonCritical components are reported but do not change the answer:
	// a cache whose loss slows the service without stopping it.
	NonCritical bool
}

// HealthReport is the body Health serves.
type HealthReport struct {
	// Status is "UP", "DRAIN", "DOWN" or "MAINT", as the answer is 200,
	// 404, 503 and 503.
	Status     string                     `json:"status"`
	Components map[string]ComponentReport `json:"components"`
}

// ComponentReport is one component's part of a HealthReport.
type ComponentReport struct {
	// Status is HAProxy's notation for a Monitor ("UP", "UP 2/3",
	// "DOWN 1/2", "DOWN", "DRAIN", "MAINT") and the LeaderHealth of an
	// Elector ("LEADING", "LEADING LATE", "FOLLOWING").
	Status string `json:"status"`
	// Up is false for a Monitor DOWN or in MAINT and an Elector
	// LeaderLate.
	Up bool `json:"up"`
	// Critical is false for a component added with NonCritical.
	Critical bool `json:"critical"`
	// CheckStatus is a Monitor's last check class ("L7OK", "L4CON", ...)
	// and CheckCode its layer 5-7 code, as HAProxy's check_status and
	// check_code.
	CheckStatus string `json:"check_status,omitempty"`
	CheckCode   int    `json:"check_code,omitempty"`
	// Checks and Failures count a Monitor's active checks and failed
	// ones; for an Elector, Failures counts failed store calls.
	Checks   uint64 `json:"checks"`
	Failures uint64 `json:"failures"`
	// LastError is the class of the last error and its text with
	// credentials removed, cut to a short length.
	LastError  string    `json:"last_error,omitempty"`
	LastChange time.Time `json:"last_change"`
	// Leader is the holder an Elector last observed.
	Leader string `json:"leader,omitempty"`
}

// Add puts m in the set under name as a critical component. It returns an
// error if the name is empty or taken, or m is nil.
func (h *Health) Add(name string, m *Monitor) error {
	if m == nil {
		return fmt.Errorf("hakit: Health.Add %q: nil Monitor", name)
	}
	return h.AddComponent(name, Component{Monitor: m})
}

// AddComponent puts c in the set under name. It returns an error if the
// name is empty or taken, or c has not exactly one of Monitor and Elector.
func (h *Health) AddComponent(name string, c Component) error {
	if name == "" {
		return fmt.Errorf("hakit: Health.AddComponent: empty component name")
	}
	if (c.Monitor == nil) == (c.Elector == nil) {
		return fmt.Errorf("hakit: Health.AddComponent %q: want exactly one of Component.Monitor and Component.Elector", name)
	}
	if c.ElectorTimeout < 0 {
		return fmt.Errorf("hakit: Health.AddComponent %q: Component.ElectorTimeout %v is negative", name, c.ElectorTimeout)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.components[name]; ok {
		return fmt.Errorf("hakit: Health.AddComponent %q: component already added", name)
	}
	if h.components == nil {
		h.components = make(map[string]Component)
	}
	h.components[name] = c
	h.names = append(h.names, name)
	return nil
}

// SetAdmin sets the administrative state of the whole set: AdminDrain
// answers 404 and AdminMaint 503 whatever the components say, so an
// operator can take an instance out of a pool before stopping it. It
// returns an error for a value that is not one of the AdminState
// constants.
func (h *Health) SetAdmin(a AdminState) error {
	if a < AdminReady || a > AdminMaint {
		return fmt.Errorf("hakit: Health.SetAdmin: %d is not one of the AdminState constants", int(a))
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.admin = a
	return nil
}

// Report returns the state of every component and the overall status.
func (h *Health) Report() HealthReport {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := HealthReport{Components: make(map[string]ComponentReport, len(h.names))}
	down, drain := false, false
	for _, name := range h.names {
		c := h.components[name]
		var cr ComponentReport
		if c.Monitor != nil {
			st := c.Monitor.Stats()
			cr = monitorReport(st)
			drain = drain || (!c.NonCritical && st.Status.Draining())
		} else {
			cr = electorReport(c.Elector, c.ElectorTimeout)
		}
		cr.Critical = !c.NonCritical
		down = down || (cr.Critical && !cr.Up)
		r.Components[name] = cr
	}
	switch {
	case h.admin == AdminMaint:
		r.Status = "MAINT"
	case down:
		r.Status = "DOWN"
	case drain || h.admin == AdminDrain:
		r.Status = "DRAIN"
	default:
		r.Status = "UP"
	}
	return r
}

func monitorReport(s MonitorStats) ComponentReport {
	c := ComponentReport{
		Status:     s.Status.String(),
		Up:         s.Status.State == StateUp,
		Checks:     s.Checks,
		Failures:   s.Failures,
		CheckCode:  s.CheckCode,
		LastChange: s.LastChange,
	}
	switch {
	case s.Status.Admin == AdminMaint:
		// No check runs in maintenance: HAProxy's stats leave
		// check_status and check_code empty rather than show a stale one.
		c.CheckCode = 0
	case s.CheckStatus != CheckInit:
		c.CheckStatus = s.CheckStatus.String()
	}
	if s.LastError != nil {
		class, _ := ClassifyCheckError(s.LastError)
		c.LastError = class.String() + ": " + redact(s.LastError.Error())
	}
	return c
}

func electorReport(e *Elector, timeout time.Duration) ComponentReport {
	lh := e.LeaderHealth(timeout)
	s := e.Stats()
	c := ComponentReport{
		Status:     lh.String(),
		Up:         lh != LeaderLate,
		Leader:     s.Leader,
		Failures:   s.Errors,
		LastChange: s.ObservedAt,
	}
	if s.LastError != nil {
		c.LastError = redact(s.LastError.Error())
	}
	return c
}

// Healthy reports whether the answer is 200: no critical component DOWN,
// nothing draining, no administrative state set.
func (h *Health) Healthy() bool { return h.Report().Status == "UP" }

// ServeHTTP answers 200, 404 or 503 (see Health) with the HealthReport as
// JSON. It never caches: every probe sees the current state.
func (h *Health) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rep := h.Report()
	body, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	switch rep.Status {
	case "DOWN", "MAINT":
		w.WriteHeader(http.StatusServiceUnavailable)
	case "DRAIN":
		w.WriteHeader(http.StatusNotFound)
	}
	w.Write(append(body, '\n'))
}
