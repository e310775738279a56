package scheduler

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// genCase writes a random request of the schedule tool, as a map ready for
// JSON, for the parity tests: random hosts, aggregates, flavors, images,
// hints and server groups, with random filters, weighers and options. The
// values are drawn from small pools so that filters pass some hosts and
// reject others and weights tie.
func genCase(seed uint64) map[string]any {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	g := &gen{r: r}
	return g.request()
}

type gen struct {
	r *rand.Rand
	// exotic draws from pools of unusual values too: Python number
	// syntax, Unicode names, malformed queries and specs.
	exotic bool
}

func (g *gen) pick(list ...string) string { return list[g.r.IntN(len(list))] }
func (g *gen) chance(p float64) bool      { return g.r.Float64() < p }
func (g *gen) between(lo, hi int) int     { return lo + g.r.IntN(hi-lo+1) }

// zedFilters are nova 26's filters that need no placement or NUMA data.
var zedFilters = []string{
	"AllHostsFilter", "AvailabilityZoneFilter", "ComputeFilter", "ComputeCapabilitiesFilter",
	"ImagePropertiesFilter", "ServerGroupAntiAffinityFilter", "ServerGroupAffinityFilter",
	"SameHostFilter", "DifferentHostFilter", "SimpleCIDRAffinityFilter", "IoOpsFilter",
	"AggregateIoOpsFilter", "NumInstancesFilter", "AggregateNumInstancesFilter",
	"AggregateTypeAffinityFilter", "AggregateMultiTenancyIsolation",
	"AggregateImagePropertiesIsolation", "AggregateInstanceExtraSpecsFilter", "JsonFilter",
	"IsolatedHostsFilter", "MetricsFilter", "PciPassthroughFilter",
}

var metricNames = []string{"cpu.frequency", "cpu.user.time", "cpu.idle.percent", "cpu.percent", "numa.membw.max"}

var multiplierKeys = []string{"ram_weight_multiplier", "cpu_weight_multiplier", "disk_weight_multiplier",
	"io_ops_weight_multiplier", "pci_weight_multiplier", "soft_affinity_weight_multiplier",
	"soft_anti_affinity_weight_multiplier", "build_failure_weight_multiplier",
	"cross_cell_move_weight_multiplier", "metrics_weight_multiplier"}

func (g *gen) request() map[string]any {
	g.exotic = g.chance(0.3)
	nHosts := g.between(1, 24)
	if g.chance(0.1) {
		nHosts = g.between(30, 80)
	}
	groupMembers := []string{}
	for i := 0; i < g.between(0, 8); i++ {
		groupMembers = append(groupMembers, fmt.Sprintf("mmmmmmmm-0000-4000-8000-%012d", i))
	}
	nInst := g.between(1, 4)
	if g.chance(0.2) {
		nInst = g.between(5, 10)
	}
	var uuids []string
	if g.chance(0.5) {
		// the API adds the new instances to the group's members
		for i := 0; i < nInst; i++ {
			u := fmt.Sprintf("00000000-0000-4000-8000-%012x", i+1)
			groupMembers = append(groupMembers, u)
		}
	}
	if g.chance(0.2) {
		for i := 0; i < nInst; i++ {
			uuids = append(uuids, fmt.Sprintf("iiiiiiii-0000-4000-8000-%012d", i))
		}
		groupMembers = append(groupMembers, uuids...)
	}
	// A third of the requests spread the hosts over two or three cells;
	// most of those ask for a destination cell, half of them allowing a
	// cross-cell move, which is all CrossCellWeigher looks at.
	cells := []string{""}
	if g.chance(0.33) {
		cells = append(cells, "cell-b")
		if g.chance(0.3) {
			cells = append(cells, "cell-c")
		}
	}
	var hosts []map[string]any
	var names []string
	for i := 0; i < nHosts; i++ {
		name := fmt.Sprintf("host%02d", i)
		if g.chance(0.1) {
			name = strings.ToUpper(name)
		}
		if g.exotic && g.chance(0.15) {
			name = g.pick("İstanbul", "istanbul", "ΑΣ", "ας", "ασ", "Straße", "ǅemal") + fmt.Sprint(i)
		}
		node := name
		if i > 0 && g.chance(0.08) {
			name = names[g.r.IntN(len(names))] // a second node of a host
			node = fmt.Sprintf("%s-node%d", name, i)
		}
		names = append(names, name)
		hosts = append(hosts, g.host(name, node, cells, groupMembers))
	}
	spec := g.spec(names, nInst, uuids, groupMembers, hosts, cells)
	req := map[string]any{
		"conf":  g.conf(names, spec),
		"hosts": hosts,
		"spec":  spec,
	}
	if g.chance(0.6) {
		req["num_alts"] = g.between(0, 3)
	}
	req["seed"] = g.r.IntN(1000)
	return req
}

