package scheduler

import (
	"fmt"
	"math"
)

// hostNums holds, per host, the raw weight of each built-in weigher,
// indexed by weigherKind and already clamped where the weigher clamps.
type hostNums [numKinds]float64

const numKinds = int(wCrossCell) + 1

// kindNums holds the raw weights by weigher and then by host, so that a
// weigher reads one contiguous array of a few kilobytes. A request
// refreshes the entries of a host when an instance is placed on it.
type kindNums [numKinds][]float64

func newKindNums(n int) kindNums {
	var k kindNums
	for i := range k {
		k[i] = make([]float64, n)
	}
	return k
}

func (k *kindNums) set(i int32, n *hostNums) {
	for kind := range n {
		k[kind][i] = n[kind]
	}
}

// staticNums computes the entries that do not depend on the request.
func (s *Scheduler) staticNums(h *HostState, metricW float64) hostNums {
	var n hostNums
	refreshNums(&n, h)
	n[wBuildFailure] = float64(h.FailedBuilds)
	n[wMetrics] = metricW
	return n
}

// refreshNums recomputes the entries that placing an instance changes.
func refreshNums(n *hostNums, h *HostState) {
	// nova's RAM, CPU, disk and I/O weighers set minval = 0: raw weights
	// are max(weight, 0).
	n[wRAM] = pyMax(float64(h.FreeRAMMB), 0)
	n[wDisk] = pyMax(float64(h.FreeDiskMB), 0)
	// vcpus_total * cpu_allocation_ratio - vcpus_used, each operation
	// rounded as Python rounds it.
	n[wCPU] = pyMax(float64(float64(h.VCPUsTotal)*h.cpuRatio())-float64(h.VCPUsUsed), 0)
	n[wIOOps] = pyMax(float64(h.NumIOOps), 0)
	// PCIWeigher: MAX_DEVS - min(free devices, MAX_DEVS - 1)
	n[wPCI] = float64(pciMaxDevs - min(pciFree(h.PCIPools), pciMaxDevs-1))
}

// beginNums fills the request's numbers: the prepared ones, plus the group
// members on each host for the soft (anti-)affinity weighers and the cell
// preference of CrossCellWeigher.
func (r *run) beginNums() {
	for _, w := range r.s.weighers {
		if w.custom == nil {
			copy(r.nums[w.info.kind], r.set.nums[w.info.kind])
		}
	}
	g := r.spec.Group
	soft := g != nil && (g.Policy == "soft-affinity" || g.Policy == "soft-anti-affinity")
	d := r.spec.RequestedDestination
	cross := d != nil && d.Cell != "" && d.AllowCrossCellMove
	if !soft && !cross {
		return
	}
	for i := range r.hosts {
		if soft {
			r.setSoft(int32(i))
		}
		if cross {
			if r.hosts[i].CellUUID == d.Cell {
				r.nums[wCrossCell][i] = 1
			} else {
				r.nums[wCrossCell][i] = -1
			}
		}
	}
}

func (r *run) setSoft(i int32) {
	c := float64(r.groupMembersOn(&r.hosts[i]))
	r.nums[wSoftAffinity][i] = 0
	r.nums[wSoftAntiAffinity][i] = 0
	switch r.spec.Group.Policy {
	case "soft-affinity":
		r.nums[wSoftAffinity][i] = c
	case "soft-anti-affinity":
		r.nums[wSoftAntiAffinity][i] = -1 * c
	}
}

// consumedNums refreshes host i's numbers after an instance was placed.
func (r *run) consumedNums(i int32) {
	var n hostNums
	refreshNums(&n, &r.hosts[i])
	for _, k := range []weigherKind{wRAM, wDisk, wCPU, wIOOps, wPCI} {
		r.nums[k][i] = n[k]
	}
	if g := r.spec.Group; g != nil && (g.Policy == "soft-affinity" || g.Policy == "soft-anti-affinity") {
		r.setSoft(i)
	}
}

