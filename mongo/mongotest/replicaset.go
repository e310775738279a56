package mongotest

import (
	"bufio"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/hakit/hakit/mongo"
)

// Member is the scripted state of one member of a ReplicaSet.
type Member struct {
	// State is what the member reports as its own state, and what the
	// others report for it while it is up.
	State mongo.MemberState
	// Down makes the member unreachable: it closes every connection at
	// once, and the others report it with health 0 and state DOWN.
	Down bool
	// Lag is how far its last applied write is behind the newest one.
	Lag time.Duration
	// SyncSource is the index of the member it replicates from; -1 means
	// none. Start sets every secondary's to the primary.
	SyncSource int
	// HeartbeatAge is how long ago the others last heard from it.
	HeartbeatAge time.Duration
	// Hidden leaves it out of every member's hosts and passives, and
	// marks its own hello hidden (MongoDB manual, "Hidden Replica Set
	// Members").
	Hidden bool
	// Passive (priority 0) lists it under passives instead of hosts.
	Passive bool
	// NonVoting (votes: 0) leaves it out of the voters that
	// replSetGetStatus counts; mongod requires priority 0 of such a
	// member, so set Passive or Hidden too.
	NonVoting bool
	// Tags are its replica-set tags, reported in its own hello.
	Tags map[string]string
}

// ReplicaSet is a scripted replica set: one loopback listener per member,
// each answering the commands a driver's monitoring and this package's
// checkers send (hello and the legacy isMaster, also over OP_QUERY;
// replSetGetStatus; ping; buildInfo; endSessions) from the members' current
// scripted states, in the shapes mongod documents. Other commands fail
// with code 59 CommandNotFound.
type ReplicaSet struct {
	name  string
	lns   []net.Listener
	addrs []string
	wg    sync.WaitGroup
	reqID atomic.Int32

	mu       sync.Mutex
	members  []Member
	term     int64
	elected  []time.Time // election date per member
	version  int64
	closed   bool
	conns    map[net.Conn]bool
	commands map[string]int
	handlers map[string]Handler
	accepted int
}

// Handler answers one command for a member: it gets the member's index
// and the command document and returns the reply document (which should
// carry ok). It is called on the connection's goroutine, without the
// set's lock, so it may call the set's methods.
type Handler func(member int, cmd bson.Raw) bson.D

// Start starts a set named name with n members on loopback: member 0
// PRIMARY, the others SECONDARY replicating from it, all up and current.
func Start(name string, n int) (*ReplicaSet, error) {
	if name == "" {
		return nil, errors.New("mongotest: set name is empty")
	}
	if n < 1 || n > 50 {
		return nil, fmt.Errorf("mongotest: %d members; a replica set has 1 to 50", n)
	}
	rs := &ReplicaSet{name: name, term: 1, version: 1, conns: map[net.Conn]bool{}, commands: map[string]int{}, handlers: map[string]Handler{}}
	now := time.Now()
	for i := range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			rs.Close()
			return nil, err
		}
		rs.lns = append(rs.lns, ln)
		rs.addrs = append(rs.addrs, ln.Addr().String())
		m := Member{State: mongo.StateSecondary, SyncSource: 0}
		if i == 0 {
			m = Member{State: mongo.StatePrimary, SyncSource: -1}
		}
		rs.members = append(rs.members, m)
		rs.elected = append(rs.elected, now)
	}
	for i, ln := range rs.lns {
		rs.wg.Go(func() { rs.serve(i, ln) })
	}
	return rs, nil
}

// Name returns the set's name.
func (rs *ReplicaSet) Name() string { return rs.name }

// Addr returns member i's host:port, its name in the set.
func (rs *ReplicaSet) Addr(i int) string { return rs.addrs[i] }

// URI returns a connection string for the whole set, with replicaSet=
// and a short heartbeat so the driver sees scripted changes quickly.
func (rs *ReplicaSet) URI() string {
	return "mongodb://" + strings.Join(rs.addrs, ",") + "/?replicaSet=" + rs.name + "&heartbeatFrequencyMS=500&serverSelectionTimeoutMS=2000"
}

// MemberURI returns a connection string for member i alone
// (directConnection=true), as a per-member checker uses.
func (rs *ReplicaSet) MemberURI(i int) string {
	return "mongodb://" + rs.addrs[i] + "/?directConnection=true&serverSelectionTimeoutMS=2000"
}

// Members returns a copy of the members' scripted states.
func (rs *ReplicaSet) Members() []Member {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return append([]Member(nil), rs.members...)
}