func (g *gen) host(name, node string, cells, members []string) map[string]any {
	h := map[string]any{"host": name}
	if node != name || g.chance(0.5) {
		h["node"] = node
	}
	ram := []int{-512, 0, 512, 1024, 2048, 4096, 8192, 16384, 32768}[g.r.IntN(9)]
	if g.chance(0.3) {
		ram = g.between(-2048, 65536)
	}
	h["free_ram_mb"] = ram
	h["total_usable_ram_mb"] = max(ram, 0) + []int{0, 1024, 8192, 32768}[g.r.IntN(4)]
	disk := []int{0, 10240, 20480, 51200, 102400}[g.r.IntN(5)]
	if g.chance(0.3) {
		disk = g.between(-1024, 409600)
	}
	h["free_disk_mb"] = disk
	h["total_usable_disk_gb"] = max(disk, 0)/1024 + []int{0, 10, 100}[g.r.IntN(3)]
	h["vcpus_total"] = []int{0, 4, 8, 16, 32, 64}[g.r.IntN(6)]
	h["vcpus_used"] = g.between(0, 80)
	h["num_instances"] = []int{0, 1, 5, 10, 49, 50, 51}[g.r.IntN(7)]
	h["num_io_ops"] = g.between(0, 10)
	if g.chance(0.3) {
		h["failed_builds"] = g.between(0, 4)
	}
	if g.chance(0.85) {
		if g.chance(0.1) {
			h["host_ip"] = fmt.Sprintf("2001:db8::%x", g.between(1, 300))
		} else {
			h["host_ip"] = fmt.Sprintf("10.%d.%d.%d", g.between(0, 2), g.between(0, 3), g.between(1, 254))
		}
	}
	if g.chance(0.8) {
		h["hypervisor_type"] = g.pick("QEMU", "kvm", "xen", "powervm", "VMware vCenter Server")
	}
	h["hypervisor_version"] = []int{0, 2011, 1002003, 4001000, 6002000, 7000000}[g.r.IntN(6)]
	if g.chance(0.8) {
		var sup [][]string
		for i := 0; i < g.between(1, 3); i++ {
			sup = append(sup, []string{g.pick("x86_64", "amd64", "i686", "aarch64", "ppc64le", "X86_64"),
				g.pick("kvm", "qemu", "xen", "xapi", "lxc"), g.pick("hvm", "xen", "pv", "exe", "HVM")})
		}
		h["supported_instances"] = sup
	}
	if g.chance(0.3) {
		h["cpu_allocation_ratio"] = []float64{1, 2, 4, 16}[g.r.IntN(4)]
	}
	if g.chance(0.3) {
		h["ram_allocation_ratio"] = []float64{1, 1.5, 2}[g.r.IntN(3)]
	}
	if g.chance(0.2) {
		h["disk_allocation_ratio"] = []float64{1, 2}[g.r.IntN(2)]
	}
	if g.chance(0.5) {
		stats := map[string]any{}
		if g.chance(0.6) {
			stats["cpu_info"] = fmt.Sprintf(`{"arch": "%s", "features": [%s], "topology": {"cores": %d}}`,
				g.pick("x86_64", "aarch64"), g.pick(`"aes", "mmx"`, `"mmx"`, `"aes", "avx2", "sse4"`), g.between(1, 16))
		}
		if g.chance(0.5) {
			stats["gpu"] = fmt.Sprint(g.between(0, 4))
		}
		if g.chance(0.4) {
			stats["rack"] = g.pick("r1", "r2", "r10")
		}
		if g.chance(0.2) {
			stats["num_instances"] = "7"
		}
		if g.exotic && g.chance(0.5) {
			stats[g.pick("cpu_info", "rack", "limits", "host")] = g.pick(`{"arch": NaN}`, `[1, 2]`, `"{\"a\": 1}"`, `{"features": "aes"}`,
				`12`, `1e400`, `{"topology": {"cores": "4"}}`, `not json`, ``)
		}
		h["stats"] = stats
	}
	if g.chance(0.5) {
		m := map[string]any{}
		for _, name := range metricNames {
			if g.chance(0.6) {
				m[name] = g.between(0, 3000)
			}
		}
		h["metrics"] = m
	}
	var aggs []map[string]any
	for i := 0; i < g.between(0, 3); i++ {
		aggs = append(aggs, g.aggregate())
	}
	if g.exotic && len(aggs) > 0 && g.chance(0.15) {
		// An infinite or NaN multiplier makes weights NaN, which only
		// CPython's own sort orders like nova. With one aggregate setting
		// the key: nova takes the min() of a set, whose order with NaN
		// varies between processes.
		k := multiplierKeys[g.r.IntN(len(multiplierKeys))]
		for _, a := range aggs {
			delete(a, k)
		}
		aggs[0][k] = g.pick("inf", "-inf", "nan", "-Infinity", "NaN")
	}
	if len(aggs) > 0 {
		h["aggregates"] = aggs
	}
	var inst []string
	for _, m := range members {
		if g.chance(0.15) {
			inst = append(inst, m)
		}
	}
	for i := 0; i < g.between(0, 3); i++ {
		inst = append(inst, fmt.Sprintf("oooooooo-0000-4000-8000-%012d", g.between(0, 20)))
	}
	if len(inst) > 0 {
		h["instances"] = inst
	}
	if g.chance(0.25) {
		var pools []map[string]any
		for i := 0; i < g.between(1, 3); i++ {
			p := map[string]any{"vendor_id": g.pick("8086", "15b3", "10DE"), "product_id": g.pick("1520", "1521", "1013"),
				"count": g.between(0, 4)}
			if g.chance(0.5) {
				p["numa_node"] = g.between(0, 1)
			}
			if g.chance(0.7) {
				p["dev_type"] = g.pick("type-PCI", "type-PF", "type-VF", "vdpa")
			}
			if g.chance(0.2) {
				p["physical_network"] = g.pick("physnet1", "PhysNet2")
			}
			if g.chance(0.15) {
				p["remote_managed"] = g.pick("true", "false")
			}
			pools = append(pools, p)
		}
		h["pci_pools"] = pools
	}
	svc := map[string]any{}
	if g.chance(0.08) {
		svc["disabled"] = true
	}
	if g.chance(0.05) {
		svc["forced_down"] = true
	}
	if len(svc) > 0 || g.chance(0.5) {
		h["service"] = svc
	}
	if len(cells) > 1 && g.chance(0.5) {
		h["cell_uuid"] = cells[1+g.r.IntN(len(cells)-1)]
	}
	return h
}

