package galeratest

import (
	"fmt"
	"net"
	"slices"
	"strings"
)

// session is one client connection's SQL state.
type session struct {
	node      *Node
	db        string
	tx        *tx // open explicit transaction, nil in autocommit
	foundRows bool
	connID    uint32
	conn      net.Conn         // the client connection; nil in tests that drive a session directly
	vars      map[string]value // SET SESSION variables
	st        *store           // the store the current statement uses: the cluster's, or a paused node's copy
}

func (s *session) status() uint16 {
	if s.tx != nil {
		return statusInTrans | statusAutocommit
	}
	return statusAutocommit
}

// stmtKind classifies a statement for the wsrep gates.
type stmtKind int

const (
	kindAdmin stmtKind = iota // SHOW, SET, SELECT without a table, USE, BEGIN, ROLLBACK
	kindRead                  // SELECT ... FROM
	kindWrite                 // INSERT, UPDATE, DELETE, DDL, COMMIT of writes
)

func classify(toks []token) stmtKind {
	toks = withoutSetStatement(toks)
	if len(toks) == 0 || toks[0].kind != tIdent {
		return kindAdmin
	}
	switch strings.ToUpper(toks[0].s) {
	case "SELECT":
		for _, t := range toks {
			if t.kind == tIdent && strings.EqualFold(t.s, "FROM") {
				return kindRead
			}
		}
		return kindAdmin
	case "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "REPLACE", "TRUNCATE", "ALTER":
		return kindWrite
	case "COMMIT":
		return kindWrite
	}
	return kindAdmin
}

// withoutSetStatement drops MariaDB's "SET STATEMENT var=value[, ...] FOR"
// prefix: its settings (wsrep_sync_wait, ...) change nothing on nodes
// that apply every commit at once.
func withoutSetStatement(toks []token) []token {
	if len(toks) < 2 || toks[0].kind != tIdent || !strings.EqualFold(toks[0].s, "SET") ||
		toks[1].kind != tIdent || !strings.EqualFold(toks[1].s, "STATEMENT") {
		return toks
	}
	for i, t := range toks {
		if t.kind == tIdent && strings.EqualFold(t.s, "FOR") {
			return toks[i+1:]
		}
	}
	return toks
}

// exec runs one statement. It is called with the cluster's store lock
// not held.
func (s *session) exec(q string, params []value) (*result, error) {
	toks, err := lex(q)
	if err != nil {
		return nil, err
	}
	kind := classify(toks)
	st := s.node.State()
	if kind != kindAdmin {
		// A node outside the Primary component, or not ready, refuses
		// every statement that touches data (MariaDB answers 1047);
		// wsrep_reject_queries does the same by configuration.
		if !st.Ready || st.ClusterStatus.String() != "Primary" || st.RejectQueries != 0 {
			return nil, errNotReady
		}
	}
	if kind == kindWrite && st.ReadOnly && !(len(toks) == 1 && strings.EqualFold(toks[0].s, "COMMIT") && (s.tx == nil || s.tx.empty())) {
		return nil, errReadOnly
	}
	s.st = s.storeFor(kind, s.syncWait(toks))
	p := &parser{toks: withoutSetStatement(toks), params: params, q: q}
	c := s.node.cluster
	c.store.mu.Lock()
	defer c.store.mu.Unlock()
	res, err := s.dispatch(p)
	if err != nil {
		return nil, err
	}
	if !p.done() {
		return nil, p.syntax()
	}
	return res, nil
}

func (s *session) dispatch(p *parser) (*result, error) {
	switch {
	case p.acceptKw("SELECT"):
		return s.selectStmt(p)
	case p.acceptKw("SHOW"):
		return s.show(p)
	case p.acceptKw("SET"):
		return s.set(p)
	case p.acceptKw("USE"):
		db, err := p.ident()
		if err != nil {
			return nil, err
		}
		return s.use(db)
	case p.acceptKw("BEGIN"), p.acceptKw("START", "TRANSACTION"):
		for !p.done() {
			p.next()
		}
		if err := s.commitOpen(); err != nil {
			return nil, err
		}
		s.tx = newTx(s.st.seq)
		return &result{}, nil
	case p.acceptKw("COMMIT"):
		return &result{}, s.commitOpen()
	case p.acceptKw("ROLLBACK"):
		s.tx = nil
		return &result{}, nil
	case p.acceptKw("INSERT"), p.acceptKw("REPLACE"):
		return s.autocommit(func(x *tx) (*result, error) { return s.insert(p, x) })
	case p.acceptKw("UPDATE"):
		return s.autocommit(func(x *tx) (*result, error) { return s.update(p, x) })
	case p.acceptKw("DELETE"):
		return s.autocommit(func(x *tx) (*result, error) { return s.delete(p, x) })
	case p.acceptKw("CREATE"):
		if err := s.commitOpen(); err != nil {
			return nil, err
		}
		return s.create(p)
	case p.acceptKw("DROP"):
		if err := s.commitOpen(); err != nil {
			return nil, err
		}
		return s.drop(p)
	}
	return nil, p.syntax()
}

