package galera

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Causal reads. A Galera node applies other nodes' write-sets after they
// commit, so a read on a reader may miss a commit the writer already
// acknowledged. Two ways to close that window, both MariaDB's:
//
//   - wsrep_sync_wait=1 on the reading session (RouterConfig.ReaderSyncWait):
//     every read first waits until the node has applied everything the
//     cluster ordered before the read began. It costs a cluster round trip
//     per read, paid only by the readers that ask for it.
//   - read-your-writes: after a write, take the session's
//     WSREP_LAST_SEEN_GTID() (LastSeenGTID); before a later read on another
//     node, wait for that GTID there with WSREP_SYNC_WAIT_UPTO_GTID()
//     (WaitGTID). Only the reads that follow a write wait, and only for it.

// GTID is a MariaDB global transaction ID as WSREP_LAST_SEEN_GTID()
// returns it: domain-server-sequence.
type GTID struct {
	Domain uint32
	Server uint32
	Seqno  uint64
}

// String returns the GTID as MariaDB writes it, "0-1-8608".
func (g GTID) String() string {
	return fmt.Sprintf("%d-%d-%d", g.Domain, g.Server, g.Seqno)
}

// ParseGTID parses "domain-server-sequence" (decimal, unsigned).
func ParseGTID(s string) (GTID, error) {
	parts := strings.Split(s, "-")
	if len(parts) != 3 {
		return GTID{}, fmt.Errorf("galera: GTID %q: want domain-server-sequence", s)
	}
	var g GTID
	for i, p := range parts {
		if p == "" || p[0] == '+' {
			return GTID{}, fmt.Errorf("galera: GTID %q: part %d is not a decimal number", s, i+1)
		}
		bits := 32
		if i == 2 {
			bits = 64
		}
		v, err := strconv.ParseUint(p, 10, bits)
		if err != nil {
			return GTID{}, fmt.Errorf("galera: GTID %q: %w", s, err)
		}
		switch i {
		case 0:
			g.Domain = uint32(v)
		case 1:
			g.Server = uint32(v)
		default:
			g.Seqno = v
		}
	}
	return g, nil
}

// LastSeenGTID returns WSREP_LAST_SEEN_GTID() of q's session: the GTID
// of the last write-set the session saw, its own writes included. Call it
// on the connection (*sql.Conn or *sql.Tx after commit) that wrote.
func LastSeenGTID(ctx context.Context, q Querier) (GTID, error) {
	var s string
	if err := scanOne(ctx, q, "SELECT WSREP_LAST_SEEN_GTID()", &s); err != nil {
		return GTID{}, fmt.Errorf("galera: WSREP_LAST_SEEN_GTID(): %w", err)
	}
	return ParseGTID(s)
}

// WaitGTID waits until the node behind q has applied the write-set g,
// with WSREP_SYNC_WAIT_UPTO_GTID(g, timeout): a read on the same
// connection then sees it. timeout is rounded up to whole seconds (at
// least 1); zero means the server's wsrep_sync_wait timeout
// (wsrep_provider_options repl.causal_read_timeout). The server answers
// 1205 (lock wait timeout) when the node did not catch up in time.
func WaitGTID(ctx context.Context, q Querier, g GTID, timeout time.Duration) error {
	query := "SELECT WSREP_SYNC_WAIT_UPTO_GTID('" + g.String() + "')"
	if timeout > 0 {
		secs := int64((timeout + time.Second - 1) / time.Second)
		query = "SELECT WSREP_SYNC_WAIT_UPTO_GTID('" + g.String() + "', " + strconv.FormatInt(secs, 10) + ")"
	}
	var ok int
	if err := scanOne(ctx, q, query, &ok); err != nil {
		return fmt.Errorf("galera: wait for GTID %s: %w", g, err)
	}
	if ok != 1 {
		return fmt.Errorf("galera: wait for GTID %s: WSREP_SYNC_WAIT_UPTO_GTID answered %d", g, ok)
	}
	return nil
}

// scanOne runs a query that answers one row of one column into dst.
func scanOne(ctx context.Context, q Querier, query string, dst any) error {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return errors.New("no row")
	}
	if err := rows.Scan(dst); err != nil {
		return err
	}
	return rows.Close()
}
