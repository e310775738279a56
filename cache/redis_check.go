package cache

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/hakit/hakit"
	"github.com/redis/go-redis/v9"
)

// RedisRole is what the ROLE command says a Redis instance is.
type RedisRole string

// The roles ROLE reports.
const (
	RoleMaster   RedisRole = "master"
	RoleReplica  RedisRole = "slave"
	RoleSentinel RedisRole = "sentinel"
)

// RoleInfo is the answer to ROLE (Redis documentation, "ROLE").
type RoleInfo struct {
	Role RedisRole
	// Master side: its replication offset and its replicas.
	Offset   int64
	Replicas []ReplicaInfo // IP, Port and Offset
	// Replica side: its master, the link state ("connect", "connecting",
	// "sync", "connected") and the offset it has received.
	MasterHost string
	MasterPort int
	State      string
	// Sentinel side: the masters it monitors.
	Masters []string
}

// Role asks a Redis instance for its role.
func Role(ctx context.Context, c redis.UniversalClient) (RoleInfo, error) {
	v, err := c.Do(ctx, "ROLE").Slice()
	if err != nil {
		return RoleInfo{}, fmt.Errorf("cache: redis ROLE: %w", err)
	}
	ri, err := parseRole(v)
	if err != nil {
		return RoleInfo{}, fmt.Errorf("cache: redis ROLE: %w", err)
	}
	return ri, nil
}

// parseRole reads ROLE's array answer as go-redis returns it.
func parseRole(v []any) (RoleInfo, error) {
	bad := func(what string) (RoleInfo, error) {
		return RoleInfo{}, fmt.Errorf("unexpected answer %v: %s", v, what)
	}
	if len(v) == 0 {
		return bad("empty")
	}
	role, _ := v[0].(string)
	ri := RoleInfo{Role: RedisRole(role)}
	switch ri.Role {
	case RoleMaster:
		if len(v) < 3 {
			return bad("master answer too short")
		}
		ri.Offset, _ = v[1].(int64)
		reps, _ := v[2].([]any)
		for _, r := range reps {
			f, _ := r.([]any)
			if len(f) < 3 {
				return bad("replica entry too short")
			}
			ip, _ := f[0].(string)
			port, _ := strconv.Atoi(fmt.Sprint(f[1]))
			off, _ := strconv.ParseInt(fmt.Sprint(f[2]), 10, 64)
			ri.Replicas = append(ri.Replicas, ReplicaInfo{IP: ip, Port: port, Offset: off})
		}
	case RoleReplica:
		if len(v) < 5 {
			return bad("replica answer too short")
		}
		ri.MasterHost, _ = v[1].(string)
		port, _ := v[2].(int64)
		ri.MasterPort = int(port)
		ri.State, _ = v[3].(string)
		ri.Offset, _ = v[4].(int64)
	case RoleSentinel:
		if len(v) >= 2 {
			ms, _ := v[1].([]any)
			for _, m := range ms {
				s, _ := m.(string)
				ri.Masters = append(ri.Masters, s)
			}
		}
	default:
		return bad("unknown role")
	}
	return ri, nil
}

// RedisRoleChecker is a hakit.Checker that passes while a Redis instance
// has the role Want: an HAProxy-style check that sends writes only to the
// master, or reads only to replicas.
type RedisRoleChecker struct {
	Client redis.UniversalClient
	// Want is the role that passes; empty means RoleMaster.
	Want RedisRole
}

var _ hakit.Checker = RedisRoleChecker{}

// Check implements hakit.Checker.
func (c RedisRoleChecker) Check(ctx context.Context) error {
	want := c.Want
	if want == "" {
		want = RoleMaster
	}
	ri, err := Role(ctx, c.Client)
	if err != nil {
		return err
	}
	if ri.Role != want {
		return fmt.Errorf("cache: redis role is %s, want %s: %w", ri.Role, want, ErrUnhealthy)
	}
	if ri.Role == RoleReplica && ri.State != "connected" {
		return fmt.Errorf("cache: redis replica of %s:%d is %s, not connected: %w", ri.MasterHost, ri.MasterPort, ri.State, ErrUnhealthy)
	}
	return nil
}

// Replication is the "replication" section of Redis INFO.
type Replication struct {
	Role RedisRole // "master" or "slave"
	// ConnectedReplicas and Replicas are what a master sees of its
	// replicas (connected_slaves, slaveN).
	ConnectedReplicas int
	Replicas          []ReplicaInfo
	// MasterReplOffset is the instance's replication offset
	// (master_repl_offset).
	MasterReplOffset int64
	// On a replica: its master and the state of the link to it.
	MasterHost             string
	MasterPort             int
	MasterLinkUp           bool  // master_link_status:up
	MasterLastIOSecondsAgo int   // master_last_io_seconds_ago; -1 when unknown
	MasterSyncInProgress   bool  // master_sync_in_progress:1
	ReplicaReplOffset      int64 // slave_repl_offset
	// Fields holds every field of the section as read.
	Fields map[string]string
}

// ReplicaInfo is one replica as a master sees it: a slaveN line of INFO
// replication, or an entry of ROLE (which has no State or Lag).
type ReplicaInfo struct {
	IP     string
	Port   int
	State  string // "online", "wait_bgsave", "send_bulk", ...
	Offset int64
	Lag    int64 // seconds since its last ack
}

