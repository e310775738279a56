package scheduler

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// This file reads and writes the JSON request and decision of the
// schedule tool (examples/schedule), which other tools rely on. A request
// is
//
//	{"conf": {"filter_scheduler": {...}, "metrics": {...}, "DEFAULT": {...}},
//	 "hosts": [{"host": ..., "node": ..., "free_ram_mb": ..., ...}],
//	 "spec": {"memory_mb": ..., "vcpus": ..., "extra_specs": {...}, ...},
//	 "num_alts": 2, "seed": 7}
//
// with nova's option names in "conf" and nova's field names for hosts and
// the request. Absent host fields take nova's defaults; aggregate i of a
// host is named "agg<i>"; a host's service is up unless "disabled" or
// "forced_down". Values of extra_specs, hints, stats and image_props may
// be JSON strings, numbers or booleans: the first three are stored as
// str() of the value, as nova's string fields store them; image properties
// are coerced by their ImageMetaProps field types as nova's
// ImageMeta.from_dict coerces them (hw_video_ram 64 or 64.0 is 64, a
// boolean field takes true, an architecture must be text). "seed", when
// present, makes the draw among the best hosts that of CPython's random
// module seeded with it. The decision is
//
//	{"filters": [...], "weighers": [...], "weighed": [[host, weight], ...],
//	 "selected": [[host, alternate, ...], ...], "error": "NoValidHost"}

// ErrBadRequest is wrapped by ParseJSONRequest's errors: the input is not
// a request (bad JSON, a field of the wrong type or unknown, an unknown
// option).
var ErrBadRequest = errors.New("scheduler: bad request")

// JSONRequest is a parsed request of the schedule tool.
type JSONRequest struct {
	Conf    map[string]map[string]json.RawMessage `json:"conf"`
	Hosts   []JSONHost                            `json:"hosts"`
	Spec    JSONSpec                              `json:"spec"`
	NumAlts int                                   `json:"num_alts"`
	Seed    *uint64                               `json:"seed,omitempty"`
}

// JSONHost is one host of a request.
type JSONHost struct {
	Host               string                       `json:"host"`
	Node               *string                      `json:"node,omitempty"` // absent: the host name
	CellUUID           string                       `json:"cell_uuid,omitempty"`
	FreeRAMMB          int64                        `json:"free_ram_mb"`
	FreeDiskMB         int64                        `json:"free_disk_mb"`
	VCPUsTotal         int64                        `json:"vcpus_total"`
	VCPUsUsed          int64                        `json:"vcpus_used"`
	NumInstances       int64                        `json:"num_instances"`
	NumIOOps           int64                        `json:"num_io_ops"`
	FailedBuilds       int64                        `json:"failed_builds"`
	TotalUsableRAMMB   int64                        `json:"total_usable_ram_mb"`
	TotalUsableDiskGB  int64                        `json:"total_usable_disk_gb"`
	HostIP             string                       `json:"host_ip,omitempty"`
	HypervisorType     string                       `json:"hypervisor_type,omitempty"`
	HypervisorVersion  int64                        `json:"hypervisor_version"`
	SupportedInstances [][]string                   `json:"supported_instances,omitempty"`
	CPUAllocationRatio float64                      `json:"cpu_allocation_ratio,omitempty"`
	RAMAllocationRatio float64                      `json:"ram_allocation_ratio,omitempty"`
	DiskAllocRatio     float64                      `json:"disk_allocation_ratio,omitempty"`
	Stats              map[string]json.RawMessage   `json:"stats,omitempty"`
	Metrics            map[string]json.Number       `json:"metrics,omitempty"`
	Aggregates         []map[string]json.RawMessage `json:"aggregates,omitempty"`
	Instances          []string                     `json:"instances,omitempty"`
	PCIPools           []map[string]json.RawMessage `json:"pci_pools,omitempty"`
	Service            struct {
		Disabled       bool   `json:"disabled"`
		DisabledReason string `json:"disabled_reason,omitempty"`
		ForcedDown     bool   `json:"forced_down"`
	} `json:"service"`
}