// commitOpen commits the open transaction, if any. A certification
// conflict rolls it back and answers 1213, as Galera does.
func (s *session) commitOpen() error {
	x := s.tx
	s.tx = nil
	if x == nil {
		return nil
	}
	if !s.st.commit(x) {
		s.node.cluster.noteCertFailure()
		return errDeadlock
	}
	return nil
}

// autocommit runs f in the open transaction, or in its own that commits
// at once.
func (s *session) autocommit(f func(*tx) (*result, error)) (*result, error) {
	if s.tx != nil {
		return f(s.tx)
	}
	x := newTx(s.st.seq)
	res, err := f(x)
	if err != nil {
		return nil, err
	}
	if !s.st.commit(x) {
		return nil, errDeadlock
	}
	return res, nil
}

func (s *session) use(db string) (*result, error) {
	if _, ok := s.st.dbs[strings.ToLower(db)]; !ok {
		return nil, &sqlError{1049, "42000", fmt.Sprintf("Unknown database '%s'", db)}
	}
	s.db = db
	return &result{}, nil
}

func (s *session) lookupTable(db, name string) (*table, error) {
	if db == "" {
		db = s.db
	}
	if db == "" {
		return nil, errNoDB
	}
	d, ok := s.st.dbs[strings.ToLower(db)]
	if !ok {
		return nil, &sqlError{1049, "42000", fmt.Sprintf("Unknown database '%s'", db)}
	}
	t, ok := d.tables[strings.ToLower(name)]
	if !ok {
		return nil, &sqlError{1146, "42S02", fmt.Sprintf("Table '%s.%s' doesn't exist", db, name)}
	}
	return t, nil
}

// parseTable reads a [db.]table name and finds the table.
func (s *session) parseTable(p *parser) (*table, error) {
	db, name, err := p.tableName()
	if err != nil {
		return nil, err
	}
	return s.lookupTable(db, name)
}

// parseWhere reads an optional WHERE clause and binds its conditions to
// t's columns.
func parseWhere(p *parser, t *table) ([]cond, error) {
	cs, err := p.where()
	if err != nil {
		return nil, err
	}
	if err := bindConds(t, cs); err != nil {
		return nil, err
	}
	return cs, nil
}

func (s *session) create(p *parser) (*result, error) {
	st := s.st
	switch {
	case p.acceptKw("DATABASE"), p.acceptKw("SCHEMA"):
		ifNot := p.acceptKw("IF", "NOT", "EXISTS")
		name, err := p.ident()
		if err != nil {
			return nil, err
		}
		for !p.done() {
			p.next() // character set options
		}
		if _, ok := st.dbs[strings.ToLower(name)]; ok {
			if ifNot {
				return &result{}, nil
			}
			return nil, &sqlError{1007, "HY000", fmt.Sprintf("Can't create database '%s'; database exists", name)}
		}
		st.dbs[strings.ToLower(name)] = &database{tables: map[string]*table{}}
		return &result{affected: 1}, nil
	case p.acceptKw("TABLE"):
		ifNot := p.acceptKw("IF", "NOT", "EXISTS")
		db, name, err := p.tableName()
		if err != nil {
			return nil, err
		}
		if db == "" {
			db = s.db
		}
		if db == "" {
			return nil, errNoDB
		}
		d, ok := st.dbs[strings.ToLower(db)]
		if !ok {
			return nil, &sqlError{1049, "42000", fmt.Sprintf("Unknown database '%s'", db)}
		}
		t, err := parseTableDef(p, db, name)
		if err != nil {
			return nil, err
		}
		if _, ok := d.tables[strings.ToLower(name)]; ok {
			if ifNot {
				return &result{}, nil
			}
			return nil, &sqlError{1050, "42S01", fmt.Sprintf("Table '%s' already exists", name)}
		}
		d.tables[strings.ToLower(name)] = t
		return &result{}, nil
	}
	return nil, p.syntax()
}

