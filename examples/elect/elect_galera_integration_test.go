//go:build integration

package main

import (
	"testing"

	"github.com/hakit/hakit/internal/testenv"
)

// Three elect processes on a galera.Lease in the real cluster, each
// through a different node: the shared scenario suspends the leader past
// its lease, resumes it and terminates it. Every Update is certified
// against the others' from other nodes, and every Get must see the last
// one wherever it was committed (wsrep_sync_wait=1).
func TestElectGalera(t *testing.T) {
	g := testenv.Galera(t)
	db := g.Database(t)
	runElectScenarioOn(t, "galera", []string{g.DSN(0, db), g.DSN(1, db), g.DSN(2, db)})
}