// JSONSpec is the request spec of a request.
type JSONSpec struct {
	MemoryMB             int64                      `json:"memory_mb"`
	VCPUs                int64                      `json:"vcpus"`
	RootGB               int64                      `json:"root_gb"`
	EphemeralGB          int64                      `json:"ephemeral_gb"`
	Swap                 int64                      `json:"swap,omitempty"`
	NumInstances         int                        `json:"num_instances,omitempty"`
	InstanceUUIDs        []string                   `json:"instance_uuids,omitempty"`
	ProjectID            string                     `json:"project_id,omitempty"`
	FlavorName           string                     `json:"flavor_name,omitempty"`
	AvailabilityZone     string                     `json:"availability_zone,omitempty"`
	ExtraSpecs           map[string]json.RawMessage `json:"extra_specs,omitempty"`
	ImageID              string                     `json:"image_id,omitempty"`
	ImageProps           map[string]json.RawMessage `json:"image_props,omitempty"`
	Hints                map[string]json.RawMessage `json:"hints,omitempty"`
	IgnoreHosts          []string                   `json:"ignore_hosts,omitempty"`
	ForceHosts           []string                   `json:"force_hosts,omitempty"`
	ForceNodes           []string                   `json:"force_nodes,omitempty"`
	Group                *JSONGroup                 `json:"group,omitempty"`
	PCIRequests          []JSONPCIRequest           `json:"pci_requests,omitempty"`
	Retry                *JSONRetry                 `json:"retry,omitempty"`
	RequestedDestination *JSONDestination           `json:"requested_destination,omitempty"`
}

// JSONGroup is the request's server group.
type JSONGroup struct {
	Policy  string                     `json:"policy"`
	Members []string                   `json:"members,omitempty"`
	Hosts   []string                   `json:"hosts,omitempty"`
	Rules   map[string]json.RawMessage `json:"rules,omitempty"`
}

// JSONPCIRequest is one PCI request.
type JSONPCIRequest struct {
	Count     int64               `json:"count"`
	Spec      []map[string]string `json:"spec"`
	AliasName string              `json:"alias_name,omitempty"`
}

// JSONRetry lists the [host, node] pairs of earlier attempts.
type JSONRetry struct {
	NumAttempts int         `json:"num_attempts"`
	Hosts       [][2]string `json:"hosts"`
}

// JSONDestination is the requested destination.
type JSONDestination struct {
	Host               string `json:"host,omitempty"`
	Node               string `json:"node,omitempty"`
	Cell               string `json:"cell,omitempty"`
	AllowCrossCellMove bool   `json:"allow_cross_cell_move,omitempty"`
}

// ParseJSONRequest reads a request. Unknown fields are errors.
func ParseJSONRequest(data []byte) (*JSONRequest, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	var r JSONRequest
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the request object", ErrBadRequest)
	}
	if r.NumAlts < 0 {
		return nil, fmt.Errorf("%w: num_alts %d is negative", ErrBadRequest, r.NumAlts)
	}
	return &r, nil
}

// pyStrOf is str(value) of a JSON scalar as nova's string fields store it:
// a string as is, a number as Python prints it, a boolean as True or False.
func pyStrOf(raw json.RawMessage) (string, error) {
	t := strings.TrimSpace(string(raw))
	switch {
	case t == "":
		return "", errors.New("empty value")
	case t[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", err
		}
		return s, nil
	case t == "true":
		return "True", nil
	case t == "false":
		return "False", nil
	case t == "null":
		return "", errors.New("null is not a string")
	case strings.ContainsAny(t, ".eE"):
		f, err := strconv.ParseFloat(t, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return "", fmt.Errorf("%s is not a value", t)
		}
		return pyFloatRepr(f), nil
	}
	n, ok := new(big.Int).SetString(t, 10)
	if !ok {
		return "", fmt.Errorf("%s is not a string, number or boolean", t)
	}
	return n.String(), nil
}

func strMap(field string, m map[string]json.RawMessage) (map[string]string, error) {
	if m == nil {
		return nil, nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		s, err := pyStrOf(v)
		if err != nil {
			return nil, fmt.Errorf("%w: %s[%q]: %v", ErrBadRequest, field, k, err)
		}
		out[k] = s
	}
	return out, nil
}

