package scheduler

import (
	"fmt"
	"slices"
	"strings"
)

// filterKind names the built-in filters; custom filters are fCustom.
type filterKind uint8

const (
	fCustom filterKind = iota
	fAllHosts
	fAvailabilityZone
	fCompute
	fComputeCapabilities
	fImageProperties
	fServerGroupAffinity
	fServerGroupAntiAffinity
	fSameHost
	fDifferentHost
	fSimpleCIDRAffinity
	fIoOps
	fAggregateIoOps
	fNumInstances
	fAggregateNumInstances
	fAggregateTypeAffinity
	fAggregateMultiTenancyIsolation
	fAggregateImagePropertiesIsolation
	fAggregateInstanceExtraSpecs
	fJSON
	fIsolatedHosts
	fMetrics
	fPCIPassthrough
	fRam
	fAggregateRam
	fCore
	fAggregateCore
	fDisk
	fAggregateDisk
	fRetry
)

// filter is a configured filter.
type filter struct {
	kind    filterKind
	name    string
	once    bool // nova's run_filter_once_per_request
	rebuild bool // nova's RUN_ON_REBUILD
	custom  Filter
}

// builtinFilters lists the built-in filters with nova's class attributes:
// whether they run once per request and whether they run on rebuild. The
// last seven were removed from nova once placement took over resource
// accounting (RamFilter, CoreFilter and DiskFilter in Train, the others in
// later releases) and follow their last releases.
var builtinFilters = []filter{
	{kind: fAllHosts, name: "AllHostsFilter", once: true},
	{kind: fAvailabilityZone, name: "AvailabilityZoneFilter", once: true},
	{kind: fCompute, name: "ComputeFilter", once: true},
	{kind: fComputeCapabilities, name: "ComputeCapabilitiesFilter", once: true},
	{kind: fImageProperties, name: "ImagePropertiesFilter", once: true, rebuild: true},
	{kind: fServerGroupAffinity, name: "ServerGroupAffinityFilter"},
	{kind: fServerGroupAntiAffinity, name: "ServerGroupAntiAffinityFilter"},
	{kind: fSameHost, name: "SameHostFilter", once: true},
	{kind: fDifferentHost, name: "DifferentHostFilter", once: true},
	{kind: fSimpleCIDRAffinity, name: "SimpleCIDRAffinityFilter", once: true},
	{kind: fIoOps, name: "IoOpsFilter"},
	{kind: fAggregateIoOps, name: "AggregateIoOpsFilter"},
	{kind: fNumInstances, name: "NumInstancesFilter"},
	{kind: fAggregateNumInstances, name: "AggregateNumInstancesFilter"},
	{kind: fAggregateTypeAffinity, name: "AggregateTypeAffinityFilter", once: true},
	{kind: fAggregateMultiTenancyIsolation, name: "AggregateMultiTenancyIsolation", once: true},
	{kind: fAggregateImagePropertiesIsolation, name: "AggregateImagePropertiesIsolation", once: true, rebuild: true},
	{kind: fAggregateInstanceExtraSpecs, name: "AggregateInstanceExtraSpecsFilter", once: true},
	{kind: fJSON, name: "JsonFilter"},
	{kind: fIsolatedHosts, name: "IsolatedHostsFilter", once: true, rebuild: true},
	{kind: fMetrics, name: "MetricsFilter"},
	{kind: fPCIPassthrough, name: "PciPassthroughFilter"},
	{kind: fRam, name: "RamFilter"},
	{kind: fAggregateRam, name: "AggregateRamFilter"},
	{kind: fCore, name: "CoreFilter"},
	{kind: fAggregateCore, name: "AggregateCoreFilter"},
	{kind: fDisk, name: "DiskFilter"},
	{kind: fAggregateDisk, name: "AggregateDiskFilter"},
	{kind: fRetry, name: "RetryFilter"},
}

// BuiltinFilters returns the class names of the built-in filters.
func BuiltinFilters() []string {
	names := make([]string, len(builtinFilters))
	for i, f := range builtinFilters {
		names[i] = f.name
	}
	return names
}

