//go:build integration

package main

import (
	"testing"

	"github.com/hakit/hakit/internal/testenv"
)

// TestElectRedis runs the three-process scenario (SIGSTOP, SIGCONT and
// SIGTERM of the leader) on a cache.RedisLease in the real Redis master.
func TestElectRedis(t *testing.T) {
	env := testenv.Redis(t)
	runElectScenario(t, "redis", env.Master)
}
