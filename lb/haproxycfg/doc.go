// Package haproxycfg parses the subset of HAProxy's configuration language
// that package lb implements, and builds lb frontends and backends from it,
// so that an operator's haproxy.cfg runs unchanged where the subset covers
// it. A keyword outside the subset is an error naming its line, never
// silently ignored.
//
// The subset: comments and blank lines; "global" with maxconn; "defaults",
// "frontend", "backend" and "listen" sections; mode, bind, default_backend,
// maxconn, balance (with hash-type and hash-balance-factor), server lines
// (check, inter, fastinter, downinter, rise, fall, weight, backup, maxconn,
// slowstart, port, disabled, observe, error-limit, on-error,
// on-marked-down shutdown-sessions, on-marked-up shutdown-backup-sessions),
// timeout connect|client|server|queue, retries, option
// redispatch|httpchk|allbackups|mysql-check, http-check expect status,
// cookie <name> insert (with the server option cookie <value>),
// stats enable, stats uri, and "http-request use-service
// prometheus-exporter if { path <p> }". Times take HAProxy's units (us, ms,
// s, m, h, d); a bare number is milliseconds.
package haproxycfg
