package scheduler

import (
	"errors"
	"fmt"
	"strings"
)

// ErrBadExtraSpec is wrapped by the errors MatchExtraSpec returns when a
// requirement cannot be evaluated at all: a numeric operator on a value that
// is not a number, or an "<or>" with nothing after it. Nova raises an
// exception in those cases, which fails the whole scheduling request rather
// than just the host.
var ErrBadExtraSpec = errors.New("scheduler: extra spec cannot be evaluated")

// MatchExtraSpec reports whether a capability value satisfies a flavor extra
// spec requirement, with the operators of nova's extra_specs_ops:
//
//	=  v      value >= v as floats (not equality: "= 4" accepts 8)
//	== v      value == v as floats       != v  value != v as floats
//	>= v      value >= v as floats       <= v  value <= v as floats
//	s== v     string equality            s!= v string inequality
//	s< s<= s> s>= v                       string ordering
//	<in> v    v is a substring of value
//	<all-in> v1 v2 ...                    every vN is a substring of value
//	<or> v1 <or> v2 ...                   value equals one of the vN
//
// The requirement is split on whitespace; when its first word is not an
// operator the whole requirement must equal the value. An operator with no
// operand matches nothing. A float operand that Python's float() cannot
// read returns an error wrapping ErrBadExtraSpec.
func MatchExtraSpec(value, req string) (bool, error) {
	return matchWords(value, req, pySplit(req))
}

// matchWords is MatchExtraSpec with the requirement already split.
func matchWords(value, req string, words []string) (bool, error) {
	if len(words) == 0 {
		return value == req, nil
	}
	op, words := words[0], words[1:]
	if op == "<or>" {
		// Ex: <or> v1 <or> v2 <or> v3. Every second word is taken as a
		// keyword without looking at it, as nova does.
		for {
			if len(words) == 0 {
				return false, fmt.Errorf("%w: %q has no operand after <or>", ErrBadExtraSpec, req)
			}
			w := words[0]
			words = words[1:]
			if w == value {
				return true, nil
			}
			if len(words) == 0 {
				return false, nil
			}
			words = words[1:]
			if len(words) == 0 {
				return false, nil
			}
		}
	}
	switch op {
	case "=", "==", "!=", ">=", "<=":
		if len(words) == 0 {
			return false, nil
		}
		x, ok := pyParseFloat(value)
		if !ok {
			return false, fmt.Errorf("%w: %q is not a number for %q", ErrBadExtraSpec, value, req)
		}
		y, ok := pyParseFloat(words[0])
		if !ok {
			return false, fmt.Errorf("%w: %q is not a number in %q", ErrBadExtraSpec, words[0], req)
		}
		switch op {
		case "=", ">=":
			return x >= y, nil
		case "==":
			return x == y, nil
		case "!=":
			return x != y, nil
		default:
			return x <= y, nil
		}
	case "<in>":
		if len(words) == 0 {
			return false, nil
		}
		return strings.Contains(value, words[0]), nil
	case "<all-in>":
		if len(words) == 0 {
			return false, nil
		}
		for _, w := range words {
			if !strings.Contains(value, w) {
				return false, nil
			}
		}
		return true, nil
	case "s==", "s!=", "s<", "s<=", "s>", "s>=":
		if len(words) == 0 {
			return false, nil
		}
		y := words[0]
		// Go compares strings byte-wise, which for UTF-8 is the code point
		// order Python uses.
		switch op {
		case "s==":
			return value == y, nil
		case "s!=":
			return value != y, nil
		case "s<":
			return value < y, nil
		case "s<=":
			return value <= y, nil
		case "s>":
			return value > y, nil
		default:
			return value >= y, nil
		}
	}
	return value == req, nil
}
