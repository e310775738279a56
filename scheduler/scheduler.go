package scheduler

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync/atomic"
)

// Scheduler places requests on hosts with nova's filters and weighers. It
// is safe for concurrent use when its Config.Rand is (the default is).
type Scheduler struct {
	cfg         Config
	opts        options
	filters     []*filter
	weighers    []*weigher
	needMetrics bool
	rnd         Rand
	stats       stats
}

// Rand is the random source of the choice among the best hosts: IntN
// returns a uniform integer in [0, n). *math/rand/v2.Rand and PythonRandom
// implement it.
type Rand interface {
	IntN(n int) int
}

type globalRand struct{}

func (globalRand) IntN(n int) int { return rand.IntN(n) }

// New checks cfg and returns a Scheduler. Unknown filter or weigher names
// wrap ErrUnknownFilter or ErrUnknownWeigher; invalid options are a
// *FieldError.
func New(cfg Config) (*Scheduler, error) {
	s := &Scheduler{cfg: cfg, rnd: cfg.Rand}
	s.cfg.Filters = slices.Clone(cfg.Filters)
	s.cfg.Weighers = slices.Clone(cfg.Weighers)
	if s.rnd == nil {
		s.rnd = globalRand{}
	}
	var err error
	if s.opts, err = s.cfg.resolve(); err != nil {
		return nil, err
	}
	custom := make(map[string]Filter)
	for i, f := range cfg.CustomFilters {
		if f == nil || f.Name() == "" {
			return nil, fieldErr(fmt.Sprintf("Config.CustomFilters[%d]", i), "a filter needs a name")
		}
		custom[f.Name()] = f
	}
	names := cfg.Filters
	if names == nil {
		names = DefaultFilters
	}
	for _, name := range names {
		if f, ok := custom[name]; ok {
			s.filters = append(s.filters, customFilter(f))
			continue
		}
		f, ok := builtinFilter(name)
		if !ok {
			return nil, fmt.Errorf("%w: %q", ErrUnknownFilter, name)
		}
		s.filters = append(s.filters, f)
	}
	customW := make(map[string]Weigher)
	for i, w := range cfg.CustomWeighers {
		if w == nil || w.Name() == "" {
			return nil, fieldErr(fmt.Sprintf("Config.CustomWeighers[%d]", i), "a weigher needs a name")
		}
		customW[w.Name()] = w
	}
	wnames := cfg.Weighers
	if wnames == nil {
		wnames = []string{allWeighersPath}
	}
	for _, name := range wnames {
		if cw, ok := customW[name]; ok {
			w := &weigher{custom: cw}
			if b, ok := cw.(WeightBounds); ok {
				w.min, w.max, w.hasMin, w.hasMax = b.WeightBounds()
			}
			s.weighers = append(s.weighers, w)
			continue
		}
		if name == allWeighersPath {
			for _, info := range builtinWeighers {
				s.weighers = append(s.weighers, &weigher{info: info})
			}
			continue
		}
		found := false
		for _, info := range builtinWeighers {
			if name == info.name || name == info.path {
				s.weighers = append(s.weighers, &weigher{info: info})
				found = true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("%w: %q", ErrUnknownWeigher, name)
		}
	}
	for _, w := range s.weighers {
		if w.info.kind == wMetrics {
			s.needMetrics = true
		}
	}
	return s, nil
}

// Filters returns the class names of the filters, in the order they run.
func (s *Scheduler) Filters() []string {
	names := make([]string, len(s.filters))
	for i, f := range s.filters {
		names[i] = f.name
	}
	return names
}

// Weighers returns the class names of the weighers, in the order their
// scores are added.
func (s *Scheduler) Weighers() []string {
	names := make([]string, len(s.weighers))
	for i, w := range s.weighers {
		names[i] = w.name()
	}
	return names
}

// Stats are counters of a Scheduler since New.
type Stats struct {
	Requests     uint64 // Schedule and Explain calls that got past validation
	Instances    uint64 // instances placed
	NoValidHost  uint64 // requests that ended with ErrNoValidHost
	HostErrors   uint64 // requests that ended with a *HostError
	HostsWeighed uint64 // hosts weighed, summed over instances
}

type stats struct {
	requests, instances, noValidHost, hostErrors, weighed atomic.Uint64
}

// Stats returns a snapshot of the counters.
func (s *Scheduler) Stats() Stats {
	return Stats{
		Requests:     s.stats.requests.Load(),
		Instances:    s.stats.instances.Load(),
		NoValidHost:  s.stats.noValidHost.Load(),
		HostErrors:   s.stats.hostErrors.Load(),
		HostsWeighed: s.stats.weighed.Load(),
	}
}
