package mongo

import "fmt"

// MemberState is a replica-set member's state, as replSetGetStatus reports
// it in members[].state (MongoDB manual, "Replica Set Member States").
type MemberState int

// The member states and their numbers on the wire.
const (
	StateStartup    MemberState = 0
	StatePrimary    MemberState = 1
	StateSecondary  MemberState = 2
	StateRecovering MemberState = 3
	StateStartup2   MemberState = 5
	StateUnknown    MemberState = 6
	StateArbiter    MemberState = 7
	StateDown       MemberState = 8
	StateRollback   MemberState = 9
	StateRemoved    MemberState = 10
)

var stateNames = map[MemberState]string{
	StateStartup:    "STARTUP",
	StatePrimary:    "PRIMARY",
	StateSecondary:  "SECONDARY",
	StateRecovering: "RECOVERING",
	StateStartup2:   "STARTUP2",
	StateUnknown:    "UNKNOWN",
	StateArbiter:    "ARBITER",
	StateDown:       "DOWN",
	StateRollback:   "ROLLBACK",
	StateRemoved:    "REMOVED",
}

// String returns the state's stateStr, as mongod prints it.
func (s MemberState) String() string {
	if n, ok := stateNames[s]; ok {
		return n
	}
	return fmt.Sprintf("MemberState(%d)", int(s))
}

// Valid reports whether s is one of the documented states.
func (s MemberState) Valid() bool {
	_, ok := stateNames[s]
	return ok
}

// DataBearing reports whether a member in state s holds data that counts
// toward a w:"majority" acknowledgement: a primary or a secondary.
func (s MemberState) DataBearing() bool { return s == StatePrimary || s == StateSecondary }
