package galera

import (
	"errors"
	"fmt"
	"syscall"
	"testing"
)

// Each round is one probe of every node: 'F' fit, 'S' soft, 'H' hard,
// '.' no probe of that node this round. want is the writer after each
// round (-1: none).
func TestElection(t *testing.T) {
	tests := []struct {
		name   string
		prios  []int
		index  []int64 // wsrep_local_index of each node; nil: 0, 1, 2...
		sticky bool
		rise   int // 0: 2
		fall   int // 0: 2
		rounds []string
		want   []int
	}{
		{name: "galeramon: the lowest wsrep_local_index wins",
			index: []int64{2, 0, 1}, rounds: []string{"FFF"}, want: []int{1}},
		{name: "galeramon use_priority: the lowest positive priority wins",
			prios: []int{2, 1, 3}, rounds: []string{"FFF"}, want: []int{1}},
		{name: "galeramon use_priority: priority 0 or less is never the writer",
			prios: []int{1, 0, -1}, rounds: []string{"FFF", "HFF"}, want: []int{0, -1}},
		{name: "galeramon use_priority: equal priorities fall back to the index",
			prios: []int{1, 1}, index: []int64{1, 0}, rounds: []string{"FF"}, want: []int{1}},
		{name: "HAProxy fall 2: one soft probe keeps the writer",
			rounds: []string{"FFF", "SFF", "FFF", "SFF", "FFF"}, want: []int{0, 0, 0, 0, 0}},
		{name: "HAProxy fall 2: two soft probes in a row demote it",
			rounds: []string{"FFF", "SFF", "SFF"}, want: []int{0, 0, 1}},
		{name: "HAProxy fall 5 (OpenStack HA guide): four soft probes keep it",
			fall: 5, rounds: []string{"FFF", "SFF", "SFF", "SFF", "SFF", "SFF"}, want: []int{0, 0, 0, 0, 0, 1}},
		{name: "hard fact (refused, non-Primary, not ready) demotes at once",
			rounds: []string{"FFF", "HFF"}, want: []int{0, 1}},
		{name: "HAProxy rise 2 with backups: the role returns to the active server",
			rounds: []string{"FFF", "HFF", "FFF", "FFF"}, want: []int{0, 1, 1, 0}},
		{name: "HAProxy rise: a soft probe restarts the count",
			rounds: []string{"FFF", "HFF", "FFF", "SFF", "FFF", "FFF"}, want: []int{0, 1, 1, 1, 1, 0}},
		{name: "galeramon disable_master_failback: the new writer keeps the role",
			sticky: true, rounds: []string{"FFF", "HFF", "FFF", "FFF", "FFF"}, want: []int{0, 1, 1, 1, 1}},
		{name: "galeramon disable_master_failback: until it loses it",
			sticky: true, rounds: []string{"FFF", "HFF", "FFF", "FFF", "FHF"}, want: []int{0, 1, 1, 1, 0}},
		{name: "HAProxy at start: the first check decides",
			rounds: []string{"SFF", "FFF"}, want: []int{1, 1}},
		{name: "HAProxy at start, then rise for a node first seen soft",
			rounds: []string{"SFF", "FFF", "FFF"}, want: []int{1, 1, 0}},
		{name: "no fit node: no writer",
			rounds: []string{"HHH", "SSS"}, want: []int{-1, -1}},
		{name: "a node not probed this round keeps its verdict",
			rounds: []string{"FFF", "S..", "S.."}, want: []int{0, 0, 1}},
		{name: "HAProxy rise 1: back after one good probe",
			rise: 1, rounds: []string{"FF", "HF", "FF"}, want: []int{0, 1, 0}},
	}
	for _, tt := range tests {
		n := len(tt.rounds[0])
		prios := tt.prios
		if prios == nil {
			prios = make([]int, n)
		}
		rise, fall := tt.rise, tt.fall
		if rise == 0 {
			rise = DefaultRise
		}
		if fall == 0 {
			fall = DefaultFall
		}
		e := newElection(prios, rise, fall, tt.sticky)
		var got []int
		for _, round := range tt.rounds {
			for i, c := range round {
				idx := int64(i)
				if tt.index != nil {
					idx = tt.index[i]
				}
				switch c {
				case 'F':
					e.observe(i, verdictFit, idx, true)
				case 'S':
					e.observe(i, verdictSoft, idx, true)
				case 'H':
					e.observe(i, verdictHard, idx, true)
				}
			}
			got = append(got, e.choose())
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s: writers %v, want %v", tt.name, got, tt.want)
		}
	}
}

