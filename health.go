package hakit

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Health is a named set of Monitors that answers health probes over HTTP:
// 200 when every component is UP, 503 otherwise, with a JSON body per
// component, so that haproxy ("option httpchk"), keepalived or any load
// balancer can probe a service's /healthz.
//
// The zero value is an empty set, which is healthy. Health is safe for
// concurrent use.
type Health struct {
	mu         sync.Mutex
	names      []string
	components map[string]*Monitor
}

// HealthReport is the body Health serves.
type HealthReport struct {
	// Status is "UP" when every component is UP, else "DOWN".
	Status     string                     `json:"status"`
	Components map[string]ComponentReport `json:"components"`
}

// ComponentReport is one component's part of a HealthReport.
type ComponentReport struct {
	// Status is HAProxy's notation: "UP", "UP 2/3", "DOWN 1/2", "DOWN".
	Status     string    `json:"status"`
	Up         bool      `json:"up"`
	Checks     uint64    `json:"checks"`
	Failures   uint64    `json:"failures"`
	LastError  string    `json:"last_error,omitempty"`
	LastChange time.Time `json:"last_change"`
}

// Add puts m in the set under name. It returns an error if the name is empty
// or taken, or m is nil.
func (h *Health) Add(name string, m *Monitor) error {
	if name == "" {
		return fmt.Errorf("hakit: Health.Add: empty component name")
	}
	if m == nil {
		return fmt.Errorf("hakit: Health.Add %q: nil Monitor", name)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.components[name]; ok {
		return fmt.Errorf("hakit: Health.Add %q: component already added", name)
	}
	if h.components == nil {
		h.components = make(map[string]*Monitor)
	}
	h.components[name] = m
	h.names = append(h.names, name)
	return nil
}

// Report returns the state of every component.
func (h *Health) Report() HealthReport {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := HealthReport{Status: StateUp.String(), Components: make(map[string]ComponentReport, len(h.names))}
	for _, name := range h.names {
		s := h.components[name].Stats()
		c := ComponentReport{
			Status:     s.Status.String(),
			Up:         s.Status.State == StateUp,
			Checks:     s.Checks,
			Failures:   s.Failures,
			LastChange: s.LastChange,
		}
		if s.LastError != nil {
			c.LastError = s.LastError.Error()
		}
		if !c.Up {
			r.Status = StateDown.String()
		}
		r.Components[name] = c
	}
	return r
}

// Healthy reports whether every component is UP.
func (h *Health) Healthy() bool { return h.Report().Status == StateUp.String() }

// ServeHTTP answers 200 when every component is UP and 503 otherwise, with
// the HealthReport as JSON. It never caches: every probe sees the current
// state.
func (h *Health) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rep := h.Report()
	body, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if rep.Status != StateUp.String() {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	w.Write(append(body, '\n'))
}