func (g *gen) aggregate() map[string]any {
	md := map[string]any{}
	if g.exotic && g.chance(0.4) {
		switch g.r.IntN(5) {
		case 0:
			md["max_io_ops_per_host"] = g.pick("1_0", "٣", "\u00a04\u3000", "+2", "-1", "inf", "4.0", "0x5", "2\x1c")
		case 1:
			md["max_instances_per_host"] = g.pick("1_0", "٣", "\t7\n", "00", "1e2")
		case 2:
			md[multiplierKeys[g.r.IntN(len(multiplierKeys))]] = g.pick("1_0.5", "٣", " -2 ", "1e-3", ".5", "5.", "1_e3", "-0")
		case 3:
			md["availability_zone"] = g.pick("az1\u00a0", "\u3000az2", "AZ1", "az1,,az2", "")
		default:
			md["ssd"] = g.pick("TRUE", "true ", "1")
		}
	}
	for i := 0; i < g.between(1, 4); i++ {
		switch g.r.IntN(15) {
		case 0:
			md["availability_zone"] = g.pick("az1", "az2", "az1,az3", " az2 ")
		case 1:
			md["filter_tenant_id"] = g.pick("p1", "p2", "p1, p3", "p4")
		case 2:
			md["instance_type"] = g.pick("m1.small", "m1.small, m1.large", "m1.tiny")
		case 3:
			md["max_io_ops_per_host"] = g.pick("2", "5", " 3 ", "x", "1_0")
		case 4:
			md["max_instances_per_host"] = g.pick("1", "10", "50", "bad")
		case 5, 6:
			md[multiplierKeys[g.r.IntN(len(multiplierKeys))]] = g.pick("0", "2.0", "-1", "0.5", "10", "1e3", "oops", " 3 ")
		case 7:
			md["ssd"] = g.pick("true", "false", "true,false")
		case 8:
			md["cores"] = g.pick("4", "8,16", "32")
		case 9:
			md["os_distro"] = g.pick("ubuntu", "windows", "ubuntu,centos")
		case 10:
			md["hw_vm_mode"] = g.pick("hvm", "xen", "hvm,exe")
		case 11:
			md["isolation.os_distro"] = g.pick("ubuntu", "windows")
		case 12:
			md["hw_qemu_guest_agent"] = g.pick("True", "False", "yes")
		case 13:
			md["hw_video_ram"] = g.pick("64", "32", "64,128")
		default:
			md["hw_architecture"] = g.pick("x86_64", "aarch64")
		}
	}
	return md
}

