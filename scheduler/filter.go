package scheduler

// Filter decides whether a host can take one instance of a request, like a
// nova host filter's host_passes. Config.CustomFilters adds filters that
// Config.Filters can then name.
//
// HostPasses sees the host as it is at that point of the request: the
// resources of instances already placed by this request are consumed. It
// must not modify h or spec and may be called from several goroutines at
// once when the Scheduler is. A non-nil error fails the whole request with
// a *HostError, as an exception in a nova filter does.
type Filter interface {
	Name() string
	HostPasses(h *HostState, spec *RequestSpec) (bool, error)
}

// OncePerRequest may be implemented by a Filter whose answer cannot change
// within a request (nova's run_filter_once_per_request): it then runs for
// the first instance only, and later instances choose among the hosts it
// passed.
type OncePerRequest interface {
	OncePerRequest() bool
}

// RunOnRebuild may be implemented by a Filter that must still run when the
// request is a rebuild check (the _nova_check_type hint is "rebuild"); the
// other filters pass every host then, as in nova.
type RunOnRebuild interface {
	RunOnRebuild() bool
}

// FilterFunc makes a Filter of a function; it runs for every instance and
// not on rebuild.
func FilterFunc(name string, f func(h *HostState, spec *RequestSpec) (bool, error)) Filter {
	return funcFilter{name, f}
}

type funcFilter struct {
	name string
	f    func(h *HostState, spec *RequestSpec) (bool, error)
}

func (f funcFilter) Name() string { return f.name }

func (f funcFilter) HostPasses(h *HostState, spec *RequestSpec) (bool, error) { return f.f(h, spec) }

// Weigher scores hosts for a request, like a nova weigher: Weigh returns the
// raw weight of one host, which is normalized over the hosts being weighed
// to [0, 1] (all equal raw weights normalize to 0) and multiplied by
// Multiplier. The scores of all weighers add up; the highest total wins.
// Config.CustomWeighers adds weighers that Config.Weighers can then name.
//
// The same rules as for Filter apply: no modification, possible concurrent
// calls, and an error fails the request with a *HostError.
type Weigher interface {
	Name() string
	Weigh(h *HostState, spec *RequestSpec) (float64, error)
	// Multiplier is the weigher's weight for this host. AggregateMultiplier
	// reads a per-aggregate override the way nova's weighers do.
	Multiplier(h *HostState) float64
}

// WeightBounds may be implemented by a Weigher whose raw weights are
// clamped and normalized against fixed bounds instead of the observed
// minimum or maximum (nova's minval and maxval); RAMWeigher, for instance,
// uses a minimum of 0.
type WeightBounds interface {
	WeightBounds() (min, max float64, hasMin, hasMax bool)
}

// AggregateMultiplier is nova's get_weight_multiplier: the smallest value
// of the metadata key among the host's aggregates, read with Python's
// float(), or def when no aggregate sets it or a value is not a number.
func AggregateMultiplier(h *HostState, key string, def float64) float64 {
	v, ok, bad := aggregateMin(h.Aggregates, key, pyParseFloat)
	if !ok || bad {
		return def
	}
	return v
}

// aggregateMin is nova's validate_num_values(aggregate_values_from_key(h,
// key), based_on=min): the minimum of the distinct values of key among the
// aggregates, converted by conv. ok is false when no aggregate has the key,
// bad is true when a value does not convert (nova then uses its default).
func aggregateMin[T int64 | float64](aggs []Aggregate, key string, conv func(string) (T, bool)) (v T, ok, bad bool) {
	for i := range aggs {
		s, has := aggs[i].Metadata[key]
		if !has {
			continue
		}
		x, good := conv(s)
		if !good {
			bad = true
			continue
		}
		// Python's min keeps the first of equal values and, for floats,
		// never replaces an earlier value by a NaN or with one.
		if !ok || x < v {
			v = x
		}
		ok = true
	}
	return v, ok || bad, bad
}
