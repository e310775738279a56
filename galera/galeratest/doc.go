// Package galeratest provides fake Galera nodes for tests: a Cluster of
// nodes that listen on loopback ports and speak enough of the MySQL
// client/server protocol for go-sql-driver, so code under test connects to
// them exactly as it connects to MariaDB, through galera.Router, a
// galera.Checker or plain sql.Open. With Config.InMemory the nodes have no
// sockets: go-sql-driver reaches them through in-memory pipes
// (Cluster.DialContext as its DialFunc), and a test can run the whole
// cluster inside a testing/synctest bubble, where probe intervals and
// timeouts follow the fake clock.
//
// Each node reports a wsrep state (SHOW GLOBAL STATUS LIKE 'wsrep_%' and
// the variables galera.ReadNodeState reads) derived from the cluster's
// membership and from what the test scripts:
//
//   - Kill, Restart: the mysqld process dies (kill -9) or comes back;
//   - Freeze, Thaw: the process is stopped (SIGSTOP): TCP connections are
//     accepted, nothing is answered;
//   - Isolate, Heal: a network partition between nodes;
//   - Cluster.Bootstrap or SET GLOBAL wsrep_provider_options=
//     'pc.bootstrap=YES': a non-Primary component is made Primary;
//   - SET GLOBAL wsrep_desync, read_only, wsrep_reject_queries,
//     wsrep_sst_donor_rejects_queries, as on a real node, and SetState for
//     anything else (a receive queue, a Joiner state, pxc_maint_mode);
//   - Inject: the next statements fail with a MySQL error (1213, 1047,
//     1205, 1180, ...), lose the connection, or hang until the client
//     gives up, before or after executing;
//   - Hook: a function that sees every data statement and returns the
//     Fault for it, or blocks to make the node slow; a test also records
//     there the statements it expects, including those the store does not
//     execute, and answers them with the error of its choice;
//   - PauseApply, ResumeApply: the node stops applying commits, as under
//     FLUSH TABLES WITH READ LOCK: plain reads there are stale, reads with
//     wsrep_sync_wait and writes wait until it applies again.
//
// Membership applies Galera's quorum rule (more than half of the last
// Primary component) at once; the fake has no eviction delay and no state
// transfer.
//
// The nodes share one store that executes the small SQL subset a
// service's writes and the galera package need, no more: CREATE and DROP
// of databases and tables (integer and string columns, PRIMARY KEY,
// AUTO_INCREMENT), INSERT ... VALUES, UPDATE ... SET col = const | col ± n,
// DELETE, and SELECT of columns, *, COUNT and MAX with WHERE conjunctions
// of comparisons, IN, LIKE and IS [NOT] NULL; plus SELECT @@variable (SET SESSION variables included),
// MariaDB's SET STATEMENT ... FOR prefix (ignored: every commit is
// applied at once), transactions, and prepared statements.
// Replication is synchronous unless a node is paused: a commit on one
// node is visible on all.
// Transactions read committed rows and their own writes; at COMMIT a
// transaction whose written rows were changed by another commit since it
// began fails with 1213, as Galera's certification does. Unlike InnoDB,
// two transactions on the same node do not block each other: the second
// committer fails instead.
package galeratest
