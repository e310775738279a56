package scheduler

import (
	"fmt"
	"slices"
)

// run is the state of one request on a HostSet. Runs are pooled per
// HostSet so that a request allocates nothing per host.
type run struct {
	s    *Scheduler
	set  *HostSet
	spec *RequestSpec

	hosts []HostState // working copies, consumed as instances are placed
	index int         // the instance being placed
	uuid  string      // its UUID

	// request data the filters read, computed once per request
	img        imageProps
	members    map[string]struct{}
	groupHosts []string
	caps       []capSpec
	aggSpecs   []aggSpec
	query      pyValue
	queryErr   error
	hasQuery   bool
	cidr       ipNet
	cidrErr    error
	hasCIDR    bool
	sameHost   []string
	diffHost   []string
	maxServers int64
	rulesErr   error

	// buffers, len(hosts) each
	lists   [2][]int32
	nums    kindNums
	raw     []float64
	total   []float64
	pairs   []weighed
	sortBuf []weighed
	best    []int32
	scratch []PCIPool

	trace *Trace
}

// weighed is one host and its total weight while sorting.
type weighed struct {
	w   float64
	idx int32
}

func (set *HostSet) getRun() *run {
	if r, ok := set.runs.Get().(*run); ok {
		return r
	}
	n := len(set.hosts)
	return &run{
		s:       set.s,
		set:     set,
		hosts:   make([]HostState, n),
		lists:   [2][]int32{make([]int32, 0, n), make([]int32, 0, n)},
		nums:    newKindNums(n),
		raw:     make([]float64, n),
		total:   make([]float64, n),
		pairs:   make([]weighed, n),
		sortBuf: make([]weighed, n),
		best:    make([]int32, 0, n),
	}
}

func (set *HostSet) putRun(r *run) {
	r.spec = nil
	r.trace = nil
	r.img = imageProps{}
	r.members = nil
	r.groupHosts = r.groupHosts[:0]
	r.caps = r.caps[:0]
	r.aggSpecs = r.aggSpecs[:0]
	r.query = pyValue{}
	set.runs.Put(r)
}

// begin resets the run for spec. It returns a *FieldError for a request
// nova would refuse before scheduling.
func (r *run) begin(spec *RequestSpec) error {
	r.spec = spec
	copy(r.hosts, r.set.hosts)
	if spec.NumInstances < 0 || spec.NumInstances > MaxInstances {
		return fieldErr("RequestSpec.NumInstances", "%d is not in [0, %d]", spec.NumInstances, MaxInstances)
	}
	if len(spec.InstanceUUIDs) > MaxInstances {
		return fieldErr("RequestSpec.InstanceUUIDs", "%d instances, more than %d", len(spec.InstanceUUIDs), MaxInstances)
	}
	for i, p := range spec.PCIRequests {
		if p.Count < 0 {
			return fieldErr("RequestSpec.PCIRequests", "request %d asks for %d devices", i, p.Count)
		}
	}
	var err error
	if r.img, err = coerceImageProps(spec.Image.Properties); err != nil {
		return err
	}
	r.members = nil
	r.groupHosts = r.groupHosts[:0]
	r.maxServers, r.rulesErr = 1, nil
	if g := spec.Group; g != nil {
		r.members = make(map[string]struct{}, len(g.Members))
		for _, m := range g.Members {
			r.members[m] = struct{}{}
		}
		r.groupHosts = append(r.groupHosts, g.Hosts...)
		if v, ok := g.Rules["max_server_per_host"]; ok {
			// InstanceGroup.rules reads it with int().
			n, ok := pyParseInt(v)
			if !ok {
				// nova reads the rule only when the filter looks at a host.
				r.rulesErr = fmt.Errorf("server group rule max_server_per_host: invalid literal for int(): %q", v)
			}
			r.maxServers = n
		}
	}
	r.prepareFilters()
	r.beginNums()
	return nil
}

// initial returns the hosts a request starts from: all of them, or those
// of the requested cell unless a cross-cell move is allowed (nova's
// get_host_states_by_uuids).
func (r *run) initial() []int32 {
	l := r.lists[0][:0]
	d := r.spec.RequestedDestination
	for i := range r.hosts {
		if d != nil && d.Cell != "" && !d.AllowCrossCellMove && r.hosts[i].CellUUID != d.Cell {
			continue
		}
		l = append(l, int32(i))
	}
	r.lists[0] = l
	return l
}

// consume places the current instance on host i, as nova's
// _consume_selected_host does.
func (r *run) consume(i int32) {
	h := &r.hosts[i]
	h.ConsumeFromRequest(r.spec)
	if r.spec.Group != nil {
		r.groupHosts = append(r.groupHosts, h.Host)
	}
	if r.uuid != "" && !slices.Contains(h.Instances, r.uuid) {
		inst := make([]string, len(h.Instances), len(h.Instances)+1)
		copy(inst, h.Instances)
		h.Instances = append(inst, r.uuid)
	}
	r.consumedNums(i)
}
