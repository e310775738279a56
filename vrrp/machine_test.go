package vrrp

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

var (
	vip     = netip.MustParseAddr("192.0.2.100")
	self    = netip.MustParseAddr("192.0.2.10")
	lowerIP = netip.MustParseAddr("192.0.2.5")
	upperIP = netip.MustParseAddr("192.0.2.20")
)

func baseConfig() MachineConfig {
	return MachineConfig{VRID: 7, Priority: 100, VIPs: []netip.Addr{vip}, Primary: self}
}

func adv(prio uint8, iv time.Duration) Advert {
	return Advert{Version: Version3, VRID: 7, Priority: prio, Interval: iv, Addrs: []netip.Addr{vip}}
}

func from(src netip.Addr, prio uint8) AdvertReceived {
	return AdvertReceived{Src: src, Advert: adv(prio, time.Second)}
}

func ours(prio uint8) SendAdvert { return SendAdvert{Advert: adv(prio, time.Second)} }

// becameMaster is what RFC 5798 section 6.4.2 (and 6.4.1 for the owner)
// asks of a router taking over, with keepalived's GARP defaults.
func becameMaster(from State, prio uint8, why Reason) []Action {
	return []Action{
		StopTimer{TimerMasterDown}, StopTimer{TimerPreempt},
		ours(prio), AddVIPs{Accept: true}, Announce{Repeat: 5},
		SetTimer{TimerAdvert, time.Second}, SetTimer{TimerGARP, 5 * time.Second},
		Transition{From: from, To: StateMaster, Reason: why},
	}
}

var leftMaster = []Action{StopTimer{TimerAdvert}, StopTimer{TimerGARP}, StopTimer{TimerGARPRefresh}, StopTimer{TimerGARPLowerPrio}, RemoveVIPs{}}

// lowerPrioAnswer is what a MASTER does on a lower-priority advert, as
// keepalived's vrrp_state_master_rx: an advert of its own ("forcing new
// election"), then garp_lower_prio_repeat rounds of announcements (default
// garp_master_repeat, 5) and again after garp_lower_prio_delay (default
// garp_master_delay, 5s), because the other router, which believed itself
// MASTER, has announced the addresses as its own.
func lowerPrioAnswer(prio uint8) []Action {
	return []Action{ours(prio), Announce{Repeat: 5}, SetTimer{TimerGARPLowerPrio, 5 * time.Second}}
}

