package scheduler

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// passing runs one request through the filters of cfg (no weighers) and
// returns the names of the hosts that pass for the first instance.
func passing(t *testing.T, cfg Config, hosts []HostState, spec *RequestSpec) ([]string, error) {
	t.Helper()
	if cfg.Weighers == nil {
		cfg.Weighers = []string{}
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.ScheduleHosts(hosts, spec)
	var names []string
	if d != nil {
		for _, w := range d.Weighed {
			names = append(names, w.Host)
		}
	}
	if errors.Is(err, ErrNoValidHost) {
		err = nil
	}
	return names, err
}

func host(name string, mod ...func(*HostState)) HostState {
	h := HostState{Host: name, Node: name, FreeRAMMB: 4096, TotalUsableRAMMB: 4096, FreeDiskMB: 100 * 1024,
		TotalUsableDiskGB: 100, VCPUsTotal: 8}
	for _, m := range mod {
		m(&h)
	}
	return h
}

func aggs(md ...map[string]string) func(*HostState) {
	return func(h *HostState) {
		for i, m := range md {
			h.Aggregates = append(h.Aggregates, Aggregate{Name: "agg" + string(rune('0'+i)), Metadata: m})
		}
	}
}

type filterCase struct {
	name  string // what the case encodes, with its source
	cfg   Config
	hosts []HostState
	spec  RequestSpec
	want  []string // hosts passing, in order
	err   bool     // the request fails with an error other than NoValidHost
}

func runFilterCases(t *testing.T, filter string, cases []filterCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.cfg.Filters = []string{filter}
			got, err := passing(t, c.cfg, c.hosts, &c.spec)
			if (err != nil) != c.err {
				t.Fatalf("error %v, want error %v", err, c.err)
			}
			if !c.err && !slices.Equal(got, c.want) {
				t.Fatalf("passing %v, want %v", got, c.want)
			}
		})
	}
}

// The filters below were removed from nova when placement took over
// resource accounting. Their cases encode the sentences of the last admin
// guide that documented them (nova admin/configuration/schedulers.rst,
// Stein) and the self-overcommit rule of their last code.

func TestRamFilter(t *testing.T) {
	flavor := func(mb int64) RequestSpec { return RequestSpec{Flavor: Flavor{MemoryMB: mb}} }
	runFilterCases(t, "RamFilter", []filterCase{
		{name: "ram_allocation_ratio 1.5 lets a 1.5 GB instance run on a node with 1 GB of free RAM",
			hosts: []HostState{host("a", func(h *HostState) { h.TotalUsableRAMMB, h.FreeRAMMB = 2048, 1024 })},
			spec:  flavor(1536), want: []string{"a"}},
		{name: "but not a 2.5 GB instance (limit 3072 - used 1024 = 2048)",
			hosts: []HostState{host("a", func(h *HostState) { h.TotalUsableRAMMB, h.FreeRAMMB = 2048, 1024 })},
			spec:  flavor(2560)},
		{name: "an instance never overcommits against itself: larger than the node's total RAM",
			hosts: []HostState{host("a", func(h *HostState) { h.TotalUsableRAMMB, h.FreeRAMMB = 1024, 1024 })},
			spec:  flavor(1536)},
		{name: "ratio 1.0 on the node disallows overcommit",
			hosts: []HostState{host("a", func(h *HostState) {
				h.TotalUsableRAMMB, h.FreeRAMMB, h.RAMAllocationRatio = 2048, 1024, 1.0
			})},
			spec: flavor(1536)},
	})
}

func TestAggregateRamFilter(t *testing.T) {
	half := func(h *HostState) { h.TotalUsableRAMMB, h.FreeRAMMB = 2048, 1024 }
	runFilterCases(t, "AggregateRamFilter", []filterCase{
		{name: "no per-aggregate value: the node's ratio 1.5",
			hosts: []HostState{host("a", half)}, spec: RequestSpec{Flavor: Flavor{MemoryMB: 1536}}, want: []string{"a"}},
		{name: "a per-aggregate ram_allocation_ratio overrides it",
			hosts: []HostState{host("a", half, aggs(map[string]string{"ram_allocation_ratio": "1.0"}))},
			spec:  RequestSpec{Flavor: Flavor{MemoryMB: 1536}}},
		{name: "in two aggregates the minimum value is used",
			hosts: []HostState{host("a", half, aggs(map[string]string{"ram_allocation_ratio": "3.0"}, map[string]string{"ram_allocation_ratio": "1.0"}))},
			spec:  RequestSpec{Flavor: Flavor{MemoryMB: 1536}}},
		{name: "a value that is not a number falls back to the node's ratio",
			hosts: []HostState{host("a", half, aggs(map[string]string{"ram_allocation_ratio": "lots"}))},
			spec:  RequestSpec{Flavor: Flavor{MemoryMB: 1536}}, want: []string{"a"}},
	})
}

