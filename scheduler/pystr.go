package scheduler

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file holds the few pieces of Python's str semantics that nova's
// filters depend on: what counts as whitespace for str.split() and
// str.strip(), the full lower-case mapping of str.lower(), and repr().

// pyIsSpace reports whether r is whitespace for Python's str.isspace(),
// which str.split() and str.strip() use. It is Go's unicode.IsSpace plus the
// four ASCII information separators U+001C..U+001F, which Python counts as
// whitespace (bidirectional class B or S) and Go does not.
func pyIsSpace(r rune) bool {
	if r < utf8.RuneSelf {
		switch r {
		case ' ', '\t', '\n', '\v', '\f', '\r', 0x1c, 0x1d, 0x1e, 0x1f:
			return true
		}
		return false
	}
	return unicode.IsSpace(r)
}

// pyStrip is Python's str.strip() with no argument.
func pyStrip(s string) string {
	return strings.TrimFunc(s, pyIsSpace)
}

// pySplit is Python's str.split() with no argument: runs of whitespace
// separate words and empty words are dropped.
func pySplit(s string) []string {
	return strings.FieldsFunc(s, pyIsSpace)
}

// pySplitCommaStrip returns [x.strip() for x in s.split(',')], the way nova
// reads a comma-separated aggregate metadata value.
func pySplitCommaStrip(s string) []string {
	parts := strings.Split(s, ",")
	for i, p := range parts {
		parts[i] = pyStrip(p)
	}
	return parts
}

// pyLower is Python's str.lower(). Python applies the full case mapping of
// the Unicode standard, which differs from Go's per-rune unicode.ToLower in
// two places that matter for names: U+0130 (capital I with dot above)
// lowers to "i" followed by U+0307, and a capital sigma at the end of a word
// lowers to the final form U+03C2.
func pyLower(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range s {
		switch r {
		case 0x130:
			b.WriteString("i\u0307")
		case 0x3a3:
			if finalSigma(s, i) {
				b.WriteRune(0x3c2)
			} else {
				b.WriteRune(0x3c3)
			}
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// finalSigma implements the Final_Sigma condition of Unicode's
// SpecialCasing.txt for the sigma at byte offset i: a cased letter precedes
// it and none follows it, skipping case-ignorable characters both ways.
func finalSigma(s string, i int) bool {
	before := false
	for j := i; j > 0; {
		r, size := utf8.DecodeLastRuneInString(s[:j])
		j -= size
		if caseIgnorable(r) {
			continue
		}
		before = cased(r)
		break
	}
	if !before {
		return false
	}
	for j := i + utf8.RuneLen(0x3a3); j < len(s); {
		r, size := utf8.DecodeRuneInString(s[j:])
		j += size
		if caseIgnorable(r) {
			continue
		}
		return !cased(r)
	}
	return true
}

func cased(r rune) bool {
	return unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r)
}

func caseIgnorable(r rune) bool {
	switch r {
	case '\'', '.', ':', '^', '`', 0xb7, 0x2018, 0x2019, 0x2024, 0xfe52, 0xff07, 0xff0e:
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}

// pyReprStr is Python's repr() of a str: single quotes unless the string
// holds a single quote and no double quote, backslash escapes for the
// quote, backslash, \t \n \r, \xNN for other control characters and
// \uNNNN or \UNNNNNNNN for non-printable code points.
func pyReprStr(s string) string {
	quote := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		quote = '"'
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte(quote)
	for _, r := range s {
		switch {
		case r == rune(quote) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < ' ' || r == 0x7f:
			writeHex(&b, `\x`, r, 2)
		case r < 0x7f:
			b.WriteRune(r)
		case pyPrintable(r):
			b.WriteRune(r)
		case r <= 0xff:
			writeHex(&b, `\x`, r, 2)
		case r <= 0xffff:
			writeHex(&b, `\u`, r, 4)
		default:
			writeHex(&b, `\U`, r, 8)
		}
	}
	b.WriteByte(quote)
	return b.String()
}

// pyPrintable approximates Python's str.isprintable() for one non-ASCII
// code point: everything but the categories Cc, Cf, Cs, Co, Cn, Zl, Zp and
// Zs other than the ASCII space.
func pyPrintable(r rune) bool {
	if r == utf8.RuneError {
		return true
	}
	if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Zl, unicode.Zp, unicode.Zs) {
		return false
	}
	return unicode.IsPrint(r) || unicode.IsGraphic(r)
}

func writeHex(b *strings.Builder, prefix string, r rune, width int) {
	const digits = "0123456789abcdef"
	b.WriteString(prefix)
	for shift := (width - 1) * 4; shift >= 0; shift -= 4 {
		b.WriteByte(digits[(r>>uint(shift))&0xf])
	}
}
