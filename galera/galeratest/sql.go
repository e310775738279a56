package galeratest

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// sqlError is an error the fake answers with an ERR packet.
type sqlError struct {
	code  uint16
	state string
	msg   string
}

func (e *sqlError) Error() string { return fmt.Sprintf("Error %d (%s): %s", e.code, e.state, e.msg) }

func errSyntax(near string) *sqlError {
	if len(near) > 40 {
		near = near[:40]
	}
	return &sqlError{1064, "42000", fmt.Sprintf("You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near '%s'", near)}
}

// Errors the fake answers with, with MariaDB's codes and texts.
var (
	errNotReady  = &sqlError{1047, "08S01", "WSREP has not yet prepared node for application use"}
	errDeadlock  = &sqlError{1213, "40001", "Deadlock found when trying to get lock; try restarting transaction"}
	errReadOnly  = &sqlError{1290, "HY000", "The MariaDB server is running with the --read-only option so it cannot execute this statement"}
	errNoDB      = &sqlError{1046, "3D000", "No database selected"}
	errColsCount = &sqlError{1136, "21S01", "Column count doesn't match value count at row 1"}
)

// result is what one statement produced: a result set (cols non-nil) or
// an OK with counters.
type result struct {
	cols     []string
	types    []byte
	rows     [][]value
	affected uint64
	lastID   uint64
}

// parser walks a token stream. Placeholders consume params in order.
type parser struct {
	toks   []token
	pos    int
	params []value
	nparam int
	q      string
}

func (p *parser) peek() token {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return token{kind: tEOF}
}

func (p *parser) next() token {
	t := p.peek()
	if p.pos < len(p.toks) {
		p.pos++
	}
	return t
}

func (p *parser) isKw(kw string) bool {
	t := p.peek()
	return t.kind == tIdent && strings.EqualFold(t.s, kw)
}

func (p *parser) acceptKw(kws ...string) bool {
	save := p.pos
	for _, kw := range kws {
		if !p.isKw(kw) {
			p.pos = save
			return false
		}
		p.pos++
	}
	return true
}

func (p *parser) expectKw(kws ...string) error {
	if !p.acceptKw(kws...) {
		return p.syntax()
	}
	return nil
}

func (p *parser) isPunct(s string) bool {
	t := p.peek()
	return t.kind == tPunct && t.s == s
}

func (p *parser) acceptPunct(s string) bool {
	if p.isPunct(s) {
		p.pos++
		return true
	}
	return false
}

func (p *parser) expectPunct(s string) error {
	if !p.acceptPunct(s) {
		return p.syntax()
	}
	return nil
}

func (p *parser) syntax() error {
	var rest []string
	for _, t := range p.toks[min(p.pos, len(p.toks)):] {
		rest = append(rest, t.s)
	}
	return errSyntax(strings.Join(rest, " "))
}

func (p *parser) done() bool { return p.pos >= len(p.toks) }

func (p *parser) ident() (string, error) {
	t := p.next()
	if t.kind != tIdent && t.kind != tQuotedIdent {
		p.pos--
		return "", p.syntax()
	}
	return t.s, nil
}

// tableName reads [db.]name.
func (p *parser) tableName() (db, name string, err error) {
	name, err = p.ident()
	if err != nil {
		return "", "", err
	}
	if p.acceptPunct(".") {
		db = name
		name, err = p.ident()
	}
	return db, name, err
}

// literal reads a constant: number, string, NULL, TRUE/FALSE, a
// placeholder or a negative number.
func (p *parser) literal() (value, error) {
	t := p.next()
	switch t.kind {
	case tNumber:
		if n, err := strconv.ParseInt(t.s, 10, 64); err == nil {
			return intValue(n), nil
		}
		return stringValue(t.s), nil
	case tString:
		return stringValue(t.s), nil
	case tParam:
		if p.nparam >= len(p.params) {
			return value{}, &sqlError{1210, "HY000", "Incorrect arguments to mysqld_stmt_execute"}
		}
		v := p.params[p.nparam]
		p.nparam++
		return v, nil
	case tPunct:
		if t.s == "-" {
			v, err := p.literal()
			if err != nil {
				return v, err
			}
			if n, ok := v.asInt(); ok {
				return intValue(-n), nil
			}
			return stringValue("-" + v.String()), nil
		}
	case tIdent:
		switch strings.ToUpper(t.s) {
		case "NULL":
			return value{null: true}, nil
		case "TRUE", "ON":
			return intValue(1), nil
		case "FALSE", "OFF":
			return intValue(0), nil
		}
	}
	p.pos--
	return value{}, p.syntax()
}

