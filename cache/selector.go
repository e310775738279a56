package cache

import (
	"fmt"
	"net"
	"sync/atomic"

	"github.com/bradfitz/gomemcache/memcache"
)

// errNoLiveServers is returned by Selector.PickServer when no server is
// live. It wraps both ErrNoServers and gomemcache's memcache.ErrNoServers,
// so callers of either package recognise it.
var errNoLiveServers = fmt.Errorf("%w (%w)", ErrNoServers, memcache.ErrNoServers)

// serverAddr is a net.Addr for one server, made once so that PickServer
// allocates nothing. Its String is the address gomemcache dials and keys
// its idle connections by.
type serverAddr struct{ addr string }

func (a *serverAddr) Network() string { return "tcp" }
func (a *serverAddr) String() string  { return a.addr }

// selectorState is what a Selector swaps atomically.
type selectorState struct {
	ring  *Ring
	addrs []net.Addr
}

// Selector is a gomemcache memcache.ServerSelector that places keys on a
// Ring, so that a gomemcache client finds every key on the server where
// nutcracker or libmemcached (per the Ring's Mode) put it:
//
//	sel := cache.NewSelector(ring)
//	mc := memcache.NewFromSelector(sel)
//
// Its Ring can be replaced at any time (SetRing), which is how Client
// ejects servers. It is safe for concurrent use, and PickServer allocates
// nothing. Addresses are dialled as written (Server.DialAddr); no DNS
// lookup happens until gomemcache dials.
type Selector struct {
	state atomic.Pointer[selectorState]
}

var _ memcache.ServerSelector = (*Selector)(nil)

// NewSelector returns a Selector on r.
func NewSelector(r *Ring) *Selector {
	s := &Selector{}
	s.SetRing(r)
	return s
}

// SetRing makes the Selector place keys on r from now on.
func (s *Selector) SetRing(r *Ring) {
	st := &selectorState{ring: r, addrs: make([]net.Addr, r.Len())}
	if old := s.state.Load(); old != nil && len(old.addrs) == r.Len() {
		// Keep the same Addr values for the same servers.
		for i := range st.addrs {
			if old.addrs[i].String() == r.Server(i).DialAddr() {
				st.addrs[i] = old.addrs[i]
			}
		}
	}
	for i := range st.addrs {
		if st.addrs[i] == nil {
			st.addrs[i] = &serverAddr{r.Server(i).DialAddr()}
		}
	}
	s.state.Store(st)
}

// Ring returns the Ring the Selector places keys on.
func (s *Selector) Ring() *Ring { return s.state.Load().ring }

// PickServer returns the address of the server that holds key, or an error
// wrapping ErrNoServers and memcache.ErrNoServers when no server is live.
func (s *Selector) PickServer(key string) (net.Addr, error) {
	st := s.state.Load()
	i := st.ring.IndexString(key)
	if i < 0 {
		return nil, errNoLiveServers
	}
	return st.addrs[i], nil
}

// Each calls f with the address of each live server, in the Ring's order,
// stopping at the first error (gomemcache's Ping, FlushAll and DeleteAll
// use it).
func (s *Selector) Each(f func(net.Addr) error) error {
	st := s.state.Load()
	for i, a := range st.addrs {
		if !st.ring.Live(i) {
			continue
		}
		if err := f(a); err != nil {
			return err
		}
	}
	return nil
}