func cat(parts ...[]Action) []Action {
	var out []Action
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// Master_Down_Interval for priority 100 and 1s: 3s + 156/256 s.
const down100 = 3*time.Second + 609375*time.Microsecond

func step(t *testing.T, m *Machine, ev Event) []Action {
	t.Helper()
	acts, err := m.Step(ev)
	if err != nil {
		t.Fatalf("Step(%#v): %v", ev, err)
	}
	checkReleases(t, acts)
	return acts
}

// checkReleases fails unless every transition to INIT, BACKUP or FAULT
// in acts comes after a RemoveVIPs: a router entering those states holds
// no address, whatever it held before (a killed run's leftovers included).
func checkReleases(t *testing.T, acts []Action) {
	t.Helper()
	removed := false
	for _, a := range acts {
		switch a := a.(type) {
		case RemoveVIPs:
			removed = true
		case Transition:
			if a.To != StateMaster && !removed {
				t.Errorf("%v -> %v without RemoveVIPs before it:%s", a.From, a.To, fmtActions(acts))
			}
		}
	}
}

func newBackup(t *testing.T, mod func(*MachineConfig)) *Machine {
	t.Helper()
	c := baseConfig()
	if mod != nil {
		mod(&c)
	}
	m, err := NewMachine(c)
	if err != nil {
		t.Fatal(err)
	}
	step(t, m, Startup{})
	return m
}

func newMaster(t *testing.T, mod func(*MachineConfig)) *Machine {
	t.Helper()
	m := newBackup(t, mod)
	if m.State() != StateMaster {
		step(t, m, TimerFired{TimerMasterDown})
	}
	if m.State() != StateMaster {
		t.Fatalf("state %v, want MASTER", m.State())
	}
	return m
}

func TestMachineRFC(t *testing.T) {
	cases := []struct {
		name  string
		mk    func(t *testing.T) *Machine
		ev    Event
		want  []Action
		state State
	}{
		{
			name: "RFC 5798 6.4.1: startup of a non-owner sets Master_Down_Timer and goes BACKUP (keepalived: removing stale VIPs first)",
			mk: func(t *testing.T) *Machine {
				m, _ := NewMachine(baseConfig())
				return m
			},
			ev:    Startup{},
			want:  []Action{RemoveVIPs{}, SetTimer{TimerMasterDown, down100}, Transition{StateInit, StateBackup, ReasonStartup}},
			state: StateBackup,
		},
		{
			name: "RFC 5798 6.4.1: startup of the address owner (255) goes MASTER at once",
			mk: func(t *testing.T) *Machine {
				c := baseConfig()
				c.Priority = 255
				m, _ := NewMachine(c)
				return m
			},
			ev:    Startup{},
			want:  becameMaster(StateInit, 255, ReasonOwner),
			state: StateMaster,
		},
		{
			name:  "RFC 5798 6.4.2: Master_Down_Timer fires in BACKUP: advertise, announce, go MASTER",
			mk:    func(t *testing.T) *Machine { return newBackup(t, nil) },
			ev:    TimerFired{TimerMasterDown},
			want:  becameMaster(StateBackup, 100, ReasonMasterDown),
			state: StateMaster,
		},
		{
			name:  "RFC 5798 6.4.2: priority 0 advert sets Master_Down_Timer to Skew_Time",
			mk:    func(t *testing.T) *Machine { return newBackup(t, nil) },
			ev:    from(upperIP, 0),
			want:  []Action{SetTimer{TimerMasterDown, 609375 * time.Microsecond}},
			state: StateBackup,
		},
		{
			name:  "RFC 5798 6.4.2: higher priority advert resets Master_Down_Timer",
			mk:    func(t *testing.T) *Machine { return newBackup(t, nil) },
			ev:    from(lowerIP, 200),
			want:  []Action{SetTimer{TimerMasterDown, down100}},
			state: StateBackup,
		},
		{
			name:  "RFC 5798 6.4.2: equal priority advert resets Master_Down_Timer (>=, whatever the address)",
			mk:    func(t *testing.T) *Machine { return newBackup(t, nil) },
			ev:    from(lowerIP, 100),
			want:  []Action{SetTimer{TimerMasterDown, down100}},
			state: StateBackup,
		},
		{
			name:  "RFC 5798 6.4.2: lower priority advert with Preempt_Mode True is discarded",
			mk:    func(t *testing.T) *Machine { return newBackup(t, nil) },
			ev:    from(upperIP, 50),
			want:  nil,
			state: StateBackup,
		},
		{
			name:  "RFC 5798 6.4.2: lower priority advert with Preempt_Mode False resets Master_Down_Timer",
			mk:    func(t *testing.T) *Machine { return newBackup(t, func(c *MachineConfig) { c.NoPreempt = true }) },
			ev:    from(upperIP, 50),
			want:  []Action{SetTimer{TimerMasterDown, down100}},
			state: StateBackup,
		},
		{
			name: "RFC 5798 6.4.2: backup learns Master_Adver_Interval from the advert (v3)",
			mk:   func(t *testing.T) *Machine { return newBackup(t, nil) },
			ev:   AdvertReceived{Src: upperIP, Advert: adv(200, 200*time.Millisecond)},
			// 3*200ms + (156*200ms)/256
			want:  []Action{SetTimer{TimerMasterDown, 600*time.Millisecond + 121875*time.Microsecond}},
			state: StateBackup,
		},
		{
			name:  "RFC 5798 6.4.2: Shutdown in BACKUP cancels Master_Down_Timer, goes INIT",
			mk:    func(t *testing.T) *Machine { return newBackup(t, nil) },
			ev:    Shutdown{},
			want:  []Action{StopTimer{TimerMasterDown}, StopTimer{TimerPreempt}, RemoveVIPs{}, Transition{StateBackup, StateInit, ReasonShutdown}},
			state: StateInit,
		},
		{
			name:  "RFC 5798 6.4.3: Adver_Timer fires: send advert, reset Adver_Timer",
			mk:    func(t *testing.T) *Machine { return newMaster(t, nil) },
			ev:    TimerFired{TimerAdvert},
			want:  []Action{ours(100), SetTimer{TimerAdvert, time.Second}},
			state: StateMaster,
		},
		{
			name:  "RFC 5798 6.4.3: Shutdown in MASTER sends priority 0 and goes INIT",
			mk:    func(t *testing.T) *Machine { return newMaster(t, nil) },
			ev:    Shutdown{},
			want:  cat([]Action{ours(0)}, leftMaster, []Action{Transition{StateMaster, StateInit, ReasonShutdown}}),
			state: StateInit,
		},
		{
			name:  "RFC 5798 6.4.3: priority 0 advert in MASTER: send advert, reset Adver_Timer",
			mk:    func(t *testing.T) *Machine { return newMaster(t, nil) },
			ev:    from(upperIP, 0),
			want:  []Action{ours(100), SetTimer{TimerAdvert, time.Second}},
			state: StateMaster,
		},
		{
			name: "RFC 5798 6.4.3: higher priority advert: go BACKUP with the master's interval",
			mk:   func(t *testing.T) *Machine { return newMaster(t, nil) },
			ev:   AdvertReceived{Src: lowerIP, Advert: adv(150, 500*time.Millisecond)},
			want: cat(leftMaster, []Action{
				SetTimer{TimerMasterDown, 1500*time.Millisecond + 304687500},
				Transition{StateMaster, StateBackup, ReasonHigherPriority}}),
			state: StateBackup,
		},
		{
			// RFC 3768 has no learned interval: Master_Down_Interval is
			// 3 × Advertisement_Interval (its own, which adverts must
			// match, 7.1) + Skew_Time = (256-Priority)/256 s (6.1).
			name: "RFC 3768 6.4.3: v2 MASTER hears a higher priority: go BACKUP, Master_Down_Timer from its configured interval",
			mk: func(t *testing.T) *Machine {
				return newMaster(t, func(c *MachineConfig) { c.Version, c.Interval = Version2, 2*time.Second })
			},
			ev: AdvertReceived{Src: lowerIP, Advert: Advert{Version: Version2, VRID: 7, Priority: 150, Interval: 2 * time.Second, Addrs: []netip.Addr{vip}}},
			want: cat(leftMaster, []Action{
				SetTimer{TimerMasterDown, 6*time.Second + 609375*time.Microsecond},
				Transition{StateMaster, StateBackup, ReasonHigherPriority}}),
			state: StateBackup,
		},
		{
			name: "RFC 5798 6.4.3: equal priority from a higher primary address: go BACKUP",
			mk:   func(t *testing.T) *Machine { return newMaster(t, nil) },
			ev:   from(upperIP, 100),
			want: cat(leftMaster, []Action{
				SetTimer{TimerMasterDown, down100},
				Transition{StateMaster, StateBackup, ReasonHigherPriority}}),
			state: StateBackup,
		},
		{
			name: "RFC 5798 6.4.3: equal priority from a lower primary address is discarded " +
				"(keepalived answers with an advert and announcements)",
			mk:    func(t *testing.T) *Machine { return newMaster(t, nil) },
			ev:    from(lowerIP, 100),
			want:  lowerPrioAnswer(100),
			state: StateMaster,
		},
		{
			name:  "RFC 5798 6.4.3: lower priority advert is discarded (keepalived answers with an advert and announcements)",
			mk:    func(t *testing.T) *Machine { return newMaster(t, nil) },
			ev:    from(upperIP, 99),
			want:  lowerPrioAnswer(100),
			state: StateMaster,
		},
		{
			name: "RFC 5798 6.4.3: lower priority advert is discarded; keepalived garp_lower_prio_repeat 0 answers with the advert only",
			mk: func(t *testing.T) *Machine {
				return newMaster(t, func(c *MachineConfig) { c.GARPLowerPrioRepeat = -1 })
			},
			ev:    from(upperIP, 99),
			want:  []Action{ours(100)},
			state: StateMaster,
		},
		{
			name: "RFC 5798 6.4.3: lower priority advert is discarded; keepalived garp_lower_prio_delay 0: no second burst",
			mk: func(t *testing.T) *Machine {
				return newMaster(t, func(c *MachineConfig) { c.GARPLowerPrioRepeat, c.GARPLowerPrioDelay = 2, -1 })
			},
			ev:    from(upperIP, 99),
			want:  []Action{ours(100), Announce{Repeat: 2}},
			state: StateMaster,
		},
		{
			name:  "keepalived (no RFC rule; MASTER state of RFC 5798 6.4.3): garp_lower_prio_delay: the second burst",
			mk:    func(t *testing.T) *Machine { return newMaster(t, nil) },
			ev:    TimerFired{TimerGARPLowerPrio},
			want:  []Action{Announce{Repeat: 5}},
			state: StateMaster,
		},
		{
			name: "RFC 5798 6.4.3 Shutdown actions, then 6.4.2 after a priority 0 advert (keepalived set_vrrp_backup): " +
				"a VIP removed by someone else makes the MASTER send priority 0, give the rest up and go BACKUP with Master_Down_Timer at Skew_Time",
			mk: func(t *testing.T) *Machine { return newMaster(t, nil) },
			ev: VIPsRemoved{},
			want: cat([]Action{ours(0)}, leftMaster, []Action{SetTimer{TimerMasterDown, 609375 * time.Microsecond},
				Transition{StateMaster, StateBackup, ReasonVIPsRemoved}}),
			state: StateBackup,
		},
		{
			name:  "RFC 5798 6.4.2: a Backup \"MUST NOT accept packets addressed to\" the addresses, it holds none: VIPsRemoved is ignored",
			mk:    func(t *testing.T) *Machine { return newBackup(t, nil) },
			ev:    VIPsRemoved{},
			want:  nil,
			state: StateBackup,
		},
		{
			name:  "RFC 5798 6.4.1: INIT ignores adverts",
			mk:    func(t *testing.T) *Machine { m, _ := NewMachine(baseConfig()); return m },
			ev:    from(upperIP, 200),
			want:  nil,
			state: StateInit,
		},
		{
			name:  "RFC 5798 6.4.2: Backup state has no Adver_Timer (it was cancelled leaving MASTER, 6.4.3): a stale one firing is ignored",
			mk:    func(t *testing.T) *Machine { return newBackup(t, nil) },
			ev:    TimerFired{TimerAdvert},
			want:  nil,
			state: StateBackup,
		},
		{
			name:  "RFC 5798 6.4.2 (gratuitous ARP on becoming MASTER), repeated as keepalived garp_master_delay does: second burst",
			mk:    func(t *testing.T) *Machine { return newMaster(t, nil) },
			ev:    TimerFired{TimerGARP},
			want:  []Action{Announce{Repeat: 5}},
			state: StateMaster,
		},
		{
			name: "keepalived (no RFC rule; MASTER state of RFC 5798 6.4.3): garp_master_refresh: periodic GARP",
			mk: func(t *testing.T) *Machine {
				return newMaster(t, func(c *MachineConfig) { c.GARPRefresh = time.Minute; c.GARPRefreshRepeat = 2 })
			},
			ev:    TimerFired{TimerGARPRefresh},
			want:  []Action{Announce{Repeat: 2}, SetTimer{TimerGARPRefresh, time.Minute}},
			state: StateMaster,
		},
		{
			name:  "RFC 5798 6.4.3 Shutdown actions (FAULT is keepalived's, not the RFC's): MASTER to FAULT sends priority 0 and removes the addresses",
			mk:    func(t *testing.T) *Machine { return newMaster(t, nil) },
			ev:    FaultChanged{Fault: true},
			want:  cat([]Action{ours(0)}, leftMaster, []Action{Transition{StateMaster, StateFault, ReasonFault}}),
			state: StateFault,
		},
		{
			name:  "RFC 5798 6.4.2 Shutdown actions (FAULT is keepalived's): BACKUP to FAULT stops the timers",
			mk:    func(t *testing.T) *Machine { return newBackup(t, nil) },
			ev:    FaultChanged{Fault: true},
			want:  []Action{StopTimer{TimerMasterDown}, StopTimer{TimerPreempt}, RemoveVIPs{}, Transition{StateBackup, StateFault, ReasonFault}},
			state: StateFault,
		},
		{
			name: "RFC 5798 6.4.1 Startup of a non-owner (keepalived vrrp_state_leave_fault): FAULT cleared goes BACKUP",
			mk: func(t *testing.T) *Machine {
				m := newBackup(t, nil)
				step(t, m, FaultChanged{Fault: true})
				return m
			},
			ev:    FaultChanged{Fault: false},
			want:  []Action{RemoveVIPs{}, SetTimer{TimerMasterDown, down100}, Transition{StateFault, StateBackup, ReasonFaultCleared}},
			state: StateBackup,
		},
		{
			name: "RFC 5798 6.4.1 Startup held back (keepalived): a fault raised before startup starts in FAULT, without addresses a killed run may have left",
			mk: func(t *testing.T) *Machine {
				m, _ := NewMachine(baseConfig())
				step(t, m, FaultChanged{Fault: true})
				return m
			},
			ev:    Startup{},
			want:  []Action{RemoveVIPs{}, Transition{StateInit, StateFault, ReasonFault}},
			state: StateFault,
		},
		{
			name:  "RFC 5798 6.4.2 Master_Down_Timer fires, deferred to the keepalived sync group: the member asks the group",
			mk:    func(t *testing.T) *Machine { return newBackup(t, func(c *MachineConfig) { c.Synced = true }) },
			ev:    TimerFired{TimerMasterDown},
			want:  []Action{SetTimer{TimerMasterDown, down100}, WantMaster{Want: true}},
			state: StateBackup,
		},
		{
			name:  "RFC 5798 6.4.2 transition to MASTER, ordered by the keepalived sync group: SyncTo MASTER takes over",
			mk:    func(t *testing.T) *Machine { return newBackup(t, func(c *MachineConfig) { c.Synced = true }) },
			ev:    SyncTo{State: StateMaster},
			want:  becameMaster(StateBackup, 100, ReasonSync),
			state: StateMaster,
		},
		{
			name: "RFC 5798 6.4.3 transition to BACKUP, ordered by the keepalived sync group: SyncTo BACKUP gives up without priority 0",
			mk:   func(t *testing.T) *Machine { return newMaster(t, nil) },
			ev:   SyncTo{State: StateBackup},
			want: cat(leftMaster, []Action{SetTimer{TimerMasterDown, down100},
				Transition{StateMaster, StateBackup, ReasonSync}}),
			state: StateBackup,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.mk(t)
			got := step(t, m, tc.ev)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("actions:\n got %s\nwant %s", fmtActions(got), fmtActions(tc.want))
			}
			if m.State() != tc.state {
				t.Errorf("state %v, want %v", m.State(), tc.state)
			}
		})
	}
}