// parseTableDef reads "( coldef, ..., [PRIMARY KEY (cols)] ) options".
// Column types other than the integer ones are kept as strings.
func parseTableDef(p *parser, db, name string) (*table, error) {
	t := &table{db: db, name: name, autoInc: -1, nextAuto: 1, rows: map[string][]value{}, versions: map[string]uint64{}}
	if err := p.expectPunct("("); err != nil {
		return nil, err
	}
	var pkNames []string
	for {
		switch {
		case p.acceptKw("PRIMARY", "KEY"):
			if err := p.expectPunct("("); err != nil {
				return nil, err
			}
			for {
				n, err := p.ident()
				if err != nil {
					return nil, err
				}
				pkNames = append(pkNames, n)
				if !p.acceptPunct(",") {
					break
				}
			}
			if err := p.expectPunct(")"); err != nil {
				return nil, err
			}
			skipItem(p)
		case p.isKw("KEY"), p.isKw("INDEX"), p.isKw("UNIQUE"), p.isKw("CONSTRAINT"):
			skipItem(p)
		default:
			cname, err := p.ident()
			if err != nil {
				return nil, err
			}
			typ, err := p.ident()
			if err != nil {
				return nil, err
			}
			c := column{name: cname}
			switch strings.ToUpper(typ) {
			case "INT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "MEDIUMINT", "BOOL", "BOOLEAN":
				c.isInt = true
			}
			depth := 0
			for !p.done() {
				if depth == 0 && (p.isPunct(",") || p.isPunct(")")) {
					break
				}
				switch {
				case p.acceptPunct("("):
					depth++
				case p.acceptPunct(")"):
					depth--
				case p.acceptKw("PRIMARY", "KEY"):
					pkNames = append(pkNames, cname)
				case p.acceptKw("NOT", "NULL"):
					c.notNull = true
				case p.acceptKw("AUTO_INCREMENT"):
					t.autoInc = len(t.cols)
				default:
					p.next()
				}
			}
			t.cols = append(t.cols, c)
		}
		if p.acceptPunct(")") {
			break
		}
		if err := p.expectPunct(","); err != nil {
			return nil, err
		}
	}
	for !p.done() {
		p.next() // ENGINE=InnoDB and other table options
	}
	for _, n := range pkNames {
		i := t.colIndex(n)
		if i < 0 {
			return nil, &sqlError{1072, "42000", fmt.Sprintf("Key column '%s' doesn't exist in table", n)}
		}
		t.pk = append(t.pk, i)
		t.cols[i].notNull = true
	}
	return t, nil
}

// skipItem skips to the "," or ")" ending a table definition item.
func skipItem(p *parser) {
	depth := 0
	for !p.done() {
		if depth == 0 && (p.isPunct(",") || p.isPunct(")")) {
			return
		}
		if p.acceptPunct("(") {
			depth++
			continue
		}
		if p.acceptPunct(")") {
			depth--
			continue
		}
		p.next()
	}
}

func (s *session) drop(p *parser) (*result, error) {
	st := s.st
	switch {
	case p.acceptKw("DATABASE"), p.acceptKw("SCHEMA"):
		ifExists := p.acceptKw("IF", "EXISTS")
		name, err := p.ident()
		if err != nil {
			return nil, err
		}
		if _, ok := st.dbs[strings.ToLower(name)]; !ok {
			if ifExists {
				return &result{}, nil
			}
			return nil, &sqlError{1008, "HY000", fmt.Sprintf("Can't drop database '%s'; database doesn't exist", name)}
		}
		delete(st.dbs, strings.ToLower(name))
		return &result{}, nil
	case p.acceptKw("TABLE"):
		ifExists := p.acceptKw("IF", "EXISTS")
		db, name, err := p.tableName()
		if err != nil {
			return nil, err
		}
		t, err := s.lookupTable(db, name)
		if err != nil {
			if ifExists {
				return &result{}, nil
			}
			return nil, err
		}
		delete(st.dbs[strings.ToLower(t.db)].tables, strings.ToLower(t.name))
		return &result{}, nil
	}
	return nil, p.syntax()
}

