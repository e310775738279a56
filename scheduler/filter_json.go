package scheduler

import (
	"fmt"
	"strings"
)

// JsonFilter evaluates the "query" hint, a JSON expression in prefix form
// such as ["and", [">=", "$free_ram_mb", 1024], ["in", "$host", "a", "b"]]:
// "$name" and "$name.key" read host attributes (and keys of dict
// attributes such as stats), other strings are literals. The operators are
// = < > <= >= (the first argument against every other one), in (the first
// among the others), not (each argument negated, giving a list), or and
// and. Arguments that are None, including empty strings and missing
// attributes, are dropped. A list result passes if any element is true.
// Comparisons follow Python: a string never equals a number, and ordering
// them is an error that fails the request, as the TypeError does in nova.

func (r *run) jsonPass(h *HostState, inf *hostInfo) (bool, error) {
	if r.queryErr != nil {
		return false, r.queryErr
	}
	res, err := jsonProcess(r.query, h, inf, 0)
	if err != nil {
		return false, err
	}
	if res.kind == pyList {
		for _, x := range res.list {
			if x.truthy() {
				return true, nil
			}
		}
		return false, nil
	}
	return res.truthy(), nil
}

// jsonProcess is JsonFilter._process_filter.
func jsonProcess(q pyValue, h *HostState, inf *hostInfo, depth int) (pyValue, error) {
	if !q.truthy() {
		return pyBoolValue(true), nil
	}
	if depth > pyJSONMaxDepth {
		return pyValue{}, fmt.Errorf("query nested too deeply")
	}
	var cmd pyValue
	var args []pyValue
	switch q.kind {
	case pyList:
		cmd, args = q.list[0], q.list[1:]
	case pyStr:
		// A string is a sequence of one-character strings.
		rs := []rune(q.s)
		cmd = pyStrValue(string(rs[0]))
		for _, c := range rs[1:] {
			args = append(args, pyStrValue(string(c)))
		}
	case pyDictKind:
		return pyValue{}, fmt.Errorf("query %s is a dict, not a list", q.repr())
	default:
		return pyValue{}, fmt.Errorf("query %s is not subscriptable", q.repr())
	}
	if cmd.kind == pyList || cmd.kind == pyDictKind {
		return pyValue{}, fmt.Errorf("query command %s is unhashable", cmd.repr())
	}
	if cmd.kind != pyStr {
		return pyValue{}, fmt.Errorf("unknown query command %s", cmd.repr())
	}
	op := cmd.s
	switch op {
	case "=", "<", ">", "in", "<=", ">=", "not", "or", "and":
	default:
		return pyValue{}, fmt.Errorf("unknown query command %s", cmd.repr())
	}
	cooked := make([]pyValue, 0, len(args))
	for _, a := range args {
		switch a.kind {
		case pyList:
			v, err := jsonProcess(a, h, inf, depth+1)
			if err != nil {
				return pyValue{}, err
			}
			a = v
		case pyStr:
			v, err := jsonParseString(a.s, h, inf)
			if err != nil {
				return pyValue{}, err
			}
			a = v
		}
		if a.kind != pyNone {
			cooked = append(cooked, a)
		}
	}
	switch op {
	case "not":
		out := make([]pyValue, len(cooked))
		for i, a := range cooked {
			out[i] = pyBoolValue(!a.truthy())
		}
		return pyValue{kind: pyList, list: out}, nil
	case "or":
		for _, a := range cooked {
			if a.truthy() {
				return pyBoolValue(true), nil
			}
		}
		return pyBoolValue(false), nil
	case "and":
		for _, a := range cooked {
			if !a.truthy() {
				return pyBoolValue(false), nil
			}
		}
		return pyBoolValue(true), nil
	}
	if len(cooked) < 2 {
		return pyBoolValue(false), nil
	}
	first := cooked[0]
	if op == "in" {
		for _, a := range cooked[1:] {
			if pyEq(first, a) {
				return pyBoolValue(true), nil
			}
		}
		return pyBoolValue(false), nil
	}
	// Every comparison is evaluated, so a TypeError anywhere raises.
	all := true
	for _, a := range cooked[1:] {
		var ok bool
		switch op {
		case "=":
			ok = pyEq(first, a)
		default:
			c, cmpOK, err := pyCompare(first, a)
			if err != nil {
				return pyValue{}, fmt.Errorf("'%s' not supported between %s and %s", op, first.repr(), a.repr())
			}
			switch op {
			case "<":
				ok = cmpOK && c < 0
			case ">":
				ok = cmpOK && c > 0
			case "<=":
				ok = cmpOK && c <= 0
			case ">=":
				ok = cmpOK && c >= 0
			}
		}
		if !ok {
			all = false
		}
	}
	return pyBoolValue(all), nil
}

// jsonParseString is JsonFilter._parse_string: "" is None, "$a.b.c" looks
// up attribute a of the host and then keys b and c, any other string is
// itself.
func jsonParseString(s string, h *HostState, inf *hostInfo) (pyValue, error) {
	if s == "" {
		return pyNoneValue(), nil
	}
	if !strings.HasPrefix(s, "$") {
		return pyStrValue(s), nil
	}
	path := strings.Split(s[1:], ".")
	var v pyValue
	if path[0] == "service" {
		if len(path) == 1 {
			return pyValue{}, unsupportedAttr(s)
		}
		// The service record is a dict-like object.
		switch path[1] {
		case "disabled":
			v = pyBoolValue(h.Service.Disabled)
		case "forced_down":
			v = pyBoolValue(h.Service.ForcedDown)
		case "disabled_reason":
			if h.Service.DisabledReason == "" {
				return pyNoneValue(), nil
			}
			v = pyStrValue(h.Service.DisabledReason)
		case "created_at", "last_seen_up":
			return pyValue{}, unsupportedAttr(s)
		default:
			return pyNoneValue(), nil
		}
		path = path[1:]
	} else {
		a, st := hostAttr(h, inf, path[0])
		switch st {
		case attrUnsupported:
			return pyValue{}, unsupportedAttr(s)
		case attrMissing:
			return pyNoneValue(), nil
		}
		v = a
	}
	if v.kind == pyNone {
		return v, nil
	}
	for _, item := range path[1:] {
		if v.kind != pyDictKind {
			return pyValue{}, fmt.Errorf("%s: %s has no attribute 'get'", s, v.repr())
		}
		x, ok := v.dict.get(item)
		if !ok || x.kind == pyNone {
			return pyNoneValue(), nil
		}
		v = x
	}
	return v, nil
}
