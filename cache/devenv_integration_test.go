//go:build integration

package cache

import "testing"

func memcachedAddrs(t *testing.T) []string {
	return []string{"127.0.0.1:11311", "127.0.0.1:11312", "127.0.0.1:11313", "127.0.0.1:11314"}
}