func (s *session) insert(p *parser, x *tx) (*result, error) {
	p.acceptKw("INTO")
	t, err := s.parseTable(p)
	if err != nil {
		return nil, err
	}
	cols := make([]int, 0, len(t.cols))
	if p.acceptPunct("(") {
		for {
			n, err := p.ident()
			if err != nil {
				return nil, err
			}
			i := t.colIndex(n)
			if i < 0 {
				return nil, &sqlError{1054, "42S22", fmt.Sprintf("Unknown column '%s' in 'field list'", n)}
			}
			cols = append(cols, i)
			if !p.acceptPunct(",") {
				break
			}
		}
		if err := p.expectPunct(")"); err != nil {
			return nil, err
		}
	} else {
		for i := range t.cols {
			cols = append(cols, i)
		}
	}
	if !p.acceptKw("VALUES") && !p.acceptKw("VALUE") {
		return nil, p.syntax()
	}
	res := &result{}
	for {
		if err := p.expectPunct("("); err != nil {
			return nil, err
		}
		row := make([]value, len(t.cols))
		for i := range row {
			row[i] = value{null: true}
		}
		for j := 0; ; j++ {
			v, err := p.literal()
			if err != nil {
				return nil, err
			}
			if j >= len(cols) {
				return nil, errColsCount
			}
			row[cols[j]] = v
			if !p.acceptPunct(",") {
				if j+1 != len(cols) {
					return nil, errColsCount
				}
				break
			}
		}
		if err := p.expectPunct(")"); err != nil {
			return nil, err
		}
		if t.autoInc >= 0 && row[t.autoInc].null {
			row[t.autoInc] = intValue(t.nextAuto)
		}
		for i, c := range t.cols {
			if row[i], err = coerce(c, row[i]); err != nil {
				return nil, err
			}
		}
		if t.autoInc >= 0 {
			if n := row[t.autoInc].i; n >= t.nextAuto {
				t.nextAuto = n + 1
			}
			res.lastID = uint64(row[t.autoInc].i)
		}
		key := t.key(row)
		if _, exists := s.st.get(x, t, key); exists {
			return nil, &sqlError{1062, "23000", fmt.Sprintf("Duplicate entry '%s' for key 'PRIMARY'", t.keyText(row))}
		}
		x.put(t, key, row)
		res.affected++
		if !p.acceptPunct(",") {
			break
		}
	}
	return res, nil
}

type assignment struct {
	col   int
	src   int // column for "col = src + delta"; -1 for a constant
	delta int64
	val   value
}

func (s *session) update(p *parser, x *tx) (*result, error) {
	t, err := s.parseTable(p)
	if err != nil {
		return nil, err
	}
	if err := p.expectKw("SET"); err != nil {
		return nil, err
	}
	var as []assignment
	for {
		n, err := p.ident()
		if err != nil {
			return nil, err
		}
		a := assignment{col: t.colIndex(n), src: -1}
		if a.col < 0 {
			return nil, &sqlError{1054, "42S22", fmt.Sprintf("Unknown column '%s' in 'field list'", n)}
		}
		if err := p.expectPunct("="); err != nil {
			return nil, err
		}
		if tk := p.peek(); tk.kind == tIdent && t.colIndex(tk.s) >= 0 || tk.kind == tQuotedIdent {
			p.next()
			a.src = t.colIndex(tk.s)
			if a.src < 0 {
				return nil, &sqlError{1054, "42S22", fmt.Sprintf("Unknown column '%s' in 'field list'", tk.s)}
			}
			if p.isPunct("+") || p.isPunct("-") {
				neg := p.next().s == "-"
				v, err := p.literal()
				if err != nil {
					return nil, err
				}
				d, ok := v.asInt()
				if !ok {
					return nil, p.syntax()
				}
				if neg {
					d = -d
				}
				a.delta = d
			}
		} else if a.val, err = p.literal(); err != nil {
			return nil, err
		}
		as = append(as, a)
		if !p.acceptPunct(",") {
			break
		}
	}
	cs, err := parseWhere(p, t)
	if err != nil {
		return nil, err
	}
	res := &result{}
	for _, kr := range s.candidates(x, t, cs) {
		if !matches(kr.row, cs) {
			continue
		}
		row := slices.Clone(kr.row)
		for _, a := range as {
			v := a.val
			if a.src >= 0 {
				v = kr.row[a.src]
				if a.delta != 0 {
					n, ok := v.asInt()
					if !ok {
						return nil, &sqlError{1366, "22007", "Incorrect integer value"}
					}
					v = intValue(n + a.delta)
				}
			}
			if row[a.col], err = coerce(t.cols[a.col], v); err != nil {
				return nil, err
			}
		}
		changed := !slices.EqualFunc(row, kr.row, func(a, b value) bool { return a == b })
		if changed || s.foundRows {
			res.affected++
		}
		if !changed {
			continue
		}
		if len(t.pk) > 0 {
			if nk := t.key(row); nk != kr.key {
				if _, exists := s.st.get(x, t, nk); exists {
					return nil, &sqlError{1062, "23000", fmt.Sprintf("Duplicate entry '%s' for key 'PRIMARY'", t.keyText(row))}
				}
				x.put(t, kr.key, nil)
				x.put(t, nk, row)
				continue
			}
		}
		x.put(t, kr.key, row)
	}
	return res, nil
}

