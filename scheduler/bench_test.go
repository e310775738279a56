package scheduler

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchRequest is the benchmark's request: nHosts hosts of varied free RAM,
// disk, vCPUs, I/O and build failures in three availability zones, some of
// them disabled, an image that names its architecture and a flavor with a
// capabilities extra spec, so that nova's default filters all look at every
// host; every standard weigher, named in AllWeighers' order.
func benchRequest(nHosts, nInst int) map[string]any {
	r := rand.New(rand.NewPCG(1, 2))
	hosts := make([]map[string]any, nHosts)
	for i := range hosts {
		h := map[string]any{
			"host": fmt.Sprintf("compute%04d", i), "free_ram_mb": 1024 * r.IntN(256),
			"total_usable_ram_mb": 262144, "free_disk_mb": 1024 * r.IntN(2000),
			"total_usable_disk_gb": 2000, "vcpus_total": 64, "vcpus_used": r.IntN(128),
			"num_instances": r.IntN(40), "num_io_ops": r.IntN(6), "failed_builds": r.IntN(2) * r.IntN(3),
			"host_ip": fmt.Sprintf("10.%d.%d.%d", i/65536, (i/256)%256, i%256), "hypervisor_type": "QEMU",
			"hypervisor_version": 6002000, "supported_instances": [][]string{{"x86_64", "kvm", "hvm"}, {"i686", "kvm", "hvm"}},
			"aggregates": []map[string]any{{"availability_zone": fmt.Sprintf("az%d", i%3)}},
			"stats":      map[string]any{"rack": fmt.Sprintf("r%d", i%40)},
		}
		if i%50 == 7 {
			h["service"] = map[string]any{"disabled": true}
		}
		hosts[i] = h
	}
	paths := make([]string, len(builtinWeighers))
	for i, w := range builtinWeighers {
		paths[i] = w.path
	}
	return map[string]any{
		"conf":  map[string]any{"filter_scheduler": map[string]any{"weight_classes": paths}},
		"hosts": hosts,
		"spec": map[string]any{"memory_mb": 4096, "vcpus": 2, "root_gb": 20, "num_instances": nInst,
			"flavor_name": "m1.medium", "extra_specs": map[string]string{"capabilities:hypervisor_type": "s== QEMU"},
			"image_props": map[string]string{"hw_architecture": "x86_64"}},
		"num_alts": 2,
	}
}

func benchPrepare(b *testing.B, req map[string]any) (*Scheduler, *HostSet, *RequestSpec) {
	b.Helper()
	raw, err := json.Marshal(req)
	if err != nil {
		b.Fatal(err)
	}
	jr, err := ParseJSONRequest(raw)
	if err != nil {
		b.Fatal(err)
	}
	s, set, spec, err := jr.Prepare()
	if err != nil {
		b.Fatal(err)
	}
	return s, set, spec
}

// BenchmarkSchedule is one 10-instance request over 1000 hosts with nova's
// default filters and every weigher (see BenchmarkNovaRatio for nova's
// time on the same request).
func BenchmarkSchedule(b *testing.B) {
	s, set, spec := benchPrepare(b, benchRequest(1000, 10))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Schedule(set, spec); err != nil {
			b.Fatal(err)
		}
	}
}

// A request allocates about as many times for 1000 hosts as for 100:
// nothing per host. (The race detector makes sync.Pool drop buffers at
// random, so the counts may differ by the few allocations of a run.)
func TestNoPerHostAllocation(t *testing.T) {
	allocs := func(n int) float64 {
		raw, _ := json.Marshal(benchRequest(n, 10))
		jr, err := ParseJSONRequest(raw)
		if err != nil {
			t.Fatal(err)
		}
		s, set, spec, err := jr.Prepare()
		if err != nil {
			t.Fatal(err)
		}
		return testing.AllocsPerRun(20, func() {
			if _, err := s.Schedule(set, spec); err != nil {
				t.Fatal(err)
			}
		})
	}
	small, large := allocs(100), allocs(1000)
	if large-small > 20 {
		t.Errorf("%v allocations for 100 hosts, %v for 1000", small, large)
	}
}
