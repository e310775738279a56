package cache

import (
	"hash/crc32"
	"math/bits"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// pythonMemcachedRetries is python-memcached's Client._SERVER_RETRIES: how
// many buckets _get_server tries before it gives up on a key.
const pythonMemcachedRetries = 10

// cmemcacheHash is python-memcached's default serverHashFunction,
// cmemcache_hash: ((crc32(key) & 0xffffffff) >> 16) & 0x7fff, or 1 where
// that is 0.
func cmemcacheHash(k []byte) uint32 {
	h := crc32.ChecksumIEEE(k) >> 16 & 0x7fff
	if h == 0 {
		return 1
	}
	return h
}

// pythonMemcachedIndex places key as python-memcached 1.59's
// Client._get_server does: the buckets are the servers in the given order,
// each repeated weight times (cum holds the running totals); the key's
// bucket is hash % len(buckets); while that bucket's server is dead, the
// hash becomes the hash of the ASCII text str(hash) + str(i), for
// _SERVER_RETRIES tries in all, after which the key has no server (-1).
func (r *Ring) pythonMemcachedIndex(key []byte) int {
	total := r.cum[len(r.cum)-1]
	h := cmemcacheHash(key)
	var buf [24]byte
	for i := range pythonMemcachedRetries {
		b := uint64(h) % total
		s := sort.Search(len(r.cum), func(j int) bool { return r.cum[j] > b })
		if r.live[s] {
			return s
		}
		text := strconv.AppendUint(buf[:0], uint64(h), 10)
		text = strconv.AppendInt(text, int64(i), 10)
		h = cmemcacheHash(text)
	}
	return -1
}

// pymemcacheNode is the name pymemcache 3.5.2's HashClient gives a server
// (_make_client_key of normalize_server_spec's tuple): the host without
// brackets, a colon and the port as a decimal number.
func pymemcacheNode(s Server) string {
	host, _, port, _ := s.hostPort()
	if strings.HasPrefix(host, "[") {
		host = strings.Trim(host, "[]")
	}
	return host + ":" + strconv.Itoa(port)
}

// pymemcacheIndex places key as pymemcache 3.5.2's HashClient does with its
// default RendezvousHash: every live node scores murmur3_32("<node>-<key>",
// seed 0), the highest score wins and a tie goes to the greater node name.
// A key with no live node has no server (-1).
func (r *Ring) pymemcacheIndex(key []byte) int {
	best := -1
	var bestScore uint32
	for i, node := range r.nodes {
		if !r.live[i] {
			continue
		}
		var m murmur3Py
		m.writeText(bytesOf(node))
		m.writeChar('-')
		m.writeText(key)
		score := m.sum()
		if best < 0 || score > bestScore || score == bestScore && node > r.nodes[best] {
			best, bestScore = i, score
		}
	}
	return best
}

// murmur3Py is MurmurHash3 x86_32 with seed 0 as pymemcache's pure-Python
// murmur3_32 computes it over a str: one input byte per character, the
// character's code point & 0xff, and the length in characters.
//
// The key reaches Go as the bytes pymemcache sent, the UTF-8 encoding of
// the str it hashed, so writeText decodes UTF-8 back into characters. A
// byte that is not part of valid UTF-8 (no str pymemcache sends makes one)
// counts as one character of its own value, as Python's surrogateescape
// decoding would give it.
type murmur3Py struct {
	h    uint32
	tail uint32
	n    uint32 // characters so far
}

func (m *murmur3Py) writeText(b []byte) {
	for len(b) > 0 {
		c := b[0]
		if c < utf8.RuneSelf {
			m.writeChar(c)
			b = b[1:]
			continue
		}
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			m.writeChar(c)
		} else {
			m.writeChar(byte(r))
		}
		b = b[size:]
	}
}

func (m *murmur3Py) writeChar(c byte) {
	m.tail |= uint32(c) << (8 * (m.n & 3))
	m.n++
	if m.n&3 != 0 {
		return
	}
	m.h ^= murmur3Scramble(m.tail)
	m.h = bits.RotateLeft32(m.h, 13)*5 + 0xe6546b64
	m.tail = 0
}

func (m *murmur3Py) sum() uint32 {
	h := m.h
	if m.n&3 != 0 {
		h ^= murmur3Scramble(m.tail)
	}
	h ^= m.n
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

func murmur3Scramble(k uint32) uint32 {
	k *= 0xcc9e2d51
	k = bits.RotateLeft32(k, 15)
	return k * 0x1b873593
}
