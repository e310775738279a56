package cache

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hakit/hakit"
	"github.com/redis/go-redis/v9"
)

// ErrNotReplicated is wrapped by RedisLease errors when a write was applied
// on the master but WAIT saw fewer replicas acknowledge it than
// RedisLeaseConfig.WaitReplicas within WaitTimeout. The outcome counts as
// unknown (the write may be lost in a failover); an Elector retries.
var ErrNotReplicated = errors.New("cache: redis lease write not acknowledged by enough replicas")

// MaxRedisToken is the largest fencing token a RedisLease stores: tokens
// pass through Lua numbers (doubles) in Redis scripts, exact up to 2^53.
// Tokens made from Redis' clock in microseconds reach it in the year 2255.
const MaxRedisToken = 1<<53 - 1

// RedisLeaseConfig configures a RedisLease.
type RedisLeaseConfig struct {
	// Client is the Redis to store the lease in: a *redis.Client on the
	// master, or the one redis.NewFailoverClient returns, which follows
	// Sentinel's failovers. Required.
	Client redis.UniversalClient
	// Key is the Redis key of the record (a hash); the token counter is
	// at Key + ":token". In Redis Cluster, give Key a hash tag ("{leader}")
	// so both keys share a slot. Required.
	Key string
	// TTL is how long the record lives after each write, so that an
	// abandoned record goes away. Each write sets the key's TTL to the
	// larger of TTL and twice the record's Duration: a key that expired
	// before the Duration ran out would let a newcomer create a record at
	// once instead of waiting out the holder's Duration, and two holders
	// would lead at the same time, decided by Redis' clock rather than the
	// holder's. Zero means twice the Duration (a record with no Duration
	// never expires).
	TTL time.Duration
	// WaitReplicas, if positive, makes every successful write wait until
	// that many replicas acknowledge it (Redis WAIT), and fail with
	// ErrNotReplicated if they do not within WaitTimeout. Zero means no
	// waiting: Redis replicates asynchronously.
	WaitReplicas int
	// WaitTimeout bounds the WAIT, rounded up to a whole millisecond
	// (Redis' unit; WAIT with 0 would block forever). With WaitReplicas
	// set it must be below the client's ReadTimeout, or the client gives
	// up on the connection before WAIT answers. Zero means one second.
	WaitTimeout time.Duration
}

// RedisLease is a hakit.Lease in Redis. The record is a hash written only
// by Lua scripts (atomic on the master): Create sets it if the key does not
// exist (NX), Update replaces it only if every field still equals old (a
// compare-and-set on holder, token and times), and each write sets the
// key's TTL. Fencing tokens come from a counter key that only grows; see
// the package documentation for what a Sentinel failover can lose and why
// the tokens still fence.
type RedisLease struct {
	cfg RedisLeaseConfig
}

var _ hakit.Lease = (*RedisLease)(nil)

// NewRedisLease validates cfg and returns the lease. It does no I/O.
func NewRedisLease(cfg RedisLeaseConfig) (*RedisLease, error) {
	switch {
	case cfg.Client == nil:
		return nil, errors.New("cache: RedisLeaseConfig.Client is nil")
	case cfg.Key == "":
		return nil, errors.New("cache: RedisLeaseConfig.Key is empty")
	case cfg.TTL < 0:
		return nil, fmt.Errorf("cache: RedisLeaseConfig.TTL %v is negative", cfg.TTL)
	case cfg.WaitReplicas < 0:
		return nil, fmt.Errorf("cache: RedisLeaseConfig.WaitReplicas %d is negative", cfg.WaitReplicas)
	case cfg.WaitTimeout < 0:
		return nil, fmt.Errorf("cache: RedisLeaseConfig.WaitTimeout %v is negative", cfg.WaitTimeout)
	}
	if cfg.WaitTimeout == 0 {
		cfg.WaitTimeout = time.Second
	}
	cfg.WaitTimeout = (cfg.WaitTimeout + time.Millisecond - 1).Truncate(time.Millisecond)
	if rt := readTimeout(cfg.Client); cfg.WaitReplicas > 0 && rt > 0 && cfg.WaitTimeout >= rt {
		return nil, fmt.Errorf("cache: RedisLeaseConfig.WaitTimeout %v is not below the client's ReadTimeout %v", cfg.WaitTimeout, rt)
	}
	if _, ok := cfg.Client.(*redis.ClusterClient); ok && cfg.WaitReplicas > 0 {
		// A pipeline on a ClusterClient sends WAIT, which has no key, to
		// a node of its choosing, not necessarily the master that ran the
		// script: the count it returns would be about other writes.
		return nil, errors.New("cache: RedisLeaseConfig.WaitReplicas needs a client on one master: a Redis Cluster client may send WAIT to another node than the write")
	}
	return &RedisLease{cfg: cfg}, nil
}

