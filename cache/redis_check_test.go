package cache_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/alicebob/miniredis/v2/server"
	"github.com/hakit/hakit/cache"
	"github.com/redis/go-redis/v9"
)

// fakeRedis is a bare RESP server answering ROLE, INFO and SENTINEL with
// canned replies that a test can change.
type fakeRedis struct {
	srv *server.Server
	mu  sync.Mutex
	// role writes the ROLE reply.
	role func(*server.Peer)
	// info is the INFO replication text.
	info string
	// masterAddr and ckquorum are SENTINEL's answers; an empty
	// masterAddr answers nil, a ckquorum starting with "-" an error.
	masterAddr []string
	ckquorum   string
}

func newFakeRedis(t *testing.T) *fakeRedis {
	t.Helper()
	srv, err := server.NewServer("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	f := &fakeRedis{srv: srv}
	srv.Register("ROLE", func(c *server.Peer, _ string, _ []string) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.role(c)
	})
	srv.Register("INFO", func(c *server.Peer, _ string, _ []string) {
		f.mu.Lock()
		defer f.mu.Unlock()
		c.WriteBulk(f.info)
	})
	srv.Register("SENTINEL", func(c *server.Peer, _ string, args []string) {
		f.mu.Lock()
		defer f.mu.Unlock()
		switch strings.ToUpper(args[0]) {
		case "GET-MASTER-ADDR-BY-NAME":
			if len(f.masterAddr) == 0 {
				c.WriteNull()
				return
			}
			c.WriteStrings(f.masterAddr)
		case "CKQUORUM":
			if strings.HasPrefix(f.ckquorum, "-") {
				c.WriteError(f.ckquorum[1:])
				return
			}
			c.WriteInline(f.ckquorum)
		default:
			c.WriteError("ERR unknown subcommand")
		}
	})
	return f
}

func (f *fakeRedis) set(fn func()) { f.mu.Lock(); fn(); f.mu.Unlock() }

func (f *fakeRedis) client(t *testing.T) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: f.srv.Addr().String(), Protocol: 2})
	t.Cleanup(func() { c.Close() })
	return c
}

const masterInfo = "# Replication\r\nrole:master\r\nconnected_slaves:2\r\n" +
	"slave0:ip=127.0.0.1,port=16380,state=online,offset=1000,lag=0\r\n" +
	"slave1:ip=127.0.0.1,port=16381,state=online,offset=400,lag=1\r\n" +
	"master_failover_state:no-failover\r\nmaster_replid:8f0e\r\nmaster_repl_offset:1000\r\nsecond_repl_offset:-1\r\n"

const replicaInfo = "# Replication\r\nrole:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:16379\r\n" +
	"master_link_status:up\r\nmaster_last_io_seconds_ago:1\r\nmaster_sync_in_progress:0\r\n" +
	"slave_read_repl_offset:990\r\nslave_repl_offset:990\r\nslave_priority:100\r\nslave_read_only:1\r\n" +
	"connected_slaves:0\r\nmaster_repl_offset:990\r\n"

