package galeratest

import (
	"bufio"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"

	"github.com/hakit/hakit/galera"
)

// view is a node's place in the membership, set by the Cluster.
type view struct {
	members []string // addresses of the component's members
	alive   bool
	primary bool
	size    int
	index   int64
	confID  int64
}

// Fault is what a node does to the next statements that touch data
// (anything but SHOW, SET, USE and SELECT without a table), instead of
// answering normally. See Node.Inject.
type Fault struct {
	// Code, when non-zero, answers the statement with this MySQL error
	// without executing it (1213: certification failure; 1047: node not
	// ready; 1205: lock wait timeout).
	Code    uint16
	Message string // the error text; empty means a generic one
	// Drop closes the connection without answering. The client sees a
	// lost connection (go-sql-driver: driver.ErrBadConn or
	// mysql.ErrInvalidConn).
	Drop bool
	// Hang holds the answer until the client closes the connection, as a
	// server waiting on a lock or a stalled commit does; the client sees
	// its own timeout or its context's end.
	Hang bool
	// AfterExec, with Drop or Hang, executes the statement first: an
	// autocommit write or a COMMIT takes effect, and the client cannot
	// know it did.
	AfterExec bool
}

// Node is one fake Galera node. Its methods script what a test needs: the
// wsrep state it reports, failures of the process (Kill, Freeze) and of
// single statements (Inject). They are safe for concurrent use.
type Node struct {
	cluster *Cluster
	index   int
	addr    string

	mu       sync.Mutex
	ln       net.Listener
	conns    map[net.Conn]struct{}
	killed   bool
	frozen   bool
	thaw     chan struct{}
	isolated bool
	view     view
	// settings a client changes with SET GLOBAL
	desync, readOnly, donorRejects bool
	reject                         galera.RejectQueries
	override                       func(*galera.NodeState)
	rowsEdit                       func(status, variables map[string]string)
	faults                         []Fault
	hook                           func(query string) Fault
	lagged                         *store        // PauseApply's copy; nil while applying
	applied                        chan struct{} // closed by ResumeApply
	queries                        []string
	connID                         uint32
	accepted                       int
}

// Addr returns the node's address, "127.0.0.1:port".
func (n *Node) Addr() string { return n.addr }

// Index returns the node's index in its Cluster.
func (n *Node) Index() int { return n.index }

func (n *Node) String() string { return fmt.Sprintf("node%d(%s)", n.index, n.addr) }

func (n *Node) isKilled() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.killed
}

func (n *Node) isIsolated() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.isolated
}

func (n *Node) setView(v view) {
	n.mu.Lock()
	n.view = v
	n.mu.Unlock()
}

// State returns the wsrep state the node reports now: derived from the
// membership (Synced in a Primary component, Initialized and non-Primary
// outside one), from what clients SET GLOBAL (wsrep_desync, read_only,
// wsrep_reject_queries, wsrep_sst_donor_rejects_queries), then edited by
// the function given to SetState.
func (n *Node) State() galera.NodeState {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.stateLocked()
}

func (n *Node) stateLocked() galera.NodeState {
	v := n.view
	s := galera.NodeState{
		Node: n.addr, Connected: v.alive, ClusterSize: int64(v.size), LocalIndex: v.index, ConfID: v.confID,
		Desync: n.desync, ReadOnly: n.readOnly, RejectQueries: n.reject, SSTDonorRejectsQueries: n.donorRejects,
		LocalStateUUID: n.cluster.uuid, LastCommitted: int64(n.cluster.store.committed.Load()),
	}
	switch {
	case !v.alive:
		s.ClusterStatus, s.LocalState, s.LocalIndex, s.ConfID = galera.ClusterStatusDisconnected, galera.LocalStateInitialized, -1, -1
	case v.primary:
		s.ClusterStatus, s.Ready, s.LocalState = galera.ClusterStatusPrimary, true, galera.LocalStateSynced
		s.IncomingAddresses = strings.Join(v.members, ",")
		s.ClusterStateUUID = n.cluster.uuid
		if n.desync {
			s.LocalState = galera.LocalStateDonor
		}
	default:
		s.ClusterStatus, s.LocalState = galera.ClusterStatusNonPrimary, galera.LocalStateInitialized
	}
	s.LocalStateComment = s.LocalState.String()
	if n.override != nil {
		n.override(&s)
	}
	return s
}

