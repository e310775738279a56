package vrrp

import (
	"errors"
	"net/netip"
	"time"
)

// Misconfiguration logging. An advert dropped because the sender is set
// up differently (a VRRPv2 authentication type, another checksum
// convention, a TTL below 255 from a routed segment, another address list,
// version or VRRPv2 interval, unicast against multicast) leaves each side
// believing the other dead: a split brain that the counters alone do not
// show. The first such drop from each peer is logged at Warn, then at most
// one per peer every misconfigLogEvery; the rest go to Debug, and every
// drop is counted in Stats.
const (
	// misconfigLogEvery is the least time between two Warn logs of one
	// peer's dropped adverts.
	misconfigLogEvery = time.Minute
	// misconfigLogPeers bounds the peers remembered: senders are whoever
	// can put a packet on the link. When full, peers not logged for
	// misconfigLogEvery are forgotten; if none is, a new peer's drops go
	// to Debug until one is.
	misconfigLogPeers = 256
)

// misconfiguration returns the field of a drop whose cause lies in the
// sender's configuration rather than in a damaged or foreign packet, and
// whether there is one.
func misconfiguration(err error) (string, bool) {
	var pe *ParseError
	var re *RejectError
	switch {
	case errors.As(err, &pe):
		switch pe.Field {
		case "TTL", "Checksum", "AuthType":
			return pe.Field, true
		}
	case errors.As(err, &re):
		switch re.Field {
		case "Version", "Addrs", "Interval", "Destination", "Peer", "AuthType", "AuthPass":
			return re.Field, true
		}
	}
	return "", false
}

// dropLog decides which dropped adverts are logged at Warn: the first
// from each peer, then one a misconfigLogEvery. It is used from Run's
// goroutine only.
type dropLog struct {
	peers map[netip.Addr]*dropPeer
}

type dropPeer struct {
	warned     time.Time // last Warn
	suppressed int       // drops since, logged at Debug
}

// warn reports whether a drop from src at now is logged at Warn, and how
// many drops of src went to Debug since the last Warn.
func (l *dropLog) warn(src netip.Addr, now time.Time) (bool, int) {
	if l.peers == nil {
		l.peers = map[netip.Addr]*dropPeer{}
	}
	p := l.peers[src]
	if p == nil {
		if len(l.peers) >= misconfigLogPeers {
			for a, q := range l.peers {
				if now.Sub(q.warned) >= misconfigLogEvery {
					delete(l.peers, a)
				}
			}
		}
		if len(l.peers) >= misconfigLogPeers {
			return false, 0
		}
		p = &dropPeer{}
		l.peers[src] = p
	} else if now.Sub(p.warned) < misconfigLogEvery {
		p.suppressed++
		return false, 0
	}
	n := p.suppressed
	p.warned, p.suppressed = now, 0
	return true, n
}
