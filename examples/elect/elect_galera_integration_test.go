//go:build integration

package main

import (
	"testing"

	"github.com/hakit/hakit/internal/testenv"
)

// Three elect processes on a galera.Lease in the real cluster: the
// shared scenario suspends the leader past its lease, resumes it and
// terminates it.
func TestElectGalera(t *testing.T) {
	g := testenv.Galera(t)
	runElectScenario(t, "galera", g.DSN(0, g.Database(t)))
}