// SetState installs f to edit the state the node reports, after the
// membership and SET GLOBAL settings are applied; nil removes it. The
// node acts on the edited state: not Ready, not Primary or rejecting
// queries refuses data statements with 1047, ReadOnly refuses writes with
// 1290.
func (n *Node) SetState(f func(*galera.NodeState)) {
	n.mu.Lock()
	n.override = f
	n.mu.Unlock()
}

// SetRows installs f to edit the raw rows the node answers to SHOW
// GLOBAL STATUS and SHOW GLOBAL VARIABLES, after SetState; nil removes it.
// Tests use it to make a node answer garbage (an unknown
// wsrep_cluster_status, a missing wsrep_local_state); the node itself
// keeps acting on its State.
func (n *Node) SetRows(f func(status, variables map[string]string)) {
	n.mu.Lock()
	n.rowsEdit = f
	n.mu.Unlock()
}

// Inject makes the next count data statements on this node (on any of its
// connections) fail as f says. The zero Fault lets a statement pass: inject
// it to fail a later statement (say, the COMMIT after an UPDATE).
func (n *Node) Inject(count int, f Fault) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for range count {
		n.faults = append(n.faults, f)
	}
}

// Hook makes the node call f with every data statement it receives (on
// any connection, placeholders of prepared statements shown as ?) before
// it executes it, and apply the Fault f returns; the zero Fault lets the
// statement run. Injected faults come first. f runs on the connection's
// goroutine and may block, which delays that answer (a slow node). Nil
// removes the hook.
func (n *Node) Hook(f func(query string) Fault) {
	n.mu.Lock()
	n.hook = f
	n.mu.Unlock()
}

func (n *Node) nextFault(q string) (Fault, bool) {
	n.mu.Lock()
	if len(n.faults) == 0 {
		hook := n.hook
		n.mu.Unlock()
		if hook == nil {
			return Fault{}, false
		}
		return hook(q), true
	}
	defer n.mu.Unlock()
	f := n.faults[0]
	n.faults = n.faults[1:]
	return f, true
}

// Queries returns the data statements the node executed, in order, with
// placeholders of prepared statements shown as ?.
func (n *Node) Queries() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.queries...)
}

// ResetQueries forgets the recorded statements.
func (n *Node) ResetQueries() {
	n.mu.Lock()
	n.queries = nil
	n.mu.Unlock()
}

// Conns returns the number of open client connections.
func (n *Node) Conns() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.conns)
}

// Accepted returns the number of client connections accepted so far.
func (n *Node) Accepted() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.accepted
}

// Kill stops the node as kill -9 does: its port refuses connections, its
// connections close without an answer, and the other nodes recompute the
// membership at once.
func (n *Node) Kill() {
	n.ResumeApply() // a killed node holds no statement waiting
	n.mu.Lock()
	if n.killed {
		n.mu.Unlock()
		return
	}
	n.killed = true
	ln := n.ln
	n.ln = nil
	conns := n.conns
	n.conns = map[net.Conn]struct{}{}
	if n.frozen {
		n.frozen = false
		close(n.thaw)
	}
	n.mu.Unlock()
	if ln != nil {
		ln.Close()
	}
	for c := range conns {
		c.Close()
	}
	n.cluster.recompute()
}

// Restart brings a killed node back on the same address; it rejoins the
// cluster Synced at once (the fake has no state transfer). It also clears
// the node's SET GLOBAL settings, as a restarted mysqld does.
func (n *Node) Restart() error {
	n.mu.Lock()
	if !n.killed {
		n.mu.Unlock()
		return nil
	}
	n.mu.Unlock()
	var ln net.Listener
	if !n.cluster.cfg.InMemory {
		var err error
		if ln, err = net.Listen("tcp", n.addr); err != nil {
			return fmt.Errorf("galeratest: restart %s: %w", n.addr, err)
		}
	}
	n.mu.Lock()
	n.killed = false
	n.ln = ln
	n.desync, n.readOnly, n.donorRejects, n.reject = false, false, false, galera.RejectQueriesNone
	n.faults = nil
	n.mu.Unlock()
	n.cluster.recompute()
	if ln != nil {
		n.startAccepting(ln)
	}
	return nil
}

// Freeze stops the node as SIGSTOP does: it keeps accepting TCP
// connections but sends no handshake, and its open connections answer
// nothing, until Thaw. Membership does not change (a real cluster evicts
// a stopped node after evs.suspect_timeout; call Isolate for that).
func (n *Node) Freeze() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.frozen {
		n.frozen = true
		n.thaw = make(chan struct{})
	}
}