var exoticSpecKeys = []string{
	"capabilities:", "capabilities::x", "capabilities:cpu_info:topology", "limits", "cpu_info",
	"capabilities:limits", "capabilities:supported_instances", "updated", "numa_topology",
	"capabilities:host:x", "hypervisor_hostname", "capabilities:stats", "aggregate_instance_extra_specs:cores",
	"aggregate_instance_extra_specs:", "ram_allocation_ratio", "disk_allocation_ratio", "failed_builds",
	"capabilities:cpu_info:features:0", "num_io_ops", "vcpus_used", "total_usable_disk_gb",
}

var extraSpecKeys = []string{
	"capabilities:hypervisor_type", "capabilities:cpu_info:arch", "capabilities:cpu_info:features",
	"capabilities:cpu_info:topology:cores", "free_ram_mb", "vcpus_total", "hypervisor_version",
	"num_instances", "gpu", "rack", "host", "capabilities:gpu", "aggregate_instance_extra_specs:ssd",
	"ssd", "cores", "hw:cpu_policy", "trust:trusted_host", "capabilities:no_such", "free_disk_mb",
	"capabilities:stats:rack", "hypervisor_type", "host_ip", "cpu_allocation_ratio", "supported_instances",
	"capabilities:cpu_info", "nodename", "capabilities:host_ip",
}

func (g *gen) extraSpecValue(key string) string {
	if g.exotic && g.chance(0.4) {
		return g.pick("\t= 4", "=  4 ", "<or>  true  <or> false", "<or> x86_64 <or>", "<or>", "s==", "= abc",
			"== 1_0", "<= ٣٢", ">= inf", "!= nan", "<all-in>", "<in>", "s< ", "= 1e400", "{}", "[]",
			"<in> 'x86_64', 'kvm'", "s== None", "True", "<or> 16.0 <or> 2.0", "s== 2.0", "s== 16.0")
	}
	switch {
	case strings.Contains(key, "features"):
		return g.pick("<all-in> aes mmx", "<in> aes", "<in> avx2", "s== ['mmx']")
	case strings.Contains(key, "hypervisor_type"):
		return g.pick("s== QEMU", "QEMU", "<or> kvm <or> QEMU", "s!= xen", "<in> VM")
	case strings.Contains(key, "arch"):
		return g.pick("x86_64", "<or> aarch64 <or> ppc64le", "s>= b")
	case strings.Contains(key, "ssd"):
		return g.pick("true", "false", "<or> true <or> false", "s== true")
	case strings.Contains(key, "policy"), strings.Contains(key, "trust"):
		return g.pick("dedicated", "true")
	case key == "host", key == "nodename", strings.Contains(key, "rack"):
		return g.pick("<in> host0", "s< host10", "r1", "<or> r1 <or> r2", "s== HOST01")
	case strings.Contains(key, "host_ip"):
		return g.pick("<in> 10.1.", "s>= 10.1")
	case key == "supported_instances", key == "capabilities:cpu_info":
		return g.pick("<in> kvm", "<in> 'x86_64'", "<in> \"arch\"")
	}
	return g.pick("= 4", ">= 2048", "<= 16", "== 0", "!= 1", "8", ">= 6000000", "= 2", "<= 1.5e1", "s== 2")
}