func fmtActions(acts []Action) string {
	var b strings.Builder
	for _, a := range acts {
		fmt.Fprintf(&b, "\n\t%#v", a)
	}
	return b.String()
}

func TestNoAcceptMode(t *testing.T) {
	// RFC 5798 6.4.3 (650): a non-owner accepts only with Accept_Mode;
	// the owner always accepts.
	m := newBackup(t, func(c *MachineConfig) { c.NoAccept = true })
	acts := step(t, m, TimerFired{TimerMasterDown})
	if !slicesContains(acts, AddVIPs{Accept: false}) {
		t.Errorf("NoAccept non-owner: %s", fmtActions(acts))
	}
	o, _ := NewMachine(MachineConfig{VRID: 7, Priority: 255, NoAccept: true, VIPs: []netip.Addr{vip}, Primary: vip})
	if acts := step(t, o, Startup{}); !slicesContains(acts, AddVIPs{Accept: true}) {
		t.Errorf("NoAccept owner: %s", fmtActions(acts))
	}
}

func slicesContains(acts []Action, a Action) bool {
	for _, x := range acts {
		if reflect.DeepEqual(x, a) {
			return true
		}
	}
	return false
}

func TestSkewAndMasterDown(t *testing.T) {
	cases := []struct {
		name       string
		v          Version
		prio       uint8
		iv         time.Duration
		skew, down time.Duration
	}{
		// RFC 5798 6.1: Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256.
		{"RFC 5798 6.1: v3 prio 100 1s", Version3, 100, time.Second, 609375 * time.Microsecond, 3609375 * time.Microsecond},
		{"RFC 5798 6.1: v3 prio 254 1s", Version3, 254, time.Second, 7812500, 3*time.Second + 7812500},
		{"RFC 5798 6.1: v3 prio 1 100ms", Version3, 1, 100 * time.Millisecond, 99609375, 300*time.Millisecond + 99609375},
		{"RFC 5798 6.1: v3 prio 255 2s", Version3, 255, 2 * time.Second, 7812500, 6*time.Second + 7812500},
		// RFC 3768 6.1: Skew_Time = (256 - Priority) / 256 seconds.
		{"RFC 3768 6.1: v2 prio 100 1s", Version2, 100, time.Second, 609375 * time.Microsecond, 3609375 * time.Microsecond},
		{"RFC 3768 6.1: v2 prio 100 3s (skew independent of interval)", Version2, 100, 3 * time.Second, 609375 * time.Microsecond, 9609375 * time.Microsecond},
	}
	for _, tc := range cases {
		if got := SkewTime(tc.v, tc.prio, tc.iv); got != tc.skew {
			t.Errorf("%s: SkewTime = %v, want %v", tc.name, got, tc.skew)
		}
		if got := MasterDownInterval(tc.v, tc.prio, tc.iv); got != tc.down {
			t.Errorf("%s: MasterDownInterval = %v, want %v", tc.name, got, tc.down)
		}
	}
}

