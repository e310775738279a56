package cache

import (
	"hash/fnv"
	"testing"
)

func TestHashKnownValues(t *testing.T) {
	for _, tc := range []struct {
		name string
		got  uint32
		want uint32
	}{
		// MD5("") = d41d8cd9 8f00b204 ...: the first word little-endian.
		{"md5 empty", HashMD5.SumString(""), 0xd98c1dd4},
		// The CRC-32 check value (IEEE 802.3) of "123456789".
		{"crc32a check", HashCRC32a.SumString("123456789"), 0xcbf43926},
		{"crc32 check", HashCRC32.SumString("123456789"), 0xcbf43926 >> 16 & 0x7fff},
		// CRC-16/XMODEM's check value is 0x31c3; nutcracker keeps the
		// bits above 16 that its shifts leave in a uint32.
		{"crc16 check low bits", HashCRC16.SumString("123456789") & 0xffff, 0x31c3},
		// lookup3.c's driver prints these for hashlittle.
		{"lookup3 empty", lookup3(nil, 0), 0xdeadbeef},
		{"lookup3 four score 0", lookup3([]byte("Four score and seven years ago"), 0), 0x17770551},
		{"lookup3 four score 1", lookup3([]byte("Four score and seven years ago"), 1), 0xcd628161},
		// nutcracker's hsieh returns 0 for an empty key.
		{"hsieh empty", HashHsieh.SumString(""), 0},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %#x, want %#x", tc.name, tc.got, tc.want)
		}
	}
}

// For ASCII keys the signed-char reading changes nothing, so the FNV
// variants that are real FNV must agree with hash/fnv there.
func TestFNVMatchesStdlibOnASCII(t *testing.T) {
	for _, k := range []string{"", "a", "foobar", "user:12345"} {
		h32 := fnv.New32()
		h32.Write([]byte(k))
		if got := HashFNV1_32.SumString(k); got != h32.Sum32() {
			t.Errorf("fnv1_32(%q) = %#x, want %#x", k, got, h32.Sum32())
		}
		h32a := fnv.New32a()
		h32a.Write([]byte(k))
		if got := HashFNV1a_32.SumString(k); got != h32a.Sum32() {
			t.Errorf("fnv1a_32(%q) = %#x, want %#x", k, got, h32a.Sum32())
		}
		h64 := fnv.New64()
		h64.Write([]byte(k))
		if got := HashFNV1_64.SumString(k); got != uint32(h64.Sum64()) {
			t.Errorf("fnv1_64(%q) = %#x, want %#x", k, got, uint32(h64.Sum64()))
		}
	}
}

func TestFNV1a64IsTruncated32Bit(t *testing.T) {
	// nutcracker's fnv1a_64 keeps only the low 32 bits of the 64-bit
	// offset basis and prime, and multiplies in 32 bits.
	h := uint32(0xcbf29ce484222325 & 0xffffffff)
	h ^= 'a'
	h *= uint32(0x100000001b3 & 0xffffffff)
	if got := HashFNV1a_64.SumString("a"); got != h {
		t.Errorf("fnv1a_64(a) = %#x, want %#x", got, h)
	}
	// Byte 0xff is the signed char -1: XORed as 0xffffffff, not 0xff.
	h = 0x84222325 ^ 0xffffffff
	h *= 0x1b3
	if got := HashFNV1a_64.Sum([]byte{0xff}); got != h {
		t.Errorf("fnv1a_64(0xff) = %#x, want %#x (signed char)", got, h)
	}
}

func TestParseHash(t *testing.T) {
	for h := HashOneAtATime; h < hashEnd; h++ {
		got, err := ParseHash(h.String())
		if err != nil || got != h {
			t.Errorf("ParseHash(%q) = %v, %v", h.String(), got, err)
		}
	}
	if _, err := ParseHash("sha1"); err == nil {
		t.Error("ParseHash(sha1) gave no error")
	}
	if _, err := ParseHash("default"); err == nil {
		t.Error("ParseHash(default) gave no error")
	}
}

func TestHashStringAndBytesAgree(t *testing.T) {
	keys := []string{"", "k", "ab", "abc", "abcd", "abcde", "hello world 0123", "\x80\xff\xfe non-utf8", string(make([]byte, 250))}
	for h := HashOneAtATime; h < hashEnd; h++ {
		for _, k := range keys {
			if a, b := h.SumString(k), h.Sum([]byte(k)); a != b {
				t.Errorf("%v(%q): string %#x, bytes %#x", h, k, a, b)
			}
		}
	}
}