// Thaw resumes a frozen node.
func (n *Node) Thaw() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.frozen {
		n.frozen = false
		close(n.thaw)
	}
}

// Isolate cuts the node off from the other nodes (not from clients): both
// sides recompute the membership. Heal reconnects it.
func (n *Node) Isolate() {
	n.mu.Lock()
	n.isolated = true
	n.mu.Unlock()
	n.cluster.recompute()
}

// Heal reconnects an isolated node to the others.
func (n *Node) Heal() {
	n.mu.Lock()
	n.isolated = false
	n.mu.Unlock()
	n.cluster.recompute()
}

// waitThawed blocks while the node is frozen; it returns false if the node
// was killed meanwhile.
func (n *Node) waitThawed() bool {
	for {
		n.mu.Lock()
		frozen, ch, killed := n.frozen, n.thaw, n.killed
		n.mu.Unlock()
		if killed {
			return false
		}
		if !frozen {
			return true
		}
		<-ch
	}
}

func (n *Node) stop() {
	n.ResumeApply()
	n.mu.Lock()
	ln := n.ln
	n.ln = nil
	n.killed = true
	conns := n.conns
	n.conns = map[net.Conn]struct{}{}
	if n.frozen {
		n.frozen = false
		close(n.thaw)
	}
	n.mu.Unlock()
	if ln != nil {
		ln.Close()
	}
	for c := range conns {
		c.Close()
	}
}

func (n *Node) startAccepting(ln net.Listener) {
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n.mu.Lock()
			if n.killed || n.ln != ln {
				n.mu.Unlock()
				c.Close()
				return
			}
			n.conns[c] = struct{}{}
			n.accepted++
			n.connID++
			id := n.connID
			n.mu.Unlock()
			go n.serve(c, id)
		}
	}()
}

// dialPipe opens an in-memory connection served by the node.
func (n *Node) dialPipe() (net.Conn, error) {
	n.mu.Lock()
	if n.killed {
		n.mu.Unlock()
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	}
	client, server := net.Pipe()
	n.conns[server] = struct{}{}
	n.accepted++
	n.connID++
	id := n.connID
	n.mu.Unlock()
	go n.serve(server, id)
	return client, nil
}

func (n *Node) dropConn(c net.Conn) {
	n.mu.Lock()
	delete(n.conns, c)
	n.mu.Unlock()
	c.Close()
}

// rows returns SHOW GLOBAL STATUS and SHOW GLOBAL VARIABLES as the node
// answers them.
func (n *Node) rows() (status, variables map[string]string) {
	st := n.State()
	status, variables = st.Rows()
	variables["wsrep_on"] = "ON"
	variables["max_allowed_packet"] = "16777216"
	variables["autocommit"] = "ON"
	variables["version"] = "10.11.0-MariaDB-galeratest"
	variables["wsrep_node_address"] = n.addr
	status["wsrep_provider_name"] = "Galera"
	n.mu.Lock()
	edit := n.rowsEdit
	n.mu.Unlock()
	if edit != nil {
		edit(status, variables)
	}
	return status, variables
}

// variable answers SELECT @@name; booleans read as 1 or 0 as in MariaDB.
func (n *Node) variable(name string) (value, bool) {
	_, vars := n.rows()
	v, ok := vars[name]
	if !ok {
		return value{}, false
	}
	switch v {
	case "ON":
		return intValue(1), true
	case "OFF":
		return intValue(0), true
	}
	if x, ok := stringValue(v).asInt(); ok {
		return intValue(x), true
	}
	return stringValue(v), true
}

func (n *Node) isGlobalOnly(name string) bool {
	switch name {
	case "wsrep_desync", "read_only", "wsrep_reject_queries", "wsrep_sst_donor_rejects_queries", "wsrep_provider_options":
		return true
	}
	return false
}

