// Package lb is an embeddable load balancer with HAProxy's model and
// semantics, and LVS's schedulers for TCP: what the HAProxy tier of an
// OpenStack control plane does, inside a Go program.
//
// A Backend holds servers and an algorithm; a Frontend listens and proxies
// TCP connections or HTTP requests to a Backend. Health comes from
// hakit.Monitor (active checks with HAProxy's inter, fastinter, downinter,
// rise and fall) and from live traffic (passive health).
//
// # HAProxy and LVS concepts in this package
//
//	HAProxy / LVS                          lb
//	backend, server                        BackendConfig, ServerConfig, NewBackend
//	balance roundrobin|static-rr|...       BackendConfig.Balance (RoundRobin, StaticRR, LeastConn,
//	                                       First, Source, URI, URLParam, Hdr, Random)
//	ipvsadm -s wlc|sed|nq|dh|sh            WLC, SED, NQ, DH, SH
//	url_param <p>, hdr(<name>)             BackendConfig.Param
//	random(<draws>)                        BackendConfig.RandomDraws
//	hash-type map-based|consistent         BackendConfig.HashType
//	hash-balance-factor                    BackendConfig.BalanceFactor
//	weight, backup, maxconn, slowstart     ServerConfig.Weight, Backup, MaxConn, SlowStart
//	disabled                               ServerConfig.Admin = AdminMaint
//	check, inter, fastinter, downinter,    ServerConfig.Check and ServerConfig.Monitor
//	rise, fall, error-limit, on-error      (hakit.MonitorConfig)
//	observe layer4|layer7                  ServerConfig.Observe
//	on-marked-down shutdown-sessions       ServerConfig.ShutdownOnDown
//	on-marked-up shutdown-backup-sessions  ServerConfig.ShutdownBackupOnUp
//	option allbackups                      BackendConfig.AllBackups
//	retries, option redispatch             BackendConfig.Retries, Redispatch
//	timeout connect|server|queue           BackendConfig.ConnectTimeout, ServerTimeout, QueueTimeout
//	set server B/S state ready|drain|maint Backend.SetState
//	set weight B/S <w>                     Backend.SetWeight
//	(Envoy) outlier detection              BackendConfig.Outlier
//
// Selection (Backend.Pick, and Acquire when a slot is free) allocates
// nothing; `go test -bench Pick ./lb` shows it per algorithm.
//
// # Failure model
//
// A server is picked only while it is ready (not drained or in
// maintenance), UP by its Monitor (servers without a check are always UP)
// and not ejected. Health lags reality by the check schedule: until fall
// checks have failed, a dead server still gets traffic, and those
// connections fail. A failed connection attempt is retried (Retries), on
// the same server unless Redispatch lets the last retry go elsewhere; a
// connection that failed after it was established is not retried, because
// the server may have acted on it.
//
// When every usable server is at its maxconn, connections wait in the
// backend's queue for QueueTimeout and then fail (HTTP answers 503). When no
// server is usable at all they fail at once.
package lb
