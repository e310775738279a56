package scheduler

import (
	"fmt"
	"io"
	"strings"
)

// Trace explains one request: for every round of filtering and weighing,
// which filter removed which hosts and what each weigher gave each host,
// raw and normalized, with its multiplier. It is what nova writes to its
// debug log, in one value.
type Trace struct {
	Filters  []string // the enabled filters, in order
	Weighers []string // the weighers, in order
	// Instances has one round per instance, plus a last round with
	// Alternates set when nova filters and weighs again to pick alternates.
	Instances []InstanceTrace
}

// InstanceTrace is one round of filtering and weighing.
type InstanceTrace struct {
	Index        int
	InstanceUUID string
	Alternates   bool      // the round that picks alternates
	Start        []NodeRef // hosts entering the round
	Steps        []FilterStep
	Weighers     []WeigherTrace
	Weighed      []WeighedHost // after sorting, best first
	Chosen       NodeRef       // drawn among the best host_subset_size
	Selected     NodeRef       // the host the instance was placed on
}

// FilterStep is one filter (or ignore_hosts / force_hosts / force_nodes)
// in one round.
type FilterStep struct {
	Filter  string
	In      int       // hosts before the step
	Removed []NodeRef // hosts the step removed
	// Skipped says why the filter did not look at hosts: it runs once per
	// request and this is a later instance, or the request is a rebuild.
	Skipped string
	// Kept is set for ignore_hosts, force_hosts and force_nodes, which
	// record counts only.
	Kept int
}

// WeigherTrace is one weigher in one round; the slices are parallel to
// Hosts, in the order the hosts were weighed (before sorting).
type WeigherTrace struct {
	Weigher     string
	Hosts       []NodeRef
	Raw         []float64
	Normalized  []float64
	Multipliers []float64
}

func (it *InstanceTrace) note(name string, before, after int) {
	it.Steps = append(it.Steps, FilterStep{Filter: name, In: before, Kept: after})
}

// WriteTo writes the trace as text, one line per step.
func (t *Trace) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	for _, it := range t.Instances {
		if it.Alternates {
			fmt.Fprintf(&b, "alternates (filtering again for instance %d): %d hosts\n", it.Index, len(it.Start))
		} else {
			fmt.Fprintf(&b, "instance %d %s: %d hosts\n", it.Index, it.InstanceUUID, len(it.Start))
		}
		for _, s := range it.Steps {
			switch {
			case s.Skipped != "":
				fmt.Fprintf(&b, "  %s: skipped, %s\n", s.Filter, s.Skipped)
			case s.Filter == "ignore_hosts" || s.Filter == "force_hosts" || s.Filter == "force_nodes":
				fmt.Fprintf(&b, "  %s: %d -> %d hosts\n", s.Filter, s.In, s.Kept)
			case len(s.Removed) == 0:
				fmt.Fprintf(&b, "  %s: %d -> %d hosts\n", s.Filter, s.In, s.In)
			default:
				fmt.Fprintf(&b, "  %s: %d -> %d hosts, removed %s\n", s.Filter, s.In, s.In-len(s.Removed), refs(s.Removed))
			}
		}
		for _, wt := range it.Weighers {
			fmt.Fprintf(&b, "  %s:", wt.Weigher)
			for j, h := range wt.Hosts {
				fmt.Fprintf(&b, " %s=%s*%s(raw %s)", h.Host, fmtFloat(wt.Multipliers[j]), fmtFloat(wt.Normalized[j]), fmtFloat(wt.Raw[j]))
			}
			b.WriteByte('\n')
		}
		if len(it.Weighed) > 0 {
			b.WriteString("  weighed:")
			for _, h := range it.Weighed {
				fmt.Fprintf(&b, " %s=%s", h.Host, fmtFloat(h.Weight))
			}
			b.WriteByte('\n')
			fmt.Fprintf(&b, "  chosen: %s\n", it.Chosen.Host)
		} else {
			b.WriteString("  no host left\n")
		}
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

func (t *Trace) String() string {
	var b strings.Builder
	_, _ = t.WriteTo(&b)
	return b.String()
}

func refs(l []NodeRef) string {
	names := make([]string, len(l))
	for i, r := range l {
		names[i] = r.Host
		if r.Node != "" && r.Node != r.Host {
			names[i] += "/" + r.Node
		}
	}
	return strings.Join(names, ",")
}

// fmtFloat writes a weight as Python's repr() does.
func fmtFloat(f float64) string { return pyFloatRepr(f) }