// call runs f and returns its error, or returns as soon as ctx ends with
// an error wrapping ctx's cause while f finishes on its own. go-redis ends
// a call at its ctx's deadline only with ContextTimeoutEnabled, and never
// at a cancellation; otherwise a call to a Redis that stopped answering (a
// frozen process, a partition) lasts the client's ReadTimeout, and again
// for each of its MaxRetries, whatever the ctx says. A write cut short
// this way may still be applied: callers get an error, and an Elector
// reads the record back before it trusts either outcome.
func (l *RedisLease) call(ctx context.Context, f func() error) error {
	if ctx.Done() == nil {
		return f()
	}
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("redis did not answer before the context ended, the call may still be applied: %w", context.Cause(ctx))
	}
}

// readTimeout returns the read timeout of c's connections, or 0 when there
// is none or it cannot be told.
func readTimeout(c redis.UniversalClient) time.Duration {
	switch c := c.(type) {
	case interface{ Options() *redis.Options }:
		return c.Options().ReadTimeout
	case interface{ Options() *redis.ClusterOptions }:
		return c.Options().ReadTimeout
	}
	return 0
}

// Key returns the Redis key of the record.
func (l *RedisLease) Key() string { return l.cfg.Key }

// CounterKey returns the Redis key of the token counter.
func (l *RedisLease) CounterKey() string { return l.cfg.Key + ":token" }

// allocate is the Lua that makes a new token: one more than the counter,
// at least Redis' clock in microseconds (TIME), at least the token asked
// for. The counter is set to it, so it only grows. Numbers are printed with
// %.0f: Lua's tostring would round them to 14 digits. The scripts read TIME
// before writing, so they replicate their effects rather than their source
// (redis.replicate_commands(); needed before Redis 5, a no-op since 7).
const allocate = `
redis.replicate_commands()
local function newtoken(counter, want)
  local now = redis.call('TIME')
  local t = math.max((tonumber(redis.call('GET', counter)) or 0) + 1,
                     tonumber(now[1]) * 1000000 + tonumber(now[2]),
                     tonumber(want))
  t = string.format('%.0f', t)
  redis.call('SET', counter, t)
  return t
end
local function store(key, ttl, holder, token, acquired, renewed, duration)
  redis.call('HSET', key, 'holder', holder, 'token', token, 'acquired', acquired,
             'renewed', renewed, 'duration', duration)
  if tonumber(ttl) > 0 then
    redis.call('PEXPIRE', key, ttl)
  else
    redis.call('PERSIST', key)
  end
end
`

// createScript: KEYS record, counter; ARGV ttl, holder, token, acquired,
// renewed, duration. Returns the stored token, or nil if the record exists.
var createScript = redis.NewScript(allocate + `
if redis.call('EXISTS', KEYS[1]) == 1 then
  return false
end
local t = newtoken(KEYS[2], ARGV[3])
store(KEYS[1], ARGV[1], ARGV[2], t, ARGV[4], ARGV[5], ARGV[6])
return t
`)

// updateScript: KEYS record, counter; ARGV ttl, allocate (0/1), then the
// old record's five fields and the new record's five fields (holder, token,
// acquired, renewed, duration). Returns the stored token, or nil if the
// stored record is not old.
var updateScript = redis.NewScript(allocate + `
local cur = redis.call('HMGET', KEYS[1], 'holder', 'token', 'acquired', 'renewed', 'duration')
for i = 1, 5 do
  if cur[i] ~= ARGV[2 + i] then
    return false
  end
end
local t = ARGV[9]
if ARGV[2] == '1' then
  t = newtoken(KEYS[2], t)
elseif tonumber(t) > (tonumber(redis.call('GET', KEYS[2])) or 0) then
  redis.call('SET', KEYS[2], t)
end
store(KEYS[1], ARGV[1], ARGV[8], t, ARGV[10], ARGV[11], ARGV[12])
return t
`)

// encodeTime writes t as Unix nanoseconds, the zero time as "".
func encodeTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixNano(), 10)
}

func decodeTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(0, n), nil
}

// fields returns r's five stored fields: holder, token, acquired, renewed,
// duration.
func fields(r hakit.LeaseRecord) []any {
	return []any{r.Holder, strconv.FormatUint(r.Token, 10), encodeTime(r.Acquired), encodeTime(r.Renewed), strconv.FormatInt(int64(r.Duration), 10)}
}

// canonical returns r as it reads back from Redis (times to the nanosecond
// in the local zone, no monotonic reading).
func canonical(r hakit.LeaseRecord) hakit.LeaseRecord {
	a, _ := decodeTime(encodeTime(r.Acquired))
	n, _ := decodeTime(encodeTime(r.Renewed))
	r.Acquired, r.Renewed = a, n
	return r
}

func (l *RedisLease) ttl(r hakit.LeaseRecord) int64 {
	// Never below the Duration; see RedisLeaseConfig.TTL.
	ttl := max(l.cfg.TTL, 2*r.Duration)
	if ttl <= 0 {
		return 0
	}
	return max(ttl.Milliseconds(), 1)
}

func (l *RedisLease) errorf(op string, err error) error {
	return fmt.Errorf("cache: redis lease %q: %s: %w", l.cfg.Key, op, err)
}

