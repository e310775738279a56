package vrrp

import "testing"

// Two address owners (priority 255) on one link: the higher primary
// address wins as for any tie (doc.go's differences from keepalived); the
// lower one goes BACKUP, the higher one stays MASTER.
func TestTwoAddressOwnersTieBreak(t *testing.T) {
	owner := func(c *MachineConfig) { c.Priority = OwnerPriority }
	lower := newMaster(t, owner) // its primary is below upperIP
	step(t, lower, from(upperIP, OwnerPriority))
	if lower.State() != StateBackup {
		t.Errorf("owner hearing an owner with a higher address: %v, want BACKUP", lower.State())
	}
	higher := newMaster(t, owner)
	step(t, higher, from(lowerIP, OwnerPriority))
	if higher.State() != StateMaster {
		t.Errorf("owner hearing an owner with a lower address: %v, want MASTER", higher.State())
	}
}