func builtinFilter(name string) (*filter, bool) {
	for i := range builtinFilters {
		if builtinFilters[i].name == name {
			f := builtinFilters[i]
			return &f, true
		}
	}
	return nil, false
}

func customFilter(f Filter) *filter {
	c := &filter{kind: fCustom, name: f.Name(), custom: f}
	if o, ok := f.(OncePerRequest); ok {
		c.once = o.OncePerRequest()
	}
	if o, ok := f.(RunOnRebuild); ok {
		c.rebuild = o.RunOnRebuild()
	}
	return c
}

// capSpec is one flavor extra spec ComputeCapabilitiesFilter looks at.
type capSpec struct {
	key   string   // the full key
	scope []string // the capability path
	bare  bool     // no namespace: only if the host has such an attribute or stat
	req   string
	words []string // req split on whitespace
}

// aggSpec is one flavor extra spec AggregateInstanceExtraSpecsFilter
// matches against aggregate metadata.
type aggSpec struct {
	key, req string
	words    []string
}

// prepareFilters computes what the filters read from the request.
func (r *run) prepareFilters() {
	spec := r.spec
	r.caps = r.caps[:0]
	r.aggSpecs = r.aggSpecs[:0]
	for _, key := range sortedKeys(spec.Flavor.ExtraSpecs) {
		req := spec.Flavor.ExtraSpecs[key]
		words := pySplit(req)
		scope := strings.Split(key, ":")
		switch {
		case len(scope) == 1:
			r.caps = append(r.caps, capSpec{key: key, scope: scope, bare: true, req: req, words: words})
		case scope[0] == "capabilities":
			r.caps = append(r.caps, capSpec{key: key, scope: scope[1:], req: req, words: words})
		}
		// AggregateInstanceExtraSpecsFilter splits at the first colon only.
		ns, rest, scoped := strings.Cut(key, ":")
		switch {
		case !scoped:
			r.aggSpecs = append(r.aggSpecs, aggSpec{key: key, req: req, words: words})
		case ns == "aggregate_instance_extra_specs":
			r.aggSpecs = append(r.aggSpecs, aggSpec{key: rest, req: req, words: words})
		}
	}
	r.hasQuery, r.queryErr = false, nil
	if q, ok := spec.hint("query"); ok {
		switch {
		case len(q) == 0:
		case len(q) == 1 && q[0] == "":
		case len(q) > 1:
			// The hint is a list, which json.loads refuses.
			r.hasQuery = true
			r.queryErr = fmt.Errorf("the query hint is a list of %d strings, not JSON text", len(q))
		default:
			r.hasQuery = true
			r.query, r.queryErr = parsePyJSON(q[0])
		}
	}
	r.hasCIDR, r.cidrErr = false, nil
	if near, ok := spec.hint("build_near_host_ip"); ok && len(near) > 0 && !(len(near) == 1 && near[0] == "") {
		r.hasCIDR = true
		cidr, ok := spec.hint("cidr")
		if !ok {
			cidr = []string{"/24"}
		}
		if len(near) != 1 || len(cidr) != 1 {
			// str.join on a list value raises TypeError.
			r.cidrErr = fmt.Errorf("build_near_host_ip and cidr must be single strings")
		} else if n, ok := parseIPNetwork(near[0] + cidr[0]); !ok {
			r.cidrErr = fmt.Errorf("invalid IPNetwork %s", near[0]+cidr[0])
		} else {
			r.cidr = n
		}
	}
	r.sameHost = hintList(spec, "same_host")
	r.diffHost = hintList(spec, "different_host")
}

// hintList is the value of a hint nova tests for truth and then treats as
// a list of UUIDs: nil when absent, empty or a single empty string.
func hintList(spec *RequestSpec, name string) []string {
	v, ok := spec.hint(name)
	if !ok || len(v) == 0 || (len(v) == 1 && v[0] == "") {
		return nil
	}
	return v
}

