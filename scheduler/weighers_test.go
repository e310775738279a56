package scheduler

import (
	"math"
	"testing"
)

func weighedMap(t *testing.T, cfg Config, hosts []HostState, spec *RequestSpec) map[string]float64 {
	t.Helper()
	if cfg.Filters == nil {
		cfg.Filters = []string{}
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.ScheduleHosts(hosts, spec)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]float64{}
	for _, w := range d.Weighed {
		m[w.Host] = w.Weight
	}
	return m
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

func TestNormalize(t *testing.T) {
	ws := []float64{110, 20, 10, 80, 50, 90}
	normalize(ws, 0, 0, false, false)
	for i, want := range []float64{1, 0.1, 0, 0.7, 0.4, 0.8} {
		if !near(ws[i], want) {
			t.Errorf("normalize[%d] = %v, want %v", i, ws[i], want)
		}
	}
	eq := []float64{5, 5, 5}
	normalize(eq, 0, 0, false, false)
	for _, w := range eq {
		if w != 0 {
			t.Errorf("equal weights normalize to %v, want 0", w)
		}
	}
	// nova's RAMWeigher sets minval = 0: weights are scaled from 0, not from
	// the smallest one.
	ram := []float64{1000, 500}
	normalize(ram, 0, 0, true, false)
	if ram[0] != 1 || ram[1] != 0.5 {
		t.Errorf("normalize from 0 = %v, want [1 0.5]", ram)
	}
}

func TestResourceWeighers(t *testing.T) {
	hosts := []HostState{
		host("a", func(h *HostState) { h.FreeRAMMB, h.FreeDiskMB, h.VCPUsUsed, h.NumIOOps = 4096, 1000, 0, 0 }),
		host("b", func(h *HostState) { h.FreeRAMMB, h.FreeDiskMB, h.VCPUsUsed, h.NumIOOps = 1024, 4000, 64, 4 }),
		host("c", func(h *HostState) { h.FreeRAMMB, h.FreeDiskMB, h.VCPUsUsed, h.NumIOOps = -512, 2000, 200, 2 }),
	}
	spec := &RequestSpec{}
	got := weighedMap(t, Config{Weighers: []string{"RAMWeigher"}}, hosts, spec)
	// free RAM is clamped at 0 and scaled from 0: 1, 0.25, 0
	if !near(got["a"], 1) || !near(got["b"], 0.25) || !near(got["c"], 0) {
		t.Errorf("RAMWeigher %v", got)
	}
	got = weighedMap(t, Config{Weighers: []string{"RAMWeigher"}, RAMWeightMultiplier: new(-1.0)}, hosts, spec)
	if !near(got["a"], -1) || !near(got["b"], -0.25) {
		t.Errorf("RAMWeigher stacking %v", got)
	}
	// vCPUs free: 8*16-0 = 128, 128-64 = 64, 128-200 -> 0
	got = weighedMap(t, Config{Weighers: []string{"CPUWeigher"}}, hosts, spec)
	if !near(got["a"], 1) || !near(got["b"], 0.5) || !near(got["c"], 0) {
		t.Errorf("CPUWeigher %v", got)
	}
	// io_ops_weight_multiplier defaults to -1: light hosts win.
	got = weighedMap(t, Config{Weighers: []string{"IoOpsWeigher"}}, hosts, spec)
	if !near(got["a"], 0) || !near(got["b"], -1) || !near(got["c"], -0.5) {
		t.Errorf("IoOpsWeigher %v", got)
	}
	// A per-aggregate multiplier overrides the option for that host.
	hosts[1].Aggregates = []Aggregate{{Name: "agg0", Metadata: map[string]string{"disk_weight_multiplier": "2.0"}}}
	got = weighedMap(t, Config{Weighers: []string{"DiskWeigher"}}, hosts, spec)
	if !near(got["a"], 0.25) || !near(got["b"], 2) || !near(got["c"], 0.5) {
		t.Errorf("DiskWeigher with aggregate multiplier %v", got)
	}
}

func TestBuildFailureAndPCIWeighers(t *testing.T) {
	hosts := []HostState{host("a", func(h *HostState) { h.FailedBuilds = 0 }), host("b", func(h *HostState) {
		h.FailedBuilds = 3
		h.PCIPools = []PCIPool{{VendorID: "8086", ProductID: "1", Count: 150}}
	})}
	got := weighedMap(t, Config{Weighers: []string{"BuildFailureWeigher"}}, hosts, &RequestSpec{})
	// the multiplier is negated: recent failures lose 1000000.
	if got["a"] != 0 || got["b"] != -1000000 {
		t.Errorf("BuildFailureWeigher %v", got)
	}
	// PCIWeigher: 100 - min(free, 99): hosts without devices win.
	got = weighedMap(t, Config{Weighers: []string{"PCIWeigher"}}, hosts, &RequestSpec{})
	if got["a"] != 1 || got["b"] != 0 {
		t.Errorf("PCIWeigher %v", got)
	}
}

func TestSingleHostIsNotWeighed(t *testing.T) {
	got := weighedMap(t, Config{}, []HostState{host("only")}, &RequestSpec{})
	if got["only"] != 0 {
		t.Errorf("a single host weighs %v, want 0 as in nova", got["only"])
	}
}