func TestPreemptDelay(t *testing.T) {
	// keepalived.conf(5) preempt_delay: after seeing a lower priority
	// master, wait before preempting it.
	m := newBackup(t, func(c *MachineConfig) { c.PreemptDelay = 10 * time.Second })
	got := step(t, m, from(upperIP, 50))
	want := []Action{SetTimer{TimerPreempt, 10 * time.Second}, SetTimer{TimerMasterDown, down100}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("first lower advert:%s", fmtActions(got))
	}
	// While the delay runs, lower adverts keep the backup a backup.
	if got := step(t, m, from(upperIP, 50)); !reflect.DeepEqual(got, []Action{SetTimer{TimerMasterDown, down100}}) {
		t.Fatalf("lower advert during delay:%s", fmtActions(got))
	}
	step(t, m, TimerFired{TimerPreempt})
	// After it, they are discarded and the down timer takes over.
	if got := step(t, m, from(upperIP, 50)); got != nil {
		t.Fatalf("lower advert after delay:%s", fmtActions(got))
	}
	got = step(t, m, TimerFired{TimerMasterDown})
	if !reflect.DeepEqual(got, becameMaster(StateBackup, 100, ReasonPreempt)) {
		t.Fatalf("takeover:%s", fmtActions(got))
	}

	// A higher priority master cancels a running delay.
	m = newBackup(t, func(c *MachineConfig) { c.PreemptDelay = 10 * time.Second })
	step(t, m, from(upperIP, 50))
	got = step(t, m, from(upperIP, 150))
	want = []Action{StopTimer{TimerPreempt}, SetTimer{TimerMasterDown, down100}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("higher advert during delay:%s", fmtActions(got))
	}
}

