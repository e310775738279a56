package cache

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// pointsPerServer is KETAMA_POINTS_PER_SERVER in nutcracker and
// MEMCACHED_POINTS_PER_SERVER_KETAMA in libmemcached: the points of one
// server of average weight. Each MD5 digest gives 4 of them.
const pointsPerServer = 160

// maxHashedName is how many bytes of "<name>-<i>" nutcracker hashes at most:
// KETAMA_MAX_HOSTLEN (273) less the terminating NUL (nc_ketama.c).
const maxHashedName = 272

// ketamaPoints returns how many points a server of weight w gets when the
// live servers' weights add up to total and live servers are on the ring.
//
// Both nutcracker (ketama_update) and libmemcached (update_continuum)
// compute it in C float, one rounding per operation in C's order:
//
//	pct = (float)w / (float)total
//	points = floorf(pct * 160 / 4 * (float)live + 1e-10) * 4
//
// Exact arithmetic gives another count for about 1% of weight sets (with
// weights 11, 51, 58 the third server gets 228 points, not 232), so every
// step is forced to float32: the explicit conversions stop the compiler from
// fusing a multiply and an add. In both tools the 1e-10 is a double
// literal, so that one addition is done in double and cast back to float.
func ketamaPoints(w, total uint32, live int) int {
	pct := float32(float32(w) / float32(total))
	x := float32(pct * pointsPerServer)
	x = float32(x / 4)
	x = float32(x * float32(live))
	y := float32(float64(x) + 0.0000000001)
	return int(math.Floor(float64(y))) * 4
}

// point is one point of the continuum: a hash value and the index of the
// server that owns it.
type point struct {
	value uint32
	owner int32
}

// ketamaName returns the name a server is hashed under: its twemproxy name
// if it has one, else the host alone on port 11211 and "host:port"
// otherwise. ModeTwemproxy keeps the port as written in Addr (nutcracker
// copies it from its configuration); ModeLibmemcached prints the number
// (snprintf "%s:%u") and takes the host without IPv6 brackets, as
// memcached_server_add is given it.
func ketamaName(mode Mode, s Server) string {
	host, portText, port, _ := s.hostPort()
	if mode == ModeLibmemcached {
		if len(host) >= 2 && host[0] == '[' && host[len(host)-1] == ']' {
			host = host[1 : len(host)-1]
		}
		if port == DefaultPort {
			return host
		}
		return host + ":" + strconv.Itoa(port)
	}
	if s.Name != "" {
		return s.Name
	}
	if port == DefaultPort {
		return host
	}
	return host + ":" + portText
}

// placementOrder returns the servers' indexes in the order the tool
// places them. libmemcached keeps the order servers were added in.
// nutcracker sorts its servers by name, shorter names first and equal
// lengths bytewise (conf_validate_server sorts with conf_server_name_cmp,
// which is string_compare), and refuses two servers of the same name, so
// its order depends on the names alone; ModeTwemproxy returns an error
// naming the duplicate.
func placementOrder(mode Mode, servers []Server) ([]int, error) {
	order := make([]int, len(servers))
	for i := range order {
		order[i] = i
	}
	if mode != ModeTwemproxy {
		return order, nil
	}
	names := make([]string, len(servers))
	for i, s := range servers {
		names[i] = ketamaName(mode, s)
	}
	slices.SortStableFunc(order, func(a, b int) int {
		if d := len(names[a]) - len(names[b]); d != 0 {
			return d
		}
		return strings.Compare(names[a], names[b])
	})
	for k := 1; k < len(order); k++ {
		if names[order[k-1]] == names[order[k]] {
			return nil, fmt.Errorf("cache: RingConfig.Servers[%d] and [%d] are both named %q (nutcracker refuses servers of the same name)", order[k-1], order[k], names[order[k]])
		}
	}
	return order, nil
}

// buildContinuum places the live servers' points: for each point group i of
// a server, md5("<name>-<i>") gives four points, its little-endian words.
// Points are sorted by value, and equal values by the servers' places in
// order: libmemcached compares both (continuum_item_cmp); nutcracker
// compares values only but sorts with glibc's qsort, a stable merge sort,
// over points generated in server order, which gives the same order.
func buildContinuum(mode Mode, servers []Server, order []int, weights []uint32, live []bool) (values []uint32, owners []int32) {
	var total uint32
	nlive := 0
	for i := range servers {
		if live[i] {
			total += weights[i]
			nlive++
		}
	}
	if nlive == 0 {
		return nil, nil
	}
	pts := make([]point, 0, nlive*pointsPerServer)
	rank := make([]int32, len(servers))
	buf := make([]byte, 0, 64)
	for r, i := range order {
		rank[i] = int32(r)
		if !live[i] {
			continue
		}
		s := servers[i]
		n := ketamaPoints(weights[i], total, nlive)
		name := ketamaName(mode, s)
		for g := 0; g < n/4; g++ {
			buf = append(buf[:0], name...)
			buf = append(buf, '-')
			buf = strconv.AppendUint(buf, uint64(g), 10)
			if mode == ModeTwemproxy && len(buf) > maxHashedName {
				buf = buf[:maxHashedName]
			}
			for w := range 4 {
				pts = append(pts, point{md5Word(buf, w), int32(i)})
			}
		}
	}
	slices.SortStableFunc(pts, func(a, b point) int {
		switch {
		case a.value < b.value:
			return -1
		case a.value > b.value:
			return 1
		}
		return int(rank[a.owner] - rank[b.owner])
	})
	values = make([]uint32, len(pts))
	owners = make([]int32, len(pts))
	for i, p := range pts {
		values[i], owners[i] = p.value, p.owner
	}
	return values, owners
}

// ketamaDispatch returns the owner of the first point whose value is at
// least h, wrapping to the first point past the end: the binary search of
// nutcracker's ketama_dispatch and libmemcached's dispatch_host.
func ketamaDispatch(values []uint32, owners []int32, h uint32) int {
	lo, hi := 0, len(values)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if values[m] < h {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == len(values) {
		lo = 0
	}
	return int(owners[lo])
}