func (g *gen) spec(names []string, nInst int, uuids, members []string, hosts []map[string]any, cells []string) map[string]any {
	s := map[string]any{
		"memory_mb":    []int{0, 256, 512, 1024, 2048, 4096, 8192}[g.r.IntN(7)],
		"vcpus":        []int{1, 2, 4, 8}[g.r.IntN(4)],
		"root_gb":      []int{0, 1, 10, 20, 80}[g.r.IntN(5)],
		"ephemeral_gb": []int{0, 0, 5}[g.r.IntN(3)],
	}
	if g.chance(0.2) {
		s["swap"] = g.between(0, 2048)
	}
	if len(uuids) > 0 {
		s["instance_uuids"] = uuids
	} else {
		s["num_instances"] = nInst
	}
	if g.chance(0.7) {
		s["project_id"] = g.pick("p1", "p2", "p3")
	}
	if g.chance(0.7) {
		s["flavor_name"] = g.pick("m1.small", "m1.large", "m1.tiny", "custom")
	}
	if g.chance(0.3) {
		s["availability_zone"] = g.pick("az1", "az2", "az3", "nova")
	}
	if g.chance(0.5) {
		es := map[string]any{}
		for i := 0; i < g.between(1, 3); i++ {
			k := extraSpecKeys[g.r.IntN(len(extraSpecKeys))]
			if g.exotic && g.chance(0.5) {
				k = exoticSpecKeys[g.r.IntN(len(exoticSpecKeys))]
			}
			es[k] = g.extraSpecValue(k)
		}
		s["extra_specs"] = es
	}
	if g.chance(0.3) {
		s["image_id"] = g.pick("img-iso", "img-plain")
	}
	if g.chance(0.5) {
		ip := map[string]any{}
		if g.chance(0.5) {
			ip[g.pick("hw_architecture", "architecture")] = g.pick("x86_64", "amd64", "aarch64", "i386")
		}
		if g.chance(0.4) {
			ip[g.pick("img_hv_type", "hypervisor_type")] = g.pick("kvm", "qemu", "xen", "xapi")
		}
		if g.chance(0.3) {
			ip[g.pick("hw_vm_mode", "vm_mode")] = g.pick("hvm", "xen", "pv")
		}
		if g.chance(0.3) {
			ip["img_hv_requested_version"] = g.pick(">= 6.0", "< 5.0", ">= 1.2, < 4.2", "== 6.2", ">= 2.11")
		}
		if g.chance(0.3) {
			ip["os_distro"] = g.pick("ubuntu", "windows", "centos")
		}
		if g.chance(0.2) {
			ip["hw_qemu_guest_agent"] = g.pick("yes", "no", "true")
		}
		if g.chance(0.25) {
			// JSON numbers and booleans, coerced by the field's type
			switch g.r.IntN(4) {
			case 0:
				ip["hw_video_ram"] = []any{64, 32, json.Number("64.0"), json.Number("64.5"), "64", true}[g.r.IntN(6)]
			case 1:
				ip["hw_qemu_guest_agent"] = []any{true, false, 1, 0, json.Number("1.0")}[g.r.IntN(5)]
			case 2:
				ip["os_distro"] = []any{7, json.Number("1.5"), true, "ubuntu"}[g.r.IntN(4)]
			default:
				ip["hw_cpu_cores"] = []any{4, json.Number("4.0"), json.Number("4.9"), false}[g.r.IntN(4)]
			}
		}
		if g.exotic && g.chance(0.5) {
			switch g.r.IntN(9) {
			case 8:
				// nova refuses these, or ignores them
				k := g.pick("hw_architecture", "hw_tpm_version", "vmware_adaptertype", "hw_video_ram", "img_hv_requested_version", "unknown_prop")
				ip[k] = []any{nil, 1, json.Number("2.0"), false, 0, json.Number("1e400"), true}[g.r.IntN(7)]
			case 0:
				ip["hw_architecture"] = g.pick("z80", "ARMV7L", "x86_32", "i586")
			case 1:
				ip["vmware_adaptertype"] = g.pick("ide", "lsiLogicsas", "paravirtual", "bogus")
			case 2:
				ip["os_type"] = g.pick("Linux", "WINDOWS", "beos")
			case 3:
				ip["hw_vif_model"] = g.pick("VirtualE1000", "virtio", "nic")
			case 4:
				ip["hw_cpu_cores"] = g.pick("4", " 0 ", "1_6", "4.0")
			case 5:
				ip["img_hv_requested_version"] = g.pick(">= 6", ">= 6.0)(", "> 1.0b2", "", "6.0", "<= 4.1.0a1, != 2.0")
			case 6:
				ip["img_hv_type"] = g.pick("XAPI", "kvm ", "vz")
			default:
				ip["hw_vm_mode"] = g.pick("PV", "HV", "baremetal", "exe", "bogus")
			}
		}
		s["image_props"] = ip
	}
	hints := map[string]any{}
	if g.chance(0.15) {
		hints["same_host"] = g.hostInstances(hosts, 2)
	}
	if g.chance(0.25) {
		hints["different_host"] = g.hostInstances(hosts, 2)
	}
	if g.chance(0.15) {
		hints["build_near_host_ip"] = g.pick("10.0.0.1", "10.1.2.3", "10.2.0.0")
		if g.chance(0.7) {
			hints["cidr"] = g.pick("/24", "/16", "/8", "/255.255.0.0", "/30")
		}
	}
	if g.chance(0.3) {
		hints["query"] = g.query()
	}
	if g.chance(0.05) {
		hints["_nova_check_type"] = g.pick("rebuild", "migrate")
	}
	if g.exotic && g.chance(0.3) {
		switch g.r.IntN(5) {
		case 0:
			hints["build_near_host_ip"] = g.pick("2001:db8::", "10", "10.1", " 10.0.0.1", "010.0.0.1", "::ffff:10.0.0.1")
			hints["cidr"] = g.pick("/64", "/120", "/255.0.0.0", "/0.0.255.255", "/ 16", "", "/8 ", "/٨")
		case 1:
			hints["cidr"] = []string{"/24", "/16"}
			hints["build_near_host_ip"] = "10.0.0.1"
		case 2:
			hints["query"] = []string{`[">=", "$free_ram_mb", 1]`, `[]`}
		case 3:
			hints["same_host"] = []string{}
		default:
			hints["different_host"] = ""
		}
	}
	if len(hints) > 0 {
		s["hints"] = hints
	}
	if g.chance(0.1) {
		s["ignore_hosts"] = []string{strings.ToLower(names[g.r.IntN(len(names))]), "nosuch"}
	}
	if g.exotic && g.chance(0.2) {
		s["ignore_hosts"] = []string{g.pick("i̇stanbul0", "İSTANBUL1", "ΑΣ2", "ας3", "STRASSE4", "straße5", "Ǆemal6", "ǆemal7")}
	}
	if g.chance(0.05) {
		s["force_hosts"] = []string{strings.ToUpper(names[g.r.IntN(len(names))])}
	}
	if g.chance(0.03) {
		s["force_nodes"] = []string{hosts[g.r.IntN(len(hosts))]["host"].(string)}
	}
	if g.chance(0.55) {
		grp := map[string]any{"policy": g.pick("affinity", "anti-affinity", "soft-affinity", "soft-anti-affinity"),
			"members": members}
		if g.chance(0.4) {
			grp["hosts"] = []string{names[g.r.IntN(len(names))]}
		}
		if g.chance(0.3) {
			grp["rules"] = map[string]any{"max_server_per_host": g.pick("1", "2", "3")}
			if g.exotic {
				grp["rules"] = map[string]any{"max_server_per_host": g.pick("0", "-1", " 2 ", "x", "2.0", "1_0")}
			}
		}
		s["group"] = grp
	}
	if g.chance(0.15) {
		var reqs []map[string]any
		for i := 0; i < g.between(1, 2); i++ {
			spec := map[string]any{"vendor_id": g.pick("8086", "15b3", "10de")}
			if g.chance(0.6) {
				spec["product_id"] = g.pick("1520", "1521", "1013")
			}
			if g.chance(0.2) {
				spec["dev_type"] = g.pick("type-PF", "type-VF", "vdpa")
			}
			if g.chance(0.1) {
				spec["physical_network"] = "physnet2"
			}
			if g.chance(0.1) {
				spec["remote_managed"] = "true"
			}
			reqs = append(reqs, map[string]any{"count": g.between(1, 3), "spec": []map[string]any{spec}})
		}
		s["pci_requests"] = reqs
	}
	if g.chance(0.05) {
		h := hosts[g.r.IntN(len(hosts))]
		node, _ := h["node"].(string)
		if node == "" {
			node = h["host"].(string)
		}
		s["retry"] = map[string]any{"num_attempts": 1, "hosts": [][]string{{h["host"].(string), node}}}
	}
	if g.chance(0.08) || len(cells) > 1 && g.chance(0.75) {
		d := map[string]any{}
		if g.chance(0.4) {
			h := hosts[g.r.IntN(len(hosts))]
			d["host"] = h["host"]
			if node, ok := h["node"].(string); ok && g.chance(0.5) {
				d["node"] = node
			}
		}
		if len(cells) > 1 && g.chance(0.85) {
			// the default cell, "", cannot be named
			d["cell"] = cells[1+g.r.IntN(len(cells)-1)]
			d["allow_cross_cell_move"] = g.chance(0.6)
		}
		s["requested_destination"] = d
	}
	return s
}

