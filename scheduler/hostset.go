package scheduler

import (
	"fmt"
	"net/netip"
	"slices"
	"sync"
)

// HostSet is a list of hosts prepared for one Scheduler: validated, with
// what the filters and weighers read from aggregates computed once. Every
// Schedule on it starts from these states and leaves them unchanged, the
// way nova starts each request from the states it reads from its database.
// A HostSet is safe for concurrent use.
type HostSet struct {
	s     *Scheduler
	hosts []HostState
	info  []hostInfo
	// mult[w][i] is the multiplier of built-in weigher w for host i.
	mult [][]float64
	// metricW[i] is MetricsWeigher's raw weight for host i, metricErr[i]
	// whether a required metric is missing.
	metricW   []float64
	metricErr []bool
	// nums are the prepared raw weights (see hostNums); flat[k] tells
	// whether weigher kind k gives every host the same one.
	nums kindNums
	flat [numKinds]bool
	// multUniform[w] tells whether weigher w has one multiplier for every
	// host (multScalar[w]); multFinite[w] whether none is infinite or NaN.
	multUniform []bool
	multScalar  []float64
	multFinite  []bool
	runs        sync.Pool
}

// hostInfo is what the built-in filters read that cannot change during a
// request.
type hostInfo struct {
	ip    netip.Addr
	hasIP bool
	// meta is nova's aggregate_metadata_get_by_host(host): every metadata
	// key of the host's aggregates to the set of its values, split on
	// commas and trimmed.
	meta map[string][]string
	// azs and tenants are the values of availability_zone and
	// filter_tenant_id; hasAZ and hasTenant tell whether any aggregate
	// sets the key.
	azs, tenants      []string
	hasAZ, hasTenant  bool
	instanceTypes     []string // raw values of instance_type
	maxIOOps, maxInst int64    // AggregateIoOpsFilter, AggregateNumInstancesFilter
	ramRatio          float64  // AggregateRamFilter
	cpuRatio          float64  // AggregateCoreFilter
	diskRatio         float64  // AggregateDiskFilter
	metricsOK         bool     // MetricsFilter
	isolated          bool     // IsolatedHostsFilter
}

// Prepare validates hosts and computes what the filters and weighers of s
// read from them once. It copies the states; hosts is not retained. A host
// nova would refuse (an unknown architecture, an address that is not one,
// a duplicate host and node pair) is an error naming its field.
func (s *Scheduler) Prepare(hosts []HostState) (*HostSet, error) {
	set := &HostSet{
		s:     s,
		hosts: make([]HostState, len(hosts)),
		info:  make([]hostInfo, len(hosts)),
		mult:  make([][]float64, len(s.weighers)),
	}
	seen := make(map[NodeRef]bool, len(hosts))
	for i := range hosts {
		h := hosts[i]
		field := fmt.Sprintf("hosts[%d]", i)
		ref := NodeRef{h.Host, h.Node}
		if seen[ref] {
			return nil, fieldErr(field, "host %q node %q is listed twice", h.Host, h.Node)
		}
		seen[ref] = true
		inf := &set.info[i]
		if h.HostIP != "" {
			a, ok := parseHostIP(h.HostIP)
			if !ok {
				return nil, fieldErr(field+".HostIP", "%q is not an IP address", h.HostIP)
			}
			inf.ip, inf.hasIP = a, true
		}
		if h.HypervisorVersion < 0 {
			return nil, fieldErr(field+".HypervisorVersion", "%d is negative", h.HypervisorVersion)
		}
		if len(h.SupportedInstances) > 0 {
			sup := make([]HVSpec, len(h.SupportedInstances))
			for j, hv := range h.SupportedInstances {
				f := fmt.Sprintf("%s.SupportedInstances[%d]", field, j)
				var ok bool
				if sup[j].Arch, ok = CanonicalArch(hv.Arch); !ok {
					return nil, fieldErr(f+".Arch", "architecture name %q is not valid", hv.Arch)
				}
				if sup[j].HVType, ok = CanonicalHVType(hv.HVType); !ok {
					return nil, fieldErr(f+".HVType", "hypervisor virt type %q is not valid", hv.HVType)
				}
				if sup[j].VMMode, ok = CanonicalVMMode(hv.VMMode); !ok {
					return nil, fieldErr(f+".VMMode", "virtual machine mode %q is not valid", hv.VMMode)
				}
			}
			h.SupportedInstances = sup
		}
		if len(h.PCIPools) > 0 {
			pools := slices.Clone(h.PCIPools)
			for j, p := range pools {
				for _, k := range []string{"vendor_id", "product_id", "numa_node", "count"} {
					if _, ok := p.Tags[k]; ok {
						return nil, fieldErr(fmt.Sprintf("%s.PCIPools[%d].Tags", field, j), "tag %q hides the pool's own %s", k, k)
					}
				}
			}
			// nova's PciDeviceStats orders its pools by their number of keys.
			slices.SortStableFunc(pools, func(a, b PCIPool) int { return a.keyCount() - b.keyCount() })
			h.PCIPools = pools
		}
		set.hosts[i] = h
		set.prepareInfo(i)
	}
	set.multUniform = make([]bool, len(s.weighers))
	set.multScalar = make([]float64, len(s.weighers))
	set.multFinite = make([]bool, len(s.weighers))
	for w := range s.weighers {
		set.mult[w] = s.weighers[w].multipliers(set)
		set.multUniform[w], set.multScalar[w], set.multFinite[w] = multStats(set.mult[w])
	}
	set.metricW = make([]float64, len(hosts))
	set.metricErr = make([]bool, len(hosts))
	if s.needMetrics {
		for i := range set.hosts {
			set.metricW[i], set.metricErr[i] = s.metricWeight(&set.hosts[i])
		}
	}
	set.nums = newKindNums(len(hosts))
	for i := range set.hosts {
		n := s.staticNums(&set.hosts[i], set.metricW[i])
		set.nums.set(int32(i), &n)
	}
	for k := range set.flat {
		vals := set.nums[k]
		set.flat[k] = true
		for _, x := range vals {
			if x != vals[0] {
				set.flat[k] = false
				break
			}
		}
	}
	return set, nil
}

