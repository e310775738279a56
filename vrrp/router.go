package vrrp

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/hakit/hakit"
)

// interfaceTrackInterval is how often Run polls the state of its own
// interface when it tracks it.
const interfaceTrackInterval = 250 * time.Millisecond

// Router runs one virtual router: a Machine driven by a Link's packets,
// timers, tracking and a sync group. Create it with New and start it with
// Run.
type Router struct {
	cfg Config
	mc  MachineConfig

	mu      sync.Mutex
	stats   Stats
	running bool
}

// New validates cfg and returns a Router. It does no I/O.
func New(cfg Config) (*Router, error) {
	c, mc, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	r := &Router{cfg: c, mc: mc}
	r.stats.Priority = mc.Priority
	r.stats.MasterAdverInterval = mc.Interval
	for _, t := range c.Track {
		r.stats.Tracks = append(r.stats.Tracks, TrackStatus{Name: t.Name, Weight: t.Weight, Pending: true})
	}
	return r, nil
}

// Stats returns a snapshot of the router's state and counters. It is safe
// to call from any goroutine.
func (r *Router) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats.clone()
}

// State returns the current state.
func (r *Router) State() State {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats.State
}

// received is one packet that the reader parsed (or failed to).
type received struct {
	pkt     Packet
	adv     Advert
	err     error
	readErr bool // err is from the Link, not from ParseAdvert
}

