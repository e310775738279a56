package scheduler

import "fmt"

// RequestSpec is what is asked of the scheduler: a flavor and an image for
// NumInstances identical instances, plus placement constraints (nova's
// RequestSpec object).
type RequestSpec struct {
	Flavor Flavor
	Image  Image
	// NumInstances is how many instances to place; zero means one, and at
	// most MaxInstances. It is ignored when InstanceUUIDs is set.
	NumInstances int
	// InstanceUUIDs names the instances to place, one per instance. When it
	// is empty, instance i (from 0) is named DefaultInstanceUUID(i). Each
	// selected host records its instance, so that
	// ServerGroupAntiAffinityFilter counts it for the next ones when the
	// group's Members list it.
	InstanceUUIDs []string
	// ProjectID is the tenant, matched by AggregateMultiTenancyIsolation;
	// empty means none.
	ProjectID string
	// AvailabilityZone is the requested zone; empty means any.
	AvailabilityZone string
	// SchedulerHints are the request's hints: same_host, different_host,
	// build_near_host_ip and cidr, query (JsonFilter), ... Each hint is a
	// list; a one-element list reads as a plain string, as in nova.
	SchedulerHints map[string][]string
	// IgnoreHosts drops these hosts (case-insensitively) before filtering.
	IgnoreHosts []string
	// ForceHosts and ForceNodes restrict the request to these hosts
	// (case-insensitively) or nodes and skip the filters, unless the
	// _nova_check_type hint is set.
	ForceHosts []string
	ForceNodes []string
	// Group is the server group the instances join, if any.
	Group *ServerGroup
	// PCIRequests are the PCI devices each instance needs.
	PCIRequests []PCIRequest
	// Retry lists the nodes earlier attempts used (RetryFilter).
	Retry *Retry
	// RequestedDestination restricts the request to a host (and node), or
	// a cell: what a targeted boot, a live migration to a host or a
	// cross-cell move asks.
	RequestedDestination *Destination
}

// Flavor is the instance type.
type Flavor struct {
	Name        string
	MemoryMB    int64
	VCPUs       int64
	RootGB      int64
	EphemeralGB int64
	SwapMB      int64 // counted by DiskFilter only
	// ExtraSpecs are the flavor's extra specs, e.g. "hw:cpu_policy",
	// "capabilities:hypervisor_type", "aggregate_instance_extra_specs:ssd".
	// Filters that read several look at them in key order.
	ExtraSpecs map[string]string
}

// Image is the image to boot.
type Image struct {
	ID string
	// Properties are glance's image properties, e.g. "hw_architecture",
	// "img_hv_type", "hw_vm_mode", "img_hv_requested_version", "os_distro".
	// They are read as nova's ImageMetaProps reads them (see
	// CanonicalArch); a value nova would refuse is an error.
	Properties map[string]string
}

// ServerGroup is the instance group of the request.
type ServerGroup struct {
	// Policy is one of "affinity", "anti-affinity", "soft-affinity" and
	// "soft-anti-affinity".
	Policy string
	// Members are the instances of the group, including the ones being
	// scheduled when the API already added them.
	Members []string
	// Hosts are the hosts the group's instances are on. Schedule adds each
	// host it selects, for the later instances of the request.
	Hosts []string
	// Rules holds "max_server_per_host" for anti-affinity, an integer as
	// a string (default 1).
	Rules map[string]string
}

// Retry lists the nodes earlier scheduling attempts for the instance used.
type Retry struct {
	NumAttempts int
	Hosts       []NodeRef
}

// NodeRef names a node by host and node name.
type NodeRef struct {
	Host string
	Node string
}

// Destination is nova's requested destination.
type Destination struct {
	Host string // if set, only this host is considered
	Node string // with Host: only this node
	// Cell restricts the request to hosts whose CellUUID is Cell unless
	// AllowCrossCellMove; with AllowCrossCellMove, CrossCellWeigher
	// prefers them.
	Cell               string
	AllowCrossCellMove bool
}

// MaxInstances bounds the instances of one request. nova bounds them with
// quotas (ten instances by default); the bound here only keeps a request
// from running away.
const MaxInstances = 10000

// DefaultInstanceUUID is the UUID Schedule gives instance i of a request
// whose InstanceUUIDs is empty.
func DefaultInstanceUUID(i int) string {
	return fmt.Sprintf("00000000-0000-4000-8000-%012x", i+1)
}

// hint is RequestSpec.get_scheduler_hint: the value list, and whether the
// hint is set. A one-element list is the plain value.
func (s *RequestSpec) hint(name string) ([]string, bool) {
	v, ok := s.SchedulerHints[name]
	return v, ok
}

// isRebuild is nova's request_is_rebuild: the _nova_check_type hint is
// exactly ["rebuild"].
func (s *RequestSpec) isRebuild() bool {
	v, ok := s.SchedulerHints["_nova_check_type"]
	return ok && len(v) == 1 && v[0] == "rebuild"
}

// checkType reports whether the _nova_check_type hint is set to a
// non-empty list, which makes forced hosts go through the filters.
func (s *RequestSpec) checkType() bool {
	return len(s.SchedulerHints["_nova_check_type"]) > 0
}

func (s *RequestSpec) instanceCount() int {
	if len(s.InstanceUUIDs) > 0 {
		return len(s.InstanceUUIDs)
	}
	if s.NumInstances == 0 {
		return 1
	}
	return s.NumInstances
}

func (s *RequestSpec) instanceUUID(i int) string {
	if len(s.InstanceUUIDs) > 0 {
		return s.InstanceUUIDs[i]
	}
	return DefaultInstanceUUID(i)
}