// Commands returns how many times each command was received, by name.
func (rs *ReplicaSet) Commands() map[string]int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	out := map[string]int{}
	for k, v := range rs.commands {
		out[k] = v
	}
	return out
}

// Handle makes h answer the command named cmd (case-insensitive) on every
// member, in place of the built-in answer or CommandNotFound: a hook for
// commands the set does not script, such as a write that fails with
// NotWritablePrimary. A nil h removes the handler.
func (rs *ReplicaSet) Handle(cmd string, h Handler) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if h == nil {
		delete(rs.handlers, strings.ToLower(cmd))
		return
	}
	rs.handlers[strings.ToLower(cmd)] = h
}

// Accepted returns how many connections the members have accepted,
// those closed at once by a down member included.
func (rs *ReplicaSet) Accepted() int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.accepted
}

// Set replaces member i's state. A member that comes up as PRIMARY starts
// a new term with a new election, as a real election does; the previous
// primary, if still PRIMARY, becomes SECONDARY.
func (rs *ReplicaSet) Set(i int, m Member) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if m.State == mongo.StatePrimary && !m.Down && rs.members[i].State != mongo.StatePrimary {
		for j := range rs.members {
			if rs.members[j].State == mongo.StatePrimary {
				rs.members[j].State = mongo.StateSecondary
				rs.members[j].SyncSource = i
			}
		}
		rs.term++
		rs.elected[i] = time.Now()
	}
	rs.members[i] = m
	if m.Down {
		for c := range rs.conns {
			if c.LocalAddr().String() == rs.addrs[i] {
				_ = c.Close()
			}
		}
	}
}

// Update calls f with member i's state and stores what f leaves, as Set.
func (rs *ReplicaSet) Update(i int, f func(*Member)) {
	m := rs.Members()[i]
	f(&m)
	rs.Set(i, m)
}

// Close stops every listener and connection and waits for them.
func (rs *ReplicaSet) Close() error {
	rs.mu.Lock()
	rs.closed = true
	for c := range rs.conns {
		_ = c.Close()
	}
	rs.mu.Unlock()
	for _, ln := range rs.lns {
		_ = ln.Close()
	}
	rs.wg.Wait()
	return nil
}

func (rs *ReplicaSet) serve(i int, ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		rs.mu.Lock()
		rs.accepted++
		if rs.closed || rs.members[i].Down {
			rs.mu.Unlock()
			_ = c.Close()
			continue
		}
		rs.conns[c] = true
		rs.mu.Unlock()
		rs.wg.Go(func() {
			defer func() {
				rs.mu.Lock()
				delete(rs.conns, c)
				rs.mu.Unlock()
				_ = c.Close()
			}()
			rs.handle(i, c)
		})
	}
}

func (rs *ReplicaSet) handle(i int, c net.Conn) {
	r := bufio.NewReader(c)
	for {
		b, err := readMessage(r)
		if err != nil {
			return
		}
		req, err := parseMessage(b)
		if err != nil {
			return // mongod closes the connection on a malformed message
		}
		doc, ok := rs.answer(i, req.cmd)
		if !ok {
			return
		}
		if _, err := c.Write(reply(req, rs.reqID.Add(1), doc)); err != nil {
			return
		}
	}
}

// answer returns the reply document to cmd from member i, or false when
// the member is down.
func (rs *ReplicaSet) answer(i int, cmd bson.Raw) ([]byte, bool) {
	elems, err := cmd.Elements()
	if err != nil || len(elems) == 0 {
		return mustMarshal(cmdError(9, "FailedToParse", "empty command")), true
	}
	name := elems[0].Key()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.members[i].Down {
		return nil, false
	}
	rs.commands[name]++
	if h := rs.handlers[strings.ToLower(name)]; h != nil {
		rs.mu.Unlock()
		b, err := bson.Marshal(h(i, cmd))
		rs.mu.Lock()
		if err != nil {
			return mustMarshal(cmdError(1, "InternalError", "mongotest: handler reply: "+err.Error())), true
		}
		return b, true
	}
	now := time.Now()
	var d bson.D
	switch strings.ToLower(name) {
	case "hello", "ismaster":
		d = rs.hello(i, now, name != "hello")
	case "replsetgetstatus":
		d = rs.status(i, now)
	case "ping", "endsessions":
		d = bson.D{{Key: "ok", Value: 1.0}}
	case "buildinfo":
		d = bson.D{{Key: "version", Value: "7.0.0"}, {Key: "versionArray", Value: bson.A{int32(7), int32(0), int32(0), int32(0)}}, {Key: "ok", Value: 1.0}}
	default:
		d = cmdError(59, "CommandNotFound", fmt.Sprintf("no such command: '%s'", name))
	}
	return mustMarshal(d), true
}

