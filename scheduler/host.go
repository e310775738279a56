package scheduler

import (
	"slices"
)

// HostState is one compute node as nova's scheduler sees it
// (nova.scheduler.host_manager.HostState): the resources it has left, the
// counters the compute service reports, its aggregates and the instances on
// it. The resource fields change as instances are placed on it during a
// request; see ConsumeFromRequest.
type HostState struct {
	Host string // the compute service's host name
	Node string // the hypervisor node name (nova's nodename); nova allows several per host
	// CellUUID is the cell the node belongs to. Alternates are chosen from
	// the selected host's cell only. Empty is a cell like any other.
	CellUUID string

	FreeRAMMB         int64 // may be negative when RAM is overcommitted
	FreeDiskMB        int64
	TotalUsableRAMMB  int64
	TotalUsableDiskGB int64
	VCPUsTotal        int64
	VCPUsUsed         int64
	NumInstances      int64 // nova reads it from the node's stats["num_instances"]
	NumIOOps          int64 // nova reads it from the node's stats["io_workload"]
	FailedBuilds      int64 // recent failed boots, from stats["failed_builds"]

	// HostIP is the node's address as text: an IPv4 dotted quad or an IPv6
	// address, as net/netip reads it. Empty means unknown.
	HostIP            string
	HypervisorType    string
	HypervisorVersion int64 // nova's integer form: 6001002 is version 6.1.2
	// SupportedInstances lists the (architecture, hypervisor type, VM mode)
	// triples the node can run. Names are canonicalized as nova does
	// (amd64 is x86_64, xapi is xen, pv is xen); an unknown name is an
	// error, as it is for nova's HVSpec.
	SupportedInstances []HVSpec

	// Allocation ratios. Zero means nova's defaults 16.0, 1.5 and 1.0: nova
	// replaces a 0.0 ratio of a compute node the same way.
	CPUAllocationRatio  float64
	RAMAllocationRatio  float64
	DiskAllocationRatio float64

	// Stats are the node's free-form stats; ComputeCapabilitiesFilter and
	// JsonFilter can read them. A value may be JSON text that
	// "capabilities:key:subkey" extra specs look into.
	Stats map[string]string
	// Metrics are the node's monitor metrics (nova's MonitorMetric values
	// are integers), read by MetricsFilter and MetricsWeigher.
	Metrics map[string]int64
	// Aggregates are the host aggregates the node is in; their metadata
	// drives the Aggregate* filters, availability zones and per-aggregate
	// weight multipliers.
	Aggregates []Aggregate
	// Instances are the UUIDs of the instances on the node.
	Instances []string
	// PCIPools summarizes the node's free PCI devices.
	PCIPools []PCIPool
	// Service is the state of the node's nova-compute service.
	Service Service
}

// HVSpec is one entry of a node's supported instances.
type HVSpec struct {
	Arch   string // e.g. "x86_64"
	HVType string // e.g. "kvm"
	VMMode string // e.g. "hvm"
}

// Aggregate is a host aggregate as the filters see it: its name and
// metadata. Metadata values may be comma-separated lists; nova splits them
// on commas and trims blanks.
type Aggregate struct {
	Name     string
	Metadata map[string]string
}

// Service is the state of a node's nova-compute service. ComputeFilter
// passes a node only if its service is neither disabled nor forced down.
type Service struct {
	Disabled       bool
	DisabledReason string
	ForcedDown     bool
}

// PCIPool is one pool of identical free PCI devices on a node (an entry of
// nova's PciDeviceStats): vendor and product IDs, NUMA node, how many are
// free and the device spec tags such as dev_type ("type-PCI", "type-PF",
// "type-VF", "vdpa"), physical_network or remote_managed.
type PCIPool struct {
	VendorID  string
	ProductID string
	NUMANode  *int // nil when the node does not report one
	Count     int64
	// Tags must not use the names vendor_id, product_id, numa_node or count.
	Tags map[string]string
}

// keyCount is the number of keys of nova's pool dict, by which
// PciDeviceStats orders its pools.
func (p PCIPool) keyCount() int { return 4 + len(p.Tags) }

// get is pool.get(key) on nova's pool dict: the IDs and tags are strings,
// numa_node and count are integers, which never equal a string in a
// request spec.
func (p PCIPool) get(key string) (string, bool) {
	switch key {
	case "vendor_id":
		return p.VendorID, true
	case "product_id":
		return p.ProductID, true
	case "numa_node", "count":
		return "", false
	}
	v, ok := p.Tags[key]
	return v, ok
}

// Default allocation ratios of nova's ComputeNode (cpu, ram, disk).
const (
	DefaultCPUAllocationRatio  = 16.0
	DefaultRAMAllocationRatio  = 1.5
	DefaultDiskAllocationRatio = 1.0
)

func (h *HostState) cpuRatio() float64 {
	if h.CPUAllocationRatio == 0 {
		return DefaultCPUAllocationRatio
	}
	return h.CPUAllocationRatio
}

func (h *HostState) ramRatio() float64 {
	if h.RAMAllocationRatio == 0 {
		return DefaultRAMAllocationRatio
	}
	return h.RAMAllocationRatio
}

func (h *HostState) diskRatio() float64 {
	if h.DiskAllocationRatio == 0 {
		return DefaultDiskAllocationRatio
	}
	return h.DiskAllocationRatio
}

// ConsumeFromRequest takes one instance of spec from the host, as nova's
// HostState.consume_from_request does after selecting it: RAM, disk (root
// plus ephemeral, not swap) and vCPUs, one more instance, the PCI devices of
// spec.PCIRequests, and one more I/O operation. As in nova, a PCI request
// the pools cannot satisfy is not an error: consumption stops there, the
// pools keep what was taken so far and the I/O counter is left alone. It
// does not record the instance in Instances; Schedule does that when the
// request carries instance UUIDs. The slices of h are not modified in place.
func (h *HostState) ConsumeFromRequest(spec *RequestSpec) {
	h.FreeRAMMB -= spec.Flavor.MemoryMB
	h.FreeDiskMB -= (spec.Flavor.RootGB + spec.Flavor.EphemeralGB) * 1024
	h.VCPUsUsed += spec.Flavor.VCPUs
	h.NumInstances++
	if len(spec.PCIRequests) > 0 {
		pools := slices.Clone(h.PCIPools)
		slices.SortStableFunc(pools, func(a, b PCIPool) int { return a.keyCount() - b.keyCount() })
		pools, ok := pciApply(pools, spec.PCIRequests)
		h.PCIPools = pools
		if !ok {
			return
		}
	}
	h.NumIOOps++
}
