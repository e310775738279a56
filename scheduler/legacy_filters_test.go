package scheduler

import (
	"fmt"
	"testing"
)

// legacyCase is one check of a filter nova has removed: one host, one
// flavor (or earlier attempts), and whether the host passes.
type legacyCase struct {
	test   string // the nova unit test the row restates
	filter string
	host   HostState
	ratios []string // the ratio key's values in the host's aggregates
	flavor Flavor
	retry  *Retry
	pass   bool
}

// TestLegacyFiltersNovaStein restates, as table rows, the inputs and
// outcomes of nova's own unit tests for the filters placement replaced,
// from nova 19.0.0 (Stein), their last release with all of them:
// nova/tests/unit/scheduler/filters/test_ram_filters.py,
// test_core_filters.py, test_disk_filters.py and test_retry_filters.py
// (the Aggregate variants are tested in the same files). nova 26 no
// longer has these filters, so the parity tests cannot check them against
// nova. In those tests the host's ratio is the node's
// *_allocation_ratio, and a mocked aggregate lookup returns the values of
// the ratio key in the host's aggregates, which here are real aggregates.
func TestLegacyFiltersNovaStein(t *testing.T) {
	ram := func(free, total int64, ratio float64) HostState {
		return HostState{Host: "host1", Node: "node1", FreeRAMMB: free, TotalUsableRAMMB: total, RAMAllocationRatio: ratio}
	}
	cpu := func(total, used int64, ratio float64) HostState {
		return HostState{Host: "host1", Node: "node1", VCPUsTotal: total, VCPUsUsed: used, CPUAllocationRatio: ratio}
	}
	disk := func(freeMB, totalGB int64, ratio float64) HostState {
		return HostState{Host: "host1", Node: "node1", FreeDiskMB: freeMB, TotalUsableDiskGB: totalGB, DiskAllocationRatio: ratio}
	}
	mem := func(mb int64) Flavor { return Flavor{MemoryMB: mb} }
	vcpus := func(n int64) Flavor { return Flavor{VCPUs: n} }
	disks := func(root, eph, swapMB int64) Flavor { return Flavor{RootGB: root, EphemeralGB: eph, SwapMB: swapMB} }
	tried := func(pairs ...NodeRef) *Retry { return &Retry{NumAttempts: len(pairs), Hosts: pairs} }
	cases := []legacyCase{
		// test_ram_filters.py, TestRamFilter
		{test: "test_ram_filter_fails_on_memory", filter: "RamFilter", host: ram(1023, 1024, 1.0), flavor: mem(1024), pass: false},
		{test: "test_ram_filter_passes", filter: "RamFilter", host: ram(1024, 1024, 1.0), flavor: mem(1024), pass: true},
		{test: "test_ram_filter_oversubscribe", filter: "RamFilter", host: ram(-1024, 2048, 2.0), flavor: mem(1024), pass: true},
		{test: "test_ram_filter_oversubscribe_singe_instance_fails", filter: "RamFilter", host: ram(512, 512, 2.0), flavor: mem(1024), pass: false},
		// test_ram_filters.py, TestAggregateRamFilter
		{test: "test_aggregate_ram_filter_value_error", filter: "AggregateRamFilter", host: ram(1024, 1024, 1.0), ratios: []string{"XXX"}, flavor: mem(1024), pass: true},
		{test: "test_aggregate_ram_filter_default_value (no aggregate)", filter: "AggregateRamFilter", host: ram(1023, 1024, 1.0), flavor: mem(1024), pass: false},
		{test: "test_aggregate_ram_filter_default_value (aggregate 2.0)", filter: "AggregateRamFilter", host: ram(1023, 1024, 1.0), ratios: []string{"2.0"}, flavor: mem(1024), pass: true},
		{test: "test_aggregate_ram_filter_conflict_values", filter: "AggregateRamFilter", host: ram(1023, 1024, 1.0), ratios: []string{"1.5", "2.0"}, flavor: mem(1024), pass: true},
		// test_core_filters.py, TestCoreFilter
		{test: "test_core_filter_passes", filter: "CoreFilter", host: cpu(4, 7, 2), flavor: vcpus(1), pass: true},
		{test: "test_core_filter_fails_safe", filter: "CoreFilter", host: HostState{Host: "host1", Node: "node1"}, flavor: vcpus(1), pass: true},
		{test: "test_core_filter_fails", filter: "CoreFilter", host: cpu(4, 8, 2), flavor: vcpus(1), pass: false},
		{test: "test_core_filter_single_instance_overcommit_fails", filter: "CoreFilter", host: cpu(1, 0, 2), flavor: vcpus(2), pass: false},
		{test: "test_aggregate_core_filter_value_error", filter: "AggregateCoreFilter", host: cpu(4, 7, 2), ratios: []string{"XXX"}, flavor: vcpus(1), pass: true},
		{test: "test_aggregate_core_filter_default_value (no aggregate)", filter: "AggregateCoreFilter", host: cpu(4, 8, 2), flavor: vcpus(1), pass: false},
		{test: "test_aggregate_core_filter_default_value (aggregate 3)", filter: "AggregateCoreFilter", host: cpu(4, 8, 2), ratios: []string{"3"}, flavor: vcpus(1), pass: true},
		{test: "test_aggregate_core_filter_conflict_values", filter: "AggregateCoreFilter", host: cpu(4, 8, 1), ratios: []string{"2", "3"}, flavor: vcpus(1), pass: false},
		// test_disk_filters.py, TestDiskFilter
		{test: "test_disk_filter_passes", filter: "DiskFilter", host: disk(11*1024, 13, 1.0), flavor: disks(1, 1, 512), pass: true},
		{test: "test_disk_filter_fails", filter: "DiskFilter", host: disk(11*1024, 13, 1.0), flavor: disks(10, 1, 1024), pass: false},
		{test: "test_disk_filter_oversubscribe", filter: "DiskFilter", host: disk(1*1024, 12, 10.0), flavor: disks(3, 3, 1024), pass: true},
		{test: "test_disk_filter_oversubscribe_single_instance_fails", filter: "DiskFilter", host: disk(11*1024, 12, 10.0), flavor: disks(10, 2, 1024), pass: false},
		{test: "test_disk_filter_oversubscribe_fail", filter: "DiskFilter", host: disk(11*1024, 12, 10.0), flavor: disks(100, 19, 1024), pass: false},
		{test: "test_aggregate_disk_filter_value_error", filter: "AggregateDiskFilter", host: disk(3*1024, 4, 1.0), ratios: []string{"XXX"}, flavor: disks(1, 1, 1024), pass: true},
		{test: "test_aggregate_disk_filter_default_value (no aggregate)", filter: "AggregateDiskFilter", host: disk(3*1024, 4, 1.0), flavor: disks(2, 1, 1024), pass: false},
		{test: "test_aggregate_disk_filter_default_value (aggregate 2)", filter: "AggregateDiskFilter", host: disk(3*1024, 4, 1.0), ratios: []string{"2"}, flavor: disks(2, 1, 1024), pass: true},
		// test_retry_filters.py, TestRetryFilter
		{test: "test_retry_filter_disabled", filter: "RetryFilter", host: HostState{Host: "host1", Node: "node1"}, pass: true},
		{test: "test_retry_filter_pass (same host, other node; other host)", filter: "RetryFilter", host: HostState{Host: "host1", Node: "nodeX"},
			retry: tried(NodeRef{"host1", "node1"}, NodeRef{"host2", "node2"}), pass: true},
		{test: "test_retry_filter_fail", filter: "RetryFilter", host: HostState{Host: "host1", Node: "node1"}, retry: tried(NodeRef{"host1", "node1"}), pass: false},
	}
	ratioKey := map[string]string{"AggregateRamFilter": "ram_allocation_ratio", "AggregateCoreFilter": "cpu_allocation_ratio",
		"AggregateDiskFilter": "disk_allocation_ratio"}
	for _, c := range cases {
		t.Run(c.test, func(t *testing.T) {
			h := c.host
			for i, v := range c.ratios {
				h.Aggregates = append(h.Aggregates, Aggregate{Name: fmt.Sprintf("agg%d", i), Metadata: map[string]string{ratioKey[c.filter]: v}})
			}
			got, err := passing(t, Config{Filters: []string{c.filter}}, []HostState{h}, &RequestSpec{Flavor: c.flavor, Retry: c.retry})
			if err != nil {
				t.Fatal(err)
			}
			if pass := len(got) == 1; pass != c.pass {
				t.Errorf("%s passes %s: %v, nova's test says %v", c.filter, h.Host, pass, c.pass)
			}
		})
	}
}