func TestPriorityZeroTakeoverReason(t *testing.T) {
	// RFC 5798 6.4.2: after a priority 0 advert the backup takes over at
	// Skew_Time.
	m := newBackup(t, nil)
	step(t, m, from(upperIP, 200))
	step(t, m, from(upperIP, 0))
	got := step(t, m, TimerFired{TimerMasterDown})
	if !reflect.DeepEqual(got, becameMaster(StateBackup, 100, ReasonPriorityZero)) {
		t.Fatalf("%s", fmtActions(got))
	}
}

func TestPriorityChanged(t *testing.T) {
	m := newBackup(t, nil)
	step(t, m, PriorityChanged{Priority: 0})
	if m.Priority() != 1 {
		t.Errorf("priority clamped to %d, want 1 (keepalived)", m.Priority())
	}
	step(t, m, PriorityChanged{Priority: 255})
	if m.Priority() != 254 {
		t.Errorf("priority clamped to %d, want 254 (keepalived)", m.Priority())
	}
	// RFC 5798 6.1: Skew_Time follows the priority.
	if got, want := m.MasterDownInterval(), MasterDownInterval(Version3, 254, time.Second); got != want {
		t.Errorf("MasterDownInterval %v, want %v", got, want)
	}
	// A raised priority makes the backup preempt the same master.
	step(t, m, from(upperIP, 200))
	if got := step(t, m, from(upperIP, 200)); !reflect.DeepEqual(got, []Action(nil)) {
		t.Errorf("priority 254 backup vs 200 master:%s", fmtActions(got))
	}
	o := newMaster(t, func(c *MachineConfig) { c.Priority = 255; c.Primary = vip })
	step(t, o, PriorityChanged{Priority: 10})
	if o.Priority() != 255 {
		t.Errorf("owner priority changed to %d", o.Priority())
	}
	// The master advertises its new priority.
	mm := newMaster(t, nil)
	step(t, mm, PriorityChanged{Priority: 80})
	if got := step(t, mm, TimerFired{TimerAdvert}); !reflect.DeepEqual(got[0], ours(80)) {
		t.Errorf("master advert after priority change:%s", fmtActions(got))
	}
}