func cmdError(code int32, codeName, msg string) bson.D {
	return bson.D{{Key: "ok", Value: 0.0}, {Key: "errmsg", Value: msg}, {Key: "code", Value: code}, {Key: "codeName", Value: codeName}}
}

func mustMarshal(d bson.D) []byte {
	b, err := bson.Marshal(d)
	if err != nil {
		panic("mongotest: " + err.Error()) // the fixtures are built from marshalable types
	}
	return b
}

// primary returns the index of the up member in state PRIMARY, or -1.
func (rs *ReplicaSet) primary() int {
	for j, m := range rs.members {
		if m.State == mongo.StatePrimary && !m.Down {
			return j
		}
	}
	return -1
}

func opTime(t time.Time, term int64) bson.D {
	return bson.D{{Key: "ts", Value: bson.Timestamp{T: uint32(t.Unix()), I: 1}}, {Key: "t", Value: term}}
}

// electionID is the primary's electionId: 7fffffff followed by the term,
// as mongod 4.0 and later make it.
func electionID(term int64) bson.ObjectID {
	var id bson.ObjectID
	copy(id[:], []byte{0x7f, 0xff, 0xff, 0xff})
	for k := range 8 {
		id[4+k] = byte(term >> (56 - 8*k))
	}
	return id
}

// hello is member i's hello reply (MongoDB manual, "hello": the
// replica-set fields, then the limits every server reports). legacy
// replies to isMaster, with ismaster instead of isWritablePrimary.
func (rs *ReplicaSet) hello(i int, now time.Time, legacy bool) bson.D {
	m := rs.members[i]
	p := rs.primary()
	var hosts, passives, arbiters bson.A
	for j, x := range rs.members {
		switch {
		case x.Hidden:
		case x.State == mongo.StateArbiter:
			arbiters = append(arbiters, rs.addrs[j])
		case x.Passive:
			passives = append(passives, rs.addrs[j])
		default:
			hosts = append(hosts, rs.addrs[j])
		}
	}
	writable := m.State == mongo.StatePrimary
	d := bson.D{}
	if legacy {
		d = append(d, bson.E{Key: "ismaster", Value: writable})
	} else {
		d = append(d, bson.E{Key: "isWritablePrimary", Value: writable})
	}
	// No topologyVersion: the driver polls instead of streaming hello.
	d = append(d,
		bson.E{Key: "secondary", Value: m.State == mongo.StateSecondary},
		bson.E{Key: "setName", Value: rs.name},
		bson.E{Key: "setVersion", Value: rs.version},
		bson.E{Key: "hosts", Value: hosts},
	)
	if len(passives) > 0 {
		d = append(d, bson.E{Key: "passives", Value: passives})
	}
	if len(arbiters) > 0 {
		d = append(d, bson.E{Key: "arbiters", Value: arbiters})
	}
	if m.Passive {
		d = append(d, bson.E{Key: "passive", Value: true})
	}
	if m.Hidden {
		d = append(d, bson.E{Key: "hidden", Value: true})
	}
	if len(m.Tags) > 0 {
		tags := bson.D{}
		for _, k := range slices.Sorted(maps.Keys(m.Tags)) {
			tags = append(tags, bson.E{Key: k, Value: m.Tags[k]})
		}
		d = append(d, bson.E{Key: "tags", Value: tags})
	}
	if m.State == mongo.StateArbiter {
		d = append(d, bson.E{Key: "arbiterOnly", Value: true})
	}
	if p >= 0 {
		d = append(d, bson.E{Key: "primary", Value: rs.addrs[p]})
	}
	d = append(d, bson.E{Key: "me", Value: rs.addrs[i]})
	if writable {
		d = append(d, bson.E{Key: "electionId", Value: electionID(rs.term)})
	}
	last := now.Add(-m.Lag).Truncate(time.Millisecond)
	d = append(d,
		bson.E{Key: "lastWrite", Value: bson.D{
			{Key: "opTime", Value: opTime(last, rs.term)},
			{Key: "lastWriteDate", Value: last},
			{Key: "majorityOpTime", Value: opTime(last, rs.term)},
			{Key: "majorityWriteDate", Value: last},
		}},
		bson.E{Key: "maxBsonObjectSize", Value: int32(16 * 1024 * 1024)},
		bson.E{Key: "maxMessageSizeBytes", Value: int32(maxMessage)},
		bson.E{Key: "maxWriteBatchSize", Value: int32(100000)},
		bson.E{Key: "localTime", Value: now},
		bson.E{Key: "logicalSessionTimeoutMinutes", Value: int32(30)},
		bson.E{Key: "connectionId", Value: rs.reqID.Load()},
		bson.E{Key: "minWireVersion", Value: int32(0)},
		bson.E{Key: "maxWireVersion", Value: int32(21)},
		bson.E{Key: "readOnly", Value: false},
		bson.E{Key: "ok", Value: 1.0},
	)
	return d
}

