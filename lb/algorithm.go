package lb

import (
	"fmt"
	"strings"
)

// Algorithm is a balancing algorithm: HAProxy's "balance" keyword, plus
// LVS's schedulers for TCP services.
type Algorithm int

// The algorithms. HAProxy's are described in its configuration manual,
// section 4.2, "balance"; LVS's in ipvsadm(8), "-s scheduling-method".
const (
	// RoundRobin is HAProxy's "roundrobin": weighted, smooth, and dynamic
	// (weights may change at run time). The order is HAProxy's own: with
	// weights 1/2/3 a fresh backend serves s3 s2 s3 s1 s3 s2.
	RoundRobin Algorithm = iota
	// StaticRR is "static-rr": weighted round robin whose weights are
	// fixed, with no limit on the number of servers.
	StaticRR
	// LeastConn is "leastconn": the server with the fewest connections
	// relative to its weight; round robin among equals.
	LeastConn
	// First is "first": the first server (in declaration order) with a free
	// connection slot (below its maxconn).
	First
	// Source is "source": a hash of the client address.
	Source
	// URI is "uri": a hash of the request path and query (HTTP only).
	URI
	// URLParam is "url_param <param>": a hash of a query parameter's value;
	// round robin when the parameter is absent (HTTP only).
	URLParam
	// Hdr is "hdr(<name>)": a hash of a request header's value; round robin
	// when the header is absent (HTTP only).
	Hdr
	// Random is "random(<draws>)": the least loaded of <draws> servers
	// drawn at random by weight, without replacement (power of N choices).
	Random
	// WLC is LVS's weighted least-connection: the least connections per
	// unit of weight.
	WLC
	// SED is LVS's shortest expected delay: the least (connections+1) per
	// unit of weight.
	SED
	// NQ is LVS's never queue: an idle server if there is one, else SED.
	NQ
	// DH is LVS's destination hashing: a static hash of the destination
	// address over the servers.
	DH
	// SH is LVS's source hashing: a static hash of the source address over
	// the servers, skipping unavailable ones.
	SH
)

var algorithmNames = [...]string{
	RoundRobin: "roundrobin", StaticRR: "static-rr", LeastConn: "leastconn",
	First: "first", Source: "source", URI: "uri", URLParam: "url_param",
	Hdr: "hdr", Random: "random", WLC: "wlc", SED: "sed", NQ: "nq",
	DH: "dh", SH: "sh",
}

// String returns the keyword of the algorithm in HAProxy's "balance" (or
// ipvsadm's -s for the LVS ones).
func (a Algorithm) String() string {
	if a >= 0 && int(a) < len(algorithmNames) {
		return algorithmNames[a]
	}
	return fmt.Sprintf("Algorithm(%d)", int(a))
}

// ParseAlgorithm parses a keyword as String writes it. The argument of
// "url_param", "hdr(...)" and "random(...)" is not part of the keyword.
func ParseAlgorithm(s string) (Algorithm, error) {
	for i, n := range algorithmNames {
		if strings.EqualFold(s, n) {
			return Algorithm(i), nil
		}
	}
	return 0, fmt.Errorf("lb: unknown algorithm %q", s)
}

// hashed reports whether the algorithm maps a key to a server.
func (a Algorithm) hashed() bool {
	switch a {
	case Source, URI, URLParam, Hdr, DH, SH:
		return true
	}
	return false
}

// HashType is HAProxy's "hash-type": how a hash picks a server.
type HashType int

const (
	// HashMapBased is "map-based", HAProxy's default: the hash modulo the
	// total weight over a static table. Changing the servers moves most
	// keys.
	HashMapBased HashType = iota
	// HashConsistent is "consistent": a ring of points per server, so that
	// a server going away moves only its own keys. BalanceFactor bounds the
	// load (HAProxy's "hash-balance-factor").
	HashConsistent
)

// String returns HAProxy's keyword.
func (h HashType) String() string {
	switch h {
	case HashMapBased:
		return "map-based"
	case HashConsistent:
		return "consistent"
	}
	return fmt.Sprintf("HashType(%d)", int(h))
}
