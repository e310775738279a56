package scheduler

import (
	"errors"
	"log/slog"
	"slices"
)

// Decision is the outcome of a request.
type Decision struct {
	// Selections has one entry per instance: the selected host and its
	// alternates. It is nil when the request failed.
	Selections []Selection
	// Weighed is the first instance's hosts after filtering, with their
	// weights, best first, before anything was consumed. It is set even
	// when a later instance found no host.
	Weighed []WeighedHost
}

// Selection is the host chosen for one instance.
type Selection struct {
	InstanceUUID string
	Host         string
	Node         string
	// Alternates are other hosts of the same cell that passed the filters
	// for the last instance, best first, never a selected host: where a
	// failed build can be retried (nova's alternates).
	Alternates []NodeRef
}

// WeighedHost is a host and its total weight.
type WeighedHost struct {
	Host   string
	Node   string
	Weight float64
}

// Schedule places spec on the hosts of set the way nova's legacy
// scheduling loop does (SchedulerManager._legacy_find_hosts in nova 26):
// for each instance it filters and weighs the hosts left, draws the chosen
// host among the best Config.HostSubsetSize, consumes its resources, and
// goes on with the hosts that passed; then it picks alternates.
//
// It returns ErrNoValidHost when an instance finds no host, a *HostError
// when a filter or weigher fails on a host, and a *FieldError for a
// request nova would refuse. The Decision is non-nil unless the request
// itself is invalid; on error it carries Weighed when the first instance
// got that far. set is not modified.
func (s *Scheduler) Schedule(set *HostSet, spec *RequestSpec) (*Decision, error) {
	return s.schedule(set, spec, nil)
}

// ScheduleHosts is Prepare followed by Schedule.
func (s *Scheduler) ScheduleHosts(hosts []HostState, spec *RequestSpec) (*Decision, error) {
	set, err := s.Prepare(hosts)
	if err != nil {
		return nil, err
	}
	return s.Schedule(set, spec)
}

// Explain is Schedule with a Trace of every step: which filter removed
// which hosts and what each weigher gave each host.
func (s *Scheduler) Explain(set *HostSet, spec *RequestSpec) (*Decision, *Trace, error) {
	tr := &Trace{Filters: s.Filters(), Weighers: s.Weighers()}
	d, err := s.schedule(set, spec, tr)
	return d, tr, err
}

func (s *Scheduler) schedule(set *HostSet, spec *RequestSpec, tr *Trace) (*Decision, error) {
	if set == nil || set.s != s {
		return nil, errors.New("scheduler: the HostSet was prepared by another Scheduler")
	}
	if spec == nil {
		return nil, fieldErr("RequestSpec", "nil")
	}
	r := set.getRun()
	defer set.putRun(r)
	if err := r.begin(spec); err != nil {
		return nil, err
	}
	r.trace = tr
	s.stats.requests.Add(1)
	n := spec.instanceCount()
	dec := &Decision{}
	err := r.loop(n, dec)
	switch {
	case err == nil:
		s.stats.instances.Add(uint64(n))
	case errors.Is(err, ErrNoValidHost):
		s.stats.noValidHost.Add(1)
	default:
		s.stats.hostErrors.Add(1)
	}
	if l := s.cfg.Logger; l != nil {
		l.Debug("scheduler: request done", slog.Int("instances", n), slog.Int("hosts", len(set.hosts)),
			slog.Int("selected", len(dec.Selections)), slog.Any("error", err))
	}
	return dec, err
}