// status is member i's replSetGetStatus reply (MongoDB manual,
// "replSetGetStatus"), members seen from i: a down member has health 0 and
// state DOWN.
func (rs *ReplicaSet) status(i int, now time.Time) bson.D {
	now = now.Truncate(time.Millisecond)
	self := rs.members[i]
	p := rs.primary()
	// Every member but the NonVoting ones votes; arbiters bear no data.
	// writeMajorityCount is the smaller of the voting majority and the
	// data-bearing voters, as mongod computes it.
	voters, writable := 0, 0
	for _, m := range rs.members {
		if m.NonVoting {
			continue
		}
		voters++
		if m.State != mongo.StateArbiter {
			writable++
		}
	}
	majority := voters/2 + 1
	var members bson.A
	for j, m := range rs.members {
		state, health := m.State, 1.0
		if m.Down {
			state, health = mongo.StateDown, 0.0
		}
		last := now.Add(-m.Lag)
		md := bson.D{
			{Key: "_id", Value: int32(j)},
			{Key: "name", Value: rs.addrs[j]},
			{Key: "health", Value: health},
			{Key: "state", Value: int32(state)},
			{Key: "stateStr", Value: state.String()},
			{Key: "uptime", Value: int32(3600)},
			{Key: "optime", Value: opTime(last, rs.term)},
			{Key: "optimeDurable", Value: opTime(last, rs.term)},
			{Key: "optimeDate", Value: last},
			{Key: "optimeDurableDate", Value: last},
		}
		if j != i {
			hb, sent := now.Add(-m.HeartbeatAge), now.Add(-m.HeartbeatAge)
			if m.Down {
				// mongod stamps a failed heartbeat's time too
				// (MemberData::setDownValues), with health 0.
				sent = now
			}
			md = append(md,
				bson.E{Key: "lastHeartbeat", Value: sent},
				bson.E{Key: "lastHeartbeatRecv", Value: hb},
				bson.E{Key: "pingMs", Value: int64(1)},
			)
		}
		src := ""
		if m.SyncSource >= 0 && m.SyncSource < len(rs.addrs) && m.State == mongo.StateSecondary {
			src = rs.addrs[m.SyncSource]
		}
		md = append(md, bson.E{Key: "syncSourceHost", Value: src})
		if m.State == mongo.StatePrimary && !m.Down {
			md = append(md, bson.E{Key: "electionDate", Value: rs.elected[j].Truncate(time.Millisecond)})
		}
		md = append(md,
			bson.E{Key: "configVersion", Value: int32(rs.version)},
			bson.E{Key: "configTerm", Value: rs.term},
		)
		if j == i {
			md = append(md, bson.E{Key: "self", Value: true})
		}
		members = append(members, md)
	}
	committed := now
	if p < 0 {
		committed = now.Add(-time.Minute)
	}
	src := ""
	if self.SyncSource >= 0 && self.SyncSource < len(rs.addrs) && self.State == mongo.StateSecondary {
		src = rs.addrs[self.SyncSource]
	}
	return bson.D{
		{Key: "set", Value: rs.name},
		{Key: "date", Value: now},
		{Key: "myState", Value: int32(self.State)},
		{Key: "term", Value: rs.term},
		{Key: "syncSourceHost", Value: src},
		{Key: "heartbeatIntervalMillis", Value: int64(2000)},
		{Key: "majorityVoteCount", Value: int32(majority)},
		{Key: "writeMajorityCount", Value: int32(min(majority, writable))},
		{Key: "votingMembersCount", Value: int32(voters)},
		{Key: "writableVotingMembersCount", Value: int32(writable)},
		{Key: "optimes", Value: bson.D{
			{Key: "lastCommittedOpTime", Value: opTime(committed, rs.term)},
			{Key: "lastCommittedWallTime", Value: committed},
			{Key: "appliedOpTime", Value: opTime(now.Add(-self.Lag), rs.term)},
			{Key: "durableOpTime", Value: opTime(now.Add(-self.Lag), rs.term)},
		}},
		{Key: "members", Value: members},
		{Key: "ok", Value: 1.0},
	}
}
