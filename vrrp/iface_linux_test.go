package vrrp_test

import (
	"strings"
	"testing"

	"github.com/hakit/hakit/vrrp"
)

// InterfaceUp asks netlink: the loopback interface is up (operational
// state UNKNOWN, as for any interface without carrier detection), and a
// missing interface is a failure naming it. A down interface is tested in
// a namespace (TestInterfaceTrackingInNamespace, -tags integration).
func TestInterfaceUp(t *testing.T) {
	if err := vrrp.InterfaceUp("lo").Check(t.Context()); err != nil {
		t.Errorf("lo: %v", err)
	}
	err := vrrp.InterfaceUp("hk-missing0").Check(t.Context())
	if err == nil || !strings.Contains(err.Error(), "hk-missing0") || !strings.HasPrefix(err.Error(), "vrrp: ") {
		t.Errorf("missing interface: %v", err)
	}
}
