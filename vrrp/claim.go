package vrrp

import (
	"fmt"
	"sync"
)

// vridKey is what keepalived refuses to share between two instances: one
// VRID on one interface, family and kind of destination (unicast peers
// and the multicast group are separate spaces).
type vridKey struct {
	iface   string
	v6      bool
	unicast bool
	vrid    uint8
}

var claims struct {
	sync.Mutex
	m map[vridKey]bool
}

// claimVRID reserves a VRID for a Router that opens its own raw link, or
// says which Router of this process has it. release frees it.
func claimVRID(iface string, v6, unicast bool, vrid uint8) (release func(), err error) {
	k := vridKey{iface, v6, unicast, vrid}
	claims.Lock()
	defer claims.Unlock()
	if claims.m[k] {
		fam, dst := "IPv4", "multicast"
		if v6 {
			fam = "IPv6"
		}
		if unicast {
			dst = "unicast"
		}
		return nil, fmt.Errorf("vrrp: router %s VRID %d: another Router of this process runs VRID %d over %s %s on %s: %w",
			iface, vrid, vrid, fam, dst, iface, ErrInvalidConfig)
	}
	if claims.m == nil {
		claims.m = map[vridKey]bool{}
	}
	claims.m[k] = true
	return func() {
		claims.Lock()
		defer claims.Unlock()
		delete(claims.m, k)
	}, nil
}