// loop is _legacy_find_hosts followed by _get_alternate_hosts.
func (r *run) loop(n int, dec *Decision) error {
	cur := r.initial()
	which := 0 // r.lists[which] holds cur
	selected := make([]int32, 0, n)
	for num := 0; num < n; num++ {
		r.index = num
		r.uuid = r.spec.instanceUUID(num)
		next := r.lists[1-which][:0]
		sorted, err := r.sortedHosts(cur, next, num, dec)
		if err != nil {
			return err
		}
		r.lists[1-which] = sorted
		which = 1 - which
		cur = sorted
		if len(cur) == 0 {
			break
		}
		sel := cur[0]
		selected = append(selected, sel)
		r.consume(sel)
		if r.trace != nil {
			r.trace.Instances[len(r.trace.Instances)-1].Selected = r.ref(sel)
		}
	}
	if len(selected) < n {
		return ErrNoValidHost
	}
	alts := r.s.cfg.Alternates
	if n > 1 && alts > 0 {
		next := r.lists[1-which][:0]
		sorted, err := r.sortedHosts(cur, next, n-1, nil)
		if err != nil {
			return err
		}
		cur = sorted
	}
	dec.Selections = make([]Selection, n)
	for k, sel := range selected {
		h := &r.hosts[sel]
		out := Selection{InstanceUUID: r.spec.instanceUUID(k), Host: h.Host, Node: h.Node}
		for _, c := range cur {
			if len(out.Alternates) >= alts {
				break
			}
			if r.hosts[c].CellUUID != h.CellUUID || containsInt32(selected, c) {
				continue
			}
			out.Alternates = append(out.Alternates, r.ref(c))
		}
		dec.Selections[k] = out
	}
	return nil
}

func containsInt32(l []int32, x int32) bool {
	for _, y := range l {
		if y == x {
			return true
		}
	}
	return false
}

func (r *run) ref(i int32) NodeRef { return NodeRef{r.hosts[i].Host, r.hosts[i].Node} }

// sortedHosts is _get_sorted_hosts: filter hosts into dst, weigh and sort
// them, shuffle the best if configured, draw the chosen host among the
// best host_subset_size and put it first. For the first instance it
// records the weighed list in dec.
func (r *run) sortedHosts(hosts, dst []int32, index int, dec *Decision) ([]int32, error) {
	var it *InstanceTrace
	if r.trace != nil {
		r.trace.Instances = append(r.trace.Instances, InstanceTrace{Index: index, InstanceUUID: r.uuid})
		it = &r.trace.Instances[len(r.trace.Instances)-1]
		if dec == nil {
			it.Alternates = true
		}
		for _, i := range hosts {
			it.Start = append(it.Start, r.ref(i))
		}
	}
	filtered, err := r.filtered(hosts, dst, index, it)
	if err != nil {
		return filtered[:0], err
	}
	if len(filtered) == 0 {
		return filtered, nil
	}
	if err := r.weigh(filtered, it); err != nil {
		return filtered[:0], err
	}
	if dec != nil && index == 0 {
		dec.Weighed = make([]WeighedHost, len(filtered))
		for j, i := range filtered {
			dec.Weighed[j] = WeighedHost{r.hosts[i].Host, r.hosts[i].Node, r.total[j]}
		}
	}
	if it != nil {
		for j, i := range filtered {
			it.Weighed = append(it.Weighed, WeighedHost{r.hosts[i].Host, r.hosts[i].Node, r.total[j]})
		}
	}
	o := &r.s.opts
	if o.shuffle {
		// best = [w for w in weighed if w.weight == weighed[0].weight]
		best := r.best[:0]
		top := r.total[0]
		for j, i := range filtered {
			if r.total[j] == top {
				best = append(best, i)
			}
		}
		for k := len(best) - 1; k >= 1; k-- {
			j := r.s.rnd.IntN(k + 1)
			best[k], best[j] = best[j], best[k]
		}
		// weighed = best + weighed[len(best):]
		copy(filtered, best)
		r.best = best
	}
	sub := len(filtered)
	if o.subset < sub {
		sub = o.subset
	}
	chosen := filtered[r.s.rnd.IntN(sub)]
	// weighed_hosts.remove(chosen_host) takes out its first occurrence:
	// with NaN weights the shuffle above can list a host twice.
	c := slices.Index(filtered, chosen)
	copy(filtered[1:c+1], filtered[:c])
	filtered[0] = chosen
	if it != nil {
		it.Chosen = r.ref(chosen)
	}
	return filtered, nil
}

