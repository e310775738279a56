package quorum

import "fmt"

// Policy is Pacemaker's no-quorum-policy: what a partition without quorum
// does with its resources.
type Policy int

const (
	PolicyStop    Policy = iota // "stop", Pacemaker's default: stop all resources in the partition
	PolicyFreeze                // "freeze": keep managing what runs here, recover nothing from elsewhere
	PolicyIgnore                // "ignore": carry on as if quorate
	PolicyDemote                // "demote": demote promoted instances, stop the rest
	PolicySuicide               // "suicide" (Pacemaker 2.1 calls it "fence"): fence every node of the partition, this one included
)

var policyNames = []string{"stop", "freeze", "ignore", "demote", "suicide"}

func (p Policy) String() string {
	if p >= 0 && int(p) < len(policyNames) {
		return policyNames[p]
	}
	return fmt.Sprintf("Policy(%d)", int(p))
}

// ParsePolicy reads a no-quorum-policy value; "fence" is "suicide".
func ParsePolicy(s string) (Policy, error) {
	if s == "fence" {
		return PolicySuicide, nil
	}
	for i, n := range policyNames {
		if n == s {
			return Policy(i), nil
		}
	}
	return 0, fmt.Errorf("quorum: unknown no-quorum-policy %q (want one of %v or fence)", s, policyNames)
}

// Decision says what a partition may do.
type Decision struct {
	Start     bool // start or restart resources on this partition's nodes
	Recover   bool // take over resources from nodes outside the partition
	Fence     bool // fence nodes outside the partition
	Stop      bool // stop every resource in the partition
	Demote    bool // demote promoted resources
	SelfFence bool // fence this partition's own nodes (stop feeding the watchdog)
}

// Decide applies policy p to a partition that is quorate or not. A
// quorate partition does everything; without quorum the policy decides,
// as Pacemaker's Pacemaker Explained describes no-quorum-policy.
func Decide(p Policy, quorate bool) Decision {
	if quorate || p == PolicyIgnore {
		return Decision{Start: true, Recover: true, Fence: true}
	}
	switch p {
	case PolicyFreeze:
		return Decision{Start: true}
	case PolicyDemote:
		return Decision{Demote: true, Stop: true}
	case PolicySuicide:
		return Decision{Stop: true, SelfFence: true}
	}
	return Decision{Stop: true}
}
