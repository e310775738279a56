package scheduler

// sortWeighed sorts hosts by weight, highest first, exactly as CPython 3.11
// does it for nova's sorted(weighed, key=weight, reverse=True): the list is
// reversed, sorted ascending with list.sort's algorithm (a natural merge
// sort with binary insertion for short runs, galloping merges and the
// powersort merge order, comparing keys with "<" only) and reversed again.
// With a total order any stable sort gives the same result; with NaN
// weights (an infinite or NaN multiplier) only this one gives nova's.
//
// tmp must hold at least len(p)/2+1 elements. The algorithm is described
// in CPython's Objects/listsort.txt; this is a transcription of its
// behaviour, not of its code.
func sortWeighed(p, tmp []weighed) {
	n := len(p)
	if n < 2 {
		return
	}
	reverseWeighed(p)
	s := timsort{a: p, tmp: tmp, minGallop: minGallop}
	minrun := computeMinrun(n)
	lo, remaining := 0, n
	for remaining > 0 {
		run, descending := s.countRun(lo, lo+remaining)
		if descending {
			reverseWeighed(p[lo : lo+run])
		}
		if run < minrun {
			force := min(remaining, minrun)
			s.binarySort(lo, lo+force, lo+run)
			run = force
		}
		s.foundNewRun(run)
		s.pending[s.n] = sortRun{base: lo, len: run}
		s.n++
		lo += run
		remaining -= run
	}
	s.forceCollapse()
	reverseWeighed(p)
}

const (
	minGallop = 7  // MIN_GALLOP
	maxMinrun = 64 // MAX_MINRUN
)

type sortRun struct {
	base, len, power int
}

type timsort struct {
	a         []weighed
	tmp       []weighed
	minGallop int
	pending   [64]sortRun
	n         int
}

func lt(x, y weighed) bool { return x.w < y.w }

func reverseWeighed(p []weighed) {
	for i, j := 0, len(p)-1; i < j; i, j = i+1, j-1 {
		p[i], p[j] = p[j], p[i]
	}
}

// computeMinrun is merge_compute_minrun.
func computeMinrun(n int) int {
	r := 0
	for n >= maxMinrun {
		r |= n & 1
		n >>= 1
	}
	return n + r
}

// countRun is count_run (CPython 3.11): the length of the run starting at
// lo, either non-descending or strictly descending.
func (s *timsort) countRun(lo, hi int) (int, bool) {
	a := s.a
	lo++
	if lo == hi {
		return 1, false
	}
	n := 2
	if lt(a[lo], a[lo-1]) {
		for lo = lo + 1; lo < hi && lt(a[lo], a[lo-1]); lo, n = lo+1, n+1 {
		}
		return n, true
	}
	for lo = lo + 1; lo < hi && !lt(a[lo], a[lo-1]); lo, n = lo+1, n+1 {
	}
	return n, false
}

// binarySort is binarysort (CPython 3.11): a[lo:start] is sorted; insert
// a[start:hi] one by one after the elements that are not greater.
func (s *timsort) binarySort(lo, hi, start int) {
	a := s.a
	if lo == start {
		start++
	}
	for ; start < hi; start++ {
		l, r := lo, start
		pivot := a[r]
		for {
			p := l + (r-l)>>1
			if lt(pivot, a[p]) {
				r = p
			} else {
				l = p + 1
			}
			if l >= r {
				break
			}
		}
		copy(a[l+1:start+1], a[l:start])
		a[l] = pivot
	}
}

// powerloop is the powersort "power" of the run boundary between runs
// [s1, s1+n1) and [s1+n1, s1+n1+n2) of a list of n.
func powerloop(s1, n1, n2, n int) int {
	result := 0
	a := 2*s1 + n1
	b := a + n1 + n2
	for {
		result++
		if a >= n {
			a -= n
			b -= n
		} else if b >= n {
			break
		}
		a <<= 1
		b <<= 1
	}
	return result
}

// foundNewRun is found_new_run: merge pending runs of greater power than
// the boundary before a new run of length n2.
func (s *timsort) foundNewRun(n2 int) {
	if s.n == 0 {
		return
	}
	top := s.pending[s.n-1]
	power := powerloop(top.base, top.len, n2, len(s.a))
	for s.n > 1 && s.pending[s.n-2].power > power {
		s.mergeAt(s.n - 2)
	}
	s.pending[s.n-1].power = power
}

