package scheduler

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ImagePropertiesFilter checks img_hv_requested_version with Python's
// distutils.versionpredicate against the host's hypervisor_version written
// as a dotted string. This file reads both the same way.

var errBadVersion = errors.New("invalid version")

// strictVersion is distutils' StrictVersion: two or three numeric
// components and an optional pre-release tag "a" or "b" plus a number.
type strictVersion struct {
	nums [3]string // decimal digits without leading zeros ("0" for zero)
	pre  byte      // 0, 'a' or 'b'
	preN string
}

// parseStrictVersion matches ^(\d+)\.(\d+)(\.(\d+))?([ab](\d+))?$ with ASCII
// digits, where $ also matches before a final newline.
func parseStrictVersion(s string) (strictVersion, error) {
	s = strings.TrimSuffix(s, "\n")
	var v strictVersion
	digits := func() (string, bool) {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 {
			return "", false
		}
		d := strings.TrimLeft(s[:i], "0")
		if d == "" {
			d = "0"
		}
		s = s[i:]
		return d, true
	}
	fail := fmt.Errorf("%w %q", errBadVersion, s)
	var ok bool
	if v.nums[0], ok = digits(); !ok || !strings.HasPrefix(s, ".") {
		return v, fail
	}
	s = s[1:]
	if v.nums[1], ok = digits(); !ok {
		return v, fail
	}
	v.nums[2] = "0"
	if strings.HasPrefix(s, ".") {
		s = s[1:]
		if v.nums[2], ok = digits(); !ok {
			return v, fail
		}
	}
	if s != "" && (s[0] == 'a' || s[0] == 'b') {
		v.pre = s[0]
		s = s[1:]
		if v.preN, ok = digits(); !ok {
			return v, fail
		}
	}
	if s != "" {
		return v, fail
	}
	return v, nil
}

func cmpDigits(a, b string) int {
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

// cmp is StrictVersion._cmp: the numbers, then a version with a
// pre-release tag sorts before the same version without one.
func (v strictVersion) cmp(o strictVersion) int {
	for i := range v.nums {
		if c := cmpDigits(v.nums[i], o.nums[i]); c != 0 {
			return c
		}
	}
	switch {
	case v.pre == 0 && o.pre == 0:
		return 0
	case v.pre != 0 && o.pre == 0:
		return -1
	case v.pre == 0:
		return 1
	case v.pre != o.pre:
		if v.pre < o.pre {
			return -1
		}
		return 1
	}
	return cmpDigits(v.preN, o.preN)
}

type versionCond struct {
	op  string
	ver strictVersion
}

// parseVersionPredicate is distutils' VersionPredicate(s): a dotted package
// name followed by an optional parenthesized, comma-separated list of
// comparisons such as ">= 6.0".
func parseVersionPredicate(s string) ([]versionCond, error) {
	s = pyStrip(s)
	if s == "" {
		return nil, errors.New("empty package restriction")
	}
	// re_validPackage: (?i)^\s*([a-z_]\w*(?:\.[a-z_]\w*)*)(.*) in ASCII mode.
	i := 0
	ident := func() bool {
		if i >= len(s) || !(isASCIILetter(s[i]) || s[i] == '_') {
			return false
		}
		i++
		for i < len(s) && (isASCIILetter(s[i]) || s[i] == '_' || s[i] >= '0' && s[i] <= '9') {
			i++
		}
		return true
	}
	if !ident() {
		return nil, fmt.Errorf("bad package name in %q", s)
	}
	for i+1 < len(s) && s[i] == '.' {
		save := i
		i++
		if !ident() {
			i = save
			break
		}
	}
	// The trailing (.*) stops at a newline: whatever follows is ignored.
	rest := s[i:]
	if j := strings.IndexByte(rest, '\n'); j >= 0 {
		rest = rest[:j]
	}
	paren := pyStrip(rest)
	if paren == "" {
		return nil, nil
	}
	// re_paren: ^\s*\((.*)\)\s*$
	if !strings.HasPrefix(paren, "(") || !strings.HasSuffix(paren, ")") || len(paren) < 2 {
		return nil, fmt.Errorf("expected parenthesized list: %q", paren)
	}
	inner := paren[1 : len(paren)-1]
	var conds []versionCond
	for _, part := range strings.Split(inner, ",") {
		c, err := splitComparison(part)
		if err != nil {
			return nil, err
		}
		conds = append(conds, c)
	}
	return conds, nil
}

// splitComparison matches ^\s*(<=|>=|<|>|!=|==)\s*([^\s,]+)\s*$ (Unicode
// whitespace) and reads the version with StrictVersion.
func splitComparison(p string) (versionCond, error) {
	t := strings.TrimLeftFunc(p, pyIsSpace)
	var op string
	for _, o := range []string{"<=", ">=", "<", ">", "!=", "=="} {
		if strings.HasPrefix(t, o) {
			op = o
			break
		}
	}
	if op == "" {
		return versionCond{}, fmt.Errorf("bad package restriction syntax: %q", p)
	}
	t = strings.TrimFunc(t[len(op):], pyIsSpace)
	if t == "" || strings.IndexFunc(t, func(r rune) bool { return pyIsSpace(r) || r == ',' }) >= 0 {
		return versionCond{}, fmt.Errorf("bad package restriction syntax: %q", p)
	}
	v, err := parseStrictVersion(t)
	if err != nil {
		return versionCond{}, err
	}
	return versionCond{op: op, ver: v}, nil
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// versionToString is oslo.utils' convert_version_to_str: the integer
// written in base 1000 groups joined by dots (6001002 is "6.1.2").
func versionToString(v int64) string {
	var parts []string
	for v != 0 {
		parts = append([]string{strconv.FormatInt(v%1000, 10)}, parts...)
		v /= 1000
	}
	return strings.Join(parts, ".")
}

// satisfied is VersionPredicate.satisfied_by(version).
func satisfied(conds []versionCond, version string) (bool, error) {
	for _, c := range conds {
		v, err := parseStrictVersion(version)
		if err != nil {
			return false, err
		}
		r := v.cmp(c.ver)
		var ok bool
		switch c.op {
		case "<":
			ok = r < 0
		case "<=":
			ok = r <= 0
		case "==":
			ok = r == 0
		case ">":
			ok = r > 0
		case ">=":
			ok = r >= 0
		default:
			ok = r != 0
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}
