package lb

import (
	"net"
	"sort"
	"strings"
	"time"
)

// maxDraws bounds Random's draws, so the drawn set fits in an array.
const maxDraws = 16

// pickLocked returns the server for k, or nil when none is usable or every
// candidate is at its maxconn; b.mu held. Round robin and the load-based
// algorithms skip full servers (and avoid, when another will do); the
// hashing ones return their server even when full, so the caller queues
// for it, as HAProxy queues on the server for deterministic algorithms.
func (b *Backend) pickLocked(k *Key, avoid *Server, redispatch bool) *Server {
	now := time.Now()
	if b.cfg.Balance == RoundRobin {
		return b.roundRobin(now, avoid)
	}
	cand := b.candidates(now)
	if len(cand) == 0 {
		return nil
	}
	switch b.cfg.Balance {
	case StaticRR:
		return b.staticRR(cand, avoid)
	case LeastConn:
		return b.leastConn(cand, avoid)
	case First:
		for _, s := range cand {
			if !s.full() && (s != avoid || len(cand) == 1) {
				return s
			}
		}
		return nil
	case Random:
		return b.random(cand, avoid)
	case WLC:
		return lvsLeast(cand, avoid, 0)
	case SED:
		return lvsLeast(cand, avoid, 1)
	case NQ:
		for _, s := range cand {
			if s.cur.Load() == 0 && s != avoid {
				return s
			}
		}
		return lvsLeast(cand, avoid, 1)
	case DH:
		return b.lvsHash(cand, k.Dest, false)
	case SH:
		return b.lvsHash(cand, k.Source, true)
	}
	h, ok := b.hashKey(k)
	if !ok {
		// HAProxy falls back to round robin when url_param or the
		// header is missing.
		return b.roundRobin(now, avoid)
	}
	if redispatch && avoid != nil {
		// A redispatched retry leaves the hash for any other server.
		return b.leastConn(cand, avoid)
	}
	if b.cfg.HashType == HashConsistent {
		return b.consistent(cand, h)
	}
	b.buildTable(cand)
	return b.servers[b.table[h%uint32(len(b.table))]]
}

// candidates lists the servers the algorithm chooses among: the usable
// active servers, else the first usable backup, else (with AllBackups) the
// usable backups. b.cand is reused, so it does not allocate.
func (b *Backend) candidates(now time.Time) []*Server {
	c := b.cand[:0]
	for _, s := range b.act.members {
		if s.usable(now) {
			c = append(c, s)
		}
	}
	if len(c) == 0 {
		for _, s := range b.bck.members {
			if s.usable(now) {
				c = append(c, s)
				if !b.cfg.AllBackups {
					break
				}
			}
		}
	}
	b.cand = c
	return c
}

func (b *Backend) roundRobin(now time.Time, avoid *Server) *Server {
	if b.act.count > 0 {
		return b.act.pick(avoid)
	}
	if !b.cfg.AllBackups {
		// HAProxy's "fbck": the first usable backup alone.
		for _, s := range b.bck.members {
			if s.usable(now) {
				if s.full() {
					return nil
				}
				return s
			}
		}
		return nil
	}
	return b.bck.pick(avoid)
}

// buildTable fills the weighted table of map-based hashing and static-rr
// from cand, interleaving servers smoothly by weight.
func (b *Backend) buildTable(cand []*Server) {
	if b.tableOK {
		return
	}
	total := 0
	for _, s := range cand {
		total += userWeight(s)
	}
	b.table = b.table[:0]
	cur := make([]int, len(cand))
	for range total {
		best := 0
		for i, s := range cand {
			cur[i] += userWeight(s)
			if cur[i] > cur[best] {
				best = i
			}
		}
		cur[best] -= total
		b.table = append(b.table, int32(cand[best].idx))
	}
	b.tableOK = true
}

// userWeight is the effective weight in user units, at least 1.
func userWeight(s *Server) int {
	return max(1, (s.eweight+weightScale-1)/weightScale)
}

func (b *Backend) staticRR(cand []*Server, avoid *Server) *Server {
	b.buildTable(cand)
	for range len(b.table) {
		s := b.servers[b.table[b.srrPos%len(b.table)]]
		b.srrPos++
		if !s.full() && (s != avoid || len(cand) == 1) {
			return s
		}
	}
	return nil
}