func (s *session) delete(p *parser, x *tx) (*result, error) {
	if err := p.expectKw("FROM"); err != nil {
		return nil, err
	}
	t, err := s.parseTable(p)
	if err != nil {
		return nil, err
	}
	cs, err := parseWhere(p, t)
	if err != nil {
		return nil, err
	}
	res := &result{}
	for _, kr := range s.candidates(x, t, cs) {
		if matches(kr.row, cs) {
			x.put(t, kr.key, nil)
			res.affected++
		}
	}
	return res, nil
}

// selectItem is one expression of a select list.
type selectItem struct {
	name  string
	star  bool
	col   string
	agg   string // COUNT, MAX, MIN
	val   value  // constant
	isVal bool
	sys   string // @@variable
	fn    string // DATABASE, VERSION, CONNECTION_ID, NOW
}

func (s *session) selectStmt(p *parser) (*result, error) {
	var items []selectItem
	for {
		var it selectItem
		tk := p.peek()
		switch {
		case p.acceptPunct("*"):
			it.star = true
		case tk.kind == tSysVar:
			p.next()
			it.sys, it.name = tk.s, "@@"+tk.s
		case tk.kind == tIdent && p.pos+1 < len(p.toks) && p.toks[p.pos+1].kind == tPunct && p.toks[p.pos+1].s == "(":
			p.next()
			p.next()
			f := strings.ToUpper(tk.s)
			switch f {
			case "COUNT":
				if !p.acceptPunct("*") {
					c, err := p.ident()
					if err != nil {
						return nil, err
					}
					it.col = c
				}
				it.agg = f
			case "MAX":
				c, err := p.ident()
				if err != nil {
					return nil, err
				}
				it.agg, it.col = f, c
			case "DATABASE", "VERSION", "CONNECTION_ID", "NOW", "UNIX_TIMESTAMP":
				it.fn = f
			default:
				return nil, &sqlError{1305, "42000", fmt.Sprintf("FUNCTION %s does not exist", tk.s)}
			}
			if err := p.expectPunct(")"); err != nil {
				return nil, err
			}
			it.name = tk.s + "(...)"
		case tk.kind == tIdent && !isLiteralKw(tk.s) || tk.kind == tQuotedIdent:
			p.next()
			it.col, it.name = tk.s, tk.s
		default:
			v, err := p.literal()
			if err != nil {
				return nil, err
			}
			it.val, it.isVal, it.name = v, true, v.String()
		}
		if p.acceptKw("AS") {
			n, err := p.ident()
			if err != nil {
				return nil, err
			}
			it.name = n
		}
		items = append(items, it)
		if !p.acceptPunct(",") {
			break
		}
	}
	if !p.acceptKw("FROM") {
		return s.selectConst(items)
	}
	t, err := s.parseTable(p)
	if err != nil {
		return nil, err
	}
	cs, err := parseWhere(p, t)
	if err != nil {
		return nil, err
	}
	_ = p.acceptKw("FOR", "UPDATE") || p.acceptKw("LOCK", "IN", "SHARE", "MODE")

	x := s.tx
	if x == nil {
		x = newTx(0)
	}
	var rows [][]value
	for _, kr := range s.candidates(x, t, cs) {
		if matches(kr.row, cs) {
			rows = append(rows, kr.row)
		}
	}
	res := &result{}
	aggregate := false
	for _, it := range items {
		switch {
		case it.star:
			for _, c := range t.cols {
				res.cols = append(res.cols, c.name)
				res.types = append(res.types, colType(c))
			}
		case it.agg != "":
			aggregate = true
			res.cols = append(res.cols, it.name)
			res.types = append(res.types, typeLongLong)
			if it.agg != "COUNT" {
				i := t.colIndex(it.col)
				if i < 0 {
					return nil, &sqlError{1054, "42S22", fmt.Sprintf("Unknown column '%s' in 'field list'", it.col)}
				}
				res.types[len(res.types)-1] = colType(t.cols[i])
			}
		case it.col != "":
			i := t.colIndex(it.col)
			if i < 0 {
				return nil, &sqlError{1054, "42S22", fmt.Sprintf("Unknown column '%s' in 'field list'", it.col)}
			}
			res.cols = append(res.cols, it.name)
			res.types = append(res.types, colType(t.cols[i]))
		default:
			res.cols = append(res.cols, it.name)
			res.types = append(res.types, valType(it.val))
		}
	}
	if aggregate {
		var out []value
		for _, it := range items {
			switch it.agg {
			case "COUNT":
				n := 0
				for _, r := range rows {
					if it.col == "" || !r[t.colIndex(it.col)].null {
						n++
					}
				}
				out = append(out, intValue(int64(n)))
			case "MAX":
				i := t.colIndex(it.col)
				best := value{null: true}
				for _, r := range rows {
					c, ok := compare(r[i], best)
					if best.null && !r[i].null || ok && c > 0 {
						best = r[i]
					}
				}
				out = append(out, best)
			default:
				out = append(out, it.val)
			}
		}
		res.rows = [][]value{out}
		return res, nil
	}
	for _, r := range rows {
		var out []value
		for _, it := range items {
			switch {
			case it.star:
				out = append(out, r...)
			case it.col != "":
				out = append(out, r[t.colIndex(it.col)])
			default:
				out = append(out, it.val)
			}
		}
		res.rows = append(res.rows, out)
	}
	return res, nil
}

