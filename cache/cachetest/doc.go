// Package cachetest provides an in-memory memcached for tests: a real
// server on a loopback port speaking memcached's text protocol (the subset
// clients use: get, gets, gat, gats, set, add, replace, append, prepend,
// cas, delete, incr, decr, touch, flush_all, version, stats, verbosity,
// quit), so that gomemcache, cache.Client and anything else that speaks the
// protocol talk to it unchanged, as net/http clients talk to an
// httptest.Server.
//
// A Server injects the failures a cache tier sees: SetDown makes it refuse
// connections and drops the open ones, SetDelay makes it answer slowly, and
// SetErrors makes it answer every command with SERVER_ERROR. Its Stats and
// Get let a test see what reached it.
//
// # Failure model
//
// The Server keeps items in memory with memcached's expiry rules (relative
// seconds up to 30 days, a Unix time beyond, negative for already expired)
// but has no memory limit and evicts nothing. It implements the text
// protocol only, not the binary or meta protocols.
package cachetest
