package galera

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Querier is what ReadNodeState queries: a *sql.DB, *sql.Conn or *sql.Tx
// connected to one node.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// The queries ReadNodeState sends. Both need only the PROCESS privilege
// (SHOW GLOBAL STATUS) and none at all (SHOW GLOBAL VARIABLES).
const (
	StatusQuery    = "SHOW GLOBAL STATUS LIKE 'wsrep_%'"
	VariablesQuery = "SHOW GLOBAL VARIABLES WHERE Variable_name IN " +
		"('read_only','wsrep_desync','wsrep_reject_queries','wsrep_sst_donor_rejects_queries','pxc_maint_mode')"
)

// maxStateRows bounds how many rows one answer may have: a node answering
// garbage must not make the reader allocate without limit.
const maxStateRows = 4096

// ReadNodeState queries one node through q and parses its state. node names
// the node in errors and in the result. Failures to query are
// *NodeError; malformed answers are *StateError.
//
// ctx bounds the whole exchange; callers that need a deadline covering the
// dial and handshake too (a stopped node accepts TCP connections but never
// sends its handshake) pass a ctx with a deadline and open the connection
// under that same ctx.
func ReadNodeState(ctx context.Context, q Querier, node string) (NodeState, error) {
	status, err := readPairs(ctx, q, node, StatusQuery)
	if err != nil {
		return NodeState{}, err
	}
	variables, err := readPairs(ctx, q, node, VariablesQuery)
	if err != nil {
		return NodeState{}, err
	}
	return ParseNodeState(node, status, variables)
}

func readPairs(ctx context.Context, q Querier, node, query string) (map[string]string, error) {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, &NodeError{Node: node, Op: "query", Err: err}
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, &NodeError{Node: node, Op: "query", Err: err}
	}
	if len(cols) != 2 {
		return nil, &NodeError{Node: node, Op: "query",
			Err: fmt.Errorf("%w: %q answered %d columns, want 2", ErrMalformedState, query, len(cols))}
	}
	m := make(map[string]string, 64)
	n := 0
	for rows.Next() {
		n++
		if n > maxStateRows {
			return nil, &NodeError{Node: node, Op: "query",
				Err: fmt.Errorf("%w: more than %d rows", ErrMalformedState, maxStateRows)}
		}
		var name, value sql.NullString
		if err := rows.Scan(&name, &value); err != nil {
			return nil, &NodeError{Node: node, Op: "query", Err: err}
		}
		if !name.Valid {
			return nil, &NodeError{Node: node, Op: "query", Err: fmt.Errorf("%w: NULL variable name", ErrMalformedState)}
		}
		m[strings.ToLower(name.String)] = value.String
	}
	if err := rows.Err(); err != nil {
		return nil, &NodeError{Node: node, Op: "query", Err: err}
	}
	return m, nil
}
