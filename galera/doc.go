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
//     wsrep_cluster_conf_id, the state UUIDs, wsrep_last_committed and
//     wsrep_incoming_addresses.
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
// queries, the lowest positive NodeConfig.Priority (a node whose priority
// is 0 or less is never the writer once any node has one), then the
// lowest wsrep_local_index, as MaxScale's galeramon chooses.
//
// Every service process runs its own Router, so the election is built for
// Routers that probe at different moments to end on the same node. It is
// a small machine over each probe's verdict (election.go), with HAProxy's
// check semantics: a soft state (Donor/Desynced, Joined, read_only,
// wsrep_reject_queries, pxc_maint_mode, a probe that failed without
// proof) takes the role from a writer only after Fall probes in a row, so
// a backup tool's brief wsrep_desync, shorter than ProbeInterval, moves
// no Router; a hard fact (a refused connection, a non-Primary component,
// wsrep_ready OFF, a Joining node, or a node the Primary component's
// members no longer list in wsrep_incoming_addresses, such as a stopped
// node they evicted) takes it at once. When the preferred
// node is fit again for Rise probes, the role returns to it, as HAProxy
// returns from its backup servers, so every Router ends where the others
// are; RouterConfig.Sticky keeps the new writer instead (galeramon's
// disable_master_failback), a choice each process makes alone. When the
// writer loses its role, the next one is
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
// (up to Fall times) before Connect gives up, so the statement that found
// the writer dead usually runs on the next one. When a node's role changes, its pooled
// connections are refused reuse (ResetSession and IsValid) and any
// statement or COMMIT not yet sent on them fails with driver.ErrBadConn,
// so no statement runs on a demoted node. A node goes down at once when
// it refuses connections, and after Fall consecutive failed probes
// otherwise (default 2, HAProxy's default is 3; the second
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
// Drain takes a node out of the writer role (ProxySQL's OFFLINE_SOFT),
// Undrain gives it back, and Switchover moves the role to a chosen node;
// statements not yet sent on the old writer's connections fail with
// driver.ErrBadConn, which database/sql and RetryTx retry on the new one.
// They act on one Router; to move every process's writer, change the
// node (read_only, wsrep_reject_queries), which every Router sees. With
// RouterConfig.ReadOnlyTxToReaders, a transaction begun on the writer's
// pool with sql.TxOptions{ReadOnly: true} runs on a reader.
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
// # Causal reads
//
// A node applies other nodes' commits after they are acknowledged, so a
// read on a reader may miss a write the writer just acknowledged.
// RouterConfig.ReaderSyncWait sets wsrep_sync_wait on the reader's
// sessions (1: every read waits until the node has applied what the
// cluster ordered before it), leaving the writer's sessions alone. For
// read-your-writes without that cost on every read, take
// LastSeenGTID on the connection that wrote and call WaitGTID on the
// reading connection first (MariaDB's WSREP_LAST_SEEN_GTID and
// WSREP_SYNC_WAIT_UPTO_GTID).
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
// record that also increments a version column. Get reads with
// wsrep_sync_wait=1, so it sees the last Update committed anywhere in the
// cluster, even through another node by another process. Give it the
// Router's writer, so that a process's writes go to one node.
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
// read from the writer, set RouterConfig.ReaderSyncWait, or wait for the
// write's GTID (LastSeenGTID, WaitGTID) when a read must see the last
// commit. Routers in different processes may disagree while a state
// change is under way (one has seen Fall soft probes, another not yet):
// for up to Fall probe intervals, plus Rise after a recovery, two of them
// may write to different nodes. Writes stay correct (certification), and
// conflicts on hot rows become 1213s that RetryTx retries. With Sticky
// such a disagreement lasts until a writer loses its role.
// ErrNoWriter means no node is Primary: writes wait for an
// operator or for quorum to return; the Router never bootstraps.
//
// # Measurements
//
// The benchmarks compare the Router with its peers in the same run on the
// project's cluster and report ratios, not absolute figures:
//
//	go test -tags integration -run '^$' -bench . ./galera/
//	go test -tags integration -run '^$' -bench PointSelect -benchtime 4000x -count 3 ./galera/
//
// BenchmarkWriterFailover kills the writer's mariadbd under write load,
// once behind the Router and once behind haproxy with clustercheck
// (examples/clustercheck) configured as the OpenStack HA guide does
// (option httpchk, inter 2000 rise 2 fall 5, nodes 2 and 3 backup), and
// reports when the first write was acknowledged after the kill and after
// the survivors' eviction of the dead node
// (haproxy/router-kill-to-write, router-s-after-eviction).
// BenchmarkPointSelect interleaves a primary-key SELECT through the
// Router's writer with the same SELECT through plain go-sql-driver on the
// same node and reports router/plain-median, the median of per-pair time
// ratios, and router/plain-throughput.
package galera
