// Package testenv gives integration tests the real services that
// scripts/services.sh runs on this machine, and fails a test, naming the
// command that fixes it, when a service is not there. It never skips: under
// the integration build tag a missing service is a failure.
//
// # Services
//
// One accessor per service checks that the service answers and returns
// where it listens:
//
//	Galera(t) GaleraEnv          3-node MariaDB Galera, 127.0.0.1:13301-13303, user hakit/hakit;
//	                             DSN(i, db), Database(t), PID(t, i), Restore(t)
//	Redis(t) RedisEnv            Master (as the Sentinels report it), Replicas, Servers 16379-16381,
//	                             Sentinels 26379-26381, MasterName "hakit"; PID(t, addr), Restore(t)
//	Memcached(t) []string        127.0.0.1:11311-11314
//	Nutcracker(t) NutcrackerEnv  ketama pools md5 (22121, stats 22131) and fnv1a_64 (22122, stats
//	                             22132) over Memcached's four with weights 1-4; spare ports for tests
//	RabbitMQ(t) RabbitEnv        3-node cluster: URLs (AMQP 5681-5683), Nodes hakit1-3@localhost, user
//	                             hakit/hakit; Ctl(t, i, args...), StopApp, StartApp, PID, Restore
//	FerretDB(t) string           mongodb://127.0.0.1:27117/ (MongoDB wire protocol, FerretDB on SQLite)
//	IPMISim(t) IPMIEnv           ipmi_sim BMC on UDP 127.0.0.1:9623, lanplus, admin/password, cipher
//	                             suite 3; IpmitoolArgs(), FenceArgs(), Ipmitool(t, args...)
//	Nova(t) string               /usr/bin/python3, which imports Debian's nova scheduler
//	Command(t, name) string      path of an installed program (keepalived, haproxy, nutcracker,
//	                             fence_ipmilan, ipmitool, ...), looked up in $PATH and the sbin dirs
//
// Node indexes (GaleraEnv, RabbitEnv) are 0-based. A failing accessor says
// `run scripts/services.sh up NAME`; Command says `scripts/services.sh
// deps`. `make test` runs `scripts/services.sh up` first; by hand:
//
//	scripts/services.sh up                 # everything (installs Debian packages when missing)
//	scripts/services.sh up galera redis    # some
//	scripts/services.sh status
//	scripts/services.sh down [NAME...]
//	scripts/services.sh deps               # install every package the tests use, start nothing
//
// Up(t, names...) runs the script from a test (the Restore methods use it);
// RepoRoot finds the repository from the test's working directory.
//
// Every instance keeps its config, data, pidfile and log under StateDir()
// ($HAKIT_STATE, default /var/tmp/hakit), e.g. galera/node1/error.log,
// redis/16380/redis.log, rabbitmq/hakit2/log/, ferretdb/ferretdb.log. The
// RabbitMQ nodes use an epmd of their own on 127.0.0.1:25680.
//
// # Locks
//
// Test packages run in parallel, in separate processes, against the same
// services. Each accessor holds the service's lock shared until the test
// ends (released in t.Cleanup). A test that kills, stops or reconfigures a
// shared service first takes Exclusive(t, NAME), which waits until no other
// test of any process uses the service and keeps them out until the test
// ends, and registers a t.Cleanup that leaves the service as it found it:
//
//	testenv.Exclusive(t, "galera")
//	g := testenv.Galera(t) // does not wait for the lock t holds
//	t.Cleanup(func() { g.Restore(t) })
//	syscall.Kill(g.PID(t, 2), syscall.SIGKILL)
//
// Cleanups run last-in first-out, so Restore runs before the lock is
// released. A waiting exclusive request holds back new shared ones, so it is
// not starved. Nutcracker(t) also holds memcached's lock. A lock not
// obtained within LockWait fails the test, naming the holder of an
// exclusive lock. The locks are flock(2) on files in StateDir()/locks;
// scripts/services.sh serializes its own runs with other files there, so a
// test holding a lock may run it (Up, Restore).
//
// # Failure model
//
// An accessor checks health once, when called (retrying for a few seconds
// while a service settles); it cannot notice a service that dies later in
// the test. The locks only coordinate tests that use this package: a person
// running scripts/services.sh down during a test breaks it. A test that takes
// Exclusive and dies without running its cleanups (a panic in another
// goroutine, SIGKILL) leaves the service disrupted; the next accessor call
// reports it and `scripts/services.sh up NAME` repairs it. The lock itself
// dies with the process, since flock locks are released when their
// descriptor closes.
package testenv
