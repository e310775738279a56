// Package lb is an embeddable load balancer with HAProxy's model and
// semantics, and LVS's schedulers for TCP: what the HAProxy tier of an
// OpenStack control plane does, inside a Go program.
//
// A Backend holds servers and an algorithm; a Frontend accepts TCP
// connections or HTTP requests on a listener and proxies them to its
// Backend. Health comes from hakit.Monitor (active checks on HAProxy's
// schedule) and from live traffic (passive health and outlier ejection).
// Package lb/haproxycfg reads a haproxy.cfg into these types, and
// examples/lbd serves one.
//
// Using it:
//
//  1. Describe servers and the algorithm in a BackendConfig, or parse a
//     haproxy.cfg with haproxycfg.Parse and haproxycfg.Build.
//  2. NewBackend and NewFrontend validate and build; they do no I/O.
//  3. Run the Backend (checks, slow start ramps, ejection expiry) and
//     Serve each Frontend on its listener, both under a ctx; cancel it to
//     drain gracefully.
//  4. Change servers at run time with SetState and SetWeight, read
//     Stats, and publish WriteCSV, WritePrometheus or StatsHandler.
//
// # HAProxy and LVS concepts in this package
//
//	HAProxy / LVS                          lb
//	frontend, bind, mode tcp|http          FrontendConfig, Frontend.Serve, Mode
//	backend, server, listen                BackendConfig, ServerConfig, NewBackend
//	balance roundrobin|static-rr|          BackendConfig.Balance: RoundRobin, StaticRR,
//	  leastconn|first|source|uri|            LeastConn, First, Source, URI, URLParam,
//	  url_param|hdr|random                   Hdr, Random
//	ipvsadm -s wlc|sed|nq|dh|sh            WLC, SED, NQ, DH, SH
//	url_param <p>, hdr(<name>)             BackendConfig.Param
//	random(<draws>)                        BackendConfig.RandomDraws
//	hash-type map-based|consistent         BackendConfig.HashType
//	hash-balance-factor                    BackendConfig.BalanceFactor
//	weight, backup, maxconn, slowstart     ServerConfig.Weight, Backup, MaxConn, SlowStart
//	disabled                               ServerConfig.Admin = AdminMaint
//	check, inter, fastinter, downinter,    ServerConfig.Check and ServerConfig.Monitor
//	  rise, fall, error-limit, on-error      (a hakit.MonitorConfig)
//	default tcp check, option httpchk,     TCPCheck, HTTPCheck, MySQLCheck (any
//	  option mysql-check, clustercheck       hakit.Checker will do)
//	observe layer4|layer7                  ServerConfig.Observe
//	on-marked-down shutdown-sessions       ServerConfig.ShutdownOnDown
//	on-marked-up shutdown-backup-sessions  ServerConfig.ShutdownBackupOnUp
//	cookie <name> insert, server cookie    BackendConfig.Cookie, ServerConfig.Cookie
//	option allbackups                      BackendConfig.AllBackups
//	retries, option redispatch             BackendConfig.Retries, Redispatch
//	timeout connect|server|queue           BackendConfig.ConnectTimeout, ServerTimeout, QueueTimeout
//	timeout client, maxconn (frontend)     FrontendConfig.ClientTimeout, MaxConn
//	set server B/S state ready|drain|maint Backend.SetState
//	set weight B/S <w>                     Backend.SetWeight
//	show stat, stats uri ;csv              WriteCSV, StatsHandler (HAProxy 2.6's columns)
//	prometheus-exporter                    WritePrometheus (HAProxy 2.6's metric names)
//	(Envoy) outlier detection              BackendConfig.Outlier
//
// Round robin is HAProxy's own algorithm, so a fresh backend with weights
// 1/2/3 serves s3 s2 s3 s1 s3 s2 as haproxy 2.6 does; retries and
// redispatch count and behave as haproxy 2.6 does (see Backend.Acquire and
// the package's haproxy comparisons: `go test -tags integration -run
// HAProxy ./lb`). Selection allocates nothing (`go test -bench Pick ./lb`
// shows 0 allocs/op per algorithm); `make bench` compares lbd's requests per
// second with haproxy's on the same configuration.
//
// # Failure model
//
// A server is picked only while it is ready (not drained or in
// maintenance), UP by its Monitor (servers without a check are always UP)
// and not ejected. Health lags reality by the check schedule: until fall
// checks have failed, a dead server still gets traffic.
//
// A failed connection attempt is retried up to Retries times: on the same
// server after a turn-around pause without Redispatch, on another server at
// once with it. A connection or request that failed after it reached the
// server is not retried, because the server may have acted on it: the
// client sees the error (HTTP 502 or 504), as with haproxy. A server killed
// mid-load therefore loses the requests it was serving, and no others once
// Redispatch is on.
//
// ServerTimeout bounds a server's silence at any point of an exchange: an
// HTTP answer that stops mid-body is cut, as haproxy's "timeout server"
// does, not only one that never starts (504). ClientTimeout bounds a TCP
// client that goes silent and an HTTP client that stops reading its
// answer, so that a stuck client does not hold a server's connection
// slot. A frontend's MaxConn leaves connections over it in the kernel's
// accept queue, in both modes.
//
// When every usable server is at its maxconn, connections wait in the
// backend's queue for QueueTimeout and then fail (HTTP answers 503). When no
// server is usable at all they fail at once with ErrNoServer (503).
//
// Draining (cancelling Serve's ctx) stops accepting and waits for proxied
// connections to end; it does not bound how long they take. Close ends them.
// Stats are counters in memory: a restart starts them again.
package lb
