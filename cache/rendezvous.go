package cache

import "math"

// fnv64a is the 64-bit FNV-1a hash of s (the real one, over unsigned
// bytes), used to give each server a rendezvous seed.
func fnv64a(s string) uint64 {
	h := uint64(0xcbf29ce484222325)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 0x100000001b3
	}
	return h
}

// mix64 is the SplitMix64 finalizer: a bijection that spreads every input
// bit over the output.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// rendezvous returns the live server with the highest score for key. The
// score of server i is w_i / -ln(u_i), with u_i uniform in (0, 1) drawn from
// the key and the server's seed: server i wins with probability w_i / Σw
// (weighted rendezvous hashing, Schindelhauer and Schomaker 2005). The key
// is hashed once, with the Ring's hash. With equal weights the largest u_i
// wins and no logarithm is taken.
func (r *Ring) rendezvous(key []byte) int {
	kh := mix64(uint64(sum(r.hash, key)))
	best, bestScore := -1, math.Inf(-1)
	var bestU uint64
	for i, seed := range r.seeds {
		if !r.live[i] {
			continue
		}
		u := mix64(kh ^ seed)
		if r.equalW {
			if best < 0 || u > bestU {
				best, bestU = i, u
			}
			continue
		}
		f := (float64(u>>11) + 0.5) / (1 << 53)
		score := float64(r.weights[i]) / -math.Log(f)
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	return best
}