// hostInstances picks instance UUIDs on random hosts, or an unknown one.
func (g *gen) hostInstances(hosts []map[string]any, n int) any {
	var out []string
	for i := 0; i < n; i++ {
		h := hosts[g.r.IntN(len(hosts))]
		if inst, ok := h["instances"].([]string); ok && len(inst) > 0 {
			out = append(out, inst[g.r.IntN(len(inst))])
		} else {
			out = append(out, "uuuuuuuu-0000-4000-8000-000000000000")
		}
	}
	if len(out) == 1 || g.chance(0.3) {
		return out[0]
	}
	return out
}

func (g *gen) query() string {
	terms := []string{
		`[">=", "$free_ram_mb", 1024]`, `["<", "$num_io_ops", 5]`, `["=", "$hypervisor_type", "QEMU"]`,
		`["in", "$host", "host01", "host02", "HOST03"]`, `[">", "$vcpus_total", 8]`,
		`["=", "$stats.rack", "r1"]`, `["<=", "$free_disk_mb", 20480, 51200]`,
		`[">=", "$cpu_allocation_ratio", 2.5]`, `["=", "$service.disabled", false]`,
		`["not", ["=", "$host_ip", "10.0.0.5"]]`, `["=", "$no_such", 1]`, `[">=", "$free_ram_mb", "$total_usable_ram_mb"]`,
	}
	t := func() string { return terms[g.r.IntN(len(terms))] }
	if g.exotic && g.chance(0.5) {
		return g.pick(`["=", "$service.disabled", true]`, `["in", 4, 1, 2, "$num_io_ops"]`, `[">", "$stats", 1]`,
			`["=", "$supported_instances", [["x86_64", "kvm", "hvm"]]]`, `"<abc"`, `"=="`, `["not"]`, `["and"]`,
			`[["=", 1, 1]]`, `[1, 2]`, `{"a": 1}`, `5`, `true`, `0`, `null`, `["=", 1, true]`, `["<", [1, 2], [1, 3]]`,
			`["=", "$host_ip", "10.0.0.1"]`, `[">=", "$hypervisor_version", 6000000]`, `["=", "$cpu_info", null]`,
			`["or", ["not", true], []]`, `["<=", "$free_ram_mb", 1e3, 2048.5]`, `["=", "$stats.cpu_info", "x"]`,
			`["=", "$host.x", 1]`, `["in", "$free_ram_mb", "1024", 1024.0]`, `[">", "$limits", {}]`, `["=", "$limits", {}]`,
			`["=", "$service.forced_down", "$service.disabled"]`, `["<", "$no_such.x", 1, 2]`, `["=", "", "", ""]`,
			`["not", ["in", "$host", "İstanbul3", "ασ1"]]`, `[">", 1e400, "$free_ram_mb"]`, `["=", NaN, NaN]`)
	}
	switch g.r.IntN(5) {
	case 0:
		return t()
	case 1:
		return fmt.Sprintf(`["and", %s, %s]`, t(), t())
	case 2:
		return fmt.Sprintf(`["or", %s, %s, %s]`, t(), t(), t())
	case 3:
		return fmt.Sprintf(`["not", %s]`, t())
	}
	return g.pick(`[]`, `""`, `["<", "$host", 1]`, `[">=", "$free_ram_mb"`)
}

