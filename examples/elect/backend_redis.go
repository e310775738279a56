package main

import (
	"context"
	"fmt"
	"time"

	"github.com/hakit/hakit"
	"github.com/hakit/hakit/cache"
	"github.com/redis/go-redis/v9"
)

func init() { backends["redis"] = openRedisLease }

// redisKeyPrefix is prepended to -name to make the record's Redis key; the
// token counter is that key + ":token".
const redisKeyPrefix = "hakit:elect:"

// openRedisLease opens a cache.RedisLease on the Redis master at addr
// (host:port) for the lease called name, after checking that addr answers.
func openRedisLease(ctx context.Context, addr, name string) (hakit.Lease, func() error, error) {
	c := redis.NewClient(&redis.Options{
		Addr: addr,
		// Calls end at their ctx's deadline (cache.RedisLease also returns
		// at once when a ctx ends, this frees the connection too): the
		// Elector bounds a renewal by the RenewDeadline and the release on
		// SIGTERM by the same, so a Redis that stops answering cannot hold
		// the exit past the contract's 5 s, as go-redis' ReadTimeout (3 s)
		// times its retries would.
		ContextTimeoutEnabled: true,
		DialTimeout:           time.Second,
	})
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		return nil, nil, fmt.Errorf("redis %s: %w", addr, err)
	}
	l, err := cache.NewRedisLease(cache.RedisLeaseConfig{Client: c, Key: redisKeyPrefix + name})
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	return l, c.Close, nil
}