func TestCoreFilter(t *testing.T) {
	node := func(used int64) func(*HostState) {
		return func(h *HostState) { h.VCPUsTotal, h.VCPUsUsed = 8, used }
	}
	vcpus := func(n int64) RequestSpec { return RequestSpec{Flavor: Flavor{VCPUs: n}} }
	runFilterCases(t, "CoreFilter", []filterCase{
		{name: "cpu_allocation_ratio 16.0 allows up to 128 vCPUs on a node with 8",
			hosts: []HostState{host("a", node(120))}, spec: vcpus(8), want: []string{"a"}},
		{name: "the 129th vCPU does not fit",
			hosts: []HostState{host("a", node(121))}, spec: vcpus(8)},
		{name: "an instance never overcommits against itself: more vCPUs than the node has",
			hosts: []HostState{host("a", node(0))}, spec: vcpus(9)},
		{name: "cpu_allocation_ratio 1.0 disallows vCPU overcommit",
			hosts: []HostState{host("a", node(4), func(h *HostState) { h.CPUAllocationRatio = 1 })}, spec: vcpus(5)},
		{name: "a node reporting no vCPUs passes (CPU collection assumed broken)",
			hosts: []HostState{host("a", func(h *HostState) { h.VCPUsTotal = 0 })}, spec: vcpus(64), want: []string{"a"}},
	})
	runFilterCases(t, "AggregateCoreFilter", []filterCase{
		{name: "per-aggregate cpu_allocation_ratio, minimum of two",
			hosts: []HostState{host("a", node(8), aggs(map[string]string{"cpu_allocation_ratio": "2.0"}, map[string]string{"cpu_allocation_ratio": "1.5"}))},
			spec:  vcpus(4), want: []string{"a"}},
		{name: "per-aggregate ratio 1.0 forbids it",
			hosts: []HostState{host("a", node(8), aggs(map[string]string{"cpu_allocation_ratio": "1.0"}))},
			spec:  vcpus(1)},
	})
}

func TestDiskFilter(t *testing.T) {
	node := func(totalGB, freeMB int64) func(*HostState) {
		return func(h *HostState) { h.TotalUsableDiskGB, h.FreeDiskMB = totalGB, freeMB }
	}
	runFilterCases(t, "DiskFilter", []filterCase{
		{name: "root and ephemeral disk must fit with disk_allocation_ratio 1.0",
			hosts: []HostState{host("a", node(100, 20*1024)), host("b", node(100, 19*1024))},
			spec:  RequestSpec{Flavor: Flavor{RootGB: 10, EphemeralGB: 10}}, want: []string{"a"}},
		{name: "swap counts too",
			hosts: []HostState{host("a", node(100, 20*1024))},
			spec:  RequestSpec{Flavor: Flavor{RootGB: 10, EphemeralGB: 10, SwapMB: 1}}},
		{name: "disk_allocation_ratio above 1.0 overcommits",
			hosts: []HostState{host("a", node(100, 0), func(h *HostState) { h.DiskAllocationRatio = 1.5 })},
			spec:  RequestSpec{Flavor: Flavor{RootGB: 50}}, want: []string{"a"}},
		{name: "never more than the node's total disk",
			hosts: []HostState{host("a", node(10, 10*1024), func(h *HostState) { h.DiskAllocationRatio = 10 })},
			spec:  RequestSpec{Flavor: Flavor{RootGB: 11}}},
	})
	runFilterCases(t, "AggregateDiskFilter", []filterCase{
		{name: "per-aggregate disk_allocation_ratio",
			hosts: []HostState{host("a", node(100, 0), aggs(map[string]string{"disk_allocation_ratio": "2"}))},
			spec:  RequestSpec{Flavor: Flavor{RootGB: 50}}, want: []string{"a"}},
	})
}

