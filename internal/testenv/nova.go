package testenv

import (
	"context"
	"fmt"
	"os/exec"
	"testing"
	"time"
)

// Nova returns the Python interpreter, /usr/bin/python3, that imports
// Debian's Nova scheduler (python3-nova: nova.scheduler.filters and
// nova.scheduler.weights), after checking that it does; or fails t naming
// `scripts/services.sh up nova`. Nothing runs, so there is no lock.
func Nova(t testing.TB) string {
	t.Helper()
	const python = "/usr/bin/python3"
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, python, "-c", "import nova.scheduler.filters, nova.scheduler.weights").CombinedOutput()
	if err != nil {
		fatalDown(t, "nova", fmt.Errorf("%s cannot import nova.scheduler.filters: %v: %s", python, err, out))
	}
	return python
}
