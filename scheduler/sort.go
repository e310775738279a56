package scheduler

// sortWeighed sorts hosts by weight, highest first, keeping hosts of equal
// weight in their order: Python's sorted(key=weight, reverse=True). It is
// a natural merge sort: the list the previous instance left is mostly in
// order, so it finds long runs and merges a few of them. buf holds len(p)
// elements; runs is a reusable buffer of run boundaries, returned grown.
// For weights without NaN any stable sort gives this order; with NaN
// weights (an infinite multiplier) CPython's timsort may order differently.
func sortWeighed(p, buf []weighed, runs []int) []int {
	n := len(p)
	if n < 2 {
		return runs
	}
	const minRun = 16
	runs = append(runs[:0], 0)
	for lo := 0; lo < n; {
		hi := lo + 1
		if hi < n && p[hi].w > p[lo].w {
			// strictly ascending: reversed, it is a descending run and no
			// equal weights change places
			for hi+1 < n && p[hi+1].w > p[hi].w {
				hi++
			}
			hi++
			for a, b := lo, hi-1; a < b; a, b = a+1, b-1 {
				p[a], p[b] = p[b], p[a]
			}
		} else {
			for hi < n && !(p[hi].w > p[hi-1].w) {
				hi++
			}
		}
		if hi-lo < minRun {
			end := min(lo+minRun, n)
			insertionSort(p[lo:end], hi-lo)
			hi = end
		}
		runs = append(runs, hi)
		lo = hi
	}
	// Merge neighbouring runs pairwise until one is left.
	for len(runs) > 2 {
		k := 1
		for i := 0; i+2 < len(runs); i += 2 {
			merge(p[runs[i]:runs[i+2]], runs[i+1]-runs[i], buf)
			runs[k] = runs[i+2]
			k++
		}
		if len(runs)%2 == 0 {
			runs[k] = runs[len(runs)-1]
			k++
		}
		runs = runs[:k]
	}
	return runs
}

// insertionSort extends the sorted prefix p[:sorted] to all of p, placing
// each element after every element that is not lower (binary search).
func insertionSort(p []weighed, sorted int) {
	for i := max(sorted, 1); i < len(p); i++ {
		x := p[i]
		lo, hi := 0, i
		for lo < hi {
			m := int(uint(lo+hi) >> 1)
			if p[m].w < x.w {
				hi = m
			} else {
				lo = m + 1
			}
		}
		copy(p[lo+1:i+1], p[lo:i])
		p[lo] = x
	}
}

// merge merges the sorted runs p[:mid] and p[mid:], the first run winning
// ties.
func merge(p []weighed, mid int, buf []weighed) {
	if mid == 0 || mid == len(p) || !(p[mid].w > p[mid-1].w) {
		return // already in order
	}
	a := buf[:mid]
	copy(a, p[:mid])
	i, j, k := 0, mid, 0
	for i < len(a) && j < len(p) {
		if p[j].w > a[i].w {
			p[k] = p[j]
			j++
		} else {
			p[k] = a[i]
			i++
		}
		k++
	}
	copy(p[k:], a[i:])
}