func TestRetryFilter(t *testing.T) {
	runFilterCases(t, "RetryFilter", []filterCase{
		{name: "filters out hosts that have already been attempted",
			hosts: []HostState{host("a"), host("b"), host("c")},
			spec:  RequestSpec{Retry: &Retry{NumAttempts: 2, Hosts: []NodeRef{{"b", "b"}}}}, want: []string{"a", "c"}},
		{name: "the node must match too",
			hosts: []HostState{host("a")},
			spec:  RequestSpec{Retry: &Retry{Hosts: []NodeRef{{"a", "other"}}}}, want: []string{"a"}},
		{name: "no retry information passes every host",
			hosts: []HostState{host("a")}, want: []string{"a"}},
	})
}

// The cases below encode nova 26's filters; the parity tests check them
// against nova itself on generated requests.

func TestAvailabilityZoneFilter(t *testing.T) {
	az := func(z string) func(*HostState) { return aggs(map[string]string{"availability_zone": z}) }
	hosts := []HostState{host("a", az("az1")), host("b", az("az2, az1")), host("c")}
	runFilterCases(t, "AvailabilityZoneFilter", []filterCase{
		{name: "any zone", hosts: hosts, want: []string{"a", "b", "c"}},
		{name: "zone from aggregate metadata, comma separated", hosts: hosts,
			spec: RequestSpec{AvailabilityZone: "az1"}, want: []string{"a", "b"}},
		{name: "hosts in no zone aggregate are in default_availability_zone", hosts: hosts,
			spec: RequestSpec{AvailabilityZone: "nova"}, want: []string{"c"}},
		{name: "configured default zone", hosts: hosts, cfg: Config{DefaultAvailabilityZone: "home"},
			spec: RequestSpec{AvailabilityZone: "home"}, want: []string{"c"}},
	})
}

func TestComputeFilter(t *testing.T) {
	runFilterCases(t, "ComputeFilter", []filterCase{
		{name: "disabled or forced down services fail",
			hosts: []HostState{host("a"), host("b", func(h *HostState) { h.Service.Disabled = true }),
				host("c", func(h *HostState) { h.Service.ForcedDown = true })},
			want: []string{"a"}},
	})
}

func TestComputeCapabilitiesFilter(t *testing.T) {
	hosts := []HostState{
		host("a", func(h *HostState) {
			h.HypervisorType, h.HypervisorVersion = "QEMU", 6002000
			h.Stats = map[string]string{"cpu_info": `{"features": ["aes", "mmx"], "arch": "x86_64"}`, "gpu": "2"}
		}),
		host("b", func(h *HostState) { h.HypervisorType, h.FreeRAMMB = "powervm", 1024 }),
	}
	spec := func(kv ...string) RequestSpec {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return RequestSpec{Flavor: Flavor{ExtraSpecs: m}}
	}
	runFilterCases(t, "ComputeCapabilitiesFilter", []filterCase{
		{name: "free_ram_mb >= 4096", hosts: hosts, spec: spec("free_ram_mb", ">= 4096"), want: []string{"a"}},
		{name: "capabilities:hypervisor_type s== QEMU", hosts: hosts, spec: spec("capabilities:hypervisor_type", "s== QEMU"), want: []string{"a"}},
		{name: "hypervisor_version >= 1005003", hosts: hosts, spec: spec("hypervisor_version", ">= 1005003"), want: []string{"a"}},
		{name: "capabilities:cpu_info:features <all-in> aes mmx reads JSON stats", hosts: hosts,
			spec: spec("capabilities:cpu_info:features", "<all-in> aes mmx"), want: []string{"a"}},
		{name: "a stat without namespace; hosts without it ignore the key", hosts: hosts, spec: spec("gpu", "= 3"), want: []string{"b"}},
		{name: "other namespaces and unknown keys are ignored", hosts: hosts,
			spec: spec("hw:cpu_policy", "dedicated", "no_such_thing", "x"), want: []string{"a", "b"}},
		{name: "a numeric operator on a string fails the request", hosts: hosts,
			spec: spec("capabilities:hypervisor_type", ">= 5"), err: true},
	})
}