// Run runs the router until ctx is done, then shuts it down as RFC 5798
// section 6.4 says (a MASTER sends a priority 0 advert and removes its
// addresses) and returns nil. It returns an error without running if the
// Link cannot be opened, has no primary address and is no AddrWatcher
// (a RawLink waits for one in FAULT), if the VIPs do not fit one advert on
// the interface's MTU, if another Router of the process runs the VRID on
// the interface (Link nil), or if Run is already running.
func (r *Router) Run(ctx context.Context) error {
	r.mu.Lock()
	if r.running {
		r.mu.Unlock()
		return fmt.Errorf("vrrp: router %s VRID %d: Run called twice", r.cfg.Interface, r.cfg.VRID)
	}
	r.running = true
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.running = false
		r.mu.Unlock()
	}()

	link := r.cfg.Link
	tracks := r.cfg.Track
	v6 := r.mc.VIPs[0].Is6()
	if link == nil {
		// keepalived refuses two instances with one VRID on one interface
		// and family, multicast and unicast being separate spaces.
		release, err := claimVRID(r.cfg.Interface, v6, len(r.cfg.UnicastPeers) > 0, r.cfg.VRID)
		if err != nil {
			return err
		}
		defer release()
		// One RawLink per interface, family and kind of destination,
		// shared by the process's Routers (see openView).
		view, err := openView(r.cfg.Interface, RawLinkConfig{
			IPv6:    v6,
			Unicast: len(r.cfg.UnicastPeers) > 0,
			VIPs:    r.cfg.VIPs,
			Labels:  r.cfg.VIPLabels,
			Table:   fmt.Sprintf("hakit_vrrp_%s_%d", r.cfg.Interface, r.cfg.VRID),
		}, r.cfg.VRID)
		if err != nil {
			return err
		}
		defer view.Close()
		link = view
	}
	// A Router enters INIT owning nothing: the addresses and no-accept
	// filter a killed run left go now, before any wait for probes and
	// whatever way Run returns (keepalived too removes an instance's
	// addresses as it starts).
	r.clearLeftovers(link)
	// The Router's own interface is tracked implicitly.
	if ic, ok := link.(InterfaceChecker); ok && !r.cfg.DontTrackInterface {
		tracks = append(tracks, Track{
			Name: "interface " + r.cfg.Interface, Checker: hakit.CheckerFunc(ic.CheckInterface),
			Interval: interfaceTrackInterval, Timeout: interfaceTrackInterval, Rise: 1, Fall: 1,
		})
	}
	if raw, ok := link.(interface{ Interface() *net.Interface }); ok {
		if ifi := raw.Interface(); ifi != nil {
			if err := r.fitsMTU(ifi.MTU); err != nil {
				return err
			}
		}
	}
	watcher, _ := link.(AddrWatcher)
	mc := r.mc
	mc.Primary = link.Primary().Unmap()
	noPrimary := !mc.Primary.IsValid() && watcher != nil
	if src := r.cfg.UnicastSource; src.IsValid() {
		mc.Primary = src
	} else if noPrimary {
		// In FAULT until the interface has an address (keepalived).
		mc.Primary = netip.IPv4Unspecified()
		if v6 {
			mc.Primary = netip.IPv6Unspecified()
		}
	}
	m, err := NewMachine(mc)
	if err != nil {
		return fmt.Errorf("vrrp: router %s VRID %d: link primary address: %w", r.cfg.Interface, r.cfg.VRID, err)
	}
	d := &driver{r: r, m: m, link: link, log: r.cfg.Logger, noPrimary: noPrimary}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	d.log = d.log.With("iface", r.cfg.Interface, "vrid", r.cfg.VRID)
	if noPrimary {
		d.log.Warn("vrrp: the interface has no address to advertise from")
	}
	for i := range d.timers {
		d.timers[i] = time.NewTimer(time.Hour)
		d.timers[i].Stop()
	}
	defer func() {
		for _, t := range d.timers {
			t.Stop()
		}
	}()
	if g := r.cfg.SyncGroup; g != nil {
		d.sync = g.join()
		defer g.leave(d.sync)
	}

	inner, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()

	pkts := make(chan received, 16)
	wg.Go(func() { d.read(inner, pkts) })
	results := make(chan trackResult, len(tracks))
	d.tracks = make([]trackState, len(tracks))
	for i, t := range tracks {
		d.tracks[i] = trackState{t: t, pending: true}
		wg.Go(func() { runTrack(inner, i, t, results) })
	}

	if implicit := len(tracks) > len(r.cfg.Track); implicit {
		// Start in FAULT rather than BACKUP when the interface is down,
		// as keepalived does.
		last := &d.tracks[len(tracks)-1]
		last.observe(last.t.Checker.Check(ctx))
	}
	// keepalived holds a router whose weight 0 scripts have not reported
	// yet (it sits in FAULT without saying so); here it stays in INIT.
	// Each probe reports within its Timeout.
	for slices.ContainsFunc(d.tracks, func(t trackState) bool {
		w, ok := r.weight(t.t.Weight)
		return t.pending && ok && w == 0
	}) {
		select {
		case <-ctx.Done():
			return nil
		case res := <-results:
			d.tracks[res.i].observe(res.err)
			d.syncTracks()
		}
	}
	d.retrack()
	d.step(Startup{})
	var syncWake, addrsChanged <-chan struct{}
	if d.sync != nil {
		syncWake = d.sync.wake
	}
	if watcher != nil {
		addrsChanged = watcher.AddrsChanged()
	}
	for {
		select {
		case <-ctx.Done():
			d.step(Shutdown{})
			return nil
		case rcv := <-pkts:
			d.packet(rcv)
		case res := <-results:
			d.track(res)
		case <-syncWake:
			for _, ev := range d.sync.take() {
				d.step(ev)
			}
		case <-addrsChanged:
			d.addrsChanged(watcher)
		case <-d.timers[TimerAdvert].C:
			d.step(TimerFired{Timer: TimerAdvert})
		case <-d.timers[TimerMasterDown].C:
			d.step(TimerFired{Timer: TimerMasterDown})
		case <-d.timers[TimerPreempt].C:
			d.step(TimerFired{Timer: TimerPreempt})
		case <-d.timers[TimerGARP].C:
			d.step(TimerFired{Timer: TimerGARP})
		case <-d.timers[TimerGARPRefresh].C:
			d.step(TimerFired{Timer: TimerGARPRefresh})
		case <-d.timers[TimerGARPLowerPrio].C:
			d.step(TimerFired{Timer: TimerGARPLowerPrio})
		}
	}
}