func TestRejectedAdverts(t *testing.T) {
	v2 := func(c *MachineConfig) { c.Version = Version2 }
	cases := []struct {
		name  string
		mod   func(*MachineConfig)
		ev    AdvertReceived
		field string
	}{
		{"RFC 5798 7.1: version must match", nil, AdvertReceived{Src: upperIP, Advert: Advert{Version: Version2, VRID: 7, Priority: 200, Interval: time.Second, Addrs: []netip.Addr{vip}}}, "Version"},
		{"RFC 5798 7.1: VRID must be configured", nil, AdvertReceived{Src: upperIP, Advert: Advert{Version: Version3, VRID: 8, Priority: 200, Interval: time.Second, Addrs: []netip.Addr{vip}}}, "VRID"},
		{"RFC 3768 7.1: v2 interval must match", v2, AdvertReceived{Src: upperIP, Advert: Advert{Version: Version2, VRID: 7, Priority: 200, Interval: 2 * time.Second, Addrs: []netip.Addr{vip}}}, "Interval"},
		{"RFC 5798 7.1 (MAY verify the addresses; keepalived does): address count must match", nil, AdvertReceived{Src: upperIP, Advert: Advert{Version: Version3, VRID: 7, Priority: 200, Interval: time.Second, Addrs: []netip.Addr{vip, upperIP}}}, "Addrs"},
		{"RFC 5798 7.1 (MAY verify the addresses; keepalived does): addresses must match", nil, AdvertReceived{Src: upperIP, Advert: Advert{Version: Version3, VRID: 7, Priority: 200, Interval: time.Second, Addrs: []netip.Addr{upperIP}}}, "Addrs"},
		{"RFC 5798 section 1: IPv4 and IPv6 virtual routers \"are a domain unto themselves and do not overlap\": an IPv6 advert is not for an IPv4 router", nil, AdvertReceived{Src: netip.MustParseAddr("fe80::1"), Advert: adv(200, time.Second)}, "Family"},
		{"RFC 5798 6.4.3: the tie-break orders the sender's primary address against the local one; an advert from our own address (looped back) is not a peer's", nil, AdvertReceived{Src: self, Advert: adv(200, time.Second)}, "Source"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := newBackup(t, tc.mod)
			before := *m
			acts, err := m.Step(tc.ev)
			var re *RejectError
			if !errors.As(err, &re) || !errors.Is(err, ErrAdvertRejected) {
				t.Fatalf("err = %v, want *RejectError", err)
			}
			if re.Field != tc.field {
				t.Errorf("Field %q, want %q", re.Field, tc.field)
			}
			if acts != nil || !reflect.DeepEqual(before, *m) {
				t.Errorf("rejected advert changed the machine or acted: %s", fmtActions(acts))
			}
		})
	}
	// Order does not matter (keepalived compares as sets).
	m := newBackup(t, func(c *MachineConfig) { c.VIPs = []netip.Addr{vip, upperIP} })
	a := Advert{Version: Version3, VRID: 7, Priority: 200, Interval: time.Second, Addrs: []netip.Addr{upperIP, vip}}
	if _, err := m.Step(AdvertReceived{Src: lowerIP, Advert: a}); err != nil {
		t.Errorf("reordered address list rejected: %v", err)
	}
}