// Routers in different processes probe at different moments: whatever
// the phase of a Router's probes, a soft state shorter than a probe
// interval is seen at most once and moves no writer (HAProxy's fall).
// Every start and length of a desync blip against every probe phase.
func TestElectionConvergesWhateverThePhase(t *testing.T) {
	const interval = 10 // probe interval, in ticks
	for blip := 1; blip < interval; blip++ {
		for start := interval; start < 4*interval; start++ { // after the first round, which decides alone
			for phase := range interval {
				e := newElection([]int{0, 0, 0}, DefaultRise, DefaultFall, false)
				for tick := phase; tick < 6*interval; tick += interval {
					v := verdictFit
					if tick >= start && tick < start+blip {
						v = verdictSoft
					}
					e.observe(0, v, 0, true)
					e.observe(1, verdictFit, 1, true)
					e.observe(2, verdictFit, 2, true)
					if w := e.choose(); w != 0 {
						t.Fatalf("blip %d at %d, phase %d: writer %d at tick %d", blip, start, phase, w, tick)
					}
				}
			}
		}
	}
}

func TestJudge(t *testing.T) {
	synced := NodeState{LocalState: LocalStateSynced, ClusterStatus: ClusterStatusPrimary, Ready: true, Connected: true}
	with := func(f func(*NodeState)) NodeState { s := synced; f(&s); return s }
	refused := &NodeError{Node: "n", Op: "connect", Err: fmt.Errorf("dial: %w", syscall.ECONNREFUSED)}
	tests := []struct {
		name string
		st   NodeState
		err  error
		want verdict
	}{
		{"Synced, Primary, ready, writable", synced, nil, verdictFit},
		{"wsrep_desync=ON: Donor/Desynced", with(func(s *NodeState) { s.LocalState = LocalStateDonor; s.Desync = true }), nil, verdictSoft},
		{"back from desync through Joined", with(func(s *NodeState) { s.LocalState = LocalStateJoined }), nil, verdictSoft},
		{"read_only=ON", with(func(s *NodeState) { s.ReadOnly = true }), nil, verdictSoft},
		{"wsrep_reject_queries=ALL", with(func(s *NodeState) { s.RejectQueries = RejectQueriesAll }), nil, verdictSoft},
		{"pxc_maint_mode=MAINTENANCE", with(func(s *NodeState) { s.MaintMode = MaintModeMaintenance }), nil, verdictSoft},
		{"a probe that timed out", NodeState{}, errors.New("i/o timeout"), verdictSoft},
		{"connection refused", NodeState{}, refused, verdictHard},
		{"non-Primary component", with(func(s *NodeState) { s.ClusterStatus = ClusterStatusNonPrimary; s.LocalState = LocalStateInitialized }), nil, verdictHard},
		{"wsrep_ready=OFF", with(func(s *NodeState) { s.Ready = false }), nil, verdictHard},
		{"Joining (receiving SST)", with(func(s *NodeState) { s.LocalState = LocalStateJoining }), nil, verdictHard},
	}
	for _, tt := range tests {
		if got := judge(tt.st, tt.err); got != tt.want {
			t.Errorf("%s: judge = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// Drain and switchover, from ProxySQL's OFFLINE_SOFT and MaxScale's
// switchover command: the ranking still decides whenever the operator's
// choice is not fit.
func TestElectionAdmin(t *testing.T) {
	fitAll := func(e *election) {
		for i := range e.nodes {
			e.observe(i, verdictFit, int64(i), true)
		}
	}
	tests := []struct {
		name string
		do   func(e *election)
		want int
	}{
		{"ProxySQL OFFLINE_SOFT: a drained writer hands the role to the next node",
			func(e *election) { e.drain(0, true) }, 1},
		{"ProxySQL ONLINE again: the role returns to the preferred node",
			func(e *election) { e.drain(0, true); e.choose(); e.drain(0, false) }, 0},
		{"MaxScale switchover: the chosen node takes the role",
			func(e *election) { e.switchTo(2) }, 2},
		{"MaxScale switchover: the target keeps the role over a better node",
			func(e *election) { e.switchTo(2); e.choose(); fitAll(e) }, 2},
		{"a switchover target that loses its fitness hands back to the ranking",
			func(e *election) { e.switchTo(2); e.choose(); e.observe(2, verdictHard, 2, true) }, 0},
		{"a drained node is no switchover target",
			func(e *election) { e.drain(2, true); e.switchTo(2) }, 0},
		{"drained everywhere: no writer",
			func(e *election) { e.drain(0, true); e.drain(1, true); e.drain(2, true) }, -1},
	}
	for _, tt := range tests {
		e := newElection([]int{0, 0, 0}, DefaultRise, DefaultFall, false)
		fitAll(e)
		e.choose()
		tt.do(e)
		if got := e.choose(); got != tt.want {
			t.Errorf("%s: writer %d, want %d", tt.name, got, tt.want)
		}
	}
}