// driver is the state of one Run: it feeds the Machine and carries out
// its actions. Only Run's goroutine touches it, except read.
type driver struct {
	r      *Router
	m      *Machine
	link   Link
	log    *slog.Logger
	timers [numTimers]*time.Timer
	tracks []trackState
	sync   *syncMember
	buf    []byte

	warnedFilter bool                // logged that the Link is no Filter
	noPrimary    bool                // the link has no address of the family
	seen         map[netip.Addr]bool // VIPs seen on the link while MASTER
	drops        dropLog             // Warn logs of misconfigured peers
}

// read parses packets from the link and hands them to Run's loop.
func (d *driver) read(ctx context.Context, out chan<- received) {
	mode := d.r.cfg.Checksum
	for {
		p, err := d.link.ReadPacket(ctx)
		if ctx.Err() != nil {
			return
		}
		var rcv received
		if err != nil {
			rcv.err, rcv.readErr = fmt.Errorf("vrrp: read: %w", err), true
		} else {
			rcv.pkt = p
			rcv.adv, rcv.err = ParseAdvert(p.Payload, p.IPHeader, mode)
		}
		select {
		case out <- rcv:
		case <-ctx.Done():
			return
		}
		if err != nil {
			// A failing socket must not spin: wait a little.
			t := time.NewTimer(100 * time.Millisecond)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return
			}
		}
	}
}

func (d *driver) count(f func(s *Stats)) {
	d.r.mu.Lock()
	f(&d.r.stats)
	d.r.mu.Unlock()
}

func (d *driver) fail(err error, f func(s *Stats)) {
	d.count(func(s *Stats) {
		f(s)
		s.LastError = err
	})
}

func (d *driver) packet(rcv received) {
	switch {
	case rcv.readErr:
		d.log.Warn("vrrp: read failed", "err", rcv.err)
		d.fail(rcv.err, func(s *Stats) {})
		return
	case rcv.err != nil && len(rcv.pkt.Payload) > 1 && rcv.pkt.Payload[1] != 0 && rcv.pkt.Payload[1] != d.r.cfg.VRID:
		// keepalived finds the instance by the VRID before it checks
		// anything else: another VRID's bad packet is not ours to count.
		d.count(func(s *Stats) { s.OtherVRID++ })
		return
	case rcv.err != nil:
		d.logDrop(rcv.pkt.Src, rcv.err)
		d.fail(rcv.err, func(s *Stats) { s.ParseErrors++; s.countError(rcv.err) })
		return
	case rcv.adv.VRID != d.r.cfg.VRID:
		d.count(func(s *Stats) { s.OtherVRID++ })
		return
	}
	if err := d.checkDestination(rcv.pkt.Dst); err != nil {
		d.logDrop(rcv.pkt.Src, err)
		d.fail(err, func(s *Stats) { s.Rejected++; s.countError(err) })
		return
	}
	if err := d.checkPeer(rcv.pkt.Src); err != nil {
		d.logDrop(rcv.pkt.Src, err)
		d.fail(err, func(s *Stats) { s.Rejected++; s.NotPeer++ })
		return
	}
	acts, err := d.m.Step(AdvertReceived{Src: rcv.pkt.Src, Advert: rcv.adv})
	if err != nil {
		d.logDrop(rcv.pkt.Src, err)
		d.fail(err, func(s *Stats) { s.Rejected++; s.countError(err) })
		return
	}
	d.count(func(s *Stats) {
		s.AdvertsReceived++
		if rcv.adv.Priority == 0 {
			s.PriorityZeroReceived++
		}
	})
	d.do(acts)
}