// forceCollapse is merge_force_collapse.
func (s *timsort) forceCollapse() {
	for s.n > 1 {
		n := s.n - 2
		if n > 0 && s.pending[n-1].len < s.pending[n+1].len {
			n--
		}
		s.mergeAt(n)
	}
}

// mergeAt is merge_at: merge pending runs i and i+1.
func (s *timsort) mergeAt(i int) {
	a := s.a
	pa, na := s.pending[i].base, s.pending[i].len
	pb, nb := s.pending[i+1].base, s.pending[i+1].len
	s.pending[i].len = na + nb
	if i == s.n-3 {
		s.pending[i+1] = s.pending[i+2]
	}
	s.n--
	k := gallopRight(a[pb], a[pa:pa+na], 0)
	pa += k
	na -= k
	if na == 0 {
		return
	}
	nb = gallopLeft(a[pa+na-1], a[pb:pb+nb], nb-1)
	if nb <= 0 {
		return
	}
	if na <= nb {
		s.mergeLo(pa, na, pb, nb)
	} else {
		s.mergeHi(pa, na, pb, nb)
	}
}

// gallopLeft is gallop_left: the k with a[k-1] < key <= a[k], searched
// from hint.
func gallopLeft(key weighed, a []weighed, hint int) int {
	n := len(a)
	lastofs, ofs := 0, 1
	if lt(a[hint], key) {
		maxofs := n - hint
		for ofs < maxofs && lt(a[hint+ofs], key) {
			lastofs = ofs
			ofs = ofs<<1 + 1
		}
		ofs = min(ofs, maxofs)
		lastofs += hint
		ofs += hint
	} else {
		maxofs := hint + 1
		for ofs < maxofs && !lt(a[hint-ofs], key) {
			lastofs = ofs
			ofs = ofs<<1 + 1
		}
		ofs = min(ofs, maxofs)
		lastofs, ofs = hint-ofs, hint-lastofs
	}
	lastofs++
	for lastofs < ofs {
		m := lastofs + (ofs-lastofs)>>1
		if lt(a[m], key) {
			lastofs = m + 1
		} else {
			ofs = m
		}
	}
	return ofs
}

// gallopRight is gallop_right: the k with a[k-1] <= key < a[k], searched
// from hint.
func gallopRight(key weighed, a []weighed, hint int) int {
	n := len(a)
	lastofs, ofs := 0, 1
	if lt(key, a[hint]) {
		maxofs := hint + 1
		for ofs < maxofs && lt(key, a[hint-ofs]) {
			lastofs = ofs
			ofs = ofs<<1 + 1
		}
		ofs = min(ofs, maxofs)
		lastofs, ofs = hint-ofs, hint-lastofs
	} else {
		maxofs := n - hint
		for ofs < maxofs && !lt(key, a[hint+ofs]) {
			lastofs = ofs
			ofs = ofs<<1 + 1
		}
		ofs = min(ofs, maxofs)
		lastofs += hint
		ofs += hint
	}
	lastofs++
	for lastofs < ofs {
		m := lastofs + (ofs-lastofs)>>1
		if lt(key, a[m]) {
			ofs = m
		} else {
			lastofs = m + 1
		}
	}
	return ofs
}