// filtered is HostManager.get_filtered_hosts: the requested destination,
// ignored and forced hosts, then the filters in order, stopping when no
// host is left.
func (r *run) filtered(hosts, dst []int32, index int, it *InstanceTrace) ([]int32, error) {
	spec := r.spec
	dst = dst[:0]
	d := spec.RequestedDestination
	for _, i := range hosts {
		h := &r.hosts[i]
		if d != nil && d.Host != "" && (h.Host != d.Host || (d.Node != "" && h.Node != d.Node)) {
			continue
		}
		dst = append(dst, i)
	}
	if len(spec.IgnoreHosts) > 0 || len(spec.ForceHosts) > 0 || len(spec.ForceNodes) > 0 {
		// nova keys the hosts by (host, node) here, which drops a host
		// listed twice (see sortedHosts) after its first place.
		j := 0
		for k, i := range dst {
			if !slices.Contains(dst[:k], i) {
				dst[j] = i
				j++
			}
		}
		dst = dst[:j]
		before := len(dst)
		dst = keepIf(dst, func(i int32) bool {
			name := pyLower(r.hosts[i].Host)
			for _, ig := range spec.IgnoreHosts {
				if pyLower(ig) == name {
					return false
				}
			}
			return true
		})
		if it != nil && len(spec.IgnoreHosts) > 0 {
			it.note("ignore_hosts", before, len(dst))
		}
		if len(spec.IgnoreHosts) > 0 && len(dst) == 0 {
			return dst, nil
		}
		if len(spec.ForceHosts) > 0 {
			before := len(dst)
			dst = keepIf(dst, func(i int32) bool {
				name := pyLower(r.hosts[i].Host)
				for _, f := range spec.ForceHosts {
					if pyLower(f) == name {
						return true
					}
				}
				return false
			})
			if it != nil {
				it.note("force_hosts", before, len(dst))
			}
		}
		if len(spec.ForceNodes) > 0 {
			before := len(dst)
			dst = keepIf(dst, func(i int32) bool {
				for _, f := range spec.ForceNodes {
					if f == r.hosts[i].Node {
						return true
					}
				}
				return false
			})
			if it != nil {
				it.note("force_nodes", before, len(dst))
			}
		}
		if !spec.checkType() && (len(spec.ForceHosts) > 0 || len(spec.ForceNodes) > 0) {
			return dst, nil
		}
	}
	for _, f := range r.s.filters {
		if f.once && index > 0 {
			if it != nil {
				it.Steps = append(it.Steps, FilterStep{Filter: f.name, In: len(dst), Skipped: "runs once per request"})
			}
			continue
		}
		if r.noop(f) {
			if it != nil {
				step := FilterStep{Filter: f.name, In: len(dst)}
				if !f.rebuild && spec.isRebuild() {
					step.Skipped = "not run on rebuild"
				}
				it.Steps = append(it.Steps, step)
			}
			continue
		}
		var step *FilterStep
		if it != nil {
			it.Steps = append(it.Steps, FilterStep{Filter: f.name, In: len(dst)})
			step = &it.Steps[len(it.Steps)-1]
		}
		j := 0
		for _, i := range dst {
			ok, err := r.passes(f, i)
			if err != nil {
				h := &r.hosts[i]
				return dst[:0], &HostError{Stage: "filter", Name: f.name, Host: h.Host, Node: h.Node, Err: err}
			}
			if ok {
				dst[j] = i
				j++
			} else if step != nil {
				step.Removed = append(step.Removed, r.ref(i))
			}
		}
		dst = dst[:j]
		if len(dst) == 0 {
			break
		}
	}
	return dst, nil
}

func keepIf(l []int32, keep func(int32) bool) []int32 {
	j := 0
	for _, i := range l {
		if keep(i) {
			l[j] = i
			j++
		}
	}
	return l[:j]
}