// logDrop logs a dropped packet: at Warn, naming the cause and the peer,
// when the cause is the peer's configuration and dropLog allows it; else
// at Debug.
func (d *driver) logDrop(src netip.Addr, err error) {
	cause, ok := misconfiguration(err)
	if ok {
		if warn, suppressed := d.drops.warn(src, time.Now()); warn {
			d.log.Warn("vrrp: dropped advert: the peer is configured differently", "peer", src, "cause", cause, "suppressed", suppressed, "err", err)
			return
		}
	}
	d.log.Debug("vrrp: dropped advert", "peer", src, "err", err)
}

// checkPeer drops, with CheckUnicastSource, an advert from a sender that
// is not one of the unicast peers (keepalived's check_unicast_src).
func (d *driver) checkPeer(src netip.Addr) error {
	if !d.r.cfg.CheckUnicastSource || slices.Contains(d.r.cfg.UnicastPeers, src.Unmap()) {
		return nil
	}
	return &RejectError{Field: "Peer", Reason: fmt.Sprintf("unicast source address %v is not a unicast peer", src)}
}

// checkDestination drops, as keepalived does ("Expected multicast packet
// but received unicast packet" and the reverse, counted as address list
// errors), an advert sent to the multicast group when this router talks to
// unicast peers, or sent to a unicast address when it uses the group. An
// unknown destination passes.
func (d *driver) checkDestination(dst netip.Addr) error {
	if !dst.IsValid() {
		return nil
	}
	unicast := len(d.r.cfg.UnicastPeers) > 0
	if dst.IsMulticast() != unicast {
		return nil
	}
	want, got := "multicast", "unicast"
	if unicast {
		want, got = got, want
	}
	return &RejectError{Field: "Destination", Reason: fmt.Sprintf("Expected %s packet but received %s packet (to %v)", want, got, dst)}
}

func (d *driver) track(res trackResult) {
	ts := &d.tracks[res.i]
	if !ts.observe(res.err) {
		ts.err = res.err
		d.syncTracks()
		return
	}
	if ts.up {
		d.log.Info("vrrp: track up", "track", ts.t.Name)
	} else {
		d.log.Warn("vrrp: track down", "track", ts.t.Name, "err", res.err)
	}
	d.syncTracks()
	d.retrack()
}

// retrack applies the tracks' priority and fault, and the fault of a
// link without an address, to the Machine (through the sync group, if
// any).
func (d *driver) retrack() {
	prio, fault := d.trackedPriority()
	fault = fault || d.noPrimary
	if prio != d.m.Priority() {
		d.step(PriorityChanged{Priority: prio})
	}
	if d.sync != nil {
		d.sync.setFault(fault)
		for _, ev := range d.sync.take() {
			d.step(ev)
		}
	} else if fault != d.m.Fault() {
		d.step(FaultChanged{Fault: fault})
	}
}

// addrsChanged follows the link's addresses as keepalived's netlink
// reflector does: a new primary address is taken up, none at all is a
// fault until one appears, and a virtual address that a MASTER lost
// without asking makes it step back (VIPsRemoved).
func (d *driver) addrsChanged(w AddrWatcher) {
	p := d.link.Primary().Unmap()
	if p.IsValid() && p != d.m.cfg.Primary && !d.r.cfg.UnicastSource.IsValid() {
		d.log.Info("vrrp: primary address changed", "from", d.m.cfg.Primary, "to", p)
		d.step(PrimaryChanged{Primary: p})
	}
	if no := !p.IsValid(); no != d.noPrimary {
		d.noPrimary = no
		if no {
			d.log.Warn("vrrp: the interface lost its address", "addr", d.m.cfg.Primary)
		}
		d.retrack()
	}
	if d.m.State() != StateMaster {
		d.seen = nil
		return
	}
	addrs, err := w.Addrs()
	if err != nil {
		d.fail(err, func(s *Stats) { s.VIPErrors++ })
		return
	}
	// Only an address seen on the interface and then gone counts, as
	// keepalived reacts to its deletion: one that could not be added
	// (VIPErrors) must not make the router step down again and again.
	if d.seen == nil {
		d.seen = map[netip.Addr]bool{}
	}
	for _, v := range d.mc().VIPs {
		switch {
		case slices.Contains(addrs, v):
			d.seen[v] = true
		case d.seen[v]:
			d.log.Warn("vrrp: virtual address removed by someone else", "addr", v)
			d.seen = nil
			d.step(VIPsRemoved{})
			return
		}
	}
}