// leastConn picks the lowest (connections+queued)/weight, rotating among
// equals so that they share the traffic, as HAProxy's fwlc tree does.
func (b *Backend) leastConn(cand []*Server, avoid *Server) *Server {
	var best *Server
	var bestLoad int64
	n := len(cand)
	for i := range n {
		s := cand[(b.lcNext+i)%n]
		if s.full() || (s == avoid && n > 1) {
			continue
		}
		if l := s.load(0); best == nil || l < bestLoad {
			best, bestLoad = s, l
		}
	}
	if best != nil {
		b.lcNext++
	}
	return best
}

// lvsLeast is LVS's wlc (extra 0) and sed (extra 1): the least
// (connections+extra)/weight, compared by cross-multiplying as ip_vs_wlc.c
// and ip_vs_sed.c do; the first such server wins ties.
func lvsLeast(cand []*Server, avoid *Server, extra int64) *Server {
	var best *Server
	for _, s := range cand {
		if s.full() || (s == avoid && len(cand) > 1) {
			continue
		}
		if best == nil || (s.cur.Load()+extra)*int64(best.eweight) < (best.cur.Load()+extra)*int64(s.eweight) {
			best = s
		}
	}
	return best
}

func (b *Backend) next64() uint64 {
	// xorshift64*: cheap, allocation free, good enough to draw servers.
	x := b.rnd
	x ^= x >> 12
	x ^= x << 25
	x ^= x >> 27
	b.rnd = x
	return x * 2685821657736338717
}

// random draws RandomDraws servers by weight without replacement and
// returns the least loaded (HAProxy's "random(<draws>)").
func (b *Backend) random(cand []*Server, avoid *Server) *Server {
	var drawn [maxDraws]*Server
	total := 0
	for _, s := range cand {
		if !s.full() && (s != avoid || len(cand) == 1) {
			total += s.eweight
		}
	}
	var best *Server
	for d := 0; d < b.cfg.RandomDraws && total > 0; d++ {
		r := int(b.next64() % uint64(total))
		var pick *Server
		for _, s := range cand {
			if s.full() || (s == avoid && len(cand) > 1) || contains(drawn[:d], s) {
				continue
			}
			if r < s.eweight {
				pick = s
				break
			}
			r -= s.eweight
		}
		if pick == nil {
			break
		}
		drawn[d] = pick
		total -= pick.eweight
		if best == nil || pick.load(0) < best.load(0) {
			best = pick
		}
	}
	return best
}

func contains(ss []*Server, s *Server) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// lvsTabSize is IP_VS_DH_TAB_SIZE and IP_VS_SH_TAB_SIZE (1<<8).
const lvsTabSize = 256

// lvsHash is LVS's dh and sh: a 256-bucket table filled with the servers in
// turn (sh: each server weight times in a row), indexed by the address
// hashed as ip_vs_dh_hashkey does. The server of the bucket is returned
// only if usable and not full: LVS does not fail over to another one.
func (b *Backend) lvsHash(cand []*Server, addr net.IP, weighted bool) *Server {
	if !b.lvsOK {
		i, rep := 0, 0
		for bucket := range b.lvsTab {
			s := b.servers[i]
			b.lvsTab[bucket] = int32(i)
			rep++
			if !weighted || rep >= s.uweight {
				i, rep = (i+1)%len(b.servers), 0
			}
		}
		b.lvsOK = true
	}
	var key uint32
	if v4 := addr.To4(); v4 != nil {
		key = uint32(v4[0])<<24 | uint32(v4[1])<<16 | uint32(v4[2])<<8 | uint32(v4[3])
	} else {
		for j := 0; j+3 < len(addr); j += 4 {
			key ^= uint32(addr[j])<<24 | uint32(addr[j+1])<<16 | uint32(addr[j+2])<<8 | uint32(addr[j+3])
		}
	}
	s := b.servers[b.lvsTab[(key*2654435761)>>(32-8)&(lvsTabSize-1)]]
	if !contains(cand, s) || s.full() {
		return nil
	}
	return s
}