// weigh is HostWeightHandler.get_weighed_objects: it sorts hosts in place,
// best first, and leaves their weights in r.total[:len(hosts)].
//
// Each weigher's raw weights are normalized to [0, 1] over the hosts and
// multiplied by the host's multiplier, in the order nova computes them. A
// weigher whose raw weights are all equal normalizes to zeros and adds
// nothing (unless a multiplier is infinite or NaN, which makes 0 * m NaN as
// in Python), so it is skipped.
func (r *run) weigh(hosts []int32, it *InstanceTrace) error {
	n := len(hosts)
	total := r.total[:n]
	clear(total)
	r.s.stats.weighed.Add(uint64(n))
	if n <= 1 {
		return nil
	}
	raw := r.raw[:n]
	for wi, w := range r.s.weighers {
		var wt *WeigherTrace
		if it != nil {
			it.Weighers = append(it.Weighers, WeigherTrace{Weigher: w.name()})
			wt = &it.Weighers[len(it.Weighers)-1]
			for _, i := range hosts {
				wt.Hosts = append(wt.Hosts, r.ref(i))
			}
		}
		var minv, maxv float64 // the weigher's own bounds
		var hasMin, hasMax bool
		if w.custom != nil {
			for j, i := range hosts {
				h := &r.hosts[i]
				v, err := w.custom.Weigh(h, r.spec)
				if err != nil {
					return &HostError{Stage: "weigher", Name: w.custom.Name(), Host: h.Host, Node: h.Node, Err: err}
				}
				raw[j] = clamp(v, w.min, w.max, w.hasMin, w.hasMax)
			}
			minv, maxv, hasMin, hasMax = w.min, w.max, w.hasMin, w.hasMax
		} else {
			k := w.info.kind
			if k == wMetrics {
				for _, i := range hosts {
					if r.set.metricErr[i] {
						h := &r.hosts[i]
						return &HostError{Stage: "weigher", Name: w.info.name, Host: h.Host, Node: h.Node,
							Err: fmt.Errorf("a metric of [metrics] weight_setting is missing")}
					}
				}
			}
			if r.flat(wi, w) && it == nil {
				continue
			}
			vals := r.nums[k]
			for j, i := range hosts {
				raw[j] = vals[i]
			}
			hasMin = w.info.minval
		}
		if wt != nil {
			wt.Raw = append([]float64(nil), raw...)
		}
		minv, maxv, flat := normBounds(raw, minv, maxv, hasMin, hasMax)
		if wt != nil {
			wt.Normalized = make([]float64, n)
			wt.Multipliers = make([]float64, n)
			for j, i := range hosts {
				if !flat {
					wt.Normalized[j] = (raw[j] - minv) / (maxv - minv)
				}
				wt.Multipliers[j] = r.multiplier(wi, w, i)
			}
		}
		if flat {
			if w.custom == nil && r.set.multFinite[wi] {
				continue
			}
			for j, i := range hosts {
				total[j] += float64(r.multiplier(wi, w, i) * 0)
			}
			continue
		}
		rng := maxv - minv
		switch {
		case w.custom != nil:
			for j, i := range hosts {
				total[j] += float64(w.custom.Multiplier(&r.hosts[i]) * ((raw[j] - minv) / rng))
			}
		case r.set.multUniform[wi]:
			m := r.set.multScalar[wi]
			for j := range hosts {
				// The conversion keeps the product rounded on its own, as
				// Python computes it, instead of fused into the addition.
				total[j] += float64(m * ((raw[j] - minv) / rng))
			}
		default:
			mult := r.set.mult[wi]
			for j, i := range hosts {
				total[j] += float64(mult[i] * ((raw[j] - minv) / rng))
			}
		}
	}
	pairs := r.pairs[:n]
	for j, i := range hosts {
		pairs[j] = weighed{w: total[j], idx: i}
	}
	sortWeighed(pairs, r.sortBuf)
	for j := range pairs {
		hosts[j] = pairs[j].idx
		total[j] = pairs[j].w
	}
	return nil
}

// flat reports whether built-in weigher w gives every host the same raw
// weight for the whole request, so that it adds nothing: its weights do
// not change with placed instances and were equal over all prepared hosts,
// or the request does not use it (no soft-affinity group, no cross-cell
// move), and its multipliers are finite.
func (r *run) flat(wi int, w *weigher) bool {
	if !r.set.multFinite[wi] {
		return false
	}
	switch w.info.kind {
	case wBuildFailure, wMetrics:
		return r.set.flat[w.info.kind]
	case wPCI:
		return r.set.flat[wPCI] && len(r.spec.PCIRequests) == 0
	case wSoftAffinity:
		return r.spec.Group == nil || r.spec.Group.Policy != "soft-affinity"
	case wSoftAntiAffinity:
		return r.spec.Group == nil || r.spec.Group.Policy != "soft-anti-affinity"
	case wCrossCell:
		d := r.spec.RequestedDestination
		return d == nil || d.Cell == "" || !d.AllowCrossCellMove
	}
	return false
}

func (r *run) multiplier(wi int, w *weigher, i int32) float64 {
	if w.custom != nil {
		return w.custom.Multiplier(&r.hosts[i])
	}
	return r.set.mult[wi][i]
}

// multStats tells, for a built-in weigher's per-host multipliers, whether
// they are all the same value and whether they are all finite.
func multStats(m []float64) (uniform bool, scalar float64, finite bool) {
	uniform, finite = true, true
	for i, x := range m {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			finite = false
		}
		if i == 0 {
			scalar = x
		} else if x != scalar || math.Signbit(x) != math.Signbit(scalar) {
			uniform = false
		}
	}
	if !finite {
		uniform = false
	}
	return uniform, scalar, finite
}
