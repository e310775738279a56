package scheduler

import "math/bits"

// PythonRandom is CPython's random module: a Mersenne Twister (MT19937)
// seeded as random.seed(n) seeds it, drawing integers in [0, n) as
// random.choice and random.shuffle do. Seeded alike, it makes the same
// choices among equally good hosts as nova's scheduler. It is not safe for
// concurrent use.
type PythonRandom struct {
	mt  [624]uint32
	idx int
}

// NewPythonRandom returns the generator random.seed(seed) would leave.
func NewPythonRandom(seed uint64) *PythonRandom {
	r := &PythonRandom{}
	r.Seed(seed)
	return r
}

// Seed is random.seed(seed) for a non-negative integer: init_by_array on
// its 32-bit words, least significant first.
func (r *PythonRandom) Seed(seed uint64) {
	key := []uint32{uint32(seed)}
	if hi := uint32(seed >> 32); hi != 0 {
		key = append(key, hi)
	}
	r.initGenrand(19650218)
	i, j := 1, 0
	k := max(len(r.mt), len(key))
	for ; k > 0; k-- {
		r.mt[i] = (r.mt[i] ^ ((r.mt[i-1] ^ (r.mt[i-1] >> 30)) * 1664525)) + key[j] + uint32(j)
		i++
		j++
		if i >= len(r.mt) {
			r.mt[0] = r.mt[len(r.mt)-1]
			i = 1
		}
		if j >= len(key) {
			j = 0
		}
	}
	for k = len(r.mt) - 1; k > 0; k-- {
		r.mt[i] = (r.mt[i] ^ ((r.mt[i-1] ^ (r.mt[i-1] >> 30)) * 1566083941)) - uint32(i)
		i++
		if i >= len(r.mt) {
			r.mt[0] = r.mt[len(r.mt)-1]
			i = 1
		}
	}
	r.mt[0] = 0x80000000
}

func (r *PythonRandom) initGenrand(s uint32) {
	r.mt[0] = s
	for i := 1; i < len(r.mt); i++ {
		r.mt[i] = 1812433253*(r.mt[i-1]^(r.mt[i-1]>>30)) + uint32(i)
	}
	r.idx = len(r.mt)
}

// uint32 is genrand_uint32.
func (r *PythonRandom) uint32() uint32 {
	const n, m = 624, 397
	if r.idx >= n {
		for k := 0; k < n; k++ {
			y := (r.mt[k] & 0x80000000) | (r.mt[(k+1)%n] & 0x7fffffff)
			v := r.mt[(k+m)%n] ^ (y >> 1)
			if y&1 != 0 {
				v ^= 0x9908b0df
			}
			r.mt[k] = v
		}
		r.idx = 0
	}
	y := r.mt[r.idx]
	r.idx++
	y ^= y >> 11
	y ^= (y << 7) & 0x9d2c5680
	y ^= (y << 15) & 0xefc60000
	y ^= y >> 18
	return y
}

// getrandbits is random.getrandbits(k) for 0 < k <= 32.
func (r *PythonRandom) getrandbits(k int) uint32 {
	return r.uint32() >> uint(32-k)
}

// IntN is random's _randbelow(n): draw n.bit_length() bits until the value
// is below n. It panics if n is not in [1, 2^31].
func (r *PythonRandom) IntN(n int) int {
	if n <= 0 || n > 1<<31 {
		panic("scheduler: PythonRandom.IntN argument out of range")
	}
	k := bits.Len(uint(n))
	for {
		v := int(r.getrandbits(k))
		if v < n {
			return v
		}
	}
}