// Get implements hakit.Lease.
func (l *RedisLease) Get(ctx context.Context) (hakit.LeaseRecord, error) {
	var vals []any
	err := l.call(ctx, func() (err error) {
		vals, err = l.cfg.Client.HMGet(ctx, l.cfg.Key, "holder", "token", "acquired", "renewed", "duration").Result()
		return err
	})
	if err != nil {
		return hakit.LeaseRecord{}, l.errorf("get", err)
	}
	if vals[0] == nil {
		return hakit.LeaseRecord{}, l.errorf("get", hakit.ErrNoLease)
	}
	var s [5]string
	for i, v := range vals {
		str, ok := v.(string)
		if !ok {
			return hakit.LeaseRecord{}, l.errorf("get", fmt.Errorf("field %d of the record is missing", i))
		}
		s[i] = str
	}
	r := hakit.LeaseRecord{Holder: s[0]}
	var errs [4]error
	r.Token, errs[0] = strconv.ParseUint(s[1], 10, 64)
	r.Acquired, errs[1] = decodeTime(s[2])
	r.Renewed, errs[2] = decodeTime(s[3])
	var d int64
	d, errs[3] = strconv.ParseInt(s[4], 10, 64)
	r.Duration = time.Duration(d)
	if err := errors.Join(errs[:]...); err != nil {
		return hakit.LeaseRecord{}, l.errorf("get", fmt.Errorf("malformed record: %w", err))
	}
	return r, nil
}

// Create implements hakit.Lease. The stored token is a new one from the
// counter: at least r.Token, above every token this key's counter gave.
func (l *RedisLease) Create(ctx context.Context, r hakit.LeaseRecord) (hakit.LeaseRecord, error) {
	if r.Token > MaxRedisToken {
		return hakit.LeaseRecord{}, l.errorf("create", fmt.Errorf("token %d exceeds %d", r.Token, uint64(MaxRedisToken)))
	}
	args := append([]any{l.ttl(r)}, fields(r)...)
	return l.write(ctx, "create", createScript, args, r)
}

// Update implements hakit.Lease. A record for a new holder, or with a token
// above old's, gets a new token from the counter (at least r.Token); a
// renewal or a release keeps r.Token.
func (l *RedisLease) Update(ctx context.Context, old, r hakit.LeaseRecord) (hakit.LeaseRecord, error) {
	if r.Token > MaxRedisToken {
		return hakit.LeaseRecord{}, l.errorf("update", fmt.Errorf("token %d exceeds %d", r.Token, uint64(MaxRedisToken)))
	}
	alloc := "0"
	if r.Token > old.Token || (r.Holder != old.Holder && r.Holder != "") {
		alloc = "1"
	}
	args := append([]any{l.ttl(r), alloc}, fields(old)...)
	args = append(args, fields(r)...)
	return l.write(ctx, "update", updateScript, args, r)
}

// write runs script and, if WaitReplicas is set, WAIT on the same
// connection (WAIT counts the writes of its own connection).
func (l *RedisLease) write(ctx context.Context, op string, script *redis.Script, args []any, r hakit.LeaseRecord) (hakit.LeaseRecord, error) {
	keys := []string{l.Key(), l.CounterKey()}
	var res *redis.Cmd
	var wait *redis.Cmd
	var err error
	if cerr := l.call(ctx, func() error {
		if l.cfg.WaitReplicas == 0 {
			res = script.Run(ctx, l.cfg.Client, keys, args...)
			err = res.Err()
			return nil
		}
		_, err = l.cfg.Client.Pipelined(ctx, func(p redis.Pipeliner) error {
			res = script.Eval(ctx, p, keys, args...)
			wait = p.Do(ctx, "WAIT", l.cfg.WaitReplicas, l.cfg.WaitTimeout.Milliseconds())
			return nil
		})
		if errors.Is(err, redis.Nil) {
			err = nil // the script's nil: a conflict, seen below
		}
		return nil
	}); cerr != nil {
		return hakit.LeaseRecord{}, l.errorf(op, cerr)
	}
	tok, rerr := res.Text()
	switch {
	case errors.Is(rerr, redis.Nil):
		return hakit.LeaseRecord{}, l.errorf(op, hakit.ErrLeaseConflict)
	case rerr != nil:
		return hakit.LeaseRecord{}, l.errorf(op, rerr)
	case err != nil:
		return hakit.LeaseRecord{}, l.errorf(op, err)
	}
	stored := canonical(r)
	if stored.Token, err = strconv.ParseUint(tok, 10, 64); err != nil {
		return hakit.LeaseRecord{}, l.errorf(op, fmt.Errorf("script returned token %q", tok))
	}
	if wait != nil {
		n, err := wait.Int64()
		if err != nil {
			return hakit.LeaseRecord{}, l.errorf(op, err)
		}
		if n < int64(l.cfg.WaitReplicas) {
			return hakit.LeaseRecord{}, l.errorf(op, fmt.Errorf("%d of %d replicas within %v: %w", n, l.cfg.WaitReplicas, l.cfg.WaitTimeout, ErrNotReplicated))
		}
	}
	return stored, nil
}