// HostStates returns the hosts of the request.
func (r *JSONRequest) HostStates() ([]HostState, error) {
	hosts := make([]HostState, len(r.Hosts))
	for i, jh := range r.Hosts {
		f := fmt.Sprintf("hosts[%d]", i)
		h := HostState{
			Host: jh.Host, Node: jh.Host, CellUUID: jh.CellUUID,
			FreeRAMMB: jh.FreeRAMMB, FreeDiskMB: jh.FreeDiskMB, VCPUsTotal: jh.VCPUsTotal, VCPUsUsed: jh.VCPUsUsed,
			NumInstances: jh.NumInstances, NumIOOps: jh.NumIOOps, FailedBuilds: jh.FailedBuilds,
			TotalUsableRAMMB: jh.TotalUsableRAMMB, TotalUsableDiskGB: jh.TotalUsableDiskGB,
			HostIP: jh.HostIP, HypervisorType: jh.HypervisorType, HypervisorVersion: jh.HypervisorVersion,
			CPUAllocationRatio: jh.CPUAllocationRatio, RAMAllocationRatio: jh.RAMAllocationRatio,
			DiskAllocationRatio: jh.DiskAllocRatio, Instances: jh.Instances,
			Service: Service{Disabled: jh.Service.Disabled, DisabledReason: jh.Service.DisabledReason, ForcedDown: jh.Service.ForcedDown},
		}
		if jh.Node != nil {
			h.Node = *jh.Node
		}
		for j, s := range jh.SupportedInstances {
			if len(s) != 3 {
				return nil, fmt.Errorf("%w: %s.supported_instances[%d] is not [arch, hv_type, vm_mode]", ErrBadRequest, f, j)
			}
			h.SupportedInstances = append(h.SupportedInstances, HVSpec{s[0], s[1], s[2]})
		}
		var err error
		if h.Stats, err = strMap(f+".stats", jh.Stats); err != nil {
			return nil, err
		}
		if len(jh.Metrics) > 0 {
			h.Metrics = make(map[string]int64, len(jh.Metrics))
			for k, v := range jh.Metrics {
				n, err := intOfNumber(v)
				if err != nil {
					return nil, fmt.Errorf("%w: %s.metrics[%q]: %v", ErrBadRequest, f, k, err)
				}
				h.Metrics[k] = n
			}
		}
		for j, md := range jh.Aggregates {
			m, err := strMap(fmt.Sprintf("%s.aggregates[%d]", f, j), md)
			if err != nil {
				return nil, err
			}
			h.Aggregates = append(h.Aggregates, Aggregate{Name: fmt.Sprintf("agg%d", j), Metadata: m})
		}
		for j, p := range jh.PCIPools {
			pool, err := pciPoolOf(p)
			if err != nil {
				return nil, fmt.Errorf("%w: %s.pci_pools[%d]: %v", ErrBadRequest, f, j, err)
			}
			h.PCIPools = append(h.PCIPools, pool)
		}
		hosts[i] = h
	}
	return hosts, nil
}

// intOfNumber is Python's int() of a JSON number (toward zero).
func intOfNumber(n json.Number) (int64, error) {
	if i, err := n.Int64(); err == nil {
		return i, nil
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) >= 1<<63 {
		return 0, fmt.Errorf("%s is not an integer", n)
	}
	return int64(f), nil
}

func pciPoolOf(p map[string]json.RawMessage) (PCIPool, error) {
	var pool PCIPool
	for k, v := range p {
		switch k {
		case "vendor_id", "product_id":
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return pool, fmt.Errorf("%s must be a string", k)
			}
			if k == "vendor_id" {
				pool.VendorID = s
			} else {
				pool.ProductID = s
			}
		case "numa_node":
			if string(v) == "null" {
				continue
			}
			var n int
			if err := json.Unmarshal(v, &n); err != nil {
				return pool, fmt.Errorf("numa_node must be an integer or null")
			}
			pool.NUMANode = &n
		case "count":
			if err := json.Unmarshal(v, &pool.Count); err != nil {
				return pool, fmt.Errorf("count must be an integer")
			}
		default:
			s, err := pyStrOf(v)
			if err != nil {
				return pool, fmt.Errorf("tag %q: %v", k, err)
			}
			if pool.Tags == nil {
				pool.Tags = make(map[string]string)
			}
			pool.Tags[k] = s
		}
	}
	return pool, nil
}

