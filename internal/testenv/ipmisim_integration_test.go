//go:build integration

package testenv_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/hakit/hakit/internal/testenv"
)

// TestIPMISimSmoke powers the simulated chassis off and on with ipmitool
// and checks that status follows, then asks fence_ipmilan for the status.
func TestIPMISimSmoke(t *testing.T) {
	testenv.Exclusive(t, "ipmisim")
	env := testenv.IPMISim(t)
	t.Cleanup(func() { env.Ipmitool(t, "chassis", "power", "on") })

	if got := env.Ipmitool(t, "chassis", "power", "status"); !strings.HasPrefix(got, "Chassis Power is") {
		t.Fatalf("status: %q", got)
	}
	env.Ipmitool(t, "chassis", "power", "off")
	if got := env.Ipmitool(t, "chassis", "power", "status"); got != "Chassis Power is off" {
		t.Fatalf("after power off: %q", got)
	}
	out, err := exec.Command(testenv.Command(t, "fence_ipmilan"), append(env.FenceArgs(), "-o", "status")...).CombinedOutput()
	// fence-agents exit 2 for "status: off".
	if !strings.Contains(string(out), "Status: OFF") {
		t.Fatalf("fence_ipmilan -o status: %v: %s", err, out)
	}
	env.Ipmitool(t, "chassis", "power", "on")
	if got := env.Ipmitool(t, "chassis", "power", "status"); got != "Chassis Power is on" {
		t.Fatalf("after power on: %q", got)
	}
	out, err = exec.Command(testenv.Command(t, "fence_ipmilan"), append(env.FenceArgs(), "-o", "status")...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Status: ON") {
		t.Fatalf("fence_ipmilan -o status: %v: %s", err, out)
	}
}