func (d *driver) mc() MachineConfig { return d.r.mc }

// trackedPriority applies TrackedPriority to the tracks' current status.
func (d *driver) trackedPriority() (uint8, bool) {
	st := make([]TrackStatus, 0, len(d.tracks))
	for _, t := range d.tracks {
		s := t.status()
		w, ok := d.r.weight(s.Weight)
		if !ok {
			continue
		}
		s.Weight = w
		st = append(st, s)
	}
	return TrackedPriority(d.mc().Priority, st)
}

// weight returns the weight a Track of weight w has in this router (see
// SyncWeights), and false if it is not applied.
func (r *Router) weight(w int) (int, bool) {
	if g := r.cfg.SyncGroup; g != nil {
		return g.Weights.effective(w)
	}
	return w, true
}

// syncTracks copies the tracks' status into Stats (only the configured
// ones; the implicit interface track shows through Fault).
func (d *driver) syncTracks() {
	d.count(func(s *Stats) {
		for i := range s.Tracks {
			s.Tracks[i] = d.tracks[i].status()
		}
	})
}

// step applies ev and carries out the resulting actions.
func (d *driver) step(ev Event) {
	acts, err := d.m.Step(ev)
	if err != nil {
		d.fail(err, func(s *Stats) { s.Rejected++ })
		return
	}
	d.do(acts)
}

func (d *driver) do(acts []Action) {
	var trans []Transition
	for _, a := range acts {
		switch a := a.(type) {
		case SendAdvert:
			d.send(a.Advert)
		case AddVIPs:
			// keepalived installs the no_accept rules before it adds
			// the addresses, so that no packet is accepted in between.
			if !a.Accept {
				d.block()
			}
			d.seen = nil
			if err := d.link.AddVIPs(d.r.cfg.VIPs); err != nil {
				d.log.Error("vrrp: add VIPs", "err", err)
				d.fail(err, func(s *Stats) { s.VIPErrors++ })
			}
		case RemoveVIPs:
			if err := d.link.RemoveVIPs(d.r.cfg.VIPs); err != nil {
				d.log.Error("vrrp: remove VIPs", "err", err)
				d.fail(err, func(s *Stats) { s.VIPErrors++ })
			}
			d.unblock()
		case Announce:
			for range a.Repeat {
				if err := d.link.Announce(d.mc().VIPs); err != nil {
					d.log.Warn("vrrp: announce VIPs", "err", err)
					d.fail(err, func(s *Stats) { s.VIPErrors++ })
					break
				}
			}
		case SetTimer:
			d.timers[a.Timer].Reset(a.After)
		case StopTimer:
			d.timers[a.Timer].Stop()
		case Transition:
			trans = append(trans, a)
			d.log.Info("vrrp: state "+a.To.String(), "from", a.From.String(), "reason", a.Reason.String(), "priority", d.m.Priority())
			if a.From == StateFault && a.To == StateBackup && len(d.r.cfg.UnicastPeers) > 0 {
				// keepalived's try_up_instance: a unicast peer may have
				// dropped this router from its neighbour cache while it
				// was down; a gratuitous ARP / NA for its own address
				// lets the master's adverts reach it at once.
				if err := d.link.Announce([]netip.Addr{d.m.cfg.Primary}); err != nil {
					d.log.Warn("vrrp: announce own address", "err", err)
					d.fail(err, func(s *Stats) { s.VIPErrors++ })
				}
			}
		case WantMaster:
		}
		if d.sync != nil {
			switch a.(type) {
			case Transition, WantMaster:
				d.sync.observe(a)
			}
		}
	}
	d.count(func(s *Stats) {
		s.State = d.m.State()
		s.Priority = d.m.Priority()
		s.Fault = d.m.Fault()
		s.Master, s.MasterPriority = d.m.Master()
		s.MasterAdverInterval = d.m.MasterAdverInterval()
		for _, t := range trans {
			s.Transitions++
			if t.To == StateMaster {
				s.BecameMaster++
			}
			if t.From == StateMaster {
				s.ReleasedMaster++
			}
		}
	})
	if f := d.r.cfg.OnStateChange; f != nil {
		for _, t := range trans {
			f(t)
		}
	}
}