// setGlobal applies SET GLOBAL name = v, issued on the client connection
// self.
func (n *Node) setGlobal(name string, v value, self net.Conn) error {
	var kill []net.Conn
	n.mu.Lock()
	var err error
	switch name {
	case "wsrep_desync":
		n.desync, err = boolSetting(name, v)
	case "read_only":
		n.readOnly, err = boolSetting(name, v)
	case "wsrep_sst_donor_rejects_queries":
		n.donorRejects, err = boolSetting(name, v)
	case "wsrep_reject_queries":
		switch strings.ToUpper(v.String()) {
		case "NONE", "0":
			n.reject = galera.RejectQueriesNone
		case "ALL", "1":
			n.reject = galera.RejectQueriesAll
		case "ALL_KILL", "2":
			n.reject = galera.RejectQueriesAllKill
			for c := range n.conns {
				if c != self {
					kill = append(kill, c)
				}
			}
		default:
			err = &sqlError{1231, "42000", fmt.Sprintf("Variable '%s' can't be set to the value of '%s'", name, v.String())}
		}
	case "wsrep_provider_options":
		opt := strings.ToLower(strings.ReplaceAll(v.String(), " ", ""))
		if opt == "pc.bootstrap=yes" || opt == "pc.bootstrap=1" || opt == "pc.bootstrap=true" {
			n.mu.Unlock()
			return n.cluster.Bootstrap(n.index)
		}
	}
	n.mu.Unlock()
	// ALL_KILL kills the other client connections, as MariaDB does; the
	// issuing one gets its answer, and its next statement is rejected.
	for _, c := range kill {
		go func() { n.dropConn(c) }()
	}
	return err
}

// serve runs one client connection.
func (n *Node) serve(nc net.Conn, id uint32) {
	defer n.dropConn(nc)
	if !n.waitThawed() {
		return
	}
	pc := &packetConn{r: bufio.NewReader(nc), w: bufio.NewWriter(nc)}
	salt := make([]byte, 20)
	_, _ = rand.Read(salt)
	for i := range salt {
		salt[i] = salt[i]%94 + 33 // printable, never NUL
	}
	if pc.writePacket(handshakePacket(id, salt)) != nil || pc.flush() != nil {
		return
	}
	p, err := pc.readPacket()
	if err != nil {
		return
	}
	hr, err := parseHandshakeResponse(p)
	sess := &session{node: n, connID: id, conn: nc, st: n.cluster.store}
	switch {
	case err != nil:
		_ = pc.writePacket(errPacket(1043, "08S01", "Bad handshake"))
		_ = pc.flush()
		return
	case hr.plugin != "" && hr.plugin != "mysql_native_password" || hr.user != n.cluster.cfg.User || !passwordMatches(salt, hr.auth, n.cluster.cfg.Password):
		_ = pc.writePacket(errPacket(1045, "28000", fmt.Sprintf("Access denied for user '%s'@'localhost' (using password: %s)", hr.user, yesNo(len(hr.auth) > 0))))
		_ = pc.flush()
		return
	}
	sess.foundRows = hr.caps&capFoundRows != 0
	if hr.hasDB && hr.db != "" {
		n.cluster.store.mu.Lock()
		_, ok := n.cluster.store.dbs[strings.ToLower(hr.db)]
		n.cluster.store.mu.Unlock()
		if !ok {
			_ = pc.writePacket(errPacket(1049, "42000", fmt.Sprintf("Unknown database '%s'", hr.db)))
			_ = pc.flush()
			return
		}
		sess.db = hr.db
	}
	if pc.writePacket(okPacket(0, 0, statusAutocommit)) != nil || pc.flush() != nil {
		return
	}
	stmts := map[uint32]string{}
	var nextStmt uint32
	for {
		p, err := pc.readPacket()
		if err != nil || len(p) == 0 {
			return
		}
		if !n.waitThawed() {
			return
		}
		var keep bool
		switch p[0] {
		case comQuit:
			return
		case comPing, comResetConn:
			keep = pc.writePacket(okPacket(0, 0, sess.status())) == nil
		case comInitDB:
			keep = n.answer(pc, sess, "USE `"+strings.ReplaceAll(string(p[1:]), "`", "``")+"`", nil, false)
		case comQuery:
			keep = n.answer(pc, sess, string(p[1:]), nil, false)
		case comStmtPrepare:
			nextStmt++
			q := string(p[1:])
			stmts[nextStmt] = q
			keep = writePrepareOK(pc, nextStmt, countParams(q))
		case comStmtExecute:
			r := &reader{b: p[1:]}
			sid := r.uint32()
			q, ok := stmts[sid]
			if !ok {
				keep = pc.writePacket(errPacket(1243, "HY000", "Unknown prepared statement handler given to mysqld_stmt_execute")) == nil
				break
			}
			params, err := decodeExecute(r, countParams(q))
			if err != nil {
				keep = pc.writePacket(errPacket(1210, "HY000", "Incorrect arguments to mysqld_stmt_execute")) == nil
				break
			}
			keep = n.answer(pc, sess, q, params, true)
		case comStmtClose:
			delete(stmts, (&reader{b: p[1:]}).uint32())
			continue // no answer
		case comStmtReset:
			keep = pc.writePacket(okPacket(0, 0, sess.status())) == nil
		default:
			keep = pc.writePacket(errPacket(1047, "08S01", "Unknown command")) == nil
		}
		if !keep || pc.flush() != nil {
			return
		}
		if n.State().RejectQueries == galera.RejectQueriesAllKill {
			return
		}
	}
}

