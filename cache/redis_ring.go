package cache

import (
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// RedisRingHash returns a function for go-redis' RingOptions.NewConsistentHash
// that shards keys as nutcracker shards a Redis pool ("redis: true") with
// cfg's servers, hash and distribution, so that the keys a Go service
// writes through a redis.Ring are where nutcracker puts them:
//
//	hash, err := cache.RedisRingHash(cache.RingConfig{Servers: servers, HashTag: "{}"})
//	ring := redis.NewRing(&redis.RingOptions{Addrs: addrs, NewConsistentHash: hash})
//
// The shard names in RingOptions.Addrs are each server's Name, or its Addr
// when it has none. go-redis hands the hash only the shards it finds up and
// rebuilds it as they come and go; the Ring it builds keeps the others
// ejected, as nutcracker's auto_eject_hosts does (Ring.WithLive). A shard
// name that is not one of cfg's servers gets no keys.
//
// cfg.Mode must be ModeTwemproxy and cfg.HashTag "{}": go-redis always
// hashes only the text between the first "{" and the next "}" of a key
// (its hashtag.Key), which equals nutcracker's hash_tag "{}", so the pool
// must have that hash_tag for keys with braces to agree.
func RedisRingHash(cfg RingConfig) (func(shards []string) redis.ConsistentHash, error) {
	if cfg.Mode != ModeTwemproxy {
		return nil, fmt.Errorf("cache: RingConfig.Mode %v: nutcracker's Redis pools are ModeTwemproxy", cfg.Mode)
	}
	if cfg.HashTag != "{}" {
		return nil, fmt.Errorf("cache: RingConfig.HashTag %q: go-redis' Ring always applies the hash tag {}, so the pool and the RingConfig must have it", cfg.HashTag)
	}
	if cfg.Distribution == DistRendezvous {
		return nil, errors.New("cache: RingConfig.Distribution rendezvous: nutcracker has no such distribution")
	}
	ring, err := NewRing(cfg)
	if err != nil {
		return nil, err
	}
	names := make(map[string]int, ring.Len())
	for i := range ring.Len() {
		names[shardName(ring.Server(i))] = i
	}
	return func(shards []string) redis.ConsistentHash {
		up := make([]bool, ring.Len())
		for _, s := range shards {
			if i, ok := names[s]; ok {
				up[i] = true
			}
		}
		return redisRingHash{ring: ring.WithLive(func(i int) bool { return up[i] })}
	}, nil
}

// shardName is the name a server's shard has in RingOptions.Addrs.
func shardName(s Server) string {
	if s.Name != "" {
		return s.Name
	}
	return s.Addr
}

// redisRingHash is a redis.ConsistentHash on a Ring.
type redisRingHash struct{ ring *Ring }

// Get returns the shard name of key's server, or "" when no server is up
// (go-redis then reports that no shard is available).
func (h redisRingHash) Get(key string) string {
	i := h.ring.IndexString(key)
	if i < 0 {
		return ""
	}
	return shardName(h.ring.Server(i))
}