// noAccept reports whether the router ever filters: Accept_Mode False
// and not the address owner (RFC 5798 section 6.4.3).
func (d *driver) noAccept() bool {
	return d.r.cfg.NoAccept && d.mc().Priority != OwnerPriority
}

// block installs the Accept_Mode filter, if the Link can.
func (d *driver) block() {
	f, ok := d.link.(Filter)
	if !ok {
		if !d.warnedFilter {
			d.warnedFilter = true
			d.log.Warn("vrrp: NoAccept: the link cannot filter; packets to the VIPs are accepted")
		}
		return
	}
	if err := f.BlockVIPs(d.r.cfg.VIPs); err != nil {
		d.log.Error("vrrp: block VIPs (NoAccept)", "err", err)
		d.fail(err, func(s *Stats) { s.VIPErrors++ })
	}
}

// unblock removes the Accept_Mode filter of a NoAccept router (also at
// startup, where one left by a killed run may remain, as keepalived
// deletes its old tables when it starts).
func (d *driver) unblock() {
	f, ok := d.link.(Filter)
	if !ok || !d.noAccept() {
		return
	}
	if err := f.UnblockVIPs(); err != nil {
		d.log.Error("vrrp: unblock VIPs (NoAccept)", "err", err)
		d.fail(err, func(s *Stats) { s.VIPErrors++ })
	}
}

func (d *driver) send(a Advert) {
	// The Machine's primary: the link's, or the last it had (a priority
	// 0 advert on losing the address goes out from it, as keepalived's).
	src := d.m.cfg.Primary
	dsts := d.r.cfg.UnicastPeers
	if len(dsts) == 0 {
		dsts = []netip.Addr{Group4}
		if src.Is6() {
			dsts[0] = Group6
		}
	}
	for _, dst := range dsts {
		var err error
		d.buf, err = AppendAdvert(d.buf[:0], a, src, dst, d.r.cfg.Checksum)
		if err == nil {
			err = d.link.WritePacket(Packet{IPHeader: IPHeader{Src: src, Dst: dst, TTL: TTL}, Payload: d.buf})
		}
		if err != nil {
			d.log.Warn("vrrp: send advert", "dst", dst, "err", err)
			d.fail(err, func(s *Stats) { s.SendErrors++ })
			continue
		}
		d.count(func(s *Stats) {
			s.AdvertsSent++
			if a.Priority == 0 {
				s.PriorityZeroSent++
			}
		})
	}
}

// clearLeftovers removes the Router's addresses and its no-accept filter
// from link, logging failures (Startup retries the addresses). The
// filter goes whatever NoAccept says now: the killed run may have had it
// on. The address owner keeps its own addresses: Startup makes it MASTER.
func (r *Router) clearLeftovers(link Link) {
	log := r.cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("iface", r.cfg.Interface, "vrid", r.cfg.VRID)
	if r.mc.Priority != OwnerPriority {
		if err := link.RemoveVIPs(r.cfg.VIPs); err != nil {
			log.Error("vrrp: remove VIPs left by an earlier run", "err", err)
		}
	}
	if f, ok := link.(Filter); ok {
		if err := f.UnblockVIPs(); err != nil {
			// Without NoAccept there is most likely no filter to remove,
			// and maybe no nftables to ask.
			level := slog.LevelDebug
			if r.cfg.NoAccept {
				level = slog.LevelError
			}
			log.Log(context.Background(), level, "vrrp: remove the no-accept filter left by an earlier run", "err", err)
		}
	}
}
