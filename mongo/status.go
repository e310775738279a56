package mongo

import (
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Member is one members[] entry of replSetGetStatus (MongoDB manual,
// "replSetGetStatus"), as the member that answered sees it.
type Member struct {
	ID                int         `bson:"_id"`
	Name              string      `bson:"name"`
	Health            float64     `bson:"health"` // 1 up, 0 down, as seen by the answering member
	State             MemberState `bson:"state"`
	StateStr          string      `bson:"stateStr"`
	Optime            OpTime      `bson:"optime"`
	OptimeDurable     OpTime      `bson:"optimeDurable"`
	OptimeDate        time.Time   `bson:"optimeDate"`
	LastHeartbeat     time.Time   `bson:"lastHeartbeat"`
	LastHeartbeatRecv time.Time   `bson:"lastHeartbeatRecv"`
	PingMs            int64       `bson:"pingMs"`
	SyncSourceHost    string      `bson:"syncSourceHost"`
	ElectionDate      time.Time   `bson:"electionDate"`
	ConfigVersion     int64       `bson:"configVersion"`
	ConfigTerm        int64       `bson:"configTerm"`
	Self              bool        `bson:"self"`
}

// ReplSetStatus is the reply of replSetGetStatus.
type ReplSetStatus struct {
	Set                        string      `bson:"set"`
	Date                       time.Time   `bson:"date"`
	MyState                    MemberState `bson:"myState"`
	Term                       int64       `bson:"term"`
	SyncSourceHost             string      `bson:"syncSourceHost"`
	HeartbeatIntervalMillis    int64       `bson:"heartbeatIntervalMillis"`
	MajorityVoteCount          int         `bson:"majorityVoteCount"`
	WriteMajorityCount         int         `bson:"writeMajorityCount"`
	VotingMembersCount         int         `bson:"votingMembersCount"`
	WritableVotingMembersCount int         `bson:"writableVotingMembersCount"`
	Optimes                    struct {
		LastCommittedOpTime   OpTime    `bson:"lastCommittedOpTime"`
		LastCommittedWallTime time.Time `bson:"lastCommittedWallTime"`
		AppliedOpTime         OpTime    `bson:"appliedOpTime"`
		DurableOpTime         OpTime    `bson:"durableOpTime"`
	} `bson:"optimes"`
	Members []Member `bson:"members"`
}

type replSetWire struct {
	ReplSetStatus `bson:",inline"`
	OK            float64 `bson:"ok"`
	Code          int32   `bson:"code"`
	ErrMsg        string  `bson:"errmsg"`
	CodeName      string  `bson:"codeName"`
}

// ParseReplSetStatus decodes a replSetGetStatus reply. A reply with ok: 0
// is a *CommandError (code 76 NoReplicationEnabled on a standalone mongod,
// 59 CommandNotFound on FerretDB), which also wraps ErrNoReplicaSet for
// those two codes.
func ParseReplSetStatus(raw []byte) (ReplSetStatus, error) {
	var w replSetWire
	if err := bson.Unmarshal(raw, &w); err != nil {
		return ReplSetStatus{}, &ParseError{Command: "replSetGetStatus", Err: err}
	}
	if w.OK != 1 {
		ce := &CommandError{Command: "replSetGetStatus", Code: w.Code, CodeName: w.CodeName, Message: w.ErrMsg}
		if w.Code == 76 || w.Code == 59 {
			return ReplSetStatus{}, fmt.Errorf("%w: %w", ErrNoReplicaSet, ce)
		}
		return ReplSetStatus{}, ce
	}
	s := w.ReplSetStatus
	bad := func(field string, format string, a ...any) error {
		return &ParseError{Command: "replSetGetStatus", Field: field, Err: fmt.Errorf(format, a...)}
	}
	switch {
	case s.Set == "":
		return ReplSetStatus{}, bad("set", "missing")
	case len(s.Members) == 0:
		return ReplSetStatus{}, bad("members", "empty")
	case !s.MyState.Valid():
		return ReplSetStatus{}, bad("myState", "%d is no member state", int(s.MyState))
	}
	names := map[string]bool{}
	selves := 0
	for i, m := range s.Members {
		field := fmt.Sprintf("members[%d]", i)
		switch {
		case m.Name == "":
			return ReplSetStatus{}, bad(field+".name", "missing")
		case names[m.Name]:
			return ReplSetStatus{}, bad(field+".name", "%q appears twice", m.Name)
		case !m.State.Valid():
			return ReplSetStatus{}, bad(field+".state", "%d is no member state", int(m.State))
		case m.Health != 0 && m.Health != 1:
			return ReplSetStatus{}, bad(field+".health", "%v is neither 0 nor 1", m.Health)
		}
		names[m.Name] = true
		if m.Self {
			selves++
		}
	}
	if selves > 1 {
		return ReplSetStatus{}, bad("members", "%d members marked self", selves)
	}
	return s, nil
}

// Self returns the member that answered, if the reply marks one.
func (s ReplSetStatus) Self() (Member, bool) {
	for _, m := range s.Members {
		if m.Self {
			return m, true
		}
	}
	return Member{}, false
}

// Primary returns the member in state PRIMARY, if any. With more than one
// (a stale primary not yet stepped down, as seen by this member) it
// returns the one with the latest election date.
func (s ReplSetStatus) Primary() (Member, bool) {
	var p Member
	found := false
	for _, m := range s.Members {
		if m.State == StatePrimary && m.Health == 1 && (!found || m.ElectionDate.After(p.ElectionDate)) {
			p, found = m, true
		}
	}
	return p, found
}

// Lag returns how far m's last applied write is behind the primary's, by
// their optimeDate, and false when there is no primary. A member ahead
// of the primary (a write it has not rolled back yet) has lag 0.
func (s ReplSetStatus) Lag(m Member) (time.Duration, bool) {
	p, ok := s.Primary()
	if !ok {
		return 0, false
	}
	return max(p.OptimeDate.Sub(m.OptimeDate), 0), true
}

// Majority returns the number of data-bearing members that must
// acknowledge a w:"majority" write: writeMajorityCount when the server
// reports it (MongoDB 4.4 and later). Older servers required a majority of
// all voting members, arbiters included (majorityVoteCount where
// reported), so that a set with arbiters could need more acknowledgements
// than it had data-bearing members; without either count every member is
// taken to vote.
func (s ReplSetStatus) Majority() int {
	if s.WriteMajorityCount > 0 {
		return s.WriteMajorityCount
	}
	if s.MajorityVoteCount > 0 {
		return s.MajorityVoteCount
	}
	return len(s.Members)/2 + 1
}

// Writable returns the members that can acknowledge a write now: healthy
// and PRIMARY or SECONDARY.
func (s ReplSetStatus) Writable() []Member {
	var w []Member
	for _, m := range s.Members {
		if m.Health == 1 && m.State.DataBearing() {
			w = append(w, m)
		}
	}
	return w
}

// MajorityWritable reports whether a w:"majority" write can succeed now:
// a primary exists and at least Majority() voting members can acknowledge
// it. replSetGetStatus does not say which members vote, only how many
// data-bearing ones do (writableVotingMembersCount, MongoDB 4.4 and
// later); the healthy members are counted as if every non-voting member
// (votes: 0) were among them, so with non-voters in the set the verdict
// can err towards not writable, never towards writable.
// ReplicaSetStatus.MajorityWritable, which also has hello's list of
// members that may vote, is exact more often.
func (s ReplSetStatus) MajorityWritable() error {
	return s.majorityWritable(func(Member) bool { return true })
}

// majorityWritable is MajorityWritable where only the members for which
// mayNotVote is true can be the non-voting ones.
func (s ReplSetStatus) majorityWritable(mayNotVote func(Member) bool) error {
	if _, ok := s.Primary(); !ok {
		return ErrNoPrimary
	}
	w := s.Writable()
	n, need := len(w), s.Majority()
	if s.WritableVotingMembersCount > 0 {
		data := 0
		for _, m := range s.Members {
			if m.State != StateArbiter {
				data++
			}
		}
		suspects := 0
		for _, m := range w {
			if mayNotVote(m) {
				suspects++
			}
		}
		n -= min(max(data-s.WritableVotingMembersCount, 0), suspects)
	}
	if n < need {
		return fmt.Errorf("%w: %d voting data-bearing members can acknowledge, %d needed", ErrNoMajority, n, need)
	}
	return nil
}

// StaleHeartbeats returns the members (other than the one answering) last
// heard from more than d before the reply's date: by the heartbeat they
// sent (lastHeartbeatRecv) or, while they are healthy, by the answer to
// one sent to them (lastHeartbeat). mongod stamps lastHeartbeat on a
// failed heartbeat too, with health 0, so for a member that is down only
// lastHeartbeatRecv says when it was last heard from.
func (s ReplSetStatus) StaleHeartbeats(d time.Duration) []Member {
	var stale []Member
	for _, m := range s.Members {
		if m.Self {
			continue
		}
		last := m.LastHeartbeatRecv
		if m.Health == 1 && m.LastHeartbeat.After(last) {
			last = m.LastHeartbeat
		}
		if s.Date.Sub(last) > d {
			stale = append(stale, m)
		}
	}
	return stale
}

// InStates returns the members in any of states, in members[] order.
func (s ReplSetStatus) InStates(states ...MemberState) []Member {
	var out []Member
	for _, m := range s.Members {
		for _, st := range states {
			if m.State == st {
				out = append(out, m)
				break
			}
		}
	}
	return out
}

// ErrSyncLoop is wrapped by SyncChain when sync sources form a cycle or
// name a host that is not a member.
var ErrSyncLoop = errors.New("mongo: sync-source chain does not reach the primary")

// SyncChain returns the hosts m replicates through, from its sync source
// to the primary: ["b:27017", "a:27017"] when m syncs from b, which syncs
// from the primary a. The primary's chain is empty. A secondary with no
// sync source, a cycle or an unknown host is an error wrapping
// ErrSyncLoop, with the chain so far.
func (s ReplSetStatus) SyncChain(m Member) ([]string, error) {
	byName := map[string]Member{}
	for _, x := range s.Members {
		byName[x.Name] = x
	}
	var chain []string
	seen := map[string]bool{m.Name: true}
	for cur := m; cur.State != StatePrimary; {
		next := cur.SyncSourceHost
		if next == "" {
			return chain, fmt.Errorf("%w: %s has no sync source", ErrSyncLoop, cur.Name)
		}
		x, ok := byName[next]
		if !ok {
			return chain, fmt.Errorf("%w: %s syncs from %s, not a member", ErrSyncLoop, cur.Name, next)
		}
		if seen[next] {
			return chain, fmt.Errorf("%w: %s syncs from %s, a cycle", ErrSyncLoop, cur.Name, next)
		}
		seen[next] = true
		chain = append(chain, next)
		cur = x
	}
	return chain, nil
}
