package testenv

import (
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// RedisEnv is the Redis master, its two replicas and three Sentinels of
// `scripts/services.sh up redis`. A fresh start makes 16379 the master;
// after a failover any of the three may be, so tests read Master instead of
// assuming a port. The Sentinels use down-after-milliseconds 2000 and
// failover-timeout 3000, quorum 2.
type RedisEnv struct {
	Master     string   // the master as the Sentinels report it now, e.g. "127.0.0.1:16379"
	Replicas   []string // the two other data instances
	Servers    []string // the three data instances in port order: 16379, 16380, 16381
	Sentinels  []string // "127.0.0.1:26379", "127.0.0.1:26380", "127.0.0.1:26381"
	MasterName string   // "hakit"
}

// Redis returns the Redis deployment after checking that the Sentinels agree
// on a master that answers as one and that both replicas replicate from it,
// holding the redis lock shared for the rest of t; or fails t naming
// `scripts/services.sh up redis`.
func Redis(t testing.TB) RedisEnv {
	t.Helper()
	share(t, "redis")
	var env RedisEnv
	err := retry(15*time.Second, func() (err error) {
		env, err = redisCheck()
		return err
	})
	if err != nil {
		fatalDown(t, "redis", err)
	}
	return env
}

func redisCheck() (RedisEnv, error) {
	env := RedisEnv{
		Servers:    []string{"127.0.0.1:16379", "127.0.0.1:16380", "127.0.0.1:16381"},
		Sentinels:  []string{"127.0.0.1:26379", "127.0.0.1:26380", "127.0.0.1:26381"},
		MasterName: "hakit",
	}
	for _, s := range env.Sentinels {
		v, err := respDo(s, "SENTINEL", "get-master-addr-by-name", env.MasterName)
		if err != nil {
			return env, fmt.Errorf("sentinel %s: %w", s, err)
		}
		a, ok := v.([]any)
		if !ok || len(a) != 2 {
			return env, fmt.Errorf("sentinel %s: no master %q", s, env.MasterName)
		}
		host, _ := a[0].(string)
		port, _ := a[1].(string)
		m := net.JoinHostPort(host, port)
		if env.Master == "" {
			env.Master = m
		} else if m != env.Master {
			return env, fmt.Errorf("sentinels disagree on the master: %s says %s, another %s", s, m, env.Master)
		}
	}
	if !slices.Contains(env.Servers, env.Master) {
		return env, fmt.Errorf("sentinels report master %s, not one of %v", env.Master, env.Servers)
	}
	info, err := respInfo(env.Master, "replication")
	if err != nil {
		return env, fmt.Errorf("master %s: %w", env.Master, err)
	}
	if info["role"] != "master" {
		return env, fmt.Errorf("master %s says role:%s", env.Master, info["role"])
	}
	for _, s := range env.Servers {
		if s == env.Master {
			continue
		}
		env.Replicas = append(env.Replicas, s)
		info, err := respInfo(s, "replication")
		if err != nil {
			return env, fmt.Errorf("replica %s: %w", s, err)
		}
		if info["role"] != "slave" || net.JoinHostPort(info["master_host"], info["master_port"]) != env.Master || info["master_link_status"] != "up" {
			return env, fmt.Errorf("replica %s: role:%s master %s:%s link %s, want a replica of %s",
				s, info["role"], info["master_host"], info["master_port"], info["master_link_status"], env.Master)
		}
	}
	return env, nil
}

// PID returns the pid of the redis-server or redis-sentinel listening on
// addr (one of Servers or Sentinels), from its pidfile.
func (r RedisEnv) PID(t testing.TB, addr string) int {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	if err != nil || (!slices.Contains(r.Servers, addr) && !slices.Contains(r.Sentinels, addr)) {
		t.Fatalf("testenv: %q is not an instance of the redis service", addr)
	}
	return readPID(t, filepath.Join(StateDir(), "redis", port, "redis.pid"))
}

// Restore repairs the deployment after a test disrupted it (runs
// `scripts/services.sh up redis`): dead instances restart as replicas of
// the master the Sentinels report (a restarted old master included), live
// ones replicating from elsewhere are repointed, and dead Sentinels
// restart. It does not fail back to 16379.
func (r RedisEnv) Restore(t testing.TB) {
	t.Helper()
	Up(t, "redis")
}
