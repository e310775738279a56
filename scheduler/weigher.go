package scheduler

// weigherKind names the built-in weighers; custom weighers are wCustom.
type weigherKind uint8

const (
	wCustom weigherKind = iota
	wRAM
	wCPU
	wDisk
	wIOOps
	wMetrics
	wPCI
	wBuildFailure
	wSoftAffinity
	wSoftAntiAffinity
	wCrossCell
)

type weigherInfo struct {
	kind   weigherKind
	name   string // class name
	path   string // nova's Python path
	option string // the multiplier option, also the aggregate metadata key
	minval bool   // clamp at 0 and normalize from 0 (nova's minval = 0)
	negate bool   // the multiplier is negated (BuildFailureWeigher)
}

// builtinWeighers lists nova's weighers (Zed), in the order AllWeighers
// gives them.
var builtinWeighers = []weigherInfo{
	{wCrossCell, "CrossCellWeigher", "nova.scheduler.weights.cross_cell.CrossCellWeigher", "cross_cell_move_weight_multiplier", false, false},
	{wMetrics, "MetricsWeigher", "nova.scheduler.weights.metrics.MetricsWeigher", "metrics_weight_multiplier", false, false},
	{wCPU, "CPUWeigher", "nova.scheduler.weights.cpu.CPUWeigher", "cpu_weight_multiplier", true, false},
	{wBuildFailure, "BuildFailureWeigher", "nova.scheduler.weights.compute.BuildFailureWeigher", "build_failure_weight_multiplier", false, true},
	{wSoftAffinity, "ServerGroupSoftAffinityWeigher", "nova.scheduler.weights.affinity.ServerGroupSoftAffinityWeigher", "soft_affinity_weight_multiplier", false, false},
	{wSoftAntiAffinity, "ServerGroupSoftAntiAffinityWeigher", "nova.scheduler.weights.affinity.ServerGroupSoftAntiAffinityWeigher", "soft_anti_affinity_weight_multiplier", false, false},
	{wRAM, "RAMWeigher", "nova.scheduler.weights.ram.RAMWeigher", "ram_weight_multiplier", true, false},
	{wDisk, "DiskWeigher", "nova.scheduler.weights.disk.DiskWeigher", "disk_weight_multiplier", true, false},
	{wPCI, "PCIWeigher", "nova.scheduler.weights.pci.PCIWeigher", "pci_weight_multiplier", false, false},
	{wIOOps, "IoOpsWeigher", "nova.scheduler.weights.io_ops.IoOpsWeigher", "io_ops_weight_multiplier", true, false},
}

// AllWeighers returns the class names of nova's weighers in the order
// "nova.scheduler.weights.all_weighers" stands for here. nova itself
// orders them as its package directory happens to be listed, which varies
// between installations; name them explicitly where the order of the
// floating-point sums matters.
func AllWeighers() []string {
	names := make([]string, len(builtinWeighers))
	for i, w := range builtinWeighers {
		names[i] = w.name
	}
	return names
}

const allWeighersPath = "nova.scheduler.weights.all_weighers"

// pciMaxDevs is PCIWeigher's MAX_DEVS.
const pciMaxDevs = 100

// weigher is a configured weigher: a built-in one or a custom one.
type weigher struct {
	info   weigherInfo
	custom Weigher
	// bounds of a custom weigher
	min, max       float64
	hasMin, hasMax bool
}

func (w *weigher) name() string {
	if w.custom != nil {
		return w.custom.Name()
	}
	return w.info.name
}

// multipliers computes the per-host multipliers of a built-in weigher:
// the configured value, overridden by the smallest value of the option's
// key in the host's aggregates (nova's get_weight_multiplier), negated for
// BuildFailureWeigher.
func (w *weigher) multipliers(set *HostSet) []float64 {
	if w.custom != nil {
		return nil
	}
	def := set.s.opts.mult[w.info.option]
	m := make([]float64, len(set.hosts))
	for i := range set.hosts {
		v := AggregateMultiplier(&set.hosts[i], w.info.option, def)
		if w.info.negate {
			v = -1 * v
		}
		m[i] = v
	}
	return m
}

// normBounds returns the bounds nova's weights.normalize scales weights
// with: the weigher's own where it has them, else the observed extremes,
// found the way Python's max() and min() find them (keeping the first of
// values that do not compare). flat is true when they are equal, and every
// weight then normalizes to 0.
func normBounds(ws []float64, minv, maxv float64, hasMin, hasMax bool) (lo, hi float64, flat bool) {
	if len(ws) > 0 && (!hasMax || !hasMin) {
		l, h := ws[0], ws[0]
		for _, x := range ws[1:] {
			if x > h {
				h = x
			}
			if x < l {
				l = x
			}
		}
		if !hasMax {
			maxv = h
		}
		if !hasMin {
			minv = l
		}
	}
	return minv, maxv, minv == maxv
}

// normalize is nova's weights.normalize, in place: (w - min) / (max - min)
// over the bounds normBounds finds, or all zeros when they are equal.
func normalize(ws []float64, minv, maxv float64, hasMin, hasMax bool) {
	lo, hi, flat := normBounds(ws, minv, maxv, hasMin, hasMax)
	for i, x := range ws {
		if flat {
			ws[i] = 0
		} else {
			ws[i] = (x - lo) / (hi - lo)
		}
	}
}

// clamp applies a weigher's bounds to a raw weight as nova's weigh_objects
// does.
func clamp(x, minv, maxv float64, hasMin, hasMax bool) float64 {
	if hasMin {
		x = pyMax(x, minv)
	}
	if hasMax {
		x = pyMin(x, maxv)
	}
	return x
}

// pyMax and pyMin are Python's max(a, b) and min(a, b): the first argument
// unless the second compares greater (smaller).
func pyMax(a, b float64) float64 {
	if b > a {
		return b
	}
	return a
}

func pyMin(a, b float64) float64 {
	if b < a {
		return b
	}
	return a
}
