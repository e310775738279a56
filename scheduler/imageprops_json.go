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
)

// Image properties in a JSON request may be JSON scalars, as in the dict
// nova's ImageMeta.from_dict takes: each value goes through the field's
// coercion as it is, not through str() first, so an integer field takes
// 64, 64.7 (int() truncates) and true (1), and a canonicalized or enum
// field refuses anything but text. imagePropsOfJSON writes each value as
// the glance-style string that coerceImageProps turns into the same field
// value, or returns the error nova raises. Image.Properties stays text, as
// glance stores it.

// imagePropsOfJSON reads spec.image_props.
func imagePropsOfJSON(m map[string]json.RawMessage) (map[string]string, error) {
	if m == nil {
		return nil, nil
	}
	out := make(map[string]string, len(m))
	for k, raw := range m {
		s, keep, err := imagePropOfJSON(k, raw)
		if err != nil {
			return nil, err
		}
		if keep {
			out[k] = s
		}
	}
	return out, nil
}

// imagePropOfJSON converts one property; keep is false where nova ignores
// the value (null on a key it does not read, a false vmware_adaptertype).
func imagePropOfJSON(key string, raw json.RawMessage) (s string, keep bool, err error) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return "", false, fmt.Errorf("%w: spec.image_props[%q]: empty value", ErrBadRequest, key)
	}
	field := "RequestSpec.Image.Properties[" + key + "]"
	switch t[0] {
	case '"':
		if err := json.Unmarshal(t, &s); err != nil {
			return "", false, fmt.Errorf("%w: spec.image_props[%q]: %v", ErrBadRequest, key, err)
		}
		return s, true, nil
	case '[', '{':
		return "", false, fmt.Errorf("%w: spec.image_props[%q]: a property is a string, number or boolean", ErrBadRequest, key)
	}
	null := string(t) == "null"
	typ, known := imagePropTypeOf(key)
	switch {
	case key == "vmware_adaptertype":
		// nova reads it only when truthy, then lower-cases it.
		if null || pyFalsy(t) {
			return "", false, nil
		}
		return "", false, fieldErr(field, "%s has no lower(): not a string", t)
	case strings.HasPrefix(key, "hw_numa_cpus."):
		return "", false, fieldErr(field, "%s is not a CPU list: not a string", t)
	case strings.HasPrefix(key, "hw_numa_mem."):
		if null {
			return "", false, fieldErr(field, "int() of None")
		}
		n, err := pyIntOfJSON(t)
		if err != nil {
			return "", false, fieldErr(field, "%v", err)
		}
		return n, true, nil
	case !known:
		if null {
			return "", false, nil
		}
		s, err := pyStrOf(t)
		if err != nil {
			return "", false, fmt.Errorf("%w: spec.image_props[%q]: %v", ErrBadRequest, key, err)
		}
		return s, true, nil
	case null:
		return "", false, fieldErr(field, "the field cannot be None")
	}
	switch typ.kind {
	case propInt:
		n, err := pyIntOfJSON(t)
		if err != nil {
			return "", false, fieldErr(field, "%v", err)
		}
		return n, true, nil
	case propStr, propBool, propVersion:
		// str(), bool_from_string(str()), and "check (%s)" % value all
		// read the value as str() writes it.
		s, err := pyStrOf(t)
		if err != nil {
			return "", false, fmt.Errorf("%w: spec.image_props[%q]: %v", ErrBadRequest, key, err)
		}
		return s, true, nil
	case propList:
		return "", false, fieldErr(field, "a list is required, not %s", t)
	}
	// enums and the canonicalized names take text only
	return "", false, fieldErr(field, "field value %s is invalid: not a string", t)
}

// imagePropTypeOf is the ImageMetaProps field type nova coerces a glance
// property with, through a legacy name or the field's own; the NUMA lists
// and traits_required are not read by their own names.
func imagePropTypeOf(key string) (propType, bool) {
	if f, ok := legacyImageProps[key]; ok {
		return imagePropTypes[f], true
	}
	switch key {
	case "hw_numa_cpus", "hw_numa_mem", "traits_required":
		return propType{}, false
	}
	t, ok := imagePropTypes[key]
	return t, ok
}

// pyFalsy reports whether a JSON scalar other than a string is false in
// Python: false, 0, 0.0.
func pyFalsy(t []byte) bool {
	switch string(t) {
	case "false":
		return true
	case "true":
		return false
	}
	f, err := strconv.ParseFloat(string(t), 64)
	return err == nil && f == 0
}

// pyIntOfJSON is str(int(v)) of a JSON number or boolean as Python's json
// module reads it: an integer exactly, a float truncated toward zero, a
// boolean as 1 or 0.
func pyIntOfJSON(t []byte) (string, error) {
	s := string(t)
	switch s {
	case "true":
		return "1", nil
	case "false":
		return "0", nil
	}
	if !strings.ContainsAny(s, ".eE") {
		n, ok := new(big.Int).SetString(s, 10)
		if !ok {
			return "", fmt.Errorf("%s is not a number", s)
		}
		return n.String(), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return "", fmt.Errorf("%s is not a number", s)
	}
	if math.IsInf(f, 0) {
		return "", errors.New("cannot convert float infinity to integer")
	}
	n, _ := big.NewFloat(f).Int(nil)
	return n.String(), nil
}
