package galeratest

import (
	"strconv"
	"strings"
)

// value is one SQL value: NULL, an integer or a string.
type value struct {
	null  bool
	isInt bool
	i     int64
	s     string
}

func intValue(i int64) value     { return value{isInt: true, i: i} }
func stringValue(s string) value { return value{s: s} }

func (v value) String() string {
	switch {
	case v.null:
		return "NULL"
	case v.isInt:
		return strconv.FormatInt(v.i, 10)
	}
	return v.s
}

// asInt returns v as an integer when it is one or a string holding one.
func (v value) asInt() (int64, bool) {
	if v.null {
		return 0, false
	}
	if v.isInt {
		return v.i, true
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v.s), 10, 64)
	return n, err == nil
}

// compare orders a and b as MariaDB would for the types the fake keeps:
// numerically when both read as integers, else as strings. ok is false when
// either is NULL (a comparison with NULL is never true).
func compare(a, b value) (c int, ok bool) {
	if a.null || b.null {
		return 0, false
	}
	if a.isInt || b.isInt {
		x, okx := a.asInt()
		y, oky := b.asInt()
		if okx && oky {
			switch {
			case x < y:
				return -1, true
			case x > y:
				return 1, true
			}
			return 0, true
		}
	}
	return strings.Compare(a.String(), b.String()), true
}

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tQuotedIdent
	tNumber
	tString
	tPunct
	tParam
	tSysVar
)

type token struct {
	kind tokKind
	s    string
}

// lex splits a statement into tokens. It understands quoted strings with
// backslash escapes and doubled quotes, backquoted identifiers, comments
// (--, #, /* */), @@variables and ? placeholders.
func lex(q string) ([]token, error) {
	var out []token
	i := 0
	for i < len(q) {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ';':
			i++
		case c == '#' || c == '-' && i+1 < len(q) && q[i+1] == '-':
			for i < len(q) && q[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(q) && q[i+1] == '*':
			end := strings.Index(q[i+2:], "*/")
			if end < 0 {
				return nil, errSyntax(q[i:])
			}
			i += end + 4
		case c == '\'' || c == '"':
			s, n, ok := lexString(q[i:])
			if !ok {
				return nil, errSyntax(q[i:])
			}
			out = append(out, token{tString, s})
			i += n
		case c == '`':
			end := strings.IndexByte(q[i+1:], '`')
			if end < 0 {
				return nil, errSyntax(q[i:])
			}
			out = append(out, token{tQuotedIdent, q[i+1 : i+1+end]})
			i += end + 2
		case c >= '0' && c <= '9':
			j := i
			for j < len(q) && (q[j] >= '0' && q[j] <= '9' || q[j] == '.' || q[j] == 'e' || q[j] == 'E') {
				j++
			}
			out = append(out, token{tNumber, q[i:j]})
			i = j
		case isIdentByte(c):
			j := i
			for j < len(q) && (isIdentByte(q[j]) || q[j] >= '0' && q[j] <= '9') {
				j++
			}
			out = append(out, token{tIdent, q[i:j]})
			i = j
		case c == '@' && i+1 < len(q) && q[i+1] == '@':
			j := i + 2
			for j < len(q) && (isIdentByte(q[j]) || q[j] >= '0' && q[j] <= '9' || q[j] == '.') {
				j++
			}
			name := strings.ToLower(q[i+2 : j])
			name = strings.TrimPrefix(strings.TrimPrefix(name, "global."), "session.")
			out = append(out, token{tSysVar, name})
			i = j
		case c == '?':
			out = append(out, token{tParam, "?"})
			i++
		case strings.IndexByte("(),=*+-.", c) >= 0:
			out = append(out, token{tPunct, string(c)})
			i++
		case c == '<' || c == '>' || c == '!':
			j := i + 1
			if j < len(q) && (q[j] == '=' || c == '<' && q[j] == '>') {
				j++
			}
			out = append(out, token{tPunct, q[i:j]})
			i = j
		default:
			return nil, errSyntax(q[i:])
		}
	}
	return out, nil
}

func isIdentByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '$' || c >= 0x80
}

func lexString(q string) (string, int, bool) {
	quote := q[0]
	var b strings.Builder
	for i := 1; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\\' && i+1 < len(q):
			i++
			switch q[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '0':
				b.WriteByte(0)
			case 'Z':
				b.WriteByte(26)
			default:
				b.WriteByte(q[i])
			}
		case c == quote && i+1 < len(q) && q[i+1] == quote:
			b.WriteByte(quote)
			i++
		case c == quote:
			return b.String(), i + 1, true
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, false
}

// likeMatch reports whether s matches the SQL LIKE pattern (% any run,
// _ one character, backslash escapes), case-insensitively, in
// O(len(pattern)·len(s)).
func likeMatch(pattern, s string) bool {
	pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	// Tokenize the pattern: -1 is %, -2 is _, else a literal byte.
	var toks []int
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; {
		case c == '%':
			toks = append(toks, -1)
		case c == '_':
			toks = append(toks, -2)
		case c == '\\' && i+1 < len(pattern):
			i++
			toks = append(toks, int(pattern[i]))
		default:
			toks = append(toks, int(c))
		}
	}
	// cur[j]: the first i bytes of s match the first j tokens.
	cur := make([]bool, len(toks)+1)
	cur[0] = true
	for j, t := range toks {
		cur[j+1] = cur[j] && t == -1
	}
	next := make([]bool, len(toks)+1)
	for i := 0; i < len(s); i++ {
		next[0] = false
		for j, t := range toks {
			switch t {
			case -1:
				next[j+1] = next[j] || cur[j+1]
			case -2:
				next[j+1] = cur[j]
			default:
				next[j+1] = cur[j] && int(s[i]) == t
			}
		}
		cur, next = next, cur
	}
	return cur[len(toks)]
}

// countParams counts the ? placeholders outside strings, identifiers and
// comments: the parameter count COM_STMT_PREPARE reports.
func countParams(q string) int {
	toks, err := lex(q)
	if err != nil {
		return strings.Count(q, "?")
	}
	n := 0
	for _, t := range toks {
		if t.kind == tParam {
			n++
		}
	}
	return n
}
