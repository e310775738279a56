package scheduler

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file reads numbers the way Python's int() and float() read strings,
// because nova converts aggregate metadata, scheduler hints and extra specs
// with them: surrounding whitespace is ignored, single underscores may
// separate digits (PEP 515), any Unicode decimal digit counts, and float()
// accepts "inf", "infinity" and "nan" in any case but no hexadecimal.

// pyASCIIDigits prepares s for parsing as a number the way CPython does:
// _PyUnicode_TransformDecimalAndSpaceToASCII turns every non-ASCII
// whitespace into a space and every Unicode decimal digit into its ASCII
// digit (other non-ASCII runes become '?', which no number grammar
// accepts), then the ASCII whitespace " \t\n\v\f\r" around it is dropped.
// The ASCII separators U+001C..U+001F, whitespace for str.strip(), are not
// stripped here.
func pyASCIIDigits(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if !ascii {
		var b strings.Builder
		for _, r := range s {
			switch {
			case r < utf8.RuneSelf:
				b.WriteRune(r)
			case pyIsSpace(r):
				b.WriteByte(' ')
			default:
				if d, ok := pyDecimal(r); ok {
					b.WriteByte(byte('0' + d))
				} else {
					b.WriteByte('?')
				}
			}
		}
		s = b.String()
	}
	return strings.Trim(s, " \t\n\v\f\r")
}

// pyDecimal returns the decimal value of a Unicode digit (category Nd) as
// Python 3.11 (Unicode 14.0) knows it. Every Nd block is a run of ten
// consecutive code points from zero to nine, so the value is the offset in
// its run. The two digit blocks Unicode 15.0 added (Kawi U+11F50 and Nag
// Mundari U+1E4F0) are not digits for Python 3.11.
func pyDecimal(r rune) (int, bool) {
	if (r >= 0x11f50 && r <= 0x11f59) || (r >= 0x1e4f0 && r <= 0x1e4f9) {
		return 0, false
	}
	for _, rg := range unicode.Nd.R16 {
		if r >= rune(rg.Lo) && r <= rune(rg.Hi) {
			return int(r-rune(rg.Lo)) % 10, true
		}
	}
	for _, rg := range unicode.Nd.R32 {
		if r >= rune(rg.Lo) && r <= rune(rg.Hi) {
			return int(r-rune(rg.Lo)) % 10, true
		}
	}
	return 0, false
}

// pyDigits validates a run of ASCII digits in which single underscores may
// separate digits, and returns it without the underscores.
func pyDigits(s string) (string, bool) {
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' {
		return "", false
	}
	if strings.IndexByte(s, '_') < 0 {
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return "", false
			}
		}
		return s, true
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		case c == '_' && s[i-1] != '_':
		default:
			return "", false
		}
	}
	return b.String(), true
}

// pyParseBigInt is Python's int(s) for a str s, in base 10.
func pyParseBigInt(s string) (*big.Int, bool) {
	s = pyASCIIDigits(s)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	digits, ok := pyDigits(s)
	if !ok {
		return nil, false
	}
	n, ok := new(big.Int).SetString(digits, 10)
	if !ok {
		return nil, false
	}
	if neg {
		n.Neg(n)
	}
	return n, true
}

// pyParseInt is Python's int(s), saturated to the int64 range: a value
// beyond it compares with any realistic counter the same way Python's
// unbounded integer does.
func pyParseInt(s string) (int64, bool) {
	n, ok := pyParseBigInt(s)
	if !ok {
		return 0, false
	}
	return saturate(n), true
}

func saturate(n *big.Int) int64 {
	if n.IsInt64() {
		return n.Int64()
	}
	if n.Sign() < 0 {
		return math.MinInt64
	}
	return math.MaxInt64
}

// pyParseFloat is Python's float(s) for a str s.
func pyParseFloat(s string) (float64, bool) {
	s = pyASCIIDigits(s)
	body := s
	sign := 1.0
	if body != "" && (body[0] == '+' || body[0] == '-') {
		if body[0] == '-' {
			sign = -1
		}
		body = body[1:]
	}
	switch strings.ToLower(body) {
	case "inf", "infinity":
		return math.Inf(int(sign)), true
	case "nan":
		return math.NaN(), true
	}
	// decimal: digits ["." [digits]] [exp] | "." digits [exp]
	mant, exp := body, ""
	if i := strings.IndexAny(body, "eE"); i >= 0 {
		mant, exp = body[:i], body[i+1:]
		if exp != "" && (exp[0] == '+' || exp[0] == '-') {
			exp = exp[1:]
			if _, ok := pyDigits(exp); !ok {
				return 0, false
			}
		} else if _, ok := pyDigits(exp); !ok {
			return 0, false
		}
	}
	intPart, frac, hasDot := strings.Cut(mant, ".")
	if intPart == "" && frac == "" {
		return 0, false
	}
	if intPart != "" {
		if _, ok := pyDigits(intPart); !ok {
			return 0, false
		}
	}
	if hasDot && frac != "" {
		if _, ok := pyDigits(frac); !ok {
			return 0, false
		}
	}
	clean := strings.ReplaceAll(body, "_", "")
	f, err := strconv.ParseFloat(clean, 64)
	if err != nil {
		// ParseFloat reports overflow as ±Inf with ErrRange, which is what
		// Python returns too; anything else cannot happen after the checks.
		if ne, ok := err.(*strconv.NumError); !ok || ne.Err != strconv.ErrRange {
			return 0, false
		}
	}
	return sign * f, true
}

// pyFloatRepr is Python's repr() (and str()) of a float: the shortest
// digits that read back to the same value, in fixed notation when the
// decimal exponent is in [-4, 16), else as d.ddde±XX.
func pyFloatRepr(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // -d.ddde±dd
	neg := false
	if e[0] == '-' {
		neg = true
		e = e[1:]
	}
	mant, expStr, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expStr)
	digits := strings.Replace(mant, ".", "", 1)
	decpt := exp + 1 // position of the decimal point relative to digits
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	if decpt > -4 && decpt <= 16 {
		switch {
		case decpt <= 0:
			b.WriteString("0.")
			b.WriteString(strings.Repeat("0", -decpt))
			b.WriteString(digits)
		case decpt >= len(digits):
			b.WriteString(digits)
			b.WriteString(strings.Repeat("0", decpt-len(digits)))
			b.WriteString(".0")
		default:
			b.WriteString(digits[:decpt])
			b.WriteByte('.')
			b.WriteString(digits[decpt:])
		}
		return b.String()
	}
	b.WriteByte(digits[0])
	if len(digits) > 1 {
		b.WriteByte('.')
		b.WriteString(digits[1:])
	}
	b.WriteByte('e')
	x := decpt - 1
	if x < 0 {
		b.WriteByte('-')
		x = -x
	} else {
		b.WriteByte('+')
	}
	if x < 10 {
		b.WriteByte('0')
	}
	b.WriteString(strconv.Itoa(x))
	return b.String()
}
