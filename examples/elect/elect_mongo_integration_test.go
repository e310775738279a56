//go:build integration

package main

import (
	"testing"

	"github.com/hakit/hakit/internal/testenv"
)

// TestElectMongo runs the three-process scenario (SIGSTOP, SIGCONT and
// SIGTERM of the leader) on a mongo.Lease in the real FerretDB.
func TestElectMongo(t *testing.T) {
	runElectScenario(t, "mongo", testenv.FerretDB(t)+"hakit_test")
}