// noop reports whether f passes every host for this request, so that the
// per-host loop can be skipped.
func (r *run) noop(f *filter) bool {
	spec := r.spec
	if !f.rebuild && spec.isRebuild() {
		return true
	}
	switch f.kind {
	case fAllHosts:
		return true
	case fAvailabilityZone:
		return spec.AvailabilityZone == ""
	case fComputeCapabilities:
		return len(r.caps) == 0
	case fImageProperties:
		return r.imageArchTypeMode() == [3]string{}
	case fServerGroupAffinity:
		return spec.Group == nil || spec.Group.Policy != "affinity" || len(r.groupHosts) == 0
	case fServerGroupAntiAffinity:
		return spec.Group == nil || spec.Group.Policy != "anti-affinity"
	case fSameHost:
		return r.sameHost == nil
	case fDifferentHost:
		return r.diffHost == nil
	case fSimpleCIDRAffinity:
		return !r.hasCIDR
	case fAggregateInstanceExtraSpecs:
		return len(spec.Flavor.ExtraSpecs) == 0
	case fJSON:
		return !r.hasQuery
	case fPCIPassthrough:
		return len(spec.PCIRequests) == 0
	case fRetry:
		return spec.Retry == nil
	}
	return false
}

// imageArchTypeMode is what ImagePropertiesFilter checks: the image's
// architecture (or the configured default), hypervisor type and VM mode.
func (r *run) imageArchTypeMode() [3]string {
	arch, ok := r.img.get("hw_architecture")
	if !ok {
		arch = r.s.opts.defaultArch
	}
	hv, _ := r.img.get("img_hv_type")
	vm, _ := r.img.get("hw_vm_mode")
	return [3]string{arch, hv, vm}
}

// passes is host_passes of filter f for host i.
func (r *run) passes(f *filter, i int32) (bool, error) {
	h := &r.hosts[i]
	inf := &r.set.info[i]
	spec := r.spec
	o := &r.s.opts
	switch f.kind {
	case fCustom:
		return f.custom.HostPasses(h, spec)
	case fAllHosts:
		return true, nil
	case fAvailabilityZone:
		if inf.hasAZ {
			return slices.Contains(inf.azs, spec.AvailabilityZone), nil
		}
		return spec.AvailabilityZone == o.defaultAZ, nil
	case fCompute:
		return !h.Service.Disabled && !h.Service.ForcedDown, nil
	case fComputeCapabilities:
		return r.capabilitiesPass(h, inf)
	case fImageProperties:
		return r.imagePropertiesPass(h)
	case fServerGroupAffinity:
		return slices.Contains(r.groupHosts, h.Host), nil
	case fServerGroupAntiAffinity:
		if slices.Contains(h.Instances, r.uuid) {
			return true, nil
		}
		if r.rulesErr != nil {
			return false, r.rulesErr
		}
		return r.groupMembersOn(h) < r.maxServers, nil
	case fSameHost:
		return overlap(h.Instances, r.sameHost), nil
	case fDifferentHost:
		return !overlap(h.Instances, r.diffHost), nil
	case fSimpleCIDRAffinity:
		if r.cidrErr != nil {
			return false, r.cidrErr
		}
		if !inf.hasIP {
			return false, fmt.Errorf("failed to detect a valid IP address from None")
		}
		return r.cidr.contains(inf.ip), nil
	case fIoOps:
		return h.NumIOOps < o.maxIOOps, nil
	case fAggregateIoOps:
		return h.NumIOOps < inf.maxIOOps, nil
	case fNumInstances:
		return h.NumInstances < o.maxInstances, nil
	case fAggregateNumInstances:
		return h.NumInstances < inf.maxInst, nil
	case fAggregateTypeAffinity:
		for _, v := range inf.instanceTypes {
			if slices.Contains(pySplitCommaStrip(v), spec.Flavor.Name) {
				return true, nil
			}
		}
		return len(inf.instanceTypes) == 0, nil
	case fAggregateMultiTenancyIsolation:
		if !inf.hasTenant {
			return true, nil
		}
		return spec.ProjectID != "" && slices.Contains(inf.tenants, spec.ProjectID), nil
	case fAggregateImagePropertiesIsolation:
		return r.aggImagePropsPass(inf), nil
	case fAggregateInstanceExtraSpecs:
		return r.aggExtraSpecsPass(inf)
	case fJSON:
		return r.jsonPass(h, inf)
	case fIsolatedHosts:
		return r.isolatedPass(h, inf), nil
	case fMetrics:
		return inf.metricsOK, nil
	case fPCIPassthrough:
		var ok bool
		r.scratch, ok = pciSupports(h.PCIPools, spec.PCIRequests, r.scratch)
		return ok, nil
	case fRam:
		return ramPasses(h, spec, h.ramRatio()), nil
	case fAggregateRam:
		return ramPasses(h, spec, inf.ramRatio), nil
	case fCore:
		return corePasses(h, spec, h.cpuRatio()), nil
	case fAggregateCore:
		return corePasses(h, spec, inf.cpuRatio), nil
	case fDisk:
		return diskPasses(h, spec, h.diskRatio()), nil
	case fAggregateDisk:
		return diskPasses(h, spec, inf.diskRatio), nil
	case fRetry:
		for _, n := range spec.Retry.Hosts {
			if n.Host == h.Host && n.Node == h.Node {
				return false, nil
			}
		}
		return true, nil
	}
	return true, nil
}