// RequestSpec returns the request spec.
func (r *JSONRequest) RequestSpec() (*RequestSpec, error) {
	js := &r.Spec
	spec := &RequestSpec{
		Flavor: Flavor{Name: js.FlavorName, MemoryMB: js.MemoryMB, VCPUs: js.VCPUs, RootGB: js.RootGB,
			EphemeralGB: js.EphemeralGB, SwapMB: js.Swap},
		Image:            Image{ID: js.ImageID},
		NumInstances:     js.NumInstances,
		InstanceUUIDs:    js.InstanceUUIDs,
		ProjectID:        js.ProjectID,
		AvailabilityZone: js.AvailabilityZone,
		IgnoreHosts:      js.IgnoreHosts,
		ForceHosts:       js.ForceHosts,
		ForceNodes:       js.ForceNodes,
	}
	var err error
	if spec.Flavor.ExtraSpecs, err = strMap("spec.extra_specs", js.ExtraSpecs); err != nil {
		return nil, err
	}
	if spec.Image.Properties, err = imagePropsOfJSON(js.ImageProps); err != nil {
		return nil, err
	}
	if len(js.Hints) > 0 {
		spec.SchedulerHints = make(map[string][]string, len(js.Hints))
		for k, v := range js.Hints {
			vals, err := hintValues(v)
			if err != nil {
				return nil, fmt.Errorf("%w: spec.hints[%q]: %v", ErrBadRequest, k, err)
			}
			spec.SchedulerHints[k] = vals
		}
	}
	if g := js.Group; g != nil {
		rules, err := strMap("spec.group.rules", g.Rules)
		if err != nil {
			return nil, err
		}
		spec.Group = &ServerGroup{Policy: g.Policy, Members: g.Members, Hosts: g.Hosts, Rules: rules}
	}
	for _, p := range js.PCIRequests {
		spec.PCIRequests = append(spec.PCIRequests, PCIRequest(p))
	}
	if js.Retry != nil {
		spec.Retry = &Retry{NumAttempts: js.Retry.NumAttempts}
		for _, h := range js.Retry.Hosts {
			spec.Retry.Hosts = append(spec.Retry.Hosts, NodeRef{h[0], h[1]})
		}
	}
	if d := js.RequestedDestination; d != nil {
		spec.RequestedDestination = &Destination{Host: d.Host, Node: d.Node, Cell: d.Cell, AllowCrossCellMove: d.AllowCrossCellMove}
	}
	return spec, nil
}