func TestVersion2Machine(t *testing.T) {
	// RFC 3768 6.4.2: the v2 backup keeps its own interval.
	m := newBackup(t, func(c *MachineConfig) { c.Version = Version2 })
	a := Advert{Version: Version2, VRID: 7, Priority: 200, Interval: time.Second, Addrs: []netip.Addr{vip}}
	got := step(t, m, AdvertReceived{Src: upperIP, Advert: a})
	if !reflect.DeepEqual(got, []Action{SetTimer{TimerMasterDown, down100}}) {
		t.Fatalf("%s", fmtActions(got))
	}
	got = step(t, m, TimerFired{TimerMasterDown})
	if sa, ok := got[2].(SendAdvert); !ok || sa.Advert.Version != Version2 || sa.Advert.Interval != time.Second {
		t.Fatalf("%s", fmtActions(got))
	}
}

func TestMachineConfigErrors(t *testing.T) {
	cases := []struct {
		field string
		mod   func(*MachineConfig)
	}{
		{"VRID", func(c *MachineConfig) { c.VRID = 0 }},
		{"Version", func(c *MachineConfig) { c.Version = 4 }},
		{"Interval", func(c *MachineConfig) { c.Interval = 15 * time.Millisecond }},
		{"Interval", func(c *MachineConfig) { c.Version = Version2; c.Interval = 1500 * time.Millisecond }},
		{"VIPs", func(c *MachineConfig) { c.VIPs = nil }},
		{"VIPs", func(c *MachineConfig) { c.VIPs = []netip.Addr{vip, vip} }},
		{"VIPs", func(c *MachineConfig) { c.VIPs = []netip.Addr{vip, netip.MustParseAddr("fd00::1")} }},
		{"Version", func(c *MachineConfig) {
			c.Version = Version2
			c.VIPs = []netip.Addr{netip.MustParseAddr("fd00::1")}
			c.Primary = netip.MustParseAddr("fe80::1")
		}},
		{"Primary", func(c *MachineConfig) { c.Primary = netip.Addr{} }},
		{"Primary", func(c *MachineConfig) { c.Primary = netip.MustParseAddr("fe80::1") }},
		{"NoPreempt", func(c *MachineConfig) { c.Priority = 255; c.NoPreempt = true }},
		{"PreemptDelay", func(c *MachineConfig) { c.PreemptDelay = -1 }},
	}
	for _, tc := range cases {
		c := baseConfig()
		tc.mod(&c)
		_, err := NewMachine(c)
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: err = %v", tc.field, err)
		}
	}
	// The minimal config: VRID, VIPs, Primary.
	m, err := NewMachine(MachineConfig{VRID: 1, VIPs: []netip.Addr{vip}, Primary: self})
	if err != nil {
		t.Fatal(err)
	}
	c := m.Config()
	if c.Priority != 100 || c.Version != Version3 || c.Interval != time.Second || c.GARPRepeat != 5 || c.GARPDelay != 5*time.Second {
		t.Errorf("defaults: %+v", c)
	}
}
