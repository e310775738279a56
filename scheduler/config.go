package scheduler

import (
	"log/slog"
	"strings"
)

// Config selects the filters and weighers and holds nova's [filter_scheduler]
// and [metrics] options. The zero Config is nova's default configuration.
// Pointer fields are options whose zero value is meaningful to nova; nil
// means nova's default (Go's new(-1.0) makes one).
type Config struct {
	// Filters are nova's enabled_filters: filter class names, run in this
	// order. nil means nova's default: ComputeFilter,
	// ComputeCapabilitiesFilter, ImagePropertiesFilter,
	// ServerGroupAntiAffinityFilter, ServerGroupAffinityFilter. An empty
	// non-nil list runs no filter.
	Filters []string
	// Weighers are nova's weight_classes: weigher class names, short
	// ("RAMWeigher") or as nova's Python path
	// ("nova.scheduler.weights.ram.RAMWeigher"); the path
	// "nova.scheduler.weights.all_weighers" stands for every built-in
	// weigher. nil means all_weighers, in the order AllWeighers lists. An
	// empty non-nil list weighs nothing.
	Weighers []string
	// CustomFilters and CustomWeighers add filters and weighers that
	// Filters and Weighers can name, by their Name.
	CustomFilters  []Filter
	CustomWeighers []Weigher

	// HostSubsetSize is how many of the best-weighed hosts the chosen one
	// is drawn from; zero means 1, nova's default.
	HostSubsetSize int
	// ShuffleBestSameWeighedHosts shuffles the hosts that share the best
	// weight before drawing (nova's shuffle_best_same_weighed_hosts).
	ShuffleBestSameWeighedHosts bool
	// MaxIOOpsPerHost is IoOpsFilter's limit; nil means 8.
	MaxIOOpsPerHost *int
	// MaxInstancesPerHost is NumInstancesFilter's limit; zero means 50.
	MaxInstancesPerHost int

	// Weight multipliers; nil means nova's default, given in brackets.
	RAMWeightMultiplier              *float64 // [1.0]
	CPUWeightMultiplier              *float64 // [1.0]
	DiskWeightMultiplier             *float64 // [1.0]
	IOOpsWeightMultiplier            *float64 // [-1.0]
	PCIWeightMultiplier              *float64 // [1.0], must not be negative
	SoftAffinityWeightMultiplier     *float64 // [1.0], must not be negative
	SoftAntiAffinityWeightMultiplier *float64 // [1.0], must not be negative
	BuildFailureWeightMultiplier     *float64 // [1000000.0]
	CrossCellMoveWeightMultiplier    *float64 // [1000000.0]

	// ImagePropertiesDefaultArchitecture is the architecture
	// ImagePropertiesFilter assumes for an image that names none; empty
	// means none.
	ImagePropertiesDefaultArchitecture string
	// IsolatedImages and IsolatedHosts configure IsolatedHostsFilter.
	IsolatedImages []string
	IsolatedHosts  []string
	// AllowNonIsolatedImagesOnIsolatedHosts sets nova's
	// restrict_isolated_hosts_to_isolated_images to false.
	AllowNonIsolatedImagesOnIsolatedHosts bool
	// AggregateImagePropertiesIsolationNamespace limits
	// AggregateImagePropertiesIsolation to metadata keys starting with the
	// namespace and the separator; empty means every key.
	AggregateImagePropertiesIsolationNamespace string
	// AggregateImagePropertiesIsolationSeparator; empty means ".".
	AggregateImagePropertiesIsolationSeparator string

	// MetricsWeightSetting is [metrics] weight_setting: "name=ratio"
	// entries; malformed entries are ignored, as nova ignores them.
	MetricsWeightSetting []string
	// MetricsWeightMultiplier is [metrics] weight_multiplier; nil means 1.0.
	MetricsWeightMultiplier *float64
	// MetricsOptional sets [metrics] required to false: a host missing a
	// metric gets MetricsWeightOfUnavailable instead of failing the
	// request.
	MetricsOptional bool
	// MetricsWeightOfUnavailable; nil means -10000.0.
	MetricsWeightOfUnavailable *float64

	// DefaultAvailabilityZone is the zone of hosts in no zone aggregate;
	// empty means "nova".
	DefaultAvailabilityZone string

	// Alternates is how many alternate hosts to return with each selected
	// host (nova's max_attempts - 1 when the caller asks for alternates;
	// nova's conductor asks for 2). Zero means none.
	Alternates int

	// Rand draws the chosen host among the best HostSubsetSize and
	// shuffles equal best weights. nil means math/rand/v2's global source.
	// PythonRandom reproduces CPython's random module.
	Rand Rand

	// Logger receives one debug record per request; nil means silent.
	Logger *slog.Logger
}

// DefaultFilters are nova's default enabled_filters (Zed).
var DefaultFilters = []string{
	"ComputeFilter",
	"ComputeCapabilitiesFilter",
	"ImagePropertiesFilter",
	"ServerGroupAntiAffinityFilter",
	"ServerGroupAffinityFilter",
}