// hashKey returns HAProxy's sdbm hash of the algorithm's key, or false
// when the request has none (URLParam and Hdr then fall back to round
// robin).
func (b *Backend) hashKey(k *Key) (uint32, bool) {
	switch b.cfg.Balance {
	case Source:
		if v4 := k.Source.To4(); v4 != nil {
			return sdbmBytes(v4), true
		}
		return sdbmBytes(k.Source), len(k.Source) > 0
	case URI:
		// HAProxy hashes the part before the question mark.
		u := k.URI
		if i := strings.IndexByte(u, '?'); i >= 0 {
			u = u[:i]
		}
		return sdbm(u), true
	case URLParam:
		v, ok := queryParam(k.URI, b.cfg.Param)
		return sdbm(v), ok
	case Hdr:
		vs := k.Header[b.cfg.Param]
		if len(vs) == 0 {
			return 0, false
		}
		return sdbm(vs[0]), true
	}
	return 0, false
}

// queryParam finds name's value in uri's query string without allocating.
func queryParam(uri, name string) (string, bool) {
	i := strings.IndexByte(uri, '?')
	if i < 0 {
		return "", false
	}
	q := uri[i+1:]
	for q != "" {
		var kv string
		kv, q, _ = strings.Cut(q, "&")
		k, v, _ := strings.Cut(kv, "=")
		if k == name {
			return v, true
		}
	}
	return "", false
}

// sdbm is HAProxy's hash_sdbm, its default hash function.
func sdbm(s string) uint32 {
	var h uint32
	for i := 0; i < len(s); i++ {
		h = uint32(s[i]) + (h << 6) + (h << 16) - h
	}
	return h
}

func sdbmBytes(p []byte) uint32 {
	var h uint32
	for _, c := range p {
		h = uint32(c) + (h << 6) + (h << 16) - h
	}
	return h
}

// fullAvalanche is Bob Jenkins' integer hash, which HAProxy applies to
// keys on a consistent hash ring so that nearby keys spread.
func fullAvalanche(a uint32) uint32 {
	a = (a + 0x7ed55d16) + (a << 12)
	a = (a ^ 0xc761c23c) ^ (a >> 19)
	a = (a + 0x165667b1) + (a << 5)
	a = (a + 0xd3a2646c) ^ (a << 9)
	a = (a + 0xfd7046c5) + (a << 3)
	a = (a ^ 0xb55a4f09) ^ (a >> 16)
	return a
}

const ringPointsPerWeight = 128

type ringPoint struct {
	key uint32
	srv int32
}

// buildRing places 128 points per unit of weight on the ring. HAProxy's
// chash gives each server 16 per unit (its effective weight), which leaves
// equal servers up to a third apart; eight times more keeps them within a
// few percent.
func (b *Backend) buildRing() {
	b.ring = b.ring[:0]
	for _, s := range b.servers {
		for j := range s.uweight * ringPointsPerWeight {
			b.ring = append(b.ring, ringPoint{key: fullAvalanche(uint32(s.idx+1)*0x9e3779b1 + uint32(j)), srv: int32(s.idx)})
		}
	}
	sort.Slice(b.ring, func(i, j int) bool { return b.ring[i].key < b.ring[j].key })
}

// consistent walks the ring clockwise from the key's point to the first
// candidate whose load is within BalanceFactor percent of the average
// (HAProxy's chash_server_is_eligible).
func (b *Backend) consistent(cand []*Server, h uint32) *Server {
	if b.ring == nil {
		b.buildRing()
	}
	key := fullAvalanche(h)
	i := sort.Search(len(b.ring), func(i int) bool { return b.ring[i].key >= key })
	var served, weight int64
	if b.cfg.BalanceFactor > 0 {
		for _, s := range cand {
			served += s.cur.Load()
			weight += int64(s.eweight)
		}
	}
	var fallback *Server
	for n := 0; n < len(b.ring); n++ {
		s := b.servers[b.ring[(i+n)%len(b.ring)].srv]
		if !contains(cand, s) {
			continue
		}
		if fallback == nil {
			fallback = s
		}
		if b.cfg.BalanceFactor == 0 {
			return s
		}
		slots := ((served+1)*int64(b.cfg.BalanceFactor) + 99) / 100
		allowed := (slots*int64(s.eweight) + weight - 1) / weight
		if s.cur.Load()+1 <= allowed {
			return s
		}
	}
	return fallback
}
