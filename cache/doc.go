// Package cache is the cache tier of an HA deployment: memcached pools that
// every controller shares, and Redis under Sentinel.
//
// # Key placement: the same answer as nutcracker and libmemcached
//
// A Ring places keys on memcached servers exactly as the tools operators
// already run do, so that a Go service, a Python service on pylibmc and a
// nutcracker (twemproxy) proxy in front of the same servers agree on every
// key:
//
//   - ModeTwemproxy is nutcracker 0.5 with "distribution: ketama" (or
//     modula) and any of its hashes (md5, fnv1a_64 – its default –, and
//     one_at_a_time, crc16, crc32, crc32a, fnv1_64, fnv1_32, fnv1a_32,
//     hsieh, murmur, jenkins), hash_tag included, servers named
//     ("host:port:weight name") or not.
//   - ModeLibmemcached is libmemcached with MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED
//     (pylibmc's behaviors={"ketama_weighted": True}), or with
//     MEMCACHED_DISTRIBUTION_MODULA and md5 (DistModula).
//
// The facts that make the answers equal for every key, checked against
// nutcracker's and libmemcached's sources and tested against both (below):
//
//  1. A server is hashed under its name: the twemproxy name if it has one,
//     else the host exactly as written (no DNS) plus ":port", or the host
//     alone when the port is 11211.
//  2. Its ketama points are floor(((w/total)*160)/4 * live) * 4, computed in
//     C float with one rounding per operation: exact arithmetic gives other
//     counts for about 1% of weight sets (weights 11, 51, 58 give the third
//     server 228 points, not 232). libmemcached weights points even when
//     every weight is 1.
//  3. md5("<name>-<i>") gives four points, the little-endian words of the
//     digest; points are sorted by value, ties by server order; a key goes
//     to the first point at or above its hash, wrapping.
//  4. nutcracker sorts its servers by name (shorter first) and refuses two
//     of the same name; its fnv1a_64 is a 32-bit hash (offset 0x84222325,
//     prime 0x1b3) that, like its other hashes, reads bytes as signed C chars;
//     it hashes an empty key as 0 and sends everything to a lone server.
//
// The OpenStack services that share those pools reach them through Python
// clients, and two more modes place keys as they do, dead servers included
// (Ring.WithLive says which are dead):
//
//   - ModePythonMemcached is python-memcached's memcache.Client (oslo.cache's
//     memcache_pool backend, keystonemiddleware's token cache), as Debian's
//     python3-memcache 1.59 ships it: each server repeated weight times in
//     the given order, ((crc32(key) >> 16) & 0x7fff) or 1 modulo their
//     number; while the chosen server is dead, the hash becomes the hash
//     of str(hash) + str(i) for _SERVER_RETRIES (10) tries in all, then the
//     key has no server (ErrNoServers).
//   - ModePymemcache is pymemcache 3.5.2's HashClient (dogpile.cache's
//     pymemcache backend): rendezvous over nodes named "host:port", the
//     score murmur3_32("<node>-<key>") as pymemcache's pure-Python murmur3
//     computes it over a str (one byte per character: its code point &
//     0xff), the highest score winning and a tie going to the greater
//     name; weights are ignored and a dead server is one the client has
//     removed. The key is the str whose UTF-8 encoding the Go side sees;
//     HashClient hashes it without its key_prefix, and a Python bytes key
//     by its repr ("b'...'"), which no Go key matches.
//
// DistRendezvous (weighted rendezvous hashing) is there for services that
// need no interop. Lookups allocate nothing.
//
// # memcached: gomemcache, ejection, health
//
// Selector is a gomemcache memcache.ServerSelector on a Ring. Client wraps
// a gomemcache client and ejects failing servers as nutcracker does with
// auto_eject_hosts: after FailureLimit (2) consecutive failures a server
// leaves the ring, which is rebuilt over the live servers as nutcracker
// rebuilds it (their keys stay put), and after RetryTimeout (30 s) one
// request probes it (version) and puts it back if it answers, where
// nutcracker would send the next request to it whether it answers or not.
// MemcachedChecker is a hakit.Checker. Package
// cachetest is an in-memory memcached on loopback for tests, with failures
// to inject.
//
// # Redis: roles, replication, Sentinel, and a lease
//
// RedisRoleChecker (ROLE) and RedisReplicationChecker (INFO replication:
// replicas online, offset lag, link status) are hakit.Checkers; so is
// SentinelChecker (the master's address and SENTINEL CKQUORUM).
// SentinelWatcher turns Sentinel's pub/sub events (+sdown, +odown,
// +switch-master, +failover-end, ...) into callbacks, next to go-redis'
// FailoverClient, which already follows failovers for traffic.
//
// RedisRingHash makes go-redis' redis.Ring shard keys as nutcracker shards
// a Redis pool (redis: true, hash_tag "{}"), shards that go-redis finds down
// ejected as auto_eject_hosts ejects them, so that a Go service and
// services behind nutcracker find each key on the same instance.
//
// RedisLease is a hakit.Lease: the record is a hash written only by Lua
// scripts, created with NX semantics and a TTL, replaced by compare-and-set
// on all its fields; the fencing token comes from a counter key that only
// grows. To use it:
//
//  1. Open a client on the master, preferably redis.NewFailoverClient, and
//     give NewRedisLease a Key (with a hash tag in Redis Cluster).
//  2. Run a hakit.Elector on it, and pass the token it gives
//     OnStartedLeading with every write to downstream systems.
//  3. Make those systems refuse writes that carry a token lower than the
//     highest they have seen.
//  4. Against partitions, set WaitReplicas >= 1 or configure Redis'
//     min-replicas-to-write and min-replicas-max-lag, as the failure model
//     below explains (with WaitReplicas, writes fail with ErrNotReplicated
//     when fewer replicas acknowledge them).
//
// # Failure model
//
// Ring: equal to nutcracker, libmemcached, python-memcached and pymemcache
// for every key, for the versions tested (nutcracker 0.5.0, libmemcached
// 1.1.4, python3-memcache 1.59, pymemcache 3.5.2), as long as both sides
// agree on which servers are dead; each Python process marks servers dead
// on its own failures, so during a failure they may disagree. It knows nothing
// of DNS, so two spellings of one host are two servers, as they are to
// those tools. Client: like nutcracker, it ejects on connection failures and
// timeouts only (an answer such as SERVER_ERROR keeps the server); while a
// server is out its keys are misses on other servers, and when it returns
// its old values may be stale (nutcracker has the same window); callers
// that need consistency must not use a cache for it. Two clients (or a
// client and a nutcracker) eject independently, so during a failure they
// may place a key differently. A memcached that restarts kills every idle
// connection to it; those count as one failure, not one each, so a server
// already serving again is not ejected (nutcracker, with one connection per
// server, sees one failure too). Concurrent requests that dial while idle
// connections are failing may still add a second failure.
//
// SentinelWatcher: a Sentinel that stops answering without closing the
// connection is given up after at most two PingIntervals of silence (one
// quiet, one waiting for the PING's answer), and the watcher moves on.
// Events published while it was not subscribed are lost, as Sentinel keeps
// no history; with MasterName set, the master's address asked on each
// subscribe turns a missed failover into a +switch-master callback, but
// the other missed events (+sdown, +odown, +failover-end) are not
// recovered. That question also returns the master's config epoch: a
// Sentinel whose epoch is below the highest seen has not yet heard of the
// last failover, and its answer is ignored rather than reported as a
// switch back to the old master (TestSentinelWatcherIgnoresStaleEpoch).
//
// Redis replicates asynchronously. When Sentinel fails a master over, the
// promoted replica may lack the last writes the old master acknowledged:
// the lease record (a holder may find its renewal gone, or an old holder's
// record back) and increments of the token counter. Two holders may
// therefore both believe they lead for a while (the old one until its
// RenewDeadline passes, if it cannot reach the new master); the lease alone
// cannot prevent that, which is why writes must carry the token. Tokens
// granted before a failover stay below those granted after it: each new
// token is at least the Redis server's clock in microseconds (TIME) as
// well as one more than the counter, so a token the new master grants
// exceeds every token the old one granted before it lost its role, unless
// the two hosts' clocks differ by more than the time the failover took
// (Sentinel's down-after-milliseconds, 30 s by default, plus the
// election). WAIT narrows the loss but, as Redis documents, does not make
// Redis strongly consistent.
//
// A partition is worse than a crash. A master cut off from its Sentinels
// and replicas does not know it was replaced: with WaitReplicas 0 it keeps
// accepting writes until the partition heals and Sentinel turns it into a
// replica (which discards them). Meanwhile clients on its side of the
// partition renew the old holder's record there, or grant new tokens from
// its counter and clock, interleaved with the new master's: a token from
// the old master may be higher than one the new master granted earlier,
// so downstream systems may refuse the new leader in favour of the old
// one's side. Tokens then do not say which side is the real leader, only
// that no two writes carry the same token. To bound this, configure one of
// (or both):
//
//   - min-replicas-to-write N and min-replicas-max-lag S on the master and
//     on every replica that may be promoted: a master with fewer than N
//     replicas that acknowledged within S seconds refuses writes
//     (NOREPLICAS), so an isolated master stops renewing leases and
//     granting tokens about S seconds after the partition. Replication
//     stays asynchronous: writes of those last S seconds may still be lost
//     in the failover.
//   - WaitReplicas >= 1 (and Sentinel's quorum on the majority side): a
//     write succeeds only when that many replicas acknowledged it, so an
//     isolated master's writes fail with ErrNotReplicated, which an
//     Elector treats as a failed renewal, and its holder stops leading by
//     its RenewDeadline. The write is still applied on the isolated master
//     (WAIT cannot undo it), and a failover may promote a replica that did
//     not acknowledge it; WAIT guarantees only that the acknowledged
//     replicas received the write. How many to wait for: a master cut off
//     with k replicas on its side still gets WAIT k acknowledged while the
//     Sentinels on the other side promote another replica
//     (TestRedisLeaseWaitOnAMinoritySide: WAIT 1 succeeds with one of two
//     replicas frozen, WAIT 2 fails). The acknowledging replicas must
//     overlap every replica Sentinel can promote: WaitReplicas equal to
//     all the replicas does so always; WaitReplicas such that the master
//     and that many replicas are a majority of the data nodes does so only
//     if Sentinel's quorum can form only on the side holding a majority of
//     the data nodes (a Sentinel beside each data node, none elsewhere).
//     Waiting for all replicas makes every write fail while one is down.
//
// Every call returns when its ctx ends, even when Redis does not answer (a
// frozen process, a partition): go-redis honours a ctx's deadline only
// with ContextTimeoutEnabled and a cancellation never, so RedisLease waits
// for the answer on a goroutine of its own, which ends within the client's
// timeouts; set ContextTimeoutEnabled so that the connection is freed at
// the deadline too. A write cut short may still be applied.
//
// maxmemory: the record and the counter are ordinary keys. Under an
// allkeys-* eviction policy Redis may evict either when memory runs out;
// volatile-* policies may evict the record, which has a TTL, but not the
// counter, which has none; an evicted record lets a newcomer lead at once,
// and an evicted counter is covered by the clock floor, as in a failover.
// Use noeviction (Redis' default), or a Redis that holds no cache data.
// In Redis Cluster, give Key a hash tag; NewRedisLease refuses WaitReplicas
// on a ClusterClient, whose pipeline may send WAIT, which has no key, to
// another node than the write.
//
// With either, and synchronized clocks, downstream systems that refuse
// lower tokens refuse the old holder once the new master grants a token.
// Tokens stay below 2^53 (MaxRedisToken: Lua numbers are doubles), which a
// microsecond clock reaches in the year 2255.
//
// Expiry depends on Redis' clock, not the holders'. The record's key
// expires by the master's clock (and a promoted replica's, which keeps
// the remaining TTL), so RedisLease sets each key's TTL to at least twice
// the record's Duration: the key outlives the holder's own deadline unless
// Redis' clock runs more than twice as fast as the holder's, or jumps
// forward by more than the Duration (a step of the wall clock on the
// master, which Redis uses for expiry). Then the key may vanish early and a
// newcomer creates a record without waiting out the old holder's Duration,
// and two holders lead at once until the old one's RenewDeadline passes;
// the fencing token still refuses the old holder's writes downstream.
//
// # Tests and figures
//
// go test ./cache/... needs nothing installed (cachetest, miniredis). Under
// the integration tag, with scripts/services.sh up memcached nutcracker
// redis: random server sets (subsets, order, names, host spellings, random
// weights, a dead 11211 server) and random keys of 1 to 250 bytes,
// UTF-8 or not, are written through a real nutcracker for every hash and
// found on the memcached the Ring names, for ketama and modula; 300 random
// server sets of 1 to 12 servers on 127.0.0.x with 400 random keys each are
// placed by libmemcached itself (ctypes on libmemcached.so.11,
// testdata/libmemcached_ring.py) and must match; 300 random server lists
// (weights, dead servers, all dead) with 300 random keys each, bytes or
// UTF-8 text, are placed by python-memcached's Client and pymemcache's
// HashClient themselves (testdata/python_clients_ring.py) and must match
// the Ring and a Selector on it; a real memcached is
// stopped and restarted behind a Client; RedisLease passes
// hakittest.TestLease on the real master, and hands a newcomer a greater
// token after its record and counter are deleted; and a Sentinel failover (the
// master killed) is seen by a SentinelWatcher while the lease goes on with
// a higher token; GETs for random keys, tagged or not, reach the same
// real Redis instance (seen with MONITOR) through a nutcracker in redis
// mode and through a redis.Ring with RedisRingHash, for three hashes.
//
// Benchmarks compare with Go peers in the same run (go test -run '^$'
// -bench . ./cache/ on a shared 2-core Xeon, where figures vary by ±50%
// with load): a lookup on 10 servers takes about 160 ns with md5
// (serialx/hashring, a libketama-style ring: 270 ns and 4 allocations)
// and 75-110 ns with fnv1a_64, 0 allocations; with crc32a keys 150 ns
// against groupcache's consistenthash at 125 ns and 1 allocation;
// rendezvous on 10 servers 105 ns against dgryski/go-rendezvous at 85 ns;
// Selector.PickServer 85 ns against gomemcache's ServerList (CRC-32
// modulo) at 47 ns. Adding an 11th server moves 9.1% (md5), 9.9%
// (fnv1a_64) and 9.0% (rendezvous) of keys, removing one 9.9%, 9.5% and
// 9.1%, against the ideal 1/11 = 9.1% (modula: 91%). Building a ring of 10
// servers takes about 1.5 ms.
package cache
