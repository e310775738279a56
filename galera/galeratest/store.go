package galeratest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// store is the data every node of a Cluster shares: Galera replicates
// synchronously, so a commit on one node is visible on all of them.
type store struct {
	mu        sync.Mutex
	seq       uint64 // commit sequence number
	committed atomic.Uint64
	dbs       map[string]*database
}

type database struct {
	tables map[string]*table
}

type column struct {
	name    string
	isInt   bool
	notNull bool
}

type table struct {
	db, name string
	cols     []column
	pk       []int // primary key columns; empty: a hidden row id
	autoInc  int   // AUTO_INCREMENT column or -1
	nextAuto int64
	rowid    int64
	rows     map[string][]value
	versions map[string]uint64 // commit seq of the last write to a key
}

func newStore() *store { return &store{dbs: map[string]*database{}} }

func (t *table) colIndex(name string) int {
	for i, c := range t.cols {
		if strings.EqualFold(c.name, name) {
			return i
		}
	}
	return -1
}

// key encodes the primary key of row.
func (t *table) key(row []value) string {
	if len(t.pk) == 0 {
		t.rowid++
		return fmt.Sprintf("\x00%020d", t.rowid)
	}
	var b strings.Builder
	for _, i := range t.pk {
		v := row[i]
		if v.isInt {
			fmt.Fprintf(&b, "i%+021d|", v.i)
		} else {
			fmt.Fprintf(&b, "s%q|", v.s)
		}
	}
	return b.String()
}

func (t *table) keyText(row []value) string {
	var parts []string
	for _, i := range t.pk {
		parts = append(parts, row[i].String())
	}
	return strings.Join(parts, "-")
}

// tx is a transaction's private overlay of writes. Reads see committed
// rows plus the overlay (READ COMMITTED). At commit a key written by
// another transaction since this one began fails certification, as Galera
// does for conflicting write-sets from different nodes.
type tx struct {
	start  uint64
	writes map[*table]map[string][]value // nil row: deleted
	order  []txKey
}

type txKey struct {
	t   *table
	key string
}

func newTx(start uint64) *tx {
	return &tx{start: start, writes: map[*table]map[string][]value{}}
}

func (x *tx) put(t *table, key string, row []value) {
	m := x.writes[t]
	if m == nil {
		m = map[string][]value{}
		x.writes[t] = m
	}
	if _, seen := m[key]; !seen {
		x.order = append(x.order, txKey{t, key})
	}
	m[key] = row
}

func (x *tx) empty() bool { return len(x.order) == 0 }

// get returns the row under key as the transaction sees it.
func (s *store) get(x *tx, t *table, key string) ([]value, bool) {
	if m, ok := x.writes[t]; ok {
		if row, ok := m[key]; ok {
			return row, row != nil
		}
	}
	row, ok := t.rows[key]
	return row, ok
}

type keyedRow struct {
	key string
	row []value
}

// scan returns the rows of t as x sees them, in primary-key order.
func (s *store) scan(x *tx, t *table) []keyedRow {
	out := make([]keyedRow, 0, len(t.rows))
	over := x.writes[t]
	for k, r := range t.rows {
		if over != nil {
			if nr, ok := over[k]; ok {
				if nr != nil {
					out = append(out, keyedRow{k, nr})
				}
				continue
			}
		}
		out = append(out, keyedRow{k, r})
	}
	for k, r := range over {
		if _, ok := t.rows[k]; !ok && r != nil {
			out = append(out, keyedRow{k, r})
		}
	}
	slices.SortFunc(out, func(a, b keyedRow) int { return strings.Compare(a.key, b.key) })
	return out
}

// commit certifies and applies x. It returns false on a certification
// conflict, leaving the store unchanged.
func (s *store) commit(x *tx) bool {
	for _, k := range x.order {
		if k.t.versions[k.key] > x.start {
			return false
		}
	}
	if x.empty() {
		return true
	}
	s.seq++
	s.committed.Store(s.seq)
	for _, k := range x.order {
		row := x.writes[k.t][k.key]
		if row == nil {
			delete(k.t.rows, k.key)
		} else {
			k.t.rows[k.key] = row
		}
		k.t.versions[k.key] = s.seq
	}
	return true
}