// candidates returns the rows a WHERE may match: the one row its
// equalities on the whole primary key name, or every row.
func (s *session) candidates(x *tx, t *table, cs []cond) []keyedRow {
	if len(t.pk) > 0 {
		row := make([]value, len(t.cols))
		found := 0
		for _, i := range t.pk {
			for _, c := range cs {
				if c.colIx == i && c.op == "=" {
					v, err := coerce(t.cols[i], c.vals[0])
					if err != nil {
						return nil
					}
					row[i] = v
					found++
					break
				}
			}
		}
		if found == len(t.pk) {
			k := t.key(row)
			if r, ok := s.st.get(x, t, k); ok {
				return []keyedRow{{k, r}}
			}
			return nil
		}
	}
	return s.st.scan(x, t)
}

func isLiteralKw(s string) bool {
	switch strings.ToUpper(s) {
	case "NULL", "TRUE", "FALSE":
		return true
	}
	return false
}

func colType(c column) byte {
	if c.isInt {
		return typeLongLong
	}
	return typeVarString
}

func valType(v value) byte {
	if v.isInt {
		return typeLongLong
	}
	return typeVarString
}

// selectConst answers a SELECT without a table: constants, @@variables and
// a few functions.
func (s *session) selectConst(items []selectItem) (*result, error) {
	res := &result{}
	var row []value
	for _, it := range items {
		var v value
		switch {
		case it.isVal:
			v = it.val
		case it.sys != "":
			val, ok := s.vars[it.sys]
			if !ok {
				val, ok = s.node.variable(it.sys)
			}
			if !ok {
				return nil, &sqlError{1193, "HY000", fmt.Sprintf("Unknown system variable '%s'", it.sys)}
			}
			v = val
		case it.fn == "DATABASE":
			v = stringValue(s.db)
			if s.db == "" {
				v = value{null: true}
			}
		case it.fn == "VERSION":
			v = stringValue("10.11.0-MariaDB-galeratest")
		case it.fn == "CONNECTION_ID":
			v = intValue(int64(s.connID))
		case it.fn == "NOW":
			v = stringValue(s.node.cluster.now().Format("2006-01-02 15:04:05"))
		case it.fn == "UNIX_TIMESTAMP":
			v = intValue(s.node.cluster.now().Unix())
		default:
			return nil, &sqlError{1054, "42S22", fmt.Sprintf("Unknown column '%s' in 'field list'", it.col)}
		}
		res.cols = append(res.cols, it.name)
		res.types = append(res.types, valType(v))
		row = append(row, v)
	}
	res.rows = [][]value{row}
	return res, nil
}

