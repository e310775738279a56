// This file holds nutcracker's key hashes (src/hashkit/) other than md5,
// bit for bit as its C code computes them on a little-endian machine.

package cache

import (
	"encoding/binary"
	"hash/crc32"
	"math/bits"
)

// crc16Table is the table of CRC-16/XMODEM (polynomial 0x1021, MSB first)
// that nutcracker's nc_crc16.c spells out.
var crc16Table = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()

// crc16 is nutcracker's hash_crc16. Its accumulator is a uint32 that is
// shifted left and never masked, so the result keeps the high bits; this
// reproduces that.
func crc16(k []byte) uint32 {
	var crc uint32
	for _, b := range k {
		crc = crc<<8 ^ uint32(crc16Table[(crc>>8^char(b))&0xff])
	}
	return crc
}

// crc32Twemproxy is nutcracker's hash_crc32: bits 16..30 of the IEEE CRC-32
// (libmemcached's historical "crc" hash).
func crc32Twemproxy(k []byte) uint32 {
	return crc32.ChecksumIEEE(k) >> 16 & 0x7fff
}

// crc32a is nutcracker's hash_crc32a: the plain IEEE CRC-32.
func crc32a(k []byte) uint32 { return crc32.ChecksumIEEE(k) }

// get16 reads two bytes little-endian, as nutcracker's get16bits does on a
// non-i386 machine.
func get16(k []byte) uint32 { return uint32(k[0]) | uint32(k[1])<<8 }

// hsieh is nutcracker's hash_hsieh (Paul Hsieh's SuperFastHash). In the
// three-byte tail the third byte is read through a signed char.
func hsieh(k []byte) uint32 {
	if len(k) == 0 {
		return 0
	}
	var h uint32
	rem := len(k) & 3
	for n := len(k) >> 2; n > 0; n-- {
		h += get16(k)
		tmp := get16(k[2:])<<11 ^ h
		h = h<<16 ^ tmp
		k = k[4:]
		h += h >> 11
	}
	switch rem {
	case 3:
		h += get16(k)
		h ^= h << 16
		h ^= char(k[2]) << 18
		h += h >> 11
	case 2:
		h += get16(k)
		h ^= h << 11
		h += h >> 17
	case 1:
		h += uint32(k[0])
		h ^= h << 10
		h += h >> 1
	}
	h ^= h << 3
	h += h >> 5
	h ^= h << 4
	h += h >> 17
	h ^= h << 25
	h += h >> 6
	return h
}

// murmur is nutcracker's hash_murmur: MurmurHash2 with seed
// 0xdeadbeef*len, reading words little-endian.
func murmur(k []byte) uint32 {
	const m = 0x5bd1e995
	n := uint32(len(k))
	h := 0xdeadbeef*n ^ n
	for len(k) >= 4 {
		w := binary.LittleEndian.Uint32(k)
		w *= m
		w ^= w >> 24
		w *= m
		h *= m
		h ^= w
		k = k[4:]
	}
	switch len(k) {
	case 3:
		h ^= uint32(k[2]) << 16
		h ^= uint32(k[1]) << 8
		h ^= uint32(k[0])
		h *= m
	case 2:
		h ^= uint32(k[1]) << 8
		h ^= uint32(k[0])
		h *= m
	case 1:
		h ^= uint32(k[0])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return h
}

// jenkins is nutcracker's hash_jenkins: Bob Jenkins' lookup3 hashlittle
// with initval 13, as it comes out on a little-endian machine (its aligned
// and unaligned paths give the same result there).
func jenkins(k []byte) uint32 { return lookup3(k, 13) }

// lookup3 is hashlittle from Bob Jenkins' lookup3.c with the given initval.
func lookup3(k []byte, initval uint32) uint32 {
	a := 0xdeadbeef + uint32(len(k)) + initval
	b, c := a, a
	for len(k) > 12 {
		a += binary.LittleEndian.Uint32(k)
		b += binary.LittleEndian.Uint32(k[4:])
		c += binary.LittleEndian.Uint32(k[8:])
		// mix(a, b, c)
		a -= c
		a ^= bits.RotateLeft32(c, 4)
		c += b
		b -= a
		b ^= bits.RotateLeft32(a, 6)
		a += c
		c -= b
		c ^= bits.RotateLeft32(b, 8)
		b += a
		a -= c
		a ^= bits.RotateLeft32(c, 16)
		c += b
		b -= a
		b ^= bits.RotateLeft32(a, 19)
		a += c
		c -= b
		c ^= bits.RotateLeft32(b, 4)
		b += a
		k = k[12:]
	}
	if len(k) == 0 {
		return c
	}
	var tail [12]byte
	copy(tail[:], k)
	a += binary.LittleEndian.Uint32(tail[0:])
	b += binary.LittleEndian.Uint32(tail[4:])
	c += binary.LittleEndian.Uint32(tail[8:])
	// final(a, b, c)
	c ^= b
	c -= bits.RotateLeft32(b, 14)
	a ^= c
	a -= bits.RotateLeft32(c, 11)
	b ^= a
	b -= bits.RotateLeft32(a, 25)
	c ^= b
	c -= bits.RotateLeft32(b, 16)
	a ^= c
	a -= bits.RotateLeft32(c, 4)
	b ^= a
	b -= bits.RotateLeft32(a, 14)
	c ^= b
	c -= bits.RotateLeft32(b, 24)
	return c
}

// fnv1a_64 is nutcracker's hash_fnv1a_64: despite its name a 32-bit FNV-1a
// whose offset basis (0x84222325) and prime (0x1b3) are the 64-bit ones
// truncated to 32 bits, XORing each byte as a signed char.
func fnv1a_64(k []byte) uint32 {
	h := uint32(0x84222325)
	for i := 0; i < len(k); i++ {
		h ^= char(k[i])
		h *= 0x1b3
	}
	return h
}

// fnv1_64 is nutcracker's hash_fnv1_64: a real 64-bit FNV-1 over signed
// chars (sign-extended to 64 bits), truncated to its low 32 bits.
func fnv1_64(k []byte) uint32 {
	h := uint64(0xcbf29ce484222325)
	for i := 0; i < len(k); i++ {
		h *= 0x100000001b3
		h ^= uint64(int64(int8(k[i])))
	}
	return uint32(h)
}

// fnv1_32 is nutcracker's hash_fnv1_32 (FNV-1, 32 bits, signed chars).
func fnv1_32(k []byte) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(k); i++ {
		h *= 16777619
		h ^= char(k[i])
	}
	return h
}

// fnv1a_32 is nutcracker's hash_fnv1a_32 (FNV-1a, 32 bits, signed chars).
func fnv1a_32(k []byte) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(k); i++ {
		h ^= char(k[i])
		h *= 16777619
	}
	return h
}

// oneAtATime is nutcracker's hash_one_at_a_time: Jenkins' one-at-a-time
// hash over signed chars.
func oneAtATime(k []byte) uint32 {
	var v uint32
	for i := 0; i < len(k); i++ {
		v += char(k[i])
		v += v << 10
		v ^= v >> 6
	}
	v += v << 3
	v ^= v >> 11
	v += v << 15
	return v
}