// hintValues reads a hint: a value or a list of values, each stored with
// str() as nova's DictOfListOfStringsField does.
func hintValues(raw json.RawMessage) ([]string, error) {
	t := bytes.TrimSpace(raw)
	if len(t) > 0 && t[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(t, &items); err != nil {
			return nil, err
		}
		out := make([]string, 0, len(items))
		for _, it := range items {
			s, err := pyStrOf(it)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := pyStrOf(raw)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

// Config returns the scheduler configuration of the request's "conf":
// sections filter_scheduler, metrics and DEFAULT with nova's option names.
// Values may be JSON values of the option's type or strings as in
// nova.conf; lists may be comma-separated strings. An unknown section or
// option, or a value oslo.config would refuse, wraps ErrBadRequest.
func (r *JSONRequest) Config() (Config, error) {
	cfg := Config{Alternates: r.NumAlts}
	if r.Seed != nil {
		cfg.Rand = NewPythonRandom(*r.Seed)
	}
	for section, opts := range r.Conf {
		for name, raw := range opts {
			if err := setNovaOption(&cfg, section, name, raw); err != nil {
				return Config{}, fmt.Errorf("%w: [%s] %s: %v", ErrBadRequest, section, name, err)
			}
		}
	}
	return cfg, nil
}

func setNovaOption(cfg *Config, section, name string, raw json.RawMessage) error {
	floatOpt := func(dst **float64, min *float64) error {
		f, err := optFloat(raw)
		if err != nil {
			return err
		}
		if min != nil && f < *min {
			return fmt.Errorf("%v is below the minimum %v", f, *min)
		}
		*dst = &f
		return nil
	}
	zero := 0.0
	switch section {
	case "filter_scheduler":
		switch name {
		case "available_filters", "track_instance_changes":
			return nil // every built-in filter is available; no instance tracking here
		case "enabled_filters":
			l, err := optList(raw)
			cfg.Filters = l
			return err
		case "weight_classes":
			l, err := optList(raw)
			cfg.Weighers = l
			return err
		case "host_subset_size":
			n, err := optInt(raw, 1)
			cfg.HostSubsetSize = n
			return err
		case "max_io_ops_per_host":
			n, err := optInt(raw, 0)
			cfg.MaxIOOpsPerHost = &n
			return err
		case "max_instances_per_host":
			n, err := optInt(raw, 1)
			cfg.MaxInstancesPerHost = n
			return err
		case "ram_weight_multiplier":
			return floatOpt(&cfg.RAMWeightMultiplier, nil)
		case "cpu_weight_multiplier":
			return floatOpt(&cfg.CPUWeightMultiplier, nil)
		case "disk_weight_multiplier":
			return floatOpt(&cfg.DiskWeightMultiplier, nil)
		case "io_ops_weight_multiplier":
			return floatOpt(&cfg.IOOpsWeightMultiplier, nil)
		case "pci_weight_multiplier":
			return floatOpt(&cfg.PCIWeightMultiplier, &zero)
		case "soft_affinity_weight_multiplier":
			return floatOpt(&cfg.SoftAffinityWeightMultiplier, &zero)
		case "soft_anti_affinity_weight_multiplier":
			return floatOpt(&cfg.SoftAntiAffinityWeightMultiplier, &zero)
		case "build_failure_weight_multiplier":
			return floatOpt(&cfg.BuildFailureWeightMultiplier, nil)
		case "cross_cell_move_weight_multiplier":
			return floatOpt(&cfg.CrossCellMoveWeightMultiplier, nil)
		case "shuffle_best_same_weighed_hosts":
			b, err := optBool(raw)
			cfg.ShuffleBestSameWeighedHosts = b
			return err
		case "image_properties_default_architecture":
			s, err := optString(raw)
			cfg.ImagePropertiesDefaultArchitecture = s
			return err
		case "isolated_images":
			l, err := optList(raw)
			cfg.IsolatedImages = l
			return err
		case "isolated_hosts":
			l, err := optList(raw)
			cfg.IsolatedHosts = l
			return err
		case "restrict_isolated_hosts_to_isolated_images":
			b, err := optBool(raw)
			cfg.AllowNonIsolatedImagesOnIsolatedHosts = !b
			return err
		case "aggregate_image_properties_isolation_namespace":
			s, err := optString(raw)
			cfg.AggregateImagePropertiesIsolationNamespace = s
			return err
		case "aggregate_image_properties_isolation_separator":
			s, err := optString(raw)
			cfg.AggregateImagePropertiesIsolationSeparator = s
			return err
		}
	case "metrics":
		switch name {
		case "weight_multiplier":
			return floatOpt(&cfg.MetricsWeightMultiplier, nil)
		case "weight_setting":
			l, err := optList(raw)
			cfg.MetricsWeightSetting = l
			return err
		case "required":
			b, err := optBool(raw)
			cfg.MetricsOptional = !b
			return err
		case "weight_of_unavailable":
			return floatOpt(&cfg.MetricsWeightOfUnavailable, nil)
		}
	case "DEFAULT":
		if name == "default_availability_zone" {
			s, err := optString(raw)
			cfg.DefaultAvailabilityZone = s
			return err
		}
	default:
		return errors.New("unknown section")
	}
	return errors.New("unknown option")
}

func optString(raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", errors.New("a string is required")
	}
	return s, nil
}

func optInt(raw json.RawMessage, min int) (int, error) {
	var n int64
	if err := json.Unmarshal(raw, &n); err != nil {
		s, err := optString(raw)
		if err != nil {
			return 0, errors.New("an integer is required")
		}
		v, ok := pyParseInt(s)
		if !ok {
			return 0, fmt.Errorf("%q is not an integer", s)
		}
		n = v
	}
	if n < int64(min) {
		return 0, fmt.Errorf("%d is below the minimum %d", n, min)
	}
	if n > math.MaxInt32 {
		return 0, fmt.Errorf("%d is too large", n)
	}
	return int(n), nil
}

func optFloat(raw json.RawMessage) (float64, error) {
	var f float64
	if err := json.Unmarshal(raw, &f); err == nil {
		return f, nil
	}
	s, err := optString(raw)
	if err != nil {
		return 0, errors.New("a number is required")
	}
	v, ok := pyParseFloat(s)
	if !ok {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return v, nil
}

// optBool reads a boolean as oslo.config does: a JSON boolean, or one of
// true/1/on/yes and false/0/off/no in any case.
func optBool(raw json.RawMessage) (bool, error) {
	var b bool
	if err := json.Unmarshal(raw, &b); err == nil {
		return b, nil
	}
	s, err := optString(raw)
	if err != nil {
		return false, errors.New("a boolean is required")
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "on", "yes":
		return true, nil
	case "false", "0", "off", "no":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean", s)
}

// optList reads a list option: a JSON list of strings, or a string of
// comma-separated items, each trimmed.
func optList(raw json.RawMessage) ([]string, error) {
	var l []string
	if err := json.Unmarshal(raw, &l); err == nil {
		if l == nil {
			l = []string{}
		}
		return l, nil
	}
	s, err := optString(raw)
	if err != nil {
		return nil, errors.New("a list of strings is required")
	}
	out := []string{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for _, p := range strings.Split(s, ",") {
		out = append(out, strings.TrimSpace(p))
	}
	return out, nil
}

// JSONDecision is the schedule tool's answer.
type JSONDecision struct {
	Filters  []string        `json:"filters"`
	Weighers []string        `json:"weighers"`
	Weighed  [][2]any        `json:"weighed"`
	Selected [][]string      `json:"selected"`
	Error    string          `json:"error,omitempty"`
	NsPerOp  *float64        `json:"ns_per_op,omitempty"`
	Trace    json.RawMessage `json:"trace,omitempty"`
}

// NewJSONDecision writes the outcome of Schedule in the tool's form:
// "NoValidHost" for ErrNoValidHost, the error text for other errors. A
// weight that is not finite is written as the string "nan", "inf" or
// "-inf", which JSON numbers cannot hold.
func NewJSONDecision(s *Scheduler, d *Decision, err error) *JSONDecision {
	out := &JSONDecision{Filters: s.Filters(), Weighers: s.Weighers(), Weighed: [][2]any{}, Selected: [][]string{}}
	if d != nil {
		for _, w := range d.Weighed {
			var v any = w.Weight
			if math.IsNaN(w.Weight) || math.IsInf(w.Weight, 0) {
				v = pyFloatRepr(w.Weight)
			}
			out.Weighed = append(out.Weighed, [2]any{w.Host, v})
		}
		if err == nil {
			for _, sel := range d.Selections {
				row := []string{sel.Host}
				for _, a := range sel.Alternates {
					row = append(row, a.Host)
				}
				out.Selected = append(out.Selected, row)
			}
		}
	}
	switch {
	case err == nil:
	case errors.Is(err, ErrNoValidHost):
		out.Error = "NoValidHost"
	default:
		out.Error = err.Error()
	}
	return out
}

// RunJSON answers one request of the schedule tool. With repeat > 0 it
// then schedules the request that many times more, each time from the same
// prepared hosts (so on fresh host states), and sets NsPerOp to the mean
// wall-clock time of one of those Schedule calls (a whole request: every
// instance and its alternates), not counting the first call, parsing or
// Prepare. The decision is the first call's.
//
// An input the scheduler cannot take is an error and no decision: bad JSON
// or an unknown field (ErrBadRequest), an unknown filter or weigher
// (ErrUnknownFilter, ErrUnknownWeigher), a value nova refuses (*FieldError).
// ErrNoValidHost and a *HostError are written into the decision.
func RunJSON(data []byte, repeat int) (*JSONDecision, error) {
	req, err := ParseJSONRequest(data)
	if err != nil {
		return nil, err
	}
	s, set, spec, err := req.Prepare()
	if err != nil {
		return nil, err
	}
	d, err := s.Schedule(set, spec)
	var fe *FieldError
	var he *HostError
	if errors.As(err, &fe) && !errors.As(err, &he) {
		return nil, err
	}
	out := NewJSONDecision(s, d, err)
	if repeat > 0 {
		if req.Seed != nil {
			s.rnd = NewPythonRandom(*req.Seed)
		}
		start := time.Now()
		for i := 0; i < repeat; i++ {
			_, _ = s.Schedule(set, spec)
		}
		ns := float64(time.Since(start).Nanoseconds()) / float64(repeat)
		out.NsPerOp = &ns
	}
	return out, nil
}

// Prepare makes the request's Scheduler, prepared hosts and request spec.
func (r *JSONRequest) Prepare() (*Scheduler, *HostSet, *RequestSpec, error) {
	cfg, err := r.Config()
	if err != nil {
		return nil, nil, nil, err
	}
	s, err := New(cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	hosts, err := r.HostStates()
	if err != nil {
		return nil, nil, nil, err
	}
	set, err := s.Prepare(hosts)
	if err != nil {
		return nil, nil, nil, err
	}
	spec, err := r.RequestSpec()
	if err != nil {
		return nil, nil, nil, err
	}
	return s, set, spec, nil
}
