package cache

import (
	"errors"
	"fmt"
	"math"
)

// ErrNoServers is returned when a key has no live server to go to: the Ring
// is empty or every server is ejected.
var ErrNoServers = errors.New("cache: no live servers")

// Mode says whose key placement a Ring reproduces.
type Mode int

const (
	// ModeTwemproxy places keys as nutcracker 0.5 does for a pool with
	// distribution ketama (or modula) and the given hash.
	ModeTwemproxy Mode = iota
	// ModeLibmemcached places keys as libmemcached does with
	// MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED (what pylibmc calls
	// ketama_weighted): MD5 for keys and points, weighted points per
	// server.
	ModeLibmemcached
	// ModePythonMemcached places keys as python-memcached 1.59's
	// memcache.Client does (oslo.cache's memcache_pool backend,
	// keystonemiddleware's token cache): each server repeated weight
	// times in the given order, cmemcache_hash modulo their number, and
	// for a dead server up to ten rehashes before the key has no server.
	ModePythonMemcached
	// ModePymemcache places keys as pymemcache 3.5.2's HashClient does
	// (dogpile.cache's pymemcache backend): rendezvous hashing with
	// murmur3_32 over "host:port-key", weights ignored, dead servers
	// removed.
	ModePymemcache
)

func (m Mode) String() string {
	switch m {
	case ModeTwemproxy:
		return "twemproxy"
	case ModeLibmemcached:
		return "libmemcached"
	case ModePythonMemcached:
		return "python-memcached"
	case ModePymemcache:
		return "pymemcache"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// ParseMode returns the Mode named s: "twemproxy", "libmemcached",
// "python-memcached" or "pymemcache".
func ParseMode(s string) (Mode, error) {
	for m := ModeTwemproxy; m <= ModePymemcache; m++ {
		if m.String() == s {
			return m, nil
		}
	}
	return 0, fmt.Errorf("cache: unknown mode %q (want twemproxy, libmemcached, python-memcached or pymemcache)", s)
}

// Distribution is how a Ring maps a key hash to a server.
type Distribution int

const (
	// DistKetama is consistent hashing on the ketama continuum, the
	// placement twemproxy and libmemcached share.
	DistKetama Distribution = iota
	// DistModula is hash modulo the servers: nutcracker's modula (each
	// server repeated weight times) in ModeTwemproxy, libmemcached's
	// MEMCACHED_DISTRIBUTION_MODULA with MEMCACHED_BEHAVIOR_HASH md5
	// (weights ignored) in ModeLibmemcached.
	// Almost every key moves when a server is added or removed.
	DistModula
	// DistRendezvous is weighted rendezvous (highest random weight)
	// hashing. Neither tool has it: use it where no other program must
	// agree on the placement. When a server is added or removed only the
	// keys it gains or loses move, and no points are stored.
	DistRendezvous
)

func (d Distribution) String() string {
	switch d {
	case DistKetama:
		return "ketama"
	case DistModula:
		return "modula"
	case DistRendezvous:
		return "rendezvous"
	}
	return fmt.Sprintf("Distribution(%d)", int(d))
}

// RingConfig configures a Ring. The zero value of each field is a
// documented default; Servers is required.
type RingConfig struct {
	// Servers lists the servers. Lookups return indexes into this list.
	// Their order matters to modula and to the rare ketama points of equal
	// value as it does to each tool: libmemcached keeps the order of its
	// memcached_server_add calls, nutcracker sorts servers by name (and
	// refuses two of the same name, as ModeTwemproxy does).
	Servers []Server
	// Mode is whose placement to reproduce; zero is ModeTwemproxy.
	Mode Mode
	// Hash is the key hash. Zero is the Mode's default: fnv1a_64 for
	// ModeTwemproxy (nutcracker's default hash), md5 for ModeLibmemcached,
	// which accepts no other. The Python modes have their clients' own
	// hashes and take none here.
	Hash Hash
	// Distribution is how hashes map to servers; zero is DistKetama. The
	// Python modes have their clients' own distributions and take none
	// here (zero).
	Distribution Distribution
	// HashTag is nutcracker's hash_tag: two characters, such as "{}";
	// when a key holds text between them, only that text is hashed.
	// Empty means none. ModeTwemproxy only.
	HashTag string
}

// Ring places keys on servers. It is immutable and safe for concurrent use;
// lookups allocate nothing.
type Ring struct {
	cfg     RingConfig // Servers is the Ring's own copy
	hash    Hash
	weights []uint32
	order   []int // servers in the tool's placement order
	live    []bool
	nlive   int

	values []uint32 // ketama points, ascending
	owners []int32  // server index of each point
	modula []int32  // ModeTwemproxy modula table: server i repeated weight times
	seeds  []uint64 // rendezvous: per-server hash of its name
	equalW bool     // rendezvous: all live weights equal
	cum    []uint64 // ModePythonMemcached: running total of the weights
	nodes  []string // ModePymemcache: each server's node name
}

// NewRing validates cfg and builds the Ring with every server live.
func NewRing(cfg RingConfig) (*Ring, error) {
	if len(cfg.Servers) == 0 {
		return nil, errors.New("cache: RingConfig.Servers is empty")
	}
	if cfg.Mode < ModeTwemproxy || cfg.Mode > ModePymemcache {
		return nil, fmt.Errorf("cache: RingConfig.Mode %v is not a mode", cfg.Mode)
	}
	if cfg.Hash < 0 || cfg.Hash >= hashEnd {
		return nil, fmt.Errorf("cache: RingConfig.Hash %v is not a hash", cfg.Hash)
	}
	if cfg.Distribution < DistKetama || cfg.Distribution > DistRendezvous {
		return nil, fmt.Errorf("cache: RingConfig.Distribution %v is not a distribution", cfg.Distribution)
	}
	r := &Ring{hash: cfg.Hash}
	switch cfg.Mode {
	case ModeTwemproxy:
		if r.hash == HashDefault {
			r.hash = HashFNV1a_64
		}
		if cfg.HashTag != "" && len(cfg.HashTag) != 2 {
			return nil, fmt.Errorf("cache: RingConfig.HashTag %q must be two characters", cfg.HashTag)
		}
	case ModeLibmemcached:
		if r.hash == HashDefault {
			r.hash = HashMD5
		}
		if r.hash != HashMD5 {
			return nil, fmt.Errorf("cache: RingConfig.Hash %v: ModeLibmemcached (KETAMA_WEIGHTED) hashes with md5 only", cfg.Hash)
		}
		if cfg.HashTag != "" {
			return nil, fmt.Errorf("cache: RingConfig.HashTag %q: libmemcached has no hash tags", cfg.HashTag)
		}
	case ModePythonMemcached, ModePymemcache:
		if cfg.Hash != HashDefault {
			return nil, fmt.Errorf("cache: RingConfig.Hash %v: %v has its own hash; leave Hash zero", cfg.Hash, cfg.Mode)
		}
		if cfg.Distribution != DistKetama {
			return nil, fmt.Errorf("cache: RingConfig.Distribution %v: %v has its own distribution; leave Distribution zero", cfg.Distribution, cfg.Mode)
		}
		if cfg.HashTag != "" {
			return nil, fmt.Errorf("cache: RingConfig.HashTag %q: %v has no hash tags", cfg.HashTag, cfg.Mode)
		}
	}
	cfg.Servers = append([]Server(nil), cfg.Servers...)
	r.weights = make([]uint32, len(cfg.Servers))
	var total uint64
	for i, s := range cfg.Servers {
		if _, _, _, ok := s.hostPort(); !ok {
			return nil, &SpecError{Spec: s.String(), Field: "port", Reason: fmt.Sprintf("RingConfig.Servers[%d].Addr %q is not host:port", i, s.Addr)}
		}
		if s.Weight < 0 || s.Weight > MaxWeight {
			return nil, &SpecError{Spec: s.String(), Field: "weight", Reason: fmt.Sprintf("RingConfig.Servers[%d].Weight %d is not from 1 to %d", i, s.Weight, MaxWeight)}
		}
		if s.Name != "" && cfg.Mode != ModeTwemproxy {
			return nil, &SpecError{Spec: s.String(), Field: "name", Reason: fmt.Sprintf("RingConfig.Servers[%d].Name %q: %v servers have no names", i, s.Name, cfg.Mode)}
		}
		if s.Weight == 0 {
			cfg.Servers[i].Weight = 1
		}
		r.weights[i] = uint32(cfg.Servers[i].Weight)
		total += uint64(r.weights[i])
	}
	if total > math.MaxUint32 {
		return nil, fmt.Errorf("cache: RingConfig.Servers: total weight %d exceeds %d (nutcracker adds weights in a uint32)", total, uint64(math.MaxUint32))
	}
	order, err := placementOrder(cfg.Mode, cfg.Servers)
	if err != nil {
		return nil, err
	}
	r.order = order
	r.cfg = cfg
	switch cfg.Mode {
	case ModePythonMemcached:
		r.cum = make([]uint64, len(r.weights))
		var c uint64
		for i, w := range r.weights {
			c += uint64(w)
			r.cum[i] = c
		}
	case ModePymemcache:
		r.nodes = make([]string, len(cfg.Servers))
		for i, s := range cfg.Servers {
			r.nodes[i] = pymemcacheNode(s)
		}
	}
	all := make([]bool, len(cfg.Servers))
	for i := range all {
		all[i] = true
	}
	r.build(all)
	return r, nil
}

// WithLive returns a Ring over the same servers in which only the servers
// for which live(i) is true hold keys, rebuilt as nutcracker rebuilds a
// pool with auto_eject_hosts: ejected servers give up their points, the
// live ones are weighted against each other's total, and server indexes
// stay those of the full list. Keys of live servers mostly stay put.
//
// In the Python modes nothing is rebuilt: the Ring places keys as those
// clients do while the other servers are dead (python-memcached marks them
// dead and rehashes, pymemcache's HashClient removes them).
func (r *Ring) WithLive(live func(i int) bool) *Ring {
	l := make([]bool, len(r.cfg.Servers))
	for i := range l {
		l[i] = live(i)
	}
	n := *r
	n.build(l)
	return &n
}

func (r *Ring) build(live []bool) {
	r.live = live
	r.nlive = 0
	for _, l := range live {
		if l {
			r.nlive++
		}
	}
	r.values, r.owners, r.modula, r.seeds = nil, nil, nil, nil
	if r.cfg.Mode == ModePythonMemcached || r.cfg.Mode == ModePymemcache {
		// Their clients keep every server and skip the dead ones per key.
		return
	}
	switch r.cfg.Distribution {
	case DistKetama:
		r.values, r.owners = buildContinuum(r.cfg.Mode, r.cfg.Servers, r.order, r.weights, live)
	case DistModula:
		for _, i := range r.order {
			if !live[i] {
				continue
			}
			if r.cfg.Mode == ModeTwemproxy {
				for range r.weights[i] {
					r.modula = append(r.modula, int32(i))
				}
			} else {
				r.modula = append(r.modula, int32(i))
			}
		}
	case DistRendezvous:
		r.seeds = make([]uint64, len(r.cfg.Servers))
		r.equalW = true
		var w0 uint32
		for i, s := range r.cfg.Servers {
			r.seeds[i] = fnv64a(ketamaName(ModeTwemproxy, s))
			if !live[i] {
				continue
			}
			if w0 == 0 {
				w0 = r.weights[i]
			} else if r.weights[i] != w0 {
				r.equalW = false
			}
		}
	}
}

// Servers returns a copy of the ring's servers; indexes returned by Index
// refer to it.
func (r *Ring) Servers() []Server { return append([]Server(nil), r.cfg.Servers...) }

// Server returns server i.
func (r *Ring) Server(i int) Server { return r.cfg.Servers[i] }

// Len returns the number of servers, live or not.
func (r *Ring) Len() int { return len(r.cfg.Servers) }

// Live reports whether server i holds keys in this ring.
func (r *Ring) Live(i int) bool { return r.live[i] }

// Config returns the ring's configuration with the Mode's default hash
// filled in.
func (r *Ring) Config() RingConfig {
	c := r.cfg
	c.Servers = r.Servers()
	c.Hash = r.hash
	return c
}

// Points returns how many ketama points server i holds (0 for other
// distributions and for servers not live).
func (r *Ring) Points(i int) int {
	n := 0
	for _, o := range r.owners {
		if int(o) == i {
			n++
		}
	}
	return n
}

// Index returns the index of the server that holds key, or -1 when no
// server is live.
func (r *Ring) Index(key []byte) int {
	if r.nlive == 0 {
		return -1
	}
	if len(r.cfg.Servers) == 1 {
		// nutcracker's server_pool_idx and libmemcached's
		// _generate_hash_wrapper skip hashing for a single server.
		return 0
	}
	switch r.cfg.Mode {
	case ModePythonMemcached:
		return r.pythonMemcachedIndex(key)
	case ModePymemcache:
		return r.pymemcacheIndex(key)
	}
	if r.cfg.HashTag != "" {
		key = hashTagged(key, r.cfg.HashTag[0], r.cfg.HashTag[1])
	}
	switch r.cfg.Distribution {
	case DistRendezvous:
		return r.rendezvous(key)
	case DistModula:
		return int(r.modula[r.keyHash(key)%uint32(len(r.modula))])
	}
	return ketamaDispatch(r.values, r.owners, r.keyHash(key))
}

// IndexString is Index for a string key; it does not copy the key.
func (r *Ring) IndexString(key string) int { return r.Index(bytesOf(key)) }

// Pick returns the server that holds key, or an error wrapping
// ErrNoServers.
func (r *Ring) Pick(key []byte) (Server, error) {
	i := r.Index(key)
	if i < 0 {
		return Server{}, ErrNoServers
	}
	return r.cfg.Servers[i], nil
}

// PickString is Pick for a string key.
func (r *Ring) PickString(key string) (Server, error) { return r.Pick(bytesOf(key)) }

// keyHash hashes a key for ketama and modula. nutcracker's server_pool_hash
// gives an empty key the hash 0 without hashing it; libmemcached hashes it.
func (r *Ring) keyHash(key []byte) uint32 {
	if len(key) == 0 && r.cfg.Mode == ModeTwemproxy {
		return 0
	}
	return sum(r.hash, key)
}

// hashTagged returns the part of key between the first open and the next
// close after it, when that part is not empty, and key otherwise
// (nutcracker's server_pool_idx).
func hashTagged(key []byte, open, close byte) []byte {
	for i := 0; i < len(key); i++ {
		if key[i] != open {
			continue
		}
		for j := i + 1; j < len(key); j++ {
			if key[j] == close {
				if j-i > 1 {
					return key[i+1 : j]
				}
				return key
			}
		}
		return key
	}
	return key
}