// groupMembersOn counts the distinct instances on h that are members of
// the request's server group.
func (r *run) groupMembersOn(h *HostState) int64 {
	var n int64
	for j, u := range h.Instances {
		if _, ok := r.members[u]; ok && !slices.Contains(h.Instances[:j], u) {
			n++
		}
	}
	return n
}

func overlap(instances, uuids []string) bool {
	for _, u := range uuids {
		if slices.Contains(instances, u) {
			return true
		}
	}
	return false
}

// capabilitiesPass is ComputeCapabilitiesFilter: every extra spec that
// names a capability (no namespace and an attribute or stat of that name,
// or the capabilities: namespace) must match the host's value.
func (r *run) capabilitiesPass(h *HostState, inf *hostInfo) (bool, error) {
	for _, c := range r.caps {
		if c.bare {
			_, st := hostAttr(h, inf, c.key)
			if _, inStats := h.Stats[c.key]; st == attrMissing && !inStats {
				continue
			}
		}
		v, ok, err := capability(h, inf, c.scope)
		if err != nil {
			return false, fmt.Errorf("extra spec %q: %w", c.key, err)
		}
		if !ok {
			return false, nil
		}
		m, err := matchWords(v.str(), c.req, c.words)
		if err != nil {
			return false, fmt.Errorf("extra spec %q: %w", c.key, err)
		}
		if !m {
			return false, nil
		}
	}
	return true, nil
}

// imagePropertiesPass is ImagePropertiesFilter: some supported instance
// triple holds each of the image's architecture, hypervisor type and VM
// mode (anywhere in the triple, as nova tests it), and the hypervisor
// version satisfies img_hv_requested_version.
func (r *run) imagePropertiesPass(h *HostState) (bool, error) {
	props := r.imageArchTypeMode()
	if props == [3]string{} {
		return true, nil
	}
	if len(h.SupportedInstances) == 0 {
		return false, nil
	}
	for _, s := range h.SupportedInstances {
		triple := [3]string{s.Arch, s.HVType, s.VMMode}
		match := true
		for _, p := range props {
			if p != "" && !slices.Contains(triple[:], p) {
				match = false
				break
			}
		}
		if !match {
			continue
		}
		req, ok := r.img.get("img_hv_requested_version")
		if h.HypervisorVersion == 0 || !ok || req == "" {
			return true, nil
		}
		conds, err := parseVersionPredicate("image_prop (" + req + ")")
		if err != nil {
			return false, err
		}
		sat, err := satisfied(conds, versionToString(h.HypervisorVersion))
		if err != nil {
			return false, err
		}
		if sat {
			return true, nil
		}
	}
	return false, nil
}

