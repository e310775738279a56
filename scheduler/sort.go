package scheduler

import "slices"

// sortWeighed sorts hosts by weight, highest first, keeping hosts of equal
// weight in their order: Python's sorted(key=weight, reverse=True).
func sortWeighed(p []weighed) {
	slices.SortStableFunc(p, func(a, b weighed) int {
		switch {
		case a.w > b.w:
			return -1
		case a.w < b.w:
			return 1
		}
		return 0
	})
}
