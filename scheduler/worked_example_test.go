package scheduler

import (
	"fmt"
	"math"
	"testing"
)

// workedExample is the weighing example of the operators' guides: six hosts
// and three weighers with multipliers 1, 1 and 2, raw weights
// W1 = 110, 20, 10, 80, 50, 90; W2 = 4, 2, 1, 11, 6, 8; W3 = 5, 25, 10, 15, 5, 20.
// Normalized to [0, 1] and summed they give 1.3, 2.2, 0.5, 2.7, 0.9, 3.0, and
// the highest weight wins: host6, host4, host2, host1, host5, host3.
//
// It is built from nova's own weighers: W1 is MetricsWeigher on one metric,
// W2 BuildFailureWeigher with build_failure_weight_multiplier -1 (the weigher
// negates it) and W3 ServerGroupSoftAffinityWeigher, which counts the group's
// members on each host, with multiplier 2.
func workedExample() (Config, []HostState, *RequestSpec) {
	w1 := []int64{110, 20, 10, 80, 50, 90}
	w2 := []int64{4, 2, 1, 11, 6, 8}
	w3 := []int{5, 25, 10, 15, 5, 20}
	cfg := Config{
		Filters:                      []string{},
		Weighers:                     []string{"MetricsWeigher", "BuildFailureWeigher", "ServerGroupSoftAffinityWeigher"},
		MetricsWeightSetting:         []string{"cpu.frequency=1.0"},
		BuildFailureWeightMultiplier: new(-1.0),
		SoftAffinityWeightMultiplier: new(2.0),
	}
	group := &ServerGroup{Policy: "soft-affinity"}
	var hosts []HostState
	for i := range w1 {
		h := HostState{
			Host:         fmt.Sprintf("host%d", i+1),
			Node:         fmt.Sprintf("host%d", i+1),
			Metrics:      map[string]int64{"cpu.frequency": w1[i]},
			FailedBuilds: w2[i],
		}
		for k := 0; k < w3[i]; k++ {
			u := fmt.Sprintf("%08d-0000-4000-8000-%012d", i+1, k)
			h.Instances = append(h.Instances, u)
			group.Members = append(group.Members, u)
		}
		hosts = append(hosts, h)
	}
	return cfg, hosts, &RequestSpec{Flavor: Flavor{Name: "m1.small", MemoryMB: 512, VCPUs: 1}, Group: group}
}

func TestWorkedWeighingExample(t *testing.T) {
	cfg, hosts, spec := workedExample()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.ScheduleHosts(hosts, spec)
	if err != nil {
		t.Fatal(err)
	}
	want := []WeighedHost{{"host6", "host6", 3.0}, {"host4", "host4", 2.7}, {"host2", "host2", 2.2},
		{"host1", "host1", 1.3}, {"host5", "host5", 0.9}, {"host3", "host3", 0.5}}
	if len(d.Weighed) != len(want) {
		t.Fatalf("weighed %v, want %v", d.Weighed, want)
	}
	for i := range want {
		if d.Weighed[i].Host != want[i].Host || math.Abs(d.Weighed[i].Weight-want[i].Weight) > 1e-9 {
			t.Errorf("weighed[%d] = %v, want %v", i, d.Weighed[i], want[i])
		}
	}
	if d.Selections[0].Host != "host6" {
		t.Errorf("selected %s, want host6", d.Selections[0].Host)
	}
}
