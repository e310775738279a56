// Package galera gives a Go service what OpenStack controllers get from
// MariaDB Galera behind HAProxy and clustercheck, in process: the wsrep
// state of each node, a clustercheck-compatible Checker and HTTP handler,
// single-writer routing as database/sql connectors, transaction retries
// for Galera's retryable errors, and a hakit.Lease on a table.
//
// # State model
//
// ReadNodeState reads one node (SHOW GLOBAL STATUS LIKE 'wsrep_%' and the
// variables read_only, wsrep_desync, wsrep_reject_queries,
// wsrep_sst_donor_rejects_queries, pxc_maint_mode) into a NodeState:
//
//   - wsrep_local_state: 1 Joining, 2 Donor/Desynced, 3 Joined, 4 Synced;
//     0 (Initialized) outside a Primary component. Only 4 serves traffic
//     by default. SET GLOBAL wsrep_desync=ON moves a node to 2 at once;
//     OFF returns it to 4 through 3 (Joined).
//   - wsrep_cluster_status: Primary, non-Primary (no quorum: the node
//     refuses queries with 1047), Disconnected.
//   - wsrep_ready, wsrep_connected; wsrep_reject_queries NONE, ALL (1047
//     for new queries) or ALL_KILL (connections killed too); a donor's
//     wsrep_sst_donor_rejects_queries; read_only, which leaves the state at
//     4 (MariaDB desyncs the node for an instant while it sets it);
//     pxc_maint_mode on Percona XtraDB Cluster. Status stays readable under
//     wsrep_reject_queries=ALL.
//   - wsrep_local_recv_queue and flow control (a node far behind serves
//     stale reads); wsrep_local_index, wsrep_cluster_size,
//     wsrep_cluster_conf_id, the state UUIDs and wsrep_last_committed.
//
// A missing required variable, an unknown value or garbage is a
// *StateError naming the node, the variable and the value.
//
// # clustercheck
//
// Policy's zero value is Percona clustercheck with its defaults: available
// when wsrep_cluster_status is Primary and the node is Synced, or
// Donor/Desynced with AvailableWhenDonor (default false), and not in
// pxc_maint_mode; unavailable when read_only=ON only with
// UnavailableWhenReadOnly (the zero value keeps clustercheck's
// available_when_readonly=1). The stricter checks clustercheck lacks are
// opt-in: RequireReady, RequireAcceptingQueries (reject_queries, donors
// rejecting queries) and MaxRecvQueue. The Primary-component rule is
// Percona's since PXC 5.7; AllowNonPrimary drops it to answer as the
// older scripts that read wsrep_local_state alone. A Checker evaluates a Policy
// against one node within Timeout (default 1s), which covers dial,
// handshake and queries: a SIGSTOPped mysqld accepts TCP connections but
// never sends its handshake, and go-sql-driver's own timeout covers only
// the dial. Handler answers HTTP like clustercheck behind xinetd (200 or
// 503, text/plain, Percona's bodies byte for byte, the cause in the
// X-Galera-Reason header), so haproxy's "option httpchk" can use it;
// examples/clustercheck is the standalone program.
//
// # Why one writer
//
// Every Galera node accepts writes, but a transaction is certified only at
// COMMIT, against the write-sets the cluster ordered before it. Two
// transactions that change the same rows on different nodes do not wait
// for each other as they would on one InnoDB: both run, the first to be
// ordered commits, the other fails at COMMIT with 1213 (deadlock). Hot rows
// (quotas, counters, leases) written from several nodes turn into streams
// of such failures. Sending all writes to one node keeps InnoDB's locking
// in charge, which is why the OpenStack HA guide puts one active server and
// "backup" servers behind HAProxy.
//
// # Router
//
// A Router probes every node (ProbeInterval, default 1s, sub-second
// possible; ProbeTimeout default 1s) and keeps exactly one writer: among
// the nodes that are Synced, Primary, ready, writable and accepting
// queries, the lowest positive NodeConfig.Priority, then the lowest
// wsrep_local_index, as MaxScale's galeramon chooses. Without Failback the
// writer keeps its role until it loses eligibility, as a haproxy backup
// server stays active. When the writer loses its role, the next one is
// chosen on probes of every other node taken after that moment, so that a
// node which lost quorum together with it is not picked on an old answer
// and routers that see the same cluster pick the same node; the writer
// connector waits for that choice, at most twice ProbeTimeout. Readers follow
// RouterConfig.Readers (ProxySQL's writer_is_also_reader) and shed nodes
// whose receive queue exceeds ReaderMaxRecvQueue.
//
// Detection is active (the probes) and passive: a connection error, 1047
// or a read-only refusal on a client connection triggers an immediate
// probe of its node, and a writer that refuses a connection is probed
// (up to Fall times) before Connect gives up, so the statement that found the writer dead
// usually runs on the next one. When a node's role changes, its pooled
// connections are refused reuse (ResetSession and IsValid) and any
// statement or COMMIT not yet sent on them fails with driver.ErrBadConn,
// so no statement runs on a demoted node. A node goes down after Fall
// consecutive failed probes (default 2, HAProxy's default is 3; the second
// follows FastInterval after the first, as HAProxy's fastinter), so one
// slow answer does not demote a healthy writer; a node that went down has
// its connections closed, failing statements stuck on it. A connection
// whose COMMIT or ROLLBACK failed is never reused either: the
// transaction may still be open on the server. With no Primary
// component anywhere, the writer connector answers ErrNoWriter at once
// once the Router knows it; a connection asked for while the Router
// re-probes a lost writer waits for that round's answers, at most
// 2×ProbeTimeout, rather than fail on a state not yet confirmed.
//
// Use it in four steps:
//
//  1. Build a RouterConfig with the nodes and a go-sql-driver Config for
//     credentials and database; NewRouter validates it.
//  2. Run the Router (go r.Run(ctx)); it must run for the connectors to
//     work.
//  3. Open pools with sql.OpenDB(r.Writer()) and sql.OpenDB(r.Reader()).
//  4. Run transactions through RetryTx and autocommit writes through
//     RetryExec, and treat ErrOutcomeUnknown as "maybe committed".
//
// # Retries
//
// RetryTx reruns a whole transaction on 1213 (deadlock or certification
// failure), 1205 (lock wait timeout), 1047 (node not ready) and lost
// connections, but only where the outcome is known: anything before
// COMMIT, or a COMMIT the server refused or that was never sent. Waits
// follow oslo.db's wrap_db_retry defaults (1s doubling to 10s, 20 retries)
// with jitter, all configurable, and end with ctx.
//
// # Lease
//
// Lease implements hakit.Lease on one row of a table (created if missing):
// Update is a single compare-and-set UPDATE on every field of the old
// record that also increments a version column. Give it the Router's
// writer so that reads see the last write.
//
// # Fakes
//
// Package galeratest runs fake nodes on loopback that speak the MySQL
// protocol to go-sql-driver, with scripted wsrep state, quorum, process
// failures and injected errors, so failover logic is tested without a
// cluster. The Examples run on it.
//
// # Failure model
//
// An acknowledged COMMIT was certified and ordered in the Primary
// component, and every member of that component applies it: it survives
// the loss of any minority of nodes, including the node that acknowledged
// it (the project's tests kill -9 the writer under load and find every
// acknowledged row on both survivors). It does not survive the loss of
// every member of the component, nor an operator bootstrapping an older
// node with pc.bootstrap.
//
// A commit whose connection is lost after COMMIT was sent (2013, go-sql-
// driver's ErrInvalidConn) may or may not have been applied: a kill -9 of
// the writer can answer 2013 for an insert that committed. So can a ctx
// that ends while the answer is awaited (a write waiting for a row lock
// runs when the lock is released, though its client is gone), and a
// COMMIT failing with 1180. RetryTx and RetryExec then return
// ErrOutcomeUnknown and never retry; the caller must check, or make the
// write idempotent (an insert of a fixed primary key answered 1062 on
// retry did commit: RetryExec with RetryConfig.Idempotent reports it as
// ErrAlreadyCommitted). RetryTx cannot
// undo what fn did outside the transaction, and DDL commits implicitly in
// MariaDB, so it does not belong in fn.
//
// After a member dies, the survivors stall commits (they do not fail them)
// until they evict it, about 5 to 6.5s (evs.suspect_timeout PT5S plus the
// check period); a slow commit on a live survivor in that window is not a
// node failure, so statement timeouts must be longer. A SIGSTOPped writer
// is detected by probe timeout; statements already sent to it fail with an
// unknown outcome. Readers may lag the writer by their receive queue;
// read from the writer (or set wsrep_sync_wait) when a read must see the
// last commit. Two Routers in different processes choose the same writer
// from the same states, but without failback they may disagree after a
// recovery; writes stay correct (certification), conflicts become
// possible. ErrNoWriter means no node is Primary: writes wait for an
// operator or for quorum to return; the Router never bootstraps.
//
// # Measurements
//
// On the project's 3-node MariaDB 10.11 cluster, one 2-core machine shared
// with other work (load average 5 to 18), measured with
//
//	go test -tags integration -run '^$' -bench . ./galera/
//	go test -tags integration -run '^$' -bench PointSelect -benchtime 4000x -count 3 ./galera/
//
// BenchmarkWriterFailover kills the writer's mariadbd under write load,
// once behind the Router and once behind haproxy 2.6 with clustercheck
// (examples/clustercheck) configured as the OpenStack HA guide does
// (option httpchk, inter 2000 rise 2 fall 5, nodes 2 and 3 backup). The
// survivors evicted the dead node 6.1 to 6.5s after the kill in every run.
// Through the Router the first write was acknowledged when the survivors
// evicted it (router-s-after-eviction -0.005 and -0.024: our 20ms poll saw
// the eviction just after the commit returned), 6.4s after the kill.
// Through haproxy it came 2.7 and 4.4s after the eviction (9.1 and 10.7s
// after the kill): haproxy/router-kill-to-write 1.41 and 1.67.
//
// BenchmarkPointSelect interleaves a primary-key SELECT through the
// Router's writer with the same SELECT through plain go-sql-driver on the
// same node: router/plain-median (the median of per-pair time ratios) was
// 0.988, 0.995 and 0.996 in three runs; the ratio of summed times,
// router/plain-throughput, 0.86 to 0.98, moves with the machine's load.
// On galeratest the wrapper costs about 2µs per query.
package galera
