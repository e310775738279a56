package lb

import "time"

// This file is HAProxy's weighted round robin ("fwrr", src/lb_fwrr.c in
// HAProxy 2.6), rewritten over small slices: HAProxy keeps each group's
// servers in three ordered trees, here a tree is a tag on the server and
// "first of a tree" a scan, which for the tens of servers a backend has is
// as fast and allocates nothing.
//
// The model: a group (the active servers, or the backups) walks positions
// 0, 1, 2, ... Each server has a next position npos, advanced by
// totalWeight/weight (the remainder carried in rweight) every time it is
// served, and the server with the lowest npos not beyond the current
// position is served next. Servers not yet placed wait in the "init" tree,
// heaviest first, and are placed when the current tree has a hole. A server
// whose next position falls beyond the window goes to the "next" tree, which
// becomes "init" when the window ends. This is what gives weights 1/2/3 the
// order s3 s2 s3 s1 s3 s2 on a fresh start.

const (
	treeNone = iota
	treeCurr
	treeT0
	treeT1
)

// HAProxy's SRV_EWGHT_MAX (256 user weight units times BE_WEIGHT_SCALE) and
// SRV_UWGHT_RANGE, which shape the tree keys.
const (
	ewghtMax    = 256 * weightScale
	uwghtRange  = 256
	weightLimit = 256
)

// rrState is a server's place in its round robin group.
type rrState struct {
	npos, lpos, rweight int
	tree                int8
	key                 uint32
	seq                 uint64 // insertion order: ties go to the oldest
	inGroup             bool   // counted in the group's weight
	weight              int    // eweight the group counted
	nextFull            *Server
}

type rrGroup struct {
	members                         []*Server
	currWeight, currPos, nextWeight int
	init, next                      int8
	seq                             uint64
	count                           int // usable servers
}

func (g *rrGroup) reset() {
	g.currWeight, g.currPos, g.nextWeight, g.count = 0, 0, 0, 0
	g.init, g.next = treeT0, treeT1
	for _, s := range g.members {
		s.rr = rrState{}
	}
}

func (g *rrGroup) first(tree int8) *Server {
	var best *Server
	for _, s := range g.members {
		if s.rr.tree != tree {
			continue
		}
		if best == nil || s.rr.key < best.rr.key || (s.rr.key == best.rr.key && s.rr.seq < best.rr.seq) {
			best = s
		}
	}
	return best
}

func (g *rrGroup) insert(s *Server, tree int8, key uint32) {
	s.rr.tree, s.rr.key, s.rr.seq = tree, key, g.seq
	g.seq++
}

func (g *rrGroup) queueByWeight(s *Server, tree int8) {
	g.insert(s, tree, uint32(ewghtMax-s.eweight))
}

// queue places s after it was served or its weight changed.
func (g *rrGroup) queue(s *Server) {
	switch {
	case !s.rr.inGroup:
		s.rr.tree = treeNone
	case s.rr.npos >= 2*g.currWeight || s.rr.npos >= g.currWeight+g.nextWeight:
		// Beyond this window: wait for the next one.
		s.rr.npos -= g.currWeight
		g.queueByWeight(s, g.next)
	default:
		g.insert(s, treeCurr, uint32(uwghtRange*s.rr.npos+(ewghtMax+s.rr.rweight-s.eweight)/weightScale))
	}
}

// prepare adjusts npos of a server taken out of its tree.
func (g *rrGroup) prepare(s *Server) {
	switch s.rr.tree {
	case g.init:
		s.rr.npos, s.rr.rweight = 0, 0
	case g.next:
		s.rr.npos += g.currWeight
	case treeNone:
		s.rr.npos = g.currPos
	}
}

func (g *rrGroup) fromGroup() *Server {
	s := g.first(treeCurr)
	if s == nil || s.rr.npos > g.currPos {
		// No server left, or a hole: place a waiting one.
		if n := g.first(g.init); n != nil {
			n.rr.npos, n.rr.rweight = 0, 0
			return n
		}
	}
	return s
}

func (g *rrGroup) advance(s *Server) {
	if s.rr.npos == 0 {
		s.rr.npos = g.currPos
	}
	s.rr.lpos = s.rr.npos
	s.rr.npos += g.nextWeight / s.eweight
	s.rr.rweight += g.nextWeight % s.eweight
	if s.rr.rweight >= s.eweight {
		s.rr.rweight -= s.eweight
		s.rr.npos++
	}
}

// pick returns the next server, skipping saturated ones and avoid (unless it
// is the only choice), or nil.
func (g *rrGroup) pick(avoid *Server) *Server {
	if g.count == 0 {
		return nil
	}
	switched := false
	var full, avoided, srv *Server
	for {
		if g.currWeight == 0 {
			g.currPos, g.currWeight = g.nextWeight, g.nextWeight
		}
		for {
			srv = g.fromGroup()
			if srv != nil {
				break
			}
			if switched {
				srv = avoided
				break
			}
			switched = true
			g.init, g.next = g.next, g.init
			g.currWeight = g.nextWeight
			g.currPos = g.currWeight
		}
		if srv == nil || srv == avoided {
			break
		}
		g.advance(srv)
		srv.rr.tree = treeNone
		g.currPos++
		if !srv.full() {
			if srv != avoid || avoided != nil {
				break
			}
			avoided = srv
		}
		srv.rr.nextFull = full
		full = srv
		srv = nil
	}
	if srv != nil {
		g.queue(srv)
	}
	for ; full != nil; full = full.rr.nextFull {
		if full == srv {
			continue
		}
		if switched {
			g.queueByWeight(full, g.init)
		} else {
			g.queue(full)
		}
	}
	return srv
}

// up adds s to the group's rotation (it became usable).
func (g *rrGroup) up(s *Server) {
	if s.rr.inGroup {
		return
	}
	s.rr.inGroup = true
	s.rr.weight = s.eweight
	g.nextWeight += s.eweight
	g.count++
	g.prepare(s)
	s.rr.npos = g.currPos + (g.nextWeight+g.currWeight-g.currPos)/s.eweight
	g.queue(s)
}

// down removes s from the rotation.
func (g *rrGroup) down(s *Server) {
	if !s.rr.inGroup {
		return
	}
	s.rr.inGroup = false
	g.nextWeight -= s.rr.weight
	g.count--
	s.rr.tree = treeNone
}

// reweight follows a change of s's effective weight while it stays usable.
func (g *rrGroup) reweight(s *Server) {
	if !s.rr.inGroup || s.rr.weight == s.eweight {
		return
	}
	g.nextWeight += s.eweight - s.rr.weight
	s.rr.weight = s.eweight
	switch s.rr.tree {
	case g.init, g.next:
		g.queueByWeight(s, s.rr.tree)
	case treeCurr:
		// Place it as if served from its last position at the new
		// weight, but not before the current position.
		npos := s.rr.lpos + g.nextWeight/s.eweight
		if npos < g.currPos {
			npos = g.currPos
		}
		s.rr.npos = npos
		g.queue(s)
	}
}

// build places every usable member in the init tree, heaviest first, as
// HAProxy does at startup.
func (g *rrGroup) build(now time.Time) {
	g.reset()
	for _, s := range g.members {
		if s.usable(now) {
			s.rr.inGroup = true
			s.rr.weight = s.eweight
			g.nextWeight += s.eweight
			g.count++
			g.queueByWeight(s, g.init)
		}
	}
	g.currWeight, g.currPos = g.nextWeight, g.nextWeight
}