// wantedFilters are the filters that act only on requests with some
// hint, group policy or PCI request, by what the spec asks.
func wantedFilters(spec map[string]any) []string {
	var want []string
	hints, _ := spec["hints"].(map[string]any)
	for hint, f := range map[string]string{"same_host": "SameHostFilter", "different_host": "DifferentHostFilter",
		"build_near_host_ip": "SimpleCIDRAffinityFilter", "query": "JsonFilter"} {
		if _, ok := hints[hint]; ok {
			want = append(want, f)
		}
	}
	if grp, ok := spec["group"].(map[string]any); ok {
		switch grp["policy"] {
		case "affinity":
			want = append(want, "ServerGroupAffinityFilter")
		case "anti-affinity":
			want = append(want, "ServerGroupAntiAffinityFilter")
		}
	}
	if _, ok := spec["availability_zone"]; ok {
		want = append(want, "AvailabilityZoneFilter")
	}
	if _, ok := spec["pci_requests"]; ok {
		want = append(want, "PciPassthroughFilter")
	}
	if _, ok := spec["image_props"]; ok {
		want = append(want, "AggregateImagePropertiesIsolation")
	}
	slices.Sort(want) // map order must not reach the draws
	return want
}

func (g *gen) conf(names []string, spec map[string]any) map[string]any {
	fs := map[string]any{}
	n := g.between(0, 8)
	perm := g.r.Perm(len(zedFilters))
	filters := []string{}
	for _, i := range perm[:n] {
		filters = append(filters, zedFilters[i])
	}
	// The filters that act only on some requests are enabled more often
	// on those, so that every sample of a few hundred requests sees them
	// remove hosts.
	for _, f := range wantedFilters(spec) {
		if !slices.Contains(filters, f) && g.chance(0.5) {
			filters = slices.Insert(filters, g.r.IntN(len(filters)+1), f)
		}
	}
	if g.chance(0.1) {
		fs["enabled_filters"] = DefaultFilters
	} else if !g.chance(0.05) {
		fs["enabled_filters"] = filters
	}
	ws := []string{}
	for _, i := range g.r.Perm(len(builtinWeighers)) {
		if g.chance(0.5) {
			ws = append(ws, builtinWeighers[i].path)
		}
	}
	const crossCellPath = "nova.scheduler.weights.cross_cell.CrossCellWeigher"
	d, _ := spec["requested_destination"].(map[string]any)
	crossCell := d != nil && d["cell"] != nil && d["allow_cross_cell_move"] == true
	if crossCell && !slices.Contains(ws, crossCellPath) && g.chance(0.7) {
		ws = slices.Insert(ws, g.r.IntN(len(ws)+1), crossCellPath)
	}
	if grp, ok := spec["group"].(map[string]any); ok {
		path := map[any]string{"soft-affinity": "nova.scheduler.weights.affinity.ServerGroupSoftAffinityWeigher",
			"soft-anti-affinity": "nova.scheduler.weights.affinity.ServerGroupSoftAntiAffinityWeigher"}[grp["policy"]]
		if path != "" && !slices.Contains(ws, path) && g.chance(0.6) {
			ws = slices.Insert(ws, g.r.IntN(len(ws)+1), path)
		}
	}
	fs["weight_classes"] = ws
	if g.chance(0.3) {
		fs["host_subset_size"] = g.between(1, 4)
	}
	if g.chance(0.2) {
		fs["shuffle_best_same_weighed_hosts"] = true
	}
	if g.chance(0.2) {
		fs["max_io_ops_per_host"] = g.between(0, 8)
	}
	if g.chance(0.2) {
		fs["max_instances_per_host"] = g.between(1, 50)
	}
	for _, k := range multiplierKeys {
		if k == "metrics_weight_multiplier" || !g.chance(0.25) {
			continue
		}
		v := []float64{0, 1, 2, -1, 0.5, 1000000}[g.r.IntN(6)]
		if (k == "pci_weight_multiplier" || strings.HasPrefix(k, "soft_")) && v < 0 {
			v = -v
		}
		fs[k] = v
		if g.exotic && g.chance(0.1) {
			fs[k] = g.pick("inf", "nan")
		}
	}
	if g.chance(0.3) || slices.Contains(filters, "IsolatedHostsFilter") && g.chance(0.6) {
		fs["isolated_hosts"] = []string{names[g.r.IntN(len(names))]}
		if g.chance(0.7) {
			fs["isolated_images"] = []string{"img-iso"}
		}
		fs["restrict_isolated_hosts_to_isolated_images"] = g.chance(0.5)
	}
	if g.chance(0.2) {
		fs["aggregate_image_properties_isolation_namespace"] = "isolation"
	}
	if g.chance(0.1) {
		fs["image_properties_default_architecture"] = g.pick("x86_64", "aarch64")
	}
	conf := map[string]any{"filter_scheduler": fs}
	if g.chance(0.5) || slices.Contains(ws, "nova.scheduler.weights.metrics.MetricsWeigher") {
		m := map[string]any{}
		setting := []string{}
		for _, name := range metricNames {
			if g.chance(0.3) {
				setting = append(setting, fmt.Sprintf("%s=%s", name, g.pick("1.0", "-1", "0.5", "0", "x")))
				if g.exotic && g.chance(0.3) {
					setting[len(setting)-1] = g.pick(name+"= 2", "=1", name, name+"=1_0", name+" =1", name+"=٢")
				}
			}
		}
		m["weight_setting"] = setting
		if g.chance(0.85) {
			m["required"] = false
		}
		if g.chance(0.3) {
			m["weight_multiplier"] = []float64{0, 1, -2}[g.r.IntN(3)]
		}
		if g.chance(0.2) {
			m["weight_of_unavailable"] = -5.0
		}
		conf["metrics"] = m
	}
	if g.chance(0.1) {
		conf["DEFAULT"] = map[string]any{"default_availability_zone": g.pick("az1", "nova")}
	}
	return conf
}
