package scheduler

// PCI requests are matched against a node's pools the way nova's
// PciDeviceStats does it without NUMA topology (support_requests and
// apply_requests in nova/pci/stats.py): keep the pools whose properties
// match one of the request's specs, drop PF pools unless a spec asks for
// type-PF, drop VDPA pools unless a spec asks for vdpa, drop
// remote-managed pools unless a spec asks for them, and take the count from
// the remaining pools in order, removing each pool that empties.

// PCIRequest asks for Count devices matching any one of Spec, as nova's
// InstancePCIRequest does (from a flavor's pci_passthrough:alias or a
// Neutron SR-IOV port).
type PCIRequest struct {
	Count int64
	// Spec lists alternative property sets, e.g.
	// {"vendor_id": "8086", "product_id": "1520"}. Values compare with pool
	// properties case-insensitively.
	Spec []map[string]string
	// AliasName is the flavor alias the request comes from, if any.
	AliasName string
}

const (
	pciTypePF           = "type-PF"
	pciTypeVDPA         = "vdpa"
	pciRemoteManagedTag = "remote_managed"
)

// pciPropMatch is nova's pci_device_prop_match: some spec whose every key
// equals the pool's value, lower-cased.
func pciPropMatch(p *PCIPool, specs []map[string]string) bool {
	for _, spec := range specs {
		ok := true
		for k, v := range spec {
			pv, found := p.get(k)
			if !found || pyLower(pv) != pyLower(v) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func pciSum(pools []PCIPool, idx []int) int64 {
	var n int64
	for _, i := range idx {
		n += pools[i].Count
	}
	return n
}

// pciFilterPools is PciDeviceStats._filter_pools without NUMA cells: the
// indexes of the pools usable for req, or ok=false when they hold fewer than
// req.Count devices.
func pciFilterPools(pools []PCIPool, req *PCIRequest, buf []int) ([]int, bool) {
	idx := buf[:0]
	for i := range pools {
		if pciPropMatch(&pools[i], req.Spec) {
			idx = append(idx, i)
		}
	}
	if pciSum(pools, idx) < req.Count {
		return idx, false
	}
	wants := func(key, value string) bool {
		for _, s := range req.Spec {
			if s[key] == value {
				return true
			}
		}
		return false
	}
	drop := func(bad func(p *PCIPool) bool) {
		j := 0
		for _, i := range idx {
			if !bad(&pools[i]) {
				idx[j] = i
				j++
			}
		}
		idx = idx[:j]
	}
	if !wants("dev_type", pciTypePF) {
		drop(func(p *PCIPool) bool { return p.Tags["dev_type"] == pciTypePF })
	}
	if pciSum(pools, idx) < req.Count {
		return idx, false
	}
	if !wants("dev_type", pciTypeVDPA) {
		drop(func(p *PCIPool) bool { return p.Tags["dev_type"] == pciTypeVDPA })
	}
	remote := false
	for _, s := range req.Spec {
		if v, ok := s[pciRemoteManagedTag]; ok && boolFromString(v) {
			remote = true
		}
	}
	if !remote {
		drop(func(p *PCIPool) bool {
			v, ok := p.Tags[pciRemoteManagedTag]
			return ok && boolFromString(v)
		})
	}
	if pciSum(pools, idx) < req.Count {
		return idx, false
	}
	return idx, true
}

// pciApply is PciDeviceStats.apply_requests on pools (in nova's pool
// order). It returns the pools left and whether every request was met; on
// failure the requests before the failing one stay applied, as in nova.
// pools is modified in place.
func pciApply(pools []PCIPool, reqs []PCIRequest) ([]PCIPool, bool) {
	var buf [8]int
	for r := range reqs {
		idx, ok := pciFilterPools(pools, &reqs[r], buf[:0])
		if !ok || len(idx) == 0 {
			return pools, false
		}
		count := reqs[r].Count
		removed := 0
		for _, i := range idx {
			i -= removed
			if pools[i].Count > count {
				pools[i].Count -= count
				count = 0
			} else {
				count -= pools[i].Count
				pools = append(pools[:i], pools[i+1:]...)
				removed++
			}
			if count == 0 {
				break
			}
		}
	}
	return pools, true
}

// pciSupports is PciDeviceStats.support_requests: whether apply_requests
// would succeed, computed on scratch, a buffer the caller may reuse.
func pciSupports(pools []PCIPool, reqs []PCIRequest, scratch []PCIPool) ([]PCIPool, bool) {
	scratch = append(scratch[:0], pools...)
	_, ok := pciApply(scratch, reqs)
	return scratch, ok
}

// pciFree is the number of free devices in all pools, which PCIWeigher
// reads.
func pciFree(pools []PCIPool) int64 {
	var n int64
	for i := range pools {
		n += pools[i].Count
	}
	return n
}
