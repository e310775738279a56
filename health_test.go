package hakit_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hakit/hakit"
	"github.com/hakit/hakit/hakittest"
)

func TestHealthHandler(t *testing.T) {
	var h hakit.Health
	probe := func() (int, hakit.HealthReport) {
		t.Helper()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
		var rep hakit.HealthReport
		if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil {
			t.Fatalf("body %q: %v", rec.Body, err)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Fatalf("Content-Type %q", ct)
		}
		return rec.Code, rep
	}
	if code, rep := probe(); code != http.StatusOK || rep.Status != "UP" {
		t.Fatalf("empty set: %d %+v, want 200 UP", code, rep)
	}
	db, _ := hakit.NewMonitor(hakit.MonitorConfig{Checker: &hakittest.Checker{}, InitState: hakit.InitStateFullyUp, ErrorLimit: 1, OnError: hakit.OnErrorFailCheck})
	mq, _ := hakit.NewMonitor(hakit.MonitorConfig{Checker: &hakittest.Checker{}, InitState: hakit.InitStateFullyUp})
	if err := h.Add("db", db); err != nil {
		t.Fatal(err)
	}
	if err := h.Add("mq", mq); err != nil {
		t.Fatal(err)
	}
	if err := h.Add("db", mq); err == nil {
		t.Fatal("adding a duplicate name succeeded")
	}
	if err := h.Add("", mq); err == nil {
		t.Fatal("adding an empty name succeeded")
	}
	if err := h.Add("x", nil); err == nil {
		t.Fatal("adding a nil Monitor succeeded")
	}
	db.Report(errDown) // UP 2/3: still in service
	if code, rep := probe(); code != http.StatusOK || rep.Components["db"].Status != "UP 2/3" || !rep.Components["db"].Up {
		t.Fatalf("db going down: %d %+v, want 200 with db UP 2/3", code, rep)
	}
	db.Report(errDown)
	db.Report(errDown)
	code, rep := probe()
	if code != http.StatusServiceUnavailable || rep.Status != "DOWN" || rep.Components["db"].Up || rep.Components["db"].LastError != "UNK: "+errDown.Error() || !rep.Components["mq"].Up {
		t.Fatalf("db down: %d %+v, want 503 DOWN with db's last error", code, rep)
	}
	if h.Healthy() {
		t.Fatal("Healthy() with a component down")
	}
}
