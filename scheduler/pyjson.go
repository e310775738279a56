package scheduler

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// ErrBadJSON is wrapped by errors from parsePyJSON: the text is not a JSON
// document Python's json.loads accepts.
var ErrBadJSON = errors.New("scheduler: invalid JSON")

// pyJSONMaxDepth bounds nesting. Python's decoder recurses and fails with
// RecursionError somewhat below its recursion limit of 1000.
const pyJSONMaxDepth = 900

// parsePyJSON parses text the way Python's json.loads does, which is what
// nova's JsonFilter and ComputeCapabilitiesFilter call: integers stay exact,
// NaN, Infinity and -Infinity are accepted, a repeated object key keeps its
// first position and its last value, and only space, tab, CR and LF are
// whitespace.
func parsePyJSON(text string) (pyValue, error) {
	p := pyJSONParser{s: text}
	p.ws()
	v, err := p.value(0)
	if err != nil {
		return pyValue{}, err
	}
	p.ws()
	if p.i != len(p.s) {
		return pyValue{}, p.fail("extra data")
	}
	return v, nil
}

type pyJSONParser struct {
	s string
	i int
}

func (p *pyJSONParser) fail(msg string) error {
	return fmt.Errorf("%w: %s at offset %d", ErrBadJSON, msg, p.i)
}

func (p *pyJSONParser) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *pyJSONParser) lit(word string) bool {
	if len(p.s)-p.i >= len(word) && p.s[p.i:p.i+len(word)] == word {
		p.i += len(word)
		return true
	}
	return false
}

func (p *pyJSONParser) value(depth int) (pyValue, error) {
	if depth > pyJSONMaxDepth {
		return pyValue{}, p.fail("nested too deeply")
	}
	if p.i >= len(p.s) {
		return pyValue{}, p.fail("expecting value")
	}
	switch c := p.s[p.i]; {
	case c == '"':
		s, err := p.str()
		return pyStrValue(s), err
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case p.lit("null"):
		return pyNoneValue(), nil
	case p.lit("true"):
		return pyBoolValue(true), nil
	case p.lit("false"):
		return pyBoolValue(false), nil
	case p.lit("NaN"):
		f, _ := pyParseFloat("nan")
		return pyFloatValue(f), nil
	case p.lit("Infinity"):
		f, _ := pyParseFloat("inf")
		return pyFloatValue(f), nil
	case p.lit("-Infinity"):
		f, _ := pyParseFloat("-inf")
		return pyFloatValue(f), nil
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	}
	return pyValue{}, p.fail("expecting value")
}

func (p *pyJSONParser) number() (pyValue, error) {
	start := p.i
	if p.s[p.i] == '-' {
		p.i++
	}
	digits := func() int {
		n := 0
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.i < len(p.s) && p.s[p.i] == '0' {
		p.i++
	} else if digits() == 0 {
		p.i = start
		return pyValue{}, p.fail("expecting value")
	}
	isFloat := false
	if p.i+1 < len(p.s) && p.s[p.i] == '.' && p.s[p.i+1] >= '0' && p.s[p.i+1] <= '9' {
		p.i++
		digits()
		isFloat = true
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		save := p.i
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			p.i = save // not an exponent: the number ends before the 'e'
		} else {
			isFloat = true
		}
	}
	text := p.s[start:p.i]
	if isFloat {
		f, ok := pyParseFloat(text)
		if !ok {
			return pyValue{}, p.fail("bad number")
		}
		return pyFloatValue(f), nil
	}
	n, ok := new(big.Int).SetString(text, 10)
	if !ok {
		return pyValue{}, p.fail("bad number")
	}
	return pyValue{kind: pyInt, i: n}, nil
}

func (p *pyJSONParser) str() (string, error) {
	p.i++ // opening quote
	var buf []byte
	for {
		if p.i >= len(p.s) {
			return "", p.fail("unterminated string")
		}
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return string(buf), nil
		case c < 0x20:
			return "", p.fail("invalid control character")
		case c == '\\':
			if p.i+1 >= len(p.s) {
				return "", p.fail("unterminated string")
			}
			e := p.s[p.i+1]
			p.i += 2
			switch e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := p.hex4()
				if !ok {
					return "", p.fail("invalid \\uXXXX escape")
				}
				if utf16.IsSurrogate(r) && r < 0xdc00 && p.i+1 < len(p.s) && p.s[p.i] == '\\' && p.s[p.i+1] == 'u' {
					save := p.i
					p.i += 2
					r2, ok := p.hex4()
					if ok && r2 >= 0xdc00 && r2 <= 0xdfff {
						r = utf16.DecodeRune(r, r2)
					} else {
						p.i = save
					}
				}
				// A lone surrogate, which Python keeps in its str, has
				// no UTF-8 form and becomes U+FFFD here.
				buf = utf8.AppendRune(buf, r)
			default:
				p.i--
				return "", p.fail("invalid escape")
			}
		default:
			r, size := utf8.DecodeRuneInString(p.s[p.i:])
			buf = utf8.AppendRune(buf, r)
			p.i += size
		}
	}
}

func (p *pyJSONParser) hex4() (rune, bool) {
	if p.i+4 > len(p.s) {
		return 0, false
	}
	h := p.s[p.i : p.i+4]
	for j := 0; j < 4; j++ {
		c := h[j]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(h, 16, 32)
	if err != nil {
		return 0, false
	}
	p.i += 4
	return rune(n), true
}

func (p *pyJSONParser) object(depth int) (pyValue, error) {
	p.i++
	d := newPyDict()
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return pyValue{kind: pyDictKind, dict: d}, nil
	}
	for {
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return pyValue{}, p.fail("expecting property name")
		}
		k, err := p.str()
		if err != nil {
			return pyValue{}, err
		}
		p.ws()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return pyValue{}, p.fail("expecting ':'")
		}
		p.i++
		p.ws()
		v, err := p.value(depth + 1)
		if err != nil {
			return pyValue{}, err
		}
		d.set(k, v)
		p.ws()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			p.ws()
			continue
		}
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return pyValue{kind: pyDictKind, dict: d}, nil
		}
		return pyValue{}, p.fail("expecting ',' or '}'")
	}
}

func (p *pyJSONParser) array(depth int) (pyValue, error) {
	p.i++
	var list []pyValue
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		return pyValue{kind: pyList, list: list}, nil
	}
	for {
		v, err := p.value(depth + 1)
		if err != nil {
			return pyValue{}, err
		}
		list = append(list, v)
		p.ws()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			p.ws()
			continue
		}
		if p.i < len(p.s) && p.s[p.i] == ']' {
			p.i++
			return pyValue{kind: pyList, list: list}, nil
		}
		return pyValue{}, p.fail("expecting ',' or ']'")
	}
}