func TestImagePropertiesFilter(t *testing.T) {
	hosts := []HostState{
		host("kvm", func(h *HostState) {
			h.SupportedInstances = []HVSpec{{"x86_64", "kvm", "hvm"}}
			h.HypervisorVersion = 6002000
		}),
		host("arm", func(h *HostState) { h.SupportedInstances = []HVSpec{{"aarch64", "qemu", "hvm"}} }),
		host("none"),
	}
	img := func(kv ...string) RequestSpec {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return RequestSpec{Image: Image{Properties: m}}
	}
	runFilterCases(t, "ImagePropertiesFilter", []filterCase{
		{name: "no properties", hosts: hosts, want: []string{"kvm", "arm", "none"}},
		{name: "architecture (legacy name, canonicalized)", hosts: hosts, spec: img("architecture", "AMD64"), want: []string{"kvm"}},
		{name: "hypervisor type", hosts: hosts, spec: img("img_hv_type", "qemu"), want: []string{"arm"}},
		{name: "hypervisor version", hosts: hosts, spec: img("img_hv_type", "kvm", "img_hv_requested_version", ">= 6.1"), want: []string{"kvm"}},
		{name: "hypervisor version too old", hosts: hosts, spec: img("img_hv_requested_version", ">= 7.0", "hw_vm_mode", "hvm"), want: []string{"arm"}},
		{name: "default architecture", hosts: hosts, cfg: Config{ImagePropertiesDefaultArchitecture: "aarch64"}, want: []string{"arm"}},
	})
	if _, err := passing(t, Config{Filters: []string{"ImagePropertiesFilter"}}, hosts, &RequestSpec{Image: Image{Properties: map[string]string{"hw_architecture": "z80"}}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown architecture: err %v, want ErrInvalid", err)
	}
}

func TestServerGroupFilters(t *testing.T) {
	hosts := []HostState{host("a", func(h *HostState) { h.Instances = []string{"m1", "x"} }),
		host("b", func(h *HostState) { h.Instances = []string{"m2", "m3"} }), host("c")}
	group := func(policy string, hostsOn []string, rules map[string]string) RequestSpec {
		return RequestSpec{Group: &ServerGroup{Policy: policy, Members: []string{"m1", "m2", "m3"}, Hosts: hostsOn, Rules: rules}}
	}
	runFilterCases(t, "ServerGroupAntiAffinityFilter", []filterCase{
		{name: "no group member on the host", hosts: hosts, spec: group("anti-affinity", nil, nil), want: []string{"c"}},
		{name: "max_server_per_host 2", hosts: hosts, spec: group("anti-affinity", nil, map[string]string{"max_server_per_host": "2"}), want: []string{"a", "c"}},
		{name: "other policies pass", hosts: hosts, spec: group("affinity", nil, nil), want: []string{"a", "b", "c"}},
		{name: "a bad rule fails the request", hosts: hosts, spec: group("anti-affinity", nil, map[string]string{"max_server_per_host": "two"}), err: true},
	})
	runFilterCases(t, "ServerGroupAffinityFilter", []filterCase{
		{name: "only the group's hosts", hosts: hosts, spec: group("affinity", []string{"b"}, nil), want: []string{"b"}},
		{name: "a group with no host yet passes all", hosts: hosts, spec: group("affinity", nil, nil), want: []string{"a", "b", "c"}},
	})
}

func TestAffinityHintFilters(t *testing.T) {
	hosts := []HostState{host("a", func(h *HostState) { h.Instances = []string{"i1"}; h.HostIP = "192.168.1.20" }),
		host("b", func(h *HostState) { h.Instances = []string{"i2"}; h.HostIP = "192.168.2.20" }),
		host("c", func(h *HostState) { h.HostIP = "10.0.0.1" })}
	hints := func(kv ...string) RequestSpec {
		m := map[string][]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = append(m[kv[i]], kv[i+1])
		}
		return RequestSpec{SchedulerHints: m}
	}
	runFilterCases(t, "SameHostFilter", []filterCase{
		{name: "same_host", hosts: hosts, spec: hints("same_host", "i1", "same_host", "i2"), want: []string{"a", "b"}},
	})
	runFilterCases(t, "DifferentHostFilter", []filterCase{
		{name: "different_host", hosts: hosts, spec: hints("different_host", "i1"), want: []string{"b", "c"}},
	})
	runFilterCases(t, "SimpleCIDRAffinityFilter", []filterCase{
		{name: "build_near_host_ip and cidr /24 (the guide's 192.168.1.1/24)", hosts: hosts,
			spec: hints("build_near_host_ip", "192.168.1.1", "cidr", "/24"), want: []string{"a"}},
		{name: "default cidr /24", hosts: hosts, spec: hints("build_near_host_ip", "192.168.2.1"), want: []string{"b"}},
		{name: "/16", hosts: hosts, spec: hints("build_near_host_ip", "192.168.0.0", "cidr", "/16"), want: []string{"a", "b"}},
		{name: "the guide's API example cidr \"24\" reads as the address 192.168.1.124", hosts: hosts,
			spec: hints("build_near_host_ip", "192.168.1.1", "cidr", "24")},
		{name: "an invalid network fails the request", hosts: hosts,
			spec: hints("build_near_host_ip", "192.168.1.1", "cidr", "/33"), err: true},
	})
}

