//go:build integration

package scheduler

import (
	"encoding/json"
	"testing"
)

// BenchmarkNovaRatio times nova's legacy scheduling loop
// (SchedulerManager._legacy_find_hosts, timed inside Python by
// testdata/nova_oracle.py) and Schedule on the same request: 10 instances
// over 1000 hosts, nova's default filters, every standard weigher. It
// reports nova's time per request and nova's time divided by ours, after
// checking that both decide the same.
func BenchmarkNovaRatio(b *testing.B) {
	req := benchRequest(1000, 10)
	raw, err := json.Marshal(req)
	if err != nil {
		b.Fatal(err)
	}
	o := startOracle(b)
	rep := o.askAll(b, []json.RawMessage{raw}, 20)[0]
	if rep.Fatal != "" {
		b.Fatal(rep.Fatal)
	}
	var nova decision
	if err := json.Unmarshal(rep.Out, &nova); err != nil {
		b.Fatal(err)
	}
	if diffs := compareDecisions(nova, ours(raw)); len(diffs) > 0 {
		b.Fatalf("the benchmark request is decided differently: %v", diffs)
	}
	s, set, spec := benchPrepare(b, req)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Schedule(set, spec); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	ours := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(rep.NsPerOp, "nova-ns/op")
	b.ReportMetric(rep.NsPerOp/ours, "x-faster-than-nova")
}