// mergeLo is merge_lo: merge a[pa:pa+na] and a[pb:pb+nb] (pb = pa+na,
// na <= nb) through a copy of the first run, galloping when one run keeps
// winning.
func (s *timsort) mergeLo(pa, na, pb, nb int) {
	a := s.a
	tmp := s.tmp[:na]
	copy(tmp, a[pa:pa+na])
	dest, ia, ib := pa, 0, pb
	var acount, bcount, k, mg int

	a[dest] = a[ib]
	dest++
	ib++
	nb--
	if nb == 0 {
		goto succeed
	}
	if na == 1 {
		goto copyB
	}
	mg = s.minGallop
	for {
		acount, bcount = 0, 0
		for {
			if lt(a[ib], tmp[ia]) {
				a[dest] = a[ib]
				dest++
				ib++
				bcount++
				acount = 0
				nb--
				if nb == 0 {
					goto succeed
				}
				if bcount >= mg {
					break
				}
			} else {
				a[dest] = tmp[ia]
				dest++
				ia++
				acount++
				bcount = 0
				na--
				if na == 1 {
					goto copyB
				}
				if acount >= mg {
					break
				}
			}
		}
		mg++
		for {
			if mg > 1 {
				mg--
			}
			s.minGallop = mg
			k = gallopRight(a[ib], tmp[ia:ia+na], 0)
			acount = k
			if k > 0 {
				copy(a[dest:dest+k], tmp[ia:ia+k])
				dest += k
				ia += k
				na -= k
				if na == 1 {
					goto copyB
				}
				if na == 0 {
					goto succeed
				}
			}
			a[dest] = a[ib]
			dest++
			ib++
			nb--
			if nb == 0 {
				goto succeed
			}
			k = gallopLeft(tmp[ia], a[ib:ib+nb], 0)
			bcount = k
			if k > 0 {
				copy(a[dest:dest+k], a[ib:ib+k])
				dest += k
				ib += k
				nb -= k
				if nb == 0 {
					goto succeed
				}
			}
			a[dest] = tmp[ia]
			dest++
			ia++
			na--
			if na == 1 {
				goto copyB
			}
			if acount < minGallop && bcount < minGallop {
				break
			}
		}
		mg++
		s.minGallop = mg
	}
succeed:
	if na > 0 {
		copy(a[dest:dest+na], tmp[ia:ia+na])
	}
	return
copyB:
	// The last element of the first run belongs at the end of the merge.
	copy(a[dest:dest+nb], a[ib:ib+nb])
	a[dest+nb] = tmp[ia]
}

// mergeHi is merge_hi: like mergeLo from the right end, through a copy of
// the second run (na >= nb).
func (s *timsort) mergeHi(pa, na, pb, nb int) {
	a := s.a
	tmp := s.tmp[:nb]
	copy(tmp, a[pb:pb+nb])
	dest := pb + nb - 1
	ia, ib := pa+na-1, nb-1
	basea := pa
	var acount, bcount, k, mg int

	a[dest] = a[ia]
	dest--
	ia--
	na--
	if na == 0 {
		goto succeed
	}
	if nb == 1 {
		goto copyA
	}
	mg = s.minGallop
	for {
		acount, bcount = 0, 0
		for {
			if lt(tmp[ib], a[ia]) {
				a[dest] = a[ia]
				dest--
				ia--
				acount++
				bcount = 0
				na--
				if na == 0 {
					goto succeed
				}
				if acount >= mg {
					break
				}
			} else {
				a[dest] = tmp[ib]
				dest--
				ib--
				bcount++
				acount = 0
				nb--
				if nb == 1 {
					goto copyA
				}
				if bcount >= mg {
					break
				}
			}
		}
		mg++
		for {
			if mg > 1 {
				mg--
			}
			s.minGallop = mg
			k = na - gallopRight(tmp[ib], a[basea:basea+na], na-1)
			acount = k
			if k > 0 {
				dest -= k
				ia -= k
				copy(a[dest+1:dest+1+k], a[ia+1:ia+1+k])
				na -= k
				if na == 0 {
					goto succeed
				}
			}
			a[dest] = tmp[ib]
			dest--
			ib--
			nb--
			if nb == 1 {
				goto copyA
			}
			k = nb - gallopLeft(a[ia], tmp[:nb], nb-1)
			bcount = k
			if k > 0 {
				dest -= k
				ib -= k
				copy(a[dest+1:dest+1+k], tmp[ib+1:ib+1+k])
				nb -= k
				if nb == 1 {
					goto copyA
				}
				if nb == 0 {
					goto succeed
				}
			}
			a[dest] = a[ia]
			dest--
			ia--
			na--
			if na == 0 {
				goto succeed
			}
			if acount < minGallop && bcount < minGallop {
				break
			}
		}
		mg++
		s.minGallop = mg
	}
succeed:
	if nb > 0 {
		copy(a[dest-(nb-1):dest+1], tmp[:nb])
	}
	return
copyA:
	// The first element of the second run belongs at the front.
	copy(a[dest+1-na:dest+1], a[ia+1-na:ia+1])
	dest -= na
	a[dest] = tmp[ib]
}