func TestParseReplication(t *testing.T) {
	m, err := cache.ParseReplication(masterInfo)
	if err != nil {
		t.Fatal(err)
	}
	if m.Role != cache.RoleMaster || m.ConnectedReplicas != 2 || len(m.Replicas) != 2 || m.MasterReplOffset != 1000 ||
		m.Replicas[1] != (cache.ReplicaInfo{IP: "127.0.0.1", Port: 16381, State: "online", Offset: 400, Lag: 1}) {
		t.Errorf("master: %+v", m)
	}
	r, err := cache.ParseReplication(replicaInfo)
	if err != nil {
		t.Fatal(err)
	}
	if r.Role != cache.RoleReplica || r.MasterHost != "127.0.0.1" || r.MasterPort != 16379 || !r.MasterLinkUp ||
		r.MasterLastIOSecondsAgo != 1 || r.MasterSyncInProgress || r.ReplicaReplOffset != 990 || r.Fields["slave_priority"] != "100" {
		t.Errorf("replica: %+v", r)
	}
	for _, bad := range []string{"", "role", "role:master\r\nconnected_slaves:x", "role:master\r\nslave0:ip=a,port=x"} {
		if _, err := cache.ParseReplication(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestRedisReplicationChecker(t *testing.T) {
	f := newFakeRedis(t)
	c := f.client(t)
	ctx := context.Background()
	f.set(func() { f.info = masterInfo })
	for _, tc := range []struct {
		chk cache.RedisReplicationChecker
		ok  bool
	}{
		{cache.RedisReplicationChecker{}, true},
		{cache.RedisReplicationChecker{MinReplicas: 2}, true},
		{cache.RedisReplicationChecker{MinReplicas: 3}, false},
		// The second replica is 600 bytes behind.
		{cache.RedisReplicationChecker{MinReplicas: 2, MaxOffsetLag: 500}, false},
		{cache.RedisReplicationChecker{MinReplicas: 1, MaxOffsetLag: 500}, true},
	} {
		tc.chk.Client = c
		err := tc.chk.Check(ctx)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, cache.ErrUnhealthy)) {
			t.Errorf("%+v on a master: %v", tc.chk, err)
		}
	}
	chk := cache.RedisReplicationChecker{Client: c, MaxLastIO: 5}
	f.set(func() { f.info = replicaInfo })
	if err := chk.Check(ctx); err != nil {
		t.Errorf("healthy replica: %v", err)
	}
	for _, broken := range []string{
		strings.Replace(replicaInfo, "master_link_status:up", "master_link_status:down", 1),
		strings.Replace(replicaInfo, "master_sync_in_progress:0", "master_sync_in_progress:1", 1),
		strings.Replace(replicaInfo, "master_last_io_seconds_ago:1", "master_last_io_seconds_ago:9", 1),
		"role:sentinel\r\n",
	} {
		f.set(func() { f.info = broken })
		if err := chk.Check(ctx); !errors.Is(err, cache.ErrUnhealthy) {
			t.Errorf("%q: %v, want ErrUnhealthy", broken, err)
		}
	}
}

func TestRedisRoleChecker(t *testing.T) {
	f := newFakeRedis(t)
	c := f.client(t)
	ctx := context.Background()
	master := func(p *server.Peer) {
		p.WriteLen(3)
		p.WriteBulk("master")
		p.WriteInt(1000)
		p.WriteLen(1)
		p.WriteStrings([]string{"127.0.0.1", "16380", "990"})
	}
	replica := func(state string) func(p *server.Peer) {
		return func(p *server.Peer) {
			p.WriteLen(5)
			p.WriteBulk("slave")
			p.WriteBulk("127.0.0.1")
			p.WriteInt(16379)
			p.WriteBulk(state)
			p.WriteInt(990)
		}
	}
	f.set(func() { f.role = master })
	ri, err := cache.Role(ctx, c)
	if err != nil || ri.Role != cache.RoleMaster || ri.Offset != 1000 || len(ri.Replicas) != 1 || ri.Replicas[0].Port != 16380 || ri.Replicas[0].Offset != 990 {
		t.Fatalf("ROLE of a master: %+v, %v", ri, err)
	}
	if err := (cache.RedisRoleChecker{Client: c}).Check(ctx); err != nil {
		t.Errorf("master checked as master: %v", err)
	}
	if err := (cache.RedisRoleChecker{Client: c, Want: cache.RoleReplica}).Check(ctx); !errors.Is(err, cache.ErrUnhealthy) {
		t.Errorf("master checked as replica: %v", err)
	}
	f.set(func() { f.role = replica("connected") })
	ri, err = cache.Role(ctx, c)
	if err != nil || ri.Role != cache.RoleReplica || ri.MasterPort != 16379 || ri.State != "connected" || ri.Offset != 990 {
		t.Fatalf("ROLE of a replica: %+v, %v", ri, err)
	}
	if err := (cache.RedisRoleChecker{Client: c, Want: cache.RoleReplica}).Check(ctx); err != nil {
		t.Errorf("replica checked as replica: %v", err)
	}
	f.set(func() { f.role = replica("sync") })
	if err := (cache.RedisRoleChecker{Client: c, Want: cache.RoleReplica}).Check(ctx); !errors.Is(err, cache.ErrUnhealthy) {
		t.Errorf("syncing replica: %v", err)
	}
	f.set(func() {
		f.role = func(p *server.Peer) {
			p.WriteLen(2)
			p.WriteBulk("sentinel")
			p.WriteStrings([]string{"hakit"})
		}
	})
	if ri, err := cache.Role(ctx, c); err != nil || ri.Role != cache.RoleSentinel || len(ri.Masters) != 1 {
		t.Errorf("ROLE of a sentinel: %+v, %v", ri, err)
	}
	f.set(func() { f.role = func(p *server.Peer) { p.WriteLen(1); p.WriteBulk("leader") } })
	if _, err := cache.Role(ctx, c); err == nil {
		t.Error("unknown role accepted")
	}
}

func TestSentinelChecker(t *testing.T) {
	f := newFakeRedis(t)
	sc := redis.NewSentinelClient(&redis.Options{Addr: f.srv.Addr().String(), Protocol: 2})
	defer sc.Close()
	ctx := context.Background()
	chk := cache.SentinelChecker{Sentinel: sc, MasterName: "hakit"}
	f.set(func() {
		f.masterAddr, f.ckquorum = []string{"127.0.0.1", "16379"}, "OK 3 usable Sentinels. Quorum and failover authorization can be reached"
	})
	if addr, err := cache.SentinelMasterAddr(ctx, sc, "hakit"); err != nil || addr != "127.0.0.1:16379" {
		t.Errorf("master addr %q, %v", addr, err)
	}
	if err := chk.Check(ctx); err != nil {
		t.Errorf("healthy: %v", err)
	}
	f.set(func() {
		f.ckquorum = "-NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master"
	})
	if err := chk.Check(ctx); !errors.Is(err, cache.ErrUnhealthy) || !strings.Contains(err.Error(), "NOQUORUM") {
		t.Errorf("no quorum: %v", err)
	}
	f.set(func() { f.masterAddr = nil })
	if err := chk.Check(ctx); err == nil {
		t.Error("unknown master passed")
	}
}