func yesNo(b bool) string {
	if b {
		return "YES"
	}
	return "NO"
}

func writePrepareOK(pc *packetConn, id uint32, nparams int) bool {
	b := []byte{0, byte(id), byte(id >> 8), byte(id >> 16), byte(id >> 24), 0, 0, byte(nparams), byte(nparams >> 8), 0, 0, 0}
	if pc.writePacket(b) != nil {
		return false
	}
	if nparams > 0 {
		for range nparams {
			if pc.writePacket(columnDef("?", typeVarString)) != nil {
				return false
			}
		}
		if pc.writePacket(eofPacket(statusAutocommit)) != nil {
			return false
		}
	}
	return true
}

// decodeExecute reads COM_STMT_EXECUTE's parameters after the statement
// id: flags, iteration count, NULL bitmap, types and values.
func decodeExecute(r *reader, nparams int) ([]value, error) {
	r.take(1 + 4)
	if nparams == 0 {
		return nil, r.err
	}
	bitmap := r.take((nparams + 7) / 8)
	if r.byte1() != 1 {
		return nil, errors.New("galeratest: parameters without types")
	}
	types := r.take(2 * nparams)
	if r.err != nil {
		return nil, r.err
	}
	out := make([]value, nparams)
	for i := range nparams {
		if bitmap[i/8]&(1<<(i%8)) != 0 {
			out[i] = value{null: true}
			continue
		}
		out[i] = decodeParam(r, types[2*i], types[2*i+1]&0x80 != 0)
	}
	return out, r.err
}

// answer executes q for sess and writes the answer. It returns false when
// the connection must close.
func (n *Node) answer(pc *packetConn, sess *session, q string, params []value, binary bool) bool {
	toks, _ := lex(q)
	kind := classify(toks)
	data := kind != kindAdmin
	if data {
		if f, ok := n.nextFault(q); ok && f != (Fault{}) {
			if (f.Drop || f.Hang) && f.AfterExec {
				n.record(q)
				_, _ = sess.exec(q, params)
			}
			switch {
			case f.Hang:
				_, _ = io.Copy(io.Discard, pc.r) // until the client hangs up
				return false
			case f.Drop:
				return false
			default:
				msg := f.Message
				if msg == "" {
					msg = fmt.Sprintf("galeratest: injected error %d", f.Code)
				}
				state := "HY000"
				if f.Code == 1213 {
					state = "40001"
				}
				if sess.tx != nil && (f.Code == 1213 || f.Code == 1047) {
					sess.tx = nil // the transaction is rolled back
				}
				return pc.writePacket(errPacket(f.Code, state, msg)) == nil
			}
		}
	}
	if data || len(toks) > 0 && toks[0].kind == tIdent && (strings.EqualFold(toks[0].s, "BEGIN") || strings.EqualFold(toks[0].s, "START") || strings.EqualFold(toks[0].s, "ROLLBACK")) {
		n.record(q)
	}
	res, err := sess.exec(q, params)
	if err != nil {
		var se *sqlError
		if !errors.As(err, &se) {
			se = &sqlError{1105, "HY000", err.Error()}
		}
		return pc.writePacket(errPacket(se.code, se.state, se.msg)) == nil
	}
	return writeResult(pc, res, sess.status(), binary)
}

func (n *Node) record(q string) {
	n.mu.Lock()
	n.queries = append(n.queries, q)
	n.mu.Unlock()
}

func writeResult(pc *packetConn, res *result, status uint16, binary bool) bool {
	if res.cols == nil {
		return pc.writePacket(okPacket(res.affected, res.lastID, status)) == nil
	}
	if pc.writePacket(appendLenenc(nil, uint64(len(res.cols)))) != nil {
		return false
	}
	for i, c := range res.cols {
		if pc.writePacket(columnDef(c, res.types[i])) != nil {
			return false
		}
	}
	if pc.writePacket(eofPacket(status)) != nil {
		return false
	}
	for _, row := range res.rows {
		var b []byte
		if binary {
			b = binaryRow(row, res.types)
		} else {
			b = textRow(row)
		}
		if pc.writePacket(b) != nil {
			return false
		}
	}
	return pc.writePacket(eofPacket(status)) == nil
}
