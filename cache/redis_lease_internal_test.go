package cache

import (
	"strings"
	"testing"
)

// Scripts that read TIME and then write must replicate their effects, not
// their source: Redis before 5 refuses the write otherwise (Redis 7 does
// so always and ignores the call).
func TestRedisLeaseScriptsReplicateEffects(t *testing.T) {
	if !strings.HasPrefix(strings.TrimSpace(allocate), "redis.replicate_commands()") {
		t.Errorf("lease scripts do not start with redis.replicate_commands():\n%s", allocate)
	}
}