// show answers SHOW [GLOBAL|SESSION] STATUS|VARIABLES [LIKE p | WHERE
// Variable_name IN (...) | WHERE Variable_name = v], SHOW DATABASES and
// SHOW TABLES.
func (s *session) show(p *parser) (*result, error) {
	_ = p.acceptKw("GLOBAL") || p.acceptKw("SESSION")
	var all map[string]string
	switch {
	case p.acceptKw("STATUS"):
		all, _ = s.node.rows()
	case p.acceptKw("VARIABLES"):
		_, all = s.node.rows()
	case p.acceptKw("DATABASES"):
		res := &result{cols: []string{"Database"}, types: []byte{typeVarString}}
		for _, n := range sortedKeys(s.st.dbs) {
			res.rows = append(res.rows, []value{stringValue(n)})
		}
		return res, nil
	case p.acceptKw("TABLES"):
		if s.db == "" {
			return nil, errNoDB
		}
		d, ok := s.st.dbs[strings.ToLower(s.db)]
		if !ok {
			return nil, &sqlError{1049, "42000", fmt.Sprintf("Unknown database '%s'", s.db)}
		}
		res := &result{cols: []string{"Tables_in_" + s.db}, types: []byte{typeVarString}}
		for _, n := range sortedKeys(d.tables) {
			res.rows = append(res.rows, []value{stringValue(n)})
		}
		return res, nil
	default:
		return nil, p.syntax()
	}
	keep := func(string) bool { return true }
	switch {
	case p.acceptKw("LIKE"):
		v, err := p.literal()
		if err != nil {
			return nil, err
		}
		keep = func(n string) bool { return likeMatch(v.String(), n) }
	case p.isKw("WHERE"):
		cs, err := p.where()
		if err != nil {
			return nil, err
		}
		keep = func(n string) bool {
			row := []value{stringValue(n)}
			for i := range cs {
				if !strings.EqualFold(cs[i].col, "Variable_name") {
					return false
				}
				cs[i].colIx = 0
			}
			return matches(row, cs)
		}
	}
	res := &result{cols: []string{"Variable_name", "Value"}, types: []byte{typeVarString, typeVarString}}
	for _, n := range sortedKeys(all) {
		if keep(n) {
			res.rows = append(res.rows, []value{stringValue(n), stringValue(all[n])})
		}
	}
	return res, nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// set handles SET [GLOBAL|SESSION] name = value, ..., SET NAMES and SET
// TRANSACTION. Global wsrep and read_only settings change the node's
// state as they do on a real node.
func (s *session) set(p *parser) (*result, error) {
	if p.acceptKw("NAMES") || p.acceptKw("TRANSACTION") || p.acceptKw("SESSION", "TRANSACTION") || p.acceptKw("CHARACTER") {
		for !p.done() {
			p.next()
		}
		return &result{}, nil
	}
	for {
		global := p.acceptKw("GLOBAL")
		if !global {
			p.acceptKw("SESSION")
		}
		var name string
		if tk := p.peek(); tk.kind == tSysVar {
			p.next()
			name = tk.s
		} else {
			n, err := p.ident()
			if err != nil {
				return nil, err
			}
			name = strings.ToLower(n)
		}
		if err := p.expectPunct("="); err != nil {
			return nil, err
		}
		var v value
		if tk := p.peek(); tk.kind == tIdent && !isLiteralKw(tk.s) && !strings.EqualFold(tk.s, "ON") && !strings.EqualFold(tk.s, "OFF") {
			p.next()
			v = stringValue(tk.s)
		} else {
			var err error
			if v, err = p.literal(); err != nil {
				return nil, err
			}
		}
		if global || s.node.isGlobalOnly(name) {
			if err := s.node.setGlobal(name, v, s.conn); err != nil {
				return nil, err
			}
		} else {
			if s.vars == nil {
				s.vars = map[string]value{}
			}
			s.vars[name] = v
		}
		if !p.acceptPunct(",") {
			return &result{}, nil
		}
	}
}

func boolSetting(name string, v value) (bool, error) {
	if n, ok := v.asInt(); ok {
		return n != 0, nil
	}
	switch strings.ToUpper(v.String()) {
	case "ON", "TRUE", "YES":
		return true, nil
	case "OFF", "FALSE", "NO":
		return false, nil
	}
	return false, &sqlError{1231, "42000", fmt.Sprintf("Variable '%s' can't be set to the value of '%s'", name, v.String())}
}
