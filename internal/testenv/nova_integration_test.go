//go:build integration

package testenv_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/hakit/hakit/internal/testenv"
)

// TestNovaSmoke loads every filter and weigher class of Debian's Nova the
// way its scheduler does.
func TestNovaSmoke(t *testing.T) {
	py := testenv.Nova(t)
	out, err := exec.Command(py, "-c", `
from nova.scheduler import filters, weights
print(" ".join(sorted(c.__name__ for c in filters.all_filters())))
print(" ".join(sorted(c.__name__ for c in weights.all_weighers())))
`).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 2 {
		t.Fatalf("unexpected output %q", out)
	}
	filt, weigh := lines[len(lines)-2], lines[len(lines)-1]
	for _, want := range []string{"ComputeFilter", "AvailabilityZoneFilter", "ServerGroupAntiAffinityFilter"} {
		if !strings.Contains(filt, want) {
			t.Errorf("filters %q lack %s", filt, want)
		}
	}
	for _, want := range []string{"RAMWeigher", "CPUWeigher", "DiskWeigher"} {
		if !strings.Contains(weigh, want) {
			t.Errorf("weighers %q lack %s", weigh, want)
		}
	}
}
