package scheduler

import (
	"errors"
	"math"
	"math/big"
	"strings"
)

// pyValue is a value of the small part of Python's data model that nova's
// JsonFilter and ComputeCapabilitiesFilter work on: what json.loads returns
// (None, bool, int, float, str, list, dict) plus the host attributes they
// look up. Dict keys are strings, kept in insertion order as Python does.
type pyValue struct {
	kind pyKind
	b    bool
	i    *big.Int
	f    float64
	s    string
	list []pyValue
	dict *pyDict
}

type pyKind uint8

const (
	pyNone pyKind = iota
	pyBool
	pyInt
	pyFloat
	pyStr
	pyList
	pyDictKind
)

type pyDict struct {
	keys []string
	vals map[string]pyValue
}

func (d *pyDict) get(k string) (pyValue, bool) {
	v, ok := d.vals[k]
	return v, ok
}

func (d *pyDict) set(k string, v pyValue) {
	if _, ok := d.vals[k]; !ok {
		d.keys = append(d.keys, k)
	}
	d.vals[k] = v
}

func newPyDict() *pyDict { return &pyDict{vals: make(map[string]pyValue)} }

func pyNoneValue() pyValue           { return pyValue{kind: pyNone} }
func pyBoolValue(b bool) pyValue     { return pyValue{kind: pyBool, b: b} }
func pyIntValue(i int64) pyValue     { return pyValue{kind: pyInt, i: big.NewInt(i)} }
func pyFloatValue(f float64) pyValue { return pyValue{kind: pyFloat, f: f} }
func pyStrValue(s string) pyValue    { return pyValue{kind: pyStr, s: s} }

// errPyType stands for Python's TypeError: an ordering between values of
// types Python cannot order (str and int, dict and anything, None).
var errPyType = errors.New("unorderable types")

// truthy is Python's bool(v).
func (v pyValue) truthy() bool {
	switch v.kind {
	case pyNone:
		return false
	case pyBool:
		return v.b
	case pyInt:
		return v.i.Sign() != 0
	case pyFloat:
		return v.f != 0
	case pyStr:
		return v.s != ""
	case pyList:
		return len(v.list) > 0
	default:
		return len(v.dict.keys) > 0
	}
}

// str is Python's str(v); repr is repr(v). They differ only for str.
func (v pyValue) str() string {
	if v.kind == pyStr {
		return v.s
	}
	return v.repr()
}

func (v pyValue) repr() string {
	var b strings.Builder
	v.writeRepr(&b)
	return b.String()
}

func (v pyValue) writeRepr(b *strings.Builder) {
	switch v.kind {
	case pyNone:
		b.WriteString("None")
	case pyBool:
		if v.b {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case pyInt:
		b.WriteString(v.i.String())
	case pyFloat:
		b.WriteString(pyFloatRepr(v.f))
	case pyStr:
		b.WriteString(pyReprStr(v.s))
	case pyList:
		b.WriteByte('[')
		for i, x := range v.list {
			if i > 0 {
				b.WriteString(", ")
			}
			x.writeRepr(b)
		}
		b.WriteByte(']')
	default:
		b.WriteByte('{')
		for i, k := range v.dict.keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(pyReprStr(k))
			b.WriteString(": ")
			v.dict.vals[k].writeRepr(b)
		}
		b.WriteByte('}')
	}
}

// numeric reports whether v is a Python number (bool is an int subclass).
func (v pyValue) numeric() bool {
	return v.kind == pyBool || v.kind == pyInt || v.kind == pyFloat
}

// rat returns the exact rational value of a finite number.
func (v pyValue) rat() *big.Rat {
	switch v.kind {
	case pyBool:
		if v.b {
			return big.NewRat(1, 1)
		}
		return new(big.Rat)
	case pyInt:
		return new(big.Rat).SetInt(v.i)
	default:
		r, _ := new(big.Rat).SetString("0")
		r.SetFloat64(v.f)
		return r
	}
}

// numCmp compares two Python numbers exactly, as Python compares int with
// float. ok is false when one is NaN (every ordering is then False).
func numCmp(a, b pyValue) (c int, ok bool) {
	af, bf := a.kind == pyFloat, b.kind == pyFloat
	if af && math.IsNaN(a.f) || bf && math.IsNaN(b.f) {
		return 0, false
	}
	if af && math.IsInf(a.f, 0) || bf && math.IsInf(b.f, 0) {
		x, y := 0.0, 0.0
		if af {
			x = a.f
		}
		if bf {
			y = b.f
		}
		switch {
		case af && bf:
		case af:
			y = 0 // any finite value lies between -inf and +inf
		default:
			x = 0
		}
		switch {
		case x < y:
			return -1, true
		case x > y:
			return 1, true
		}
		return 0, true
	}
	if a.kind == pyFloat && b.kind == pyFloat {
		switch {
		case a.f < b.f:
			return -1, true
		case a.f > b.f:
			return 1, true
		}
		return 0, true
	}
	return a.rat().Cmp(b.rat()), true
}

// pyEq is Python's ==.
func pyEq(a, b pyValue) bool {
	if a.numeric() && b.numeric() {
		c, ok := numCmp(a, b)
		return ok && c == 0
	}
	if a.kind != b.kind {
		return false
	}
	switch a.kind {
	case pyNone:
		return true
	case pyStr:
		return a.s == b.s
	case pyList:
		if len(a.list) != len(b.list) {
			return false
		}
		for i := range a.list {
			if !pyEq(a.list[i], b.list[i]) {
				return false
			}
		}
		return true
	default:
		if len(a.dict.keys) != len(b.dict.keys) {
			return false
		}
		for _, k := range a.dict.keys {
			bv, ok := b.dict.vals[k]
			if !ok || !pyEq(a.dict.vals[k], bv) {
				return false
			}
		}
		return true
	}
}

// pyCompare orders two values as Python's rich comparisons do for < <= >
// >=. ok is false for NaN operands (the comparison is then False).
func pyCompare(a, b pyValue) (c int, ok bool, err error) {
	switch {
	case a.numeric() && b.numeric():
		c, ok = numCmp(a, b)
		return c, ok, nil
	case a.kind == pyStr && b.kind == pyStr:
		return strings.Compare(a.s, b.s), true, nil
	case a.kind == pyList && b.kind == pyList:
		// Lexicographic: the first pair of elements that are not equal
		// decides, else the shorter list is smaller.
		for i := 0; i < len(a.list) && i < len(b.list); i++ {
			if pyEq(a.list[i], b.list[i]) {
				continue
			}
			return pyCompare(a.list[i], b.list[i])
		}
		switch {
		case len(a.list) < len(b.list):
			return -1, true, nil
		case len(a.list) > len(b.list):
			return 1, true, nil
		}
		return 0, true, nil
	}
	return 0, false, errPyType
}
