package scheduler

import (
	"errors"
	"fmt"
	"slices"
)

// ComputeCapabilitiesFilter and JsonFilter look host attributes up by name
// (getattr on nova's HostState). This file gives the attributes a value in
// Python's data model. Attributes that exist on nova's HostState but hold
// Python objects we do not model (metrics, aggregates, instances, the
// service record, PCI stats, methods) make the lookup fail with
// errUnsupportedAttr instead of guessing their Python representation.

// errUnsupportedAttr is wrapped when a filter looks at a HostState
// attribute that has no faithful value here.
var errUnsupportedAttr = errors.New("host attribute has no value outside nova")

type attrStatus uint8

const (
	attrMissing     attrStatus = iota // not an attribute of nova's HostState
	attrValue                         // modelled (possibly None)
	attrUnsupported                   // exists in nova, not modelled
)

// hostStateAttrs are the names dir() lists for nova's HostState that are
// not modelled here.
var hostStateAttrs = []string{
	"__class__", "__delattr__", "__dict__", "__dir__", "__doc__", "__eq__", "__format__", "__ge__",
	"__getattribute__", "__getstate__", "__gt__", "__hash__", "__init__", "__init_subclass__",
	"__le__", "__lt__", "__module__", "__ne__", "__new__", "__reduce__", "__reduce_ex__",
	"__repr__", "__setattr__", "__sizeof__", "__str__", "__subclasshook__", "__weakref__",
	"_lock_name", "_locked_consume_from_request", "_update_from_compute_node", "aggregates",
	"cell_uuid", "consume_from_request", "disk_mb_used", "instances", "metrics",
	"pci_stats", "service", "update", "uuid",
}

// pyObjectAttrs are the public attribute names of Python's int, float,
// bool, str, list, None and UserDict: a lookup of one of them on such a
// value finds a method or number we do not model.
var pyObjectAttrs = []string{
	"append", "as_integer_ratio", "bit_count", "bit_length", "capitalize", "casefold", "center",
	"clear", "conjugate", "copy", "count", "data", "denominator", "encode", "endswith",
	"expandtabs", "extend", "find", "format", "format_map", "from_bytes", "fromhex", "fromkeys",
	"get", "hex", "imag", "index", "insert", "is_integer", "isalnum", "isalpha", "isascii",
	"isdecimal", "isdigit", "isidentifier", "islower", "isnumeric", "isprintable", "isspace",
	"istitle", "isupper", "items", "join", "keys", "ljust", "lower", "lstrip", "maketrans",
	"numerator", "partition", "pop", "popitem", "real", "remove", "removeprefix",
	"removesuffix", "replace", "reverse", "rfind", "rindex", "rjust", "rpartition", "rsplit",
	"rstrip", "setdefault", "sort", "split", "splitlines", "startswith", "strip", "swapcase",
	"title", "to_bytes", "translate", "update", "upper", "values", "zfill",
}

// hostAttr is getattr(host_state, name, None).
func hostAttr(h *HostState, inf *hostInfo, name string) (pyValue, attrStatus) {
	switch name {
	case "host":
		return pyStrValue(h.Host), attrValue
	case "nodename", "hypervisor_hostname":
		return pyStrValue(h.Node), attrValue
	case "free_ram_mb":
		return pyIntValue(h.FreeRAMMB), attrValue
	case "free_disk_mb":
		return pyIntValue(h.FreeDiskMB), attrValue
	case "total_usable_ram_mb":
		return pyIntValue(h.TotalUsableRAMMB), attrValue
	case "total_usable_disk_gb":
		return pyIntValue(h.TotalUsableDiskGB), attrValue
	case "vcpus_total":
		return pyIntValue(h.VCPUsTotal), attrValue
	case "vcpus_used":
		return pyIntValue(h.VCPUsUsed), attrValue
	case "num_instances":
		return pyIntValue(h.NumInstances), attrValue
	case "num_io_ops":
		return pyIntValue(h.NumIOOps), attrValue
	case "failed_builds":
		return pyIntValue(h.FailedBuilds), attrValue
	case "host_ip":
		if !inf.hasIP {
			return pyNoneValue(), attrValue
		}
		return pyStrValue(netaddrString(inf.ip)), attrValue
	case "hypervisor_type":
		if h.HypervisorType == "" {
			return pyNoneValue(), attrValue
		}
		return pyStrValue(h.HypervisorType), attrValue
	case "hypervisor_version":
		return pyIntValue(h.HypervisorVersion), attrValue
	case "supported_instances":
		l := make([]pyValue, len(h.SupportedInstances))
		for i, s := range h.SupportedInstances {
			l[i] = pyValue{kind: pyList, list: []pyValue{pyStrValue(s.Arch), pyStrValue(s.HVType), pyStrValue(s.VMMode)}}
		}
		return pyValue{kind: pyList, list: l}, attrValue
	case "cpu_allocation_ratio":
		return pyFloatValue(h.cpuRatio()), attrValue
	case "ram_allocation_ratio":
		return pyFloatValue(h.ramRatio()), attrValue
	case "disk_allocation_ratio":
		return pyFloatValue(h.diskRatio()), attrValue
	case "stats":
		d := newPyDict()
		for _, k := range sortedKeys(h.Stats) {
			d.set(k, pyStrValue(h.Stats[k]))
		}
		return pyValue{kind: pyDictKind, dict: d}, attrValue
	case "limits":
		return pyValue{kind: pyDictKind, dict: newPyDict()}, attrValue
	case "cpu_info", "numa_topology", "updated":
		return pyNoneValue(), attrValue
	}
	if slices.Contains(hostStateAttrs, name) {
		return pyValue{}, attrUnsupported
	}
	return pyValue{}, attrMissing
}

func unsupportedAttr(path string) error {
	return fmt.Errorf("%w: %s", errUnsupportedAttr, path)
}

// capability is ComputeCapabilitiesFilter._get_capabilities: it follows
// scope from the host through attributes, the host's stats, dict keys and
// JSON text. ok is false where nova finds None and fails the host.
func capability(h *HostState, inf *hostInfo, scope []string) (v pyValue, ok bool, err error) {
	for i, name := range scope {
		if i == 0 {
			a, st := hostAttr(h, inf, name)
			switch {
			case st == attrUnsupported && len(scope) == 1:
				return pyValue{}, false, unsupportedAttr(name)
			case st == attrUnsupported:
				// An object's attribute: nova finds None unless the next
				// name is one of the object's own.
				if slices.Contains(pyObjectAttrs, scope[1]) || scope[1] == "" || scope[1][0] == '_' {
					return pyValue{}, false, unsupportedAttr(name + ":" + scope[1])
				}
				return pyValue{}, false, nil
			case st == attrValue && a.kind != pyNone:
				v = a
			default:
				s, found := h.Stats[name]
				if !found {
					return pyValue{}, false, nil
				}
				v = pyStrValue(s)
			}
			continue
		}
		if v.kind == pyStr {
			parsed, perr := parsePyJSON(v.s)
			if perr != nil {
				return pyValue{}, false, nil
			}
			v = parsed
		}
		if v.kind == pyDictKind {
			x, found := v.dict.get(name)
			if !found || x.kind == pyNone {
				return pyValue{}, false, nil
			}
			v = x
			continue
		}
		// getattr on an int, list, ... then .stats on it, which fails.
		if slices.Contains(pyObjectAttrs, name) || name == "" || name[0] == '_' {
			return pyValue{}, false, unsupportedAttr(name)
		}
		return pyValue{}, false, nil
	}
	if v.kind == pyNone {
		return pyValue{}, false, nil
	}
	return v, true, nil
}