func TestCountingFilters(t *testing.T) {
	hosts := []HostState{host("a", func(h *HostState) { h.NumIOOps, h.NumInstances = 7, 49 }),
		host("b", func(h *HostState) { h.NumIOOps, h.NumInstances = 8, 50 }),
		host("c", func(h *HostState) { h.NumIOOps, h.NumInstances = 3, 3 },
			aggs(map[string]string{"max_io_ops_per_host": "3", "max_instances_per_host": "4"}))}
	runFilterCases(t, "IoOpsFilter", []filterCase{{name: "max_io_ops_per_host 8", hosts: hosts, want: []string{"a", "c"}}})
	runFilterCases(t, "AggregateIoOpsFilter", []filterCase{{name: "per aggregate", hosts: hosts, want: []string{"a"}}})
	runFilterCases(t, "NumInstancesFilter", []filterCase{{name: "max_instances_per_host 50", hosts: hosts, want: []string{"a", "c"}}})
	runFilterCases(t, "AggregateNumInstancesFilter", []filterCase{{name: "per aggregate", hosts: hosts, want: []string{"a", "c"}}})
	zero := 0
	runFilterCases(t, "IoOpsFilter", []filterCase{{name: "max_io_ops_per_host 0", hosts: hosts, cfg: Config{MaxIOOpsPerHost: &zero}}})
}

func TestAggregateFilters(t *testing.T) {
	hosts := []HostState{
		host("a", aggs(map[string]string{"instance_type": "m1.small, m1.large", "filter_tenant_id": "t1,t2", "ssd": "true", "os_distro": "windows"})),
		host("b", aggs(map[string]string{"instance_type": "m1.tiny", "ssd": "false", "cores": "8,16"})),
		host("c"),
	}
	runFilterCases(t, "AggregateTypeAffinityFilter", []filterCase{
		{name: "instance_type lists flavor names", hosts: hosts, spec: RequestSpec{Flavor: Flavor{Name: "m1.large"}}, want: []string{"a", "c"}},
	})
	runFilterCases(t, "AggregateMultiTenancyIsolation", []filterCase{
		{name: "filter_tenant_id", hosts: hosts, spec: RequestSpec{ProjectID: "t2"}, want: []string{"a", "b", "c"}},
		{name: "other tenants avoid the isolated aggregate", hosts: hosts, spec: RequestSpec{ProjectID: "t3"}, want: []string{"b", "c"}},
	})
	extra := func(kv ...string) RequestSpec {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return RequestSpec{Flavor: Flavor{ExtraSpecs: m}}
	}
	runFilterCases(t, "AggregateInstanceExtraSpecsFilter", []filterCase{
		{name: "scoped key", hosts: hosts, spec: extra("aggregate_instance_extra_specs:ssd", "true"), want: []string{"a"}},
		{name: "unscoped key; a host without it fails", hosts: hosts, spec: extra("ssd", "<or> true <or> false"), want: []string{"a", "b"}},
		{name: "one of the comma-separated values", hosts: hosts, spec: extra("cores", ">= 12"), want: []string{"b"}},
		{name: "other namespaces ignored", hosts: hosts, spec: extra("hw:cpu_policy", "dedicated"), want: []string{"a", "b", "c"}},
	})
	runFilterCases(t, "AggregateImagePropertiesIsolation", []filterCase{
		{name: "image property must match", hosts: hosts, spec: RequestSpec{Image: Image{Properties: map[string]string{"os_distro": "linux"}}}, want: []string{"b", "c"}},
		{name: "namespace restricts the keys", hosts: hosts, cfg: Config{AggregateImagePropertiesIsolationNamespace: "isolation"},
			spec: RequestSpec{Image: Image{Properties: map[string]string{"os_distro": "linux"}}}, want: []string{"a", "b", "c"}},
	})
}