// aggImagePropsPass is AggregateImagePropertiesIsolation: for each
// aggregate metadata key in the configured namespace that is a set image
// property, the property must be one of the key's values.
func (r *run) aggImagePropsPass(inf *hostInfo) bool {
	o := &r.s.opts
	for key, options := range inf.meta {
		if o.aggNamespace != "" && !strings.HasPrefix(key, o.aggNamespace+o.aggSep) {
			continue
		}
		prop, ok := r.img.get(key)
		if !ok || !propTruthy(key, prop) {
			continue
		}
		if !slices.Contains(options, prop) {
			return false
		}
	}
	return true
}

// propTruthy is Python's truth of the coerced property value.
func propTruthy(field, s string) bool {
	switch imagePropTypes[field].kind {
	case propInt:
		return s != "0"
	case propBool:
		return s == "True"
	}
	return s != ""
}

// aggExtraSpecsPass is AggregateInstanceExtraSpecsFilter: each extra spec
// without a namespace or in aggregate_instance_extra_specs must match one
// of the values the host's aggregates give its key. nova tries the values
// in the order of a Python set, so when one value matches and another
// cannot be compared, whether nova fails the request depends on that
// order; here the match wins.
func (r *run) aggExtraSpecsPass(inf *hostInfo) (bool, error) {
	for _, s := range r.aggSpecs {
		vals := inf.meta[s.key]
		if len(vals) == 0 {
			return false, nil
		}
		var firstErr error
		matched := false
		for _, v := range vals {
			m, err := matchWords(v, s.req, s.words)
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				continue
			}
			if m {
				matched = true
				break
			}
		}
		if !matched {
			if firstErr != nil {
				return false, firstErr
			}
			return false, nil
		}
	}
	return true, nil
}

// isolatedPass is IsolatedHostsFilter's truth table.
func (r *run) isolatedPass(h *HostState, inf *hostInfo) bool {
	o := &r.s.opts
	if len(o.isolatedImages) == 0 {
		return !o.restrictIsolated || !inf.isolated
	}
	imageIsolated := r.spec.Image.ID != "" && o.isolatedImages[r.spec.Image.ID]
	if o.restrictIsolated {
		return imageIsolated == inf.isolated
	}
	return !imageIsolated || inf.isolated
}

// ramPasses is the RamFilter of nova 19 (Stein): the flavor fits in the
// host's total RAM, and in the RAM left under the allocation ratio
// (total * ratio - used).
func ramPasses(h *HostState, spec *RequestSpec, ratio float64) bool {
	req := spec.Flavor.MemoryMB
	if !(h.TotalUsableRAMMB >= req) {
		return false
	}
	limit := float64(h.TotalUsableRAMMB) * ratio
	used := h.TotalUsableRAMMB - h.FreeRAMMB
	usable := limit - float64(used)
	return usable >= float64(req)
}

// corePasses is the CoreFilter of nova 19: a host reporting no vCPUs
// passes; otherwise the flavor must fit in the host's physical vCPUs (when
// the limit is positive) and in total * ratio - used.
func corePasses(h *HostState, spec *RequestSpec, ratio float64) bool {
	if h.VCPUsTotal == 0 {
		return true
	}
	vcpus := spec.Flavor.VCPUs
	total := float64(h.VCPUsTotal) * ratio
	if total > 0 && vcpus > h.VCPUsTotal {
		return false
	}
	free := total - float64(h.VCPUsUsed)
	return !(free < float64(vcpus))
}

// diskPasses is the DiskFilter of nova 19: root, ephemeral and swap must
// fit in the host's total disk, and in the disk left under the allocation
// ratio.
func diskPasses(h *HostState, spec *RequestSpec, ratio float64) bool {
	req := 1024*(spec.Flavor.RootGB+spec.Flavor.EphemeralGB) + spec.Flavor.SwapMB
	total := h.TotalUsableDiskGB * 1024
	if total < req {
		return false
	}
	limit := float64(total) * ratio
	used := total - h.FreeDiskMB
	usable := limit - float64(used)
	return usable >= float64(req)
}