// options are the resolved settings the filters and weighers read.
type options struct {
	maxIOOps, maxInstances int64
	subset                 int
	shuffle                bool
	mult                   map[string]float64 // by nova option name
	defaultArch            string
	isolatedImages         map[string]bool
	isolatedHosts          map[string]bool
	restrictIsolated       bool
	aggNamespace, aggSep   string
	metricSetting          []metricRatio
	metricsMult            float64
	metricsRequired        bool
	metricsUnavailable     float64
	defaultAZ              string
}

type metricRatio struct {
	name  string
	ratio float64
}

func (c *Config) resolve() (options, error) {
	o := options{
		maxIOOps:     8,
		maxInstances: 50,
		subset:       1,
		shuffle:      c.ShuffleBestSameWeighedHosts,
		mult:         make(map[string]float64),
		aggNamespace: c.AggregateImagePropertiesIsolationNamespace,
		aggSep:       ".",
		defaultAZ:    "nova",
	}
	if c.HostSubsetSize < 0 {
		return o, fieldErr("Config.HostSubsetSize", "%d is below the minimum 1", c.HostSubsetSize)
	} else if c.HostSubsetSize > 0 {
		o.subset = c.HostSubsetSize
	}
	if c.MaxIOOpsPerHost != nil {
		if *c.MaxIOOpsPerHost < 0 {
			return o, fieldErr("Config.MaxIOOpsPerHost", "%d is below the minimum 0", *c.MaxIOOpsPerHost)
		}
		o.maxIOOps = int64(*c.MaxIOOpsPerHost)
	}
	if c.MaxInstancesPerHost < 0 {
		return o, fieldErr("Config.MaxInstancesPerHost", "%d is below the minimum 1", c.MaxInstancesPerHost)
	} else if c.MaxInstancesPerHost > 0 {
		o.maxInstances = int64(c.MaxInstancesPerHost)
	}
	if c.Alternates < 0 {
		return o, fieldErr("Config.Alternates", "%d is negative", c.Alternates)
	}
	mults := []struct {
		field, name string
		v           *float64
		def         float64
		nonNeg      bool
	}{
		{"RAMWeightMultiplier", "ram_weight_multiplier", c.RAMWeightMultiplier, 1, false},
		{"CPUWeightMultiplier", "cpu_weight_multiplier", c.CPUWeightMultiplier, 1, false},
		{"DiskWeightMultiplier", "disk_weight_multiplier", c.DiskWeightMultiplier, 1, false},
		{"IOOpsWeightMultiplier", "io_ops_weight_multiplier", c.IOOpsWeightMultiplier, -1, false},
		{"PCIWeightMultiplier", "pci_weight_multiplier", c.PCIWeightMultiplier, 1, true},
		{"SoftAffinityWeightMultiplier", "soft_affinity_weight_multiplier", c.SoftAffinityWeightMultiplier, 1, true},
		{"SoftAntiAffinityWeightMultiplier", "soft_anti_affinity_weight_multiplier", c.SoftAntiAffinityWeightMultiplier, 1, true},
		{"BuildFailureWeightMultiplier", "build_failure_weight_multiplier", c.BuildFailureWeightMultiplier, 1000000, false},
		{"CrossCellMoveWeightMultiplier", "cross_cell_move_weight_multiplier", c.CrossCellMoveWeightMultiplier, 1000000, false},
		{"MetricsWeightMultiplier", "metrics_weight_multiplier", c.MetricsWeightMultiplier, 1, false},
	}
	for _, m := range mults {
		v := m.def
		if m.v != nil {
			v = *m.v
			// oslo.config checks the minimum of these options.
			if m.nonNeg && v < 0 {
				return o, fieldErr("Config."+m.field, "%v is below the minimum 0", v)
			}
		}
		o.mult[m.name] = v
	}
	o.metricsMult = o.mult["metrics_weight_multiplier"]
	if a := c.ImagePropertiesDefaultArchitecture; a != "" {
		if !containsString(architectures, a) {
			return o, fieldErr("Config.ImagePropertiesDefaultArchitecture", "%q is not one of nova's architectures", a)
		}
		o.defaultArch = a
	}
	o.isolatedImages = stringSet(c.IsolatedImages)
	o.isolatedHosts = stringSet(c.IsolatedHosts)
	o.restrictIsolated = !c.AllowNonIsolatedImagesOnIsolatedHosts
	if c.AggregateImagePropertiesIsolationSeparator != "" {
		o.aggSep = c.AggregateImagePropertiesIsolationSeparator
	}
	for _, s := range c.MetricsWeightSetting {
		// nova's parse_options: partition at the first "=", the ratio read
		// with float(); entries without a name, "=" or number are dropped.
		name, ratio, ok := strings.Cut(s, "=")
		if !ok || name == "" {
			continue
		}
		f, ok := pyParseFloat(ratio)
		if !ok {
			continue
		}
		o.metricSetting = append(o.metricSetting, metricRatio{name, f})
	}
	o.metricsRequired = !c.MetricsOptional
	o.metricsUnavailable = -10000.0
	if c.MetricsWeightOfUnavailable != nil {
		o.metricsUnavailable = *c.MetricsWeightOfUnavailable
	}
	if c.DefaultAvailabilityZone != "" {
		o.defaultAZ = c.DefaultAvailabilityZone
	}
	return o, nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func stringSet(list []string) map[string]bool {
	m := make(map[string]bool, len(list))
	for _, s := range list {
		m[s] = true
	}
	return m
}