func TestIsolatedHostsFilter(t *testing.T) {
	hosts := []HostState{host("iso"), host("plain")}
	cfg := Config{IsolatedHosts: []string{"iso"}, IsolatedImages: []string{"img-iso"}}
	loose := cfg
	loose.AllowNonIsolatedImagesOnIsolatedHosts = true
	runFilterCases(t, "IsolatedHostsFilter", []filterCase{
		{name: "isolated image on isolated host only", cfg: cfg, hosts: hosts, spec: RequestSpec{Image: Image{ID: "img-iso"}}, want: []string{"iso"}},
		{name: "other images avoid isolated hosts", cfg: cfg, hosts: hosts, spec: RequestSpec{Image: Image{ID: "img-x"}}, want: []string{"plain"}},
		{name: "unrestricted: isolated hosts take other images", cfg: loose, hosts: hosts, spec: RequestSpec{Image: Image{ID: "img-x"}}, want: []string{"iso", "plain"}},
	})
}

func TestJsonFilter(t *testing.T) {
	hosts := []HostState{host("a", func(h *HostState) { h.FreeRAMMB = 2048; h.Stats = map[string]string{"rack": "r1"} }),
		host("b", func(h *HostState) { h.FreeRAMMB = 512 })}
	q := func(s string) RequestSpec { return RequestSpec{SchedulerHints: map[string][]string{"query": {s}}} }
	runFilterCases(t, "JsonFilter", []filterCase{
		{name: "the guide's query", hosts: hosts, spec: q(`["and", [">=", "$free_ram_mb", 1024], [">=", "$free_disk_mb", 204800]]`)},
		{name: "free_ram_mb", hosts: hosts, spec: q(`[">=", "$free_ram_mb", 1024]`), want: []string{"a"}},
		{name: "stats key", hosts: hosts, spec: q(`["=", "$stats.rack", "r1"]`), want: []string{"a"}},
		{name: "not gives a list, any element true passes", hosts: hosts, spec: q(`["not", ["<", "$free_ram_mb", 1024]]`), want: []string{"a"}},
		{name: "in", hosts: hosts, spec: q(`["in", "$host", "b", "c"]`), want: []string{"b"}},
		{name: "ordering a string and a number fails the request", hosts: hosts, spec: q(`["<", "$host", 1]`), err: true},
		{name: "bad JSON fails the request", hosts: hosts, spec: q(`[">=", `), err: true},
	})
}

func TestMetricsAndPCIFilters(t *testing.T) {
	hosts := []HostState{host("a", func(h *HostState) {
		h.Metrics = map[string]int64{"cpu.frequency": 2000}
		h.PCIPools = []PCIPool{{VendorID: "8086", ProductID: "1520", Count: 2, Tags: map[string]string{"dev_type": "type-VF"}}}
	}), host("b")}
	runFilterCases(t, "MetricsFilter", []filterCase{
		{name: "hosts must report every weight_setting metric", hosts: hosts,
			cfg: Config{MetricsWeightSetting: []string{"cpu.frequency=1.0"}}, want: []string{"a"}},
	})
	runFilterCases(t, "PciPassthroughFilter", []filterCase{
		{name: "devices from the pools", hosts: hosts,
			spec: RequestSpec{PCIRequests: []PCIRequest{{Count: 2, Spec: []map[string]string{{"vendor_id": "8086", "product_id": "1520"}}}}}, want: []string{"a"}},
		{name: "not enough", hosts: hosts,
			spec: RequestSpec{PCIRequests: []PCIRequest{{Count: 3, Spec: []map[string]string{{"vendor_id": "8086"}}}}}},
		{name: "PFs only when asked for", hosts: []HostState{host("pf", func(h *HostState) {
			h.PCIPools = []PCIPool{{VendorID: "8086", ProductID: "1521", Count: 1, Tags: map[string]string{"dev_type": "type-PF"}}}
		})}, spec: RequestSpec{PCIRequests: []PCIRequest{{Count: 1, Spec: []map[string]string{{"vendor_id": "8086"}}}}}},
	})
}

func TestUnknownNames(t *testing.T) {
	if _, err := New(Config{Filters: []string{"NoSuchFilter"}}); !errors.Is(err, ErrUnknownFilter) || !strings.Contains(err.Error(), "NoSuchFilter") {
		t.Errorf("unknown filter: %v", err)
	}
	if _, err := New(Config{Weighers: []string{"nova.scheduler.weights.ram.NoWeigher"}}); !errors.Is(err, ErrUnknownWeigher) {
		t.Errorf("unknown weigher: %v", err)
	}
	if _, err := New(Config{HostSubsetSize: -1}); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "HostSubsetSize") {
		t.Errorf("bad option: %v", err)
	}
}