// cond is one predicate of a WHERE clause; a WHERE is their conjunction.
type cond struct {
	col   string
	op    string // = != < <= > >= IN ISNULL NOTNULL
	vals  []value
	colIx int
}

func (p *parser) where() ([]cond, error) {
	if !p.acceptKw("WHERE") {
		return nil, nil
	}
	var cs []cond
	for {
		col, err := p.ident()
		if err != nil {
			return nil, err
		}
		c := cond{col: col}
		switch {
		case p.acceptKw("IS", "NOT", "NULL"):
			c.op = "NOTNULL"
		case p.acceptKw("IS", "NULL"):
			c.op = "ISNULL"
		case p.acceptKw("IN"):
			c.op = "IN"
			if err := p.expectPunct("("); err != nil {
				return nil, err
			}
			for {
				v, err := p.literal()
				if err != nil {
					return nil, err
				}
				c.vals = append(c.vals, v)
				if !p.acceptPunct(",") {
					break
				}
			}
			if err := p.expectPunct(")"); err != nil {
				return nil, err
			}
		default:
			t := p.next()
			switch {
			case t.kind == tPunct && slices.Contains([]string{"=", "!=", "<>", "<", "<=", ">", ">="}, t.s):
				c.op = t.s
				if c.op == "<>" {
					c.op = "!="
				}
			case t.kind == tIdent && strings.EqualFold(t.s, "LIKE"):
				c.op = "LIKE"
			default:
				p.pos--
				return nil, p.syntax()
			}
			v, err := p.literal()
			if err != nil {
				return nil, err
			}
			c.vals = []value{v}
		}
		cs = append(cs, c)
		if !p.acceptKw("AND") {
			return cs, nil
		}
	}
}

func bindConds(t *table, cs []cond) error {
	for i := range cs {
		cs[i].colIx = t.colIndex(cs[i].col)
		if cs[i].colIx < 0 {
			return &sqlError{1054, "42S22", fmt.Sprintf("Unknown column '%s' in 'where clause'", cs[i].col)}
		}
	}
	return nil
}

func matches(row []value, cs []cond) bool {
	for _, c := range cs {
		v := row[c.colIx]
		switch c.op {
		case "ISNULL":
			if !v.null {
				return false
			}
		case "NOTNULL":
			if v.null {
				return false
			}
		case "IN":
			found := false
			for _, w := range c.vals {
				if r, ok := compare(v, w); ok && r == 0 {
					found = true
				}
			}
			if !found {
				return false
			}
		case "LIKE":
			if v.null || c.vals[0].null || !likeMatch(c.vals[0].String(), v.String()) {
				return false
			}
		default:
			r, ok := compare(v, c.vals[0])
			if !ok {
				return false
			}
			switch c.op {
			case "=":
				ok = r == 0
			case "!=":
				ok = r != 0
			case "<":
				ok = r < 0
			case "<=":
				ok = r <= 0
			case ">":
				ok = r > 0
			case ">=":
				ok = r >= 0
			}
			if !ok {
				return false
			}
		}
	}
	return true
}

// coerce converts v for storage in column c.
func coerce(c column, v value) (value, error) {
	if v.null {
		if c.notNull {
			return v, &sqlError{1048, "23000", fmt.Sprintf("Column '%s' cannot be null", c.name)}
		}
		return v, nil
	}
	if c.isInt {
		n, ok := v.asInt()
		if !ok {
			return v, &sqlError{1366, "22007", fmt.Sprintf("Incorrect integer value: '%s' for column '%s' at row 1", v.String(), c.name)}
		}
		return intValue(n), nil
	}
	return stringValue(v.String()), nil
}
