package cache

import (
	"crypto/md5"
	"fmt"
	"unsafe"
)

// Hash names a key hash function. The functions and their names are
// twemproxy's (nutcracker 0.5, src/hashkit/), computed bit for bit as its C
// code does on a little-endian machine, including its quirks: each keeps C's
// signed char where twemproxy reads bytes through a plain char, and fnv1a_64
// is really a 32-bit hash.
type Hash int

// The hashes twemproxy offers. HashDefault picks the Mode's own default.
const (
	// HashDefault is the Mode's default: fnv1a_64 for ModeTwemproxy (the
	// default of nutcracker's hash: key), md5 for ModeLibmemcached (what
	// MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED selects).
	HashDefault Hash = iota
	HashOneAtATime
	HashMD5
	HashCRC16
	HashCRC32
	HashCRC32a
	HashFNV1_64
	HashFNV1a_64
	HashFNV1_32
	HashFNV1a_32
	HashHsieh
	HashMurmur
	HashJenkins
	hashEnd
)

var hashNames = [...]string{
	HashDefault:    "default",
	HashOneAtATime: "one_at_a_time",
	HashMD5:        "md5",
	HashCRC16:      "crc16",
	HashCRC32:      "crc32",
	HashCRC32a:     "crc32a",
	HashFNV1_64:    "fnv1_64",
	HashFNV1a_64:   "fnv1a_64",
	HashFNV1_32:    "fnv1_32",
	HashFNV1a_32:   "fnv1a_32",
	HashHsieh:      "hsieh",
	HashMurmur:     "murmur",
	HashJenkins:    "jenkins",
}

// String returns the hash's name as nutcracker's configuration spells it.
func (h Hash) String() string {
	if h >= 0 && h < hashEnd {
		return hashNames[h]
	}
	return fmt.Sprintf("Hash(%d)", int(h))
}

// ParseHash returns the Hash named s, as nutcracker's hash: key spells it
// ("md5", "fnv1a_64", ...).
func ParseHash(s string) (Hash, error) {
	for h := HashOneAtATime; h < hashEnd; h++ {
		if hashNames[h] == s {
			return h, nil
		}
	}
	return HashDefault, fmt.Errorf("cache: unknown hash %q", s)
}

// Sum returns the hash of key.
func (h Hash) Sum(key []byte) uint32 { return sum(h, key) }

// SumString returns the hash of key.
func (h Hash) SumString(key string) uint32 { return sum(h, bytesOf(key)) }

// sum dispatches to the hash function. HashDefault is resolved by the Ring
// before it gets here; on its own it means fnv1a_64, twemproxy's default.
func sum(h Hash, k []byte) uint32 {
	switch h {
	case HashOneAtATime:
		return oneAtATime(k)
	case HashMD5:
		return md5Word(k, 0)
	case HashCRC16:
		return crc16(k)
	case HashCRC32:
		return crc32Twemproxy(k)
	case HashCRC32a:
		return crc32a(k)
	case HashFNV1_64:
		return fnv1_64(k)
	case HashFNV1_32:
		return fnv1_32(k)
	case HashFNV1a_32:
		return fnv1a_32(k)
	case HashHsieh:
		return hsieh(k)
	case HashMurmur:
		return murmur(k)
	case HashJenkins:
		return jenkins(k)
	default:
		return fnv1a_64(k)
	}
}

// char is how a C compiler for x86 and x86-64 reads a byte through a plain
// (signed) char and widens it: bytes 0x80 and up become negative and are
// sign-extended. twemproxy's hashes do this wherever they index a const char*.
func char(b byte) uint32 { return uint32(int32(int8(b))) }

// md5Word returns little-endian word w (0..3) of the MD5 digest of k, as
// twemproxy's ketama_hash and hash_md5 and libmemcached's ketama_server_hash
// and hashkit_md5 assemble it from the digest bytes.
func md5Word(k []byte, w int) uint32 {
	d := md5.Sum(k)
	return uint32(d[4*w]) | uint32(d[4*w+1])<<8 | uint32(d[4*w+2])<<16 | uint32(d[4*w+3])<<24
}

// bytesOf returns the bytes of s without copying them, so that string keys
// are hashed without an allocation. The hash functions only read them.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