// ParseReplication parses the text of INFO replication.
func ParseReplication(text string) (Replication, error) {
	r := Replication{Fields: map[string]string{}, MasterLastIOSecondsAgo: -1}
	for line := range strings.Lines(text) {
		line = strings.TrimRight(line, "\r\n")
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			return Replication{}, fmt.Errorf("cache: redis INFO replication: bad line %q", line)
		}
		if _, dup := r.Fields[k]; dup {
			return Replication{}, fmt.Errorf("cache: redis INFO replication: field %q twice", k)
		}
		r.Fields[k] = v
		var err error
		switch {
		case k == "role":
			r.Role = RedisRole(v)
		case k == "connected_slaves":
			r.ConnectedReplicas, err = strconv.Atoi(v)
		case k == "master_repl_offset":
			r.MasterReplOffset, err = strconv.ParseInt(v, 10, 64)
		case k == "master_host":
			r.MasterHost = v
		case k == "master_port":
			r.MasterPort, err = strconv.Atoi(v)
		case k == "master_link_status":
			r.MasterLinkUp = v == "up"
		case k == "master_last_io_seconds_ago":
			r.MasterLastIOSecondsAgo, err = strconv.Atoi(v)
		case k == "master_sync_in_progress":
			r.MasterSyncInProgress = v == "1"
		case k == "slave_repl_offset":
			r.ReplicaReplOffset, err = strconv.ParseInt(v, 10, 64)
		case strings.HasPrefix(k, "slave") && isDigits(k[len("slave"):]):
			var ri ReplicaInfo
			ri, err = parseReplicaLine(v)
			r.Replicas = append(r.Replicas, ri)
		}
		if err != nil {
			return Replication{}, fmt.Errorf("cache: redis INFO replication: %s: %w", line, err)
		}
	}
	if r.Role == "" {
		return Replication{}, fmt.Errorf("cache: redis INFO replication: no role")
	}
	return r, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseReplicaLine parses "ip=...,port=...,state=...,offset=...,lag=...".
func parseReplicaLine(v string) (ReplicaInfo, error) {
	var ri ReplicaInfo
	for kv := range strings.SplitSeq(v, ",") {
		k, val, _ := strings.Cut(kv, "=")
		var err error
		switch k {
		case "ip":
			ri.IP = val
		case "port":
			ri.Port, err = strconv.Atoi(val)
		case "state":
			ri.State = val
		case "offset":
			ri.Offset, err = strconv.ParseInt(val, 10, 64)
		case "lag":
			ri.Lag, err = strconv.ParseInt(val, 10, 64)
		}
		if err != nil {
			return ri, err
		}
	}
	return ri, nil
}

// ReplicationInfo asks a Redis instance for INFO replication.
func ReplicationInfo(ctx context.Context, c redis.UniversalClient) (Replication, error) {
	text, err := c.Info(ctx, "replication").Result()
	if err != nil {
		return Replication{}, fmt.Errorf("cache: redis INFO replication: %w", err)
	}
	return ParseReplication(text)
}

// RedisReplicationChecker is a hakit.Checker of replication health from
// INFO replication. On a master it passes when at least MinReplicas
// replicas are online with an offset no more than MaxOffsetLag bytes
// behind the master's; on a replica, when the link to the master is up, no
// full sync is running and the master was last heard from no more than
// MaxLastIO seconds ago.
type RedisReplicationChecker struct {
	Client redis.UniversalClient
	// MinReplicas is how many good replicas a master needs; zero means
	// none are required (the check then only reads the section).
	MinReplicas int
	// MaxOffsetLag is how far behind the master's offset, in bytes, a
	// replica may be and still count. Zero means any lag.
	MaxOffsetLag int64
	// MaxLastIO is, on a replica, the most seconds since the master was
	// last heard from. Zero means Redis' own judgement (the link status)
	// alone.
	MaxLastIO int
}

var _ hakit.Checker = RedisReplicationChecker{}

// Check implements hakit.Checker.
func (c RedisReplicationChecker) Check(ctx context.Context) error {
	r, err := ReplicationInfo(ctx, c.Client)
	if err != nil {
		return err
	}
	switch r.Role {
	case RoleMaster:
		good := 0
		for _, rep := range r.Replicas {
			if rep.State == "online" && (c.MaxOffsetLag == 0 || r.MasterReplOffset-rep.Offset <= c.MaxOffsetLag) {
				good++
			}
		}
		if good < c.MinReplicas {
			return fmt.Errorf("cache: redis master has %d of %d replicas online and within %d bytes: %w", good, c.MinReplicas, c.MaxOffsetLag, ErrUnhealthy)
		}
	case RoleReplica:
		switch {
		case !r.MasterLinkUp:
			return fmt.Errorf("cache: redis replica's link to %s:%d is down: %w", r.MasterHost, r.MasterPort, ErrUnhealthy)
		case r.MasterSyncInProgress:
			return fmt.Errorf("cache: redis replica is syncing from %s:%d: %w", r.MasterHost, r.MasterPort, ErrUnhealthy)
		case c.MaxLastIO > 0 && r.MasterLastIOSecondsAgo > c.MaxLastIO:
			return fmt.Errorf("cache: redis replica last heard from %s:%d %ds ago: %w", r.MasterHost, r.MasterPort, r.MasterLastIOSecondsAgo, ErrUnhealthy)
		}
	default:
		return fmt.Errorf("cache: redis role %s has no replication: %w", r.Role, ErrUnhealthy)
	}
	return nil
}