// Len is the number of hosts.
func (set *HostSet) Len() int { return len(set.hosts) }

// Host returns host i as prepared (canonical names, pools in nova's
// order). The caller must not modify it.
func (set *HostSet) Host(i int) *HostState { return &set.hosts[i] }

func (set *HostSet) prepareInfo(i int) {
	h := &set.hosts[i]
	inf := &set.info[i]
	o := &set.s.opts
	inf.meta = make(map[string][]string)
	for _, agg := range h.Aggregates {
		for _, k := range sortedKeys(agg.Metadata) {
			for _, v := range pySplitCommaStrip(agg.Metadata[k]) {
				if !slices.Contains(inf.meta[k], v) {
					inf.meta[k] = append(inf.meta[k], v)
				}
			}
		}
		if v, ok := agg.Metadata["instance_type"]; ok && !slices.Contains(inf.instanceTypes, v) {
			inf.instanceTypes = append(inf.instanceTypes, v)
		}
		if _, ok := agg.Metadata["availability_zone"]; ok {
			inf.hasAZ = true
		}
		if _, ok := agg.Metadata["filter_tenant_id"]; ok {
			inf.hasTenant = true
		}
	}
	inf.azs = inf.meta["availability_zone"]
	inf.tenants = inf.meta["filter_tenant_id"]
	inf.maxIOOps = aggregateIntOr(h.Aggregates, "max_io_ops_per_host", o.maxIOOps)
	inf.maxInst = aggregateIntOr(h.Aggregates, "max_instances_per_host", o.maxInstances)
	inf.ramRatio = AggregateMultiplier(h, "ram_allocation_ratio", h.ramRatio())
	inf.cpuRatio = AggregateMultiplier(h, "cpu_allocation_ratio", h.cpuRatio())
	inf.diskRatio = AggregateMultiplier(h, "disk_allocation_ratio", h.diskRatio())
	inf.metricsOK = true
	for _, m := range o.metricSetting {
		if _, ok := h.Metrics[m.name]; !ok {
			inf.metricsOK = false
		}
	}
	inf.isolated = o.isolatedHosts[h.Host]
}

func aggregateIntOr(aggs []Aggregate, key string, def int64) int64 {
	v, ok, bad := aggregateMin(aggs, key, pyParseInt)
	if !ok || bad {
		return def
	}
	return v
}

// metricWeight is MetricsWeigher._weigh_object for host h: the sum of each
// configured metric times its ratio; a missing metric fails the request
// when metrics are required, else makes the weight weight_of_unavailable
// unless its ratio times the multiplier is zero.
func (s *Scheduler) metricWeight(h *HostState) (float64, bool) {
	o := &s.opts
	value := 0.0
	for _, m := range o.metricSetting {
		v, ok := h.Metrics[m.name]
		if ok {
			value += float64(v) * m.ratio
			continue
		}
		if o.metricsRequired {
			return 0, true
		}
		if m.ratio*AggregateMultiplier(h, "metrics_weight_multiplier", o.metricsMult) != 0 {
			return o.metricsUnavailable, false
		}
	}
	return value, false
}
