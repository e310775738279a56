package galera

import (
	"slices"
	"testing"
)

func view(idx int64, edit func(*nodeView)) nodeView {
	v := nodeView{up: true, state: NodeState{LocalState: LocalStateSynced, ClusterStatus: ClusterStatusPrimary,
		Ready: true, Connected: true, LocalIndex: idx}}
	if edit != nil {
		edit(&v)
	}
	return v
}

func TestSelectReaders(t *testing.T) {
	ro := func(v *nodeView) { v.state.ReadOnly = true }
	tests := []struct {
		name     string
		views    []nodeView
		writer   int
		policy   ReaderPolicy
		donorOK  bool
		maxQueue int64
		fallback bool
		want     []int
	}{
		{"writer_is_also_reader=2: standbys read", []nodeView{view(0, nil), view(1, nil), view(2, nil)}, 0, ReadersStandbys, false, 0, true, []int{1, 2}},
		{"writer_is_also_reader=1: the writer reads too", []nodeView{view(0, nil), view(1, nil)}, 0, ReadersAll, false, 0, true, []int{0, 1}},
		{"writer_is_also_reader=0: only read_only nodes", []nodeView{view(0, nil), view(1, nil), view(2, ro)}, 0, ReadersReadOnly, false, 0, true, []int{2}},
		{"max_transactions_behind sheds a lagging reader",
			[]nodeView{view(0, nil), view(1, func(v *nodeView) { v.state.RecvQueue = 11 }), view(2, nil)}, 0, ReadersStandbys, false, 10, true, []int{2}},
		{"donors read only when allowed",
			[]nodeView{view(0, nil), view(1, func(v *nodeView) { v.state.LocalState = LocalStateDonor })}, 0, ReadersStandbys, false, 0, false, nil},
		{"a donor allowed to read",
			[]nodeView{view(0, nil), view(1, func(v *nodeView) { v.state.LocalState = LocalStateDonor })}, 0, ReadersStandbys, true, 0, false, []int{1}},
		{"a donor rejecting queries during SST does not read",
			[]nodeView{view(0, nil), view(1, func(v *nodeView) {
				v.state.LocalState, v.state.SSTDonorRejectsQueries = LocalStateDonor, true
			})}, 0, ReadersStandbys, true, 0, false, nil},
		{"no reader: fall back to the writer", []nodeView{view(0, nil), view(1, func(v *nodeView) { v.up = false })}, 0, ReadersStandbys, false, 0, true, []int{0}},
		{"no reader and no fallback", []nodeView{view(0, nil)}, 0, ReadersStandbys, false, 0, false, nil},
	}
	for _, tt := range tests {
		got := selectReaders(tt.views, tt.writer, tt.policy, tt.donorOK, tt.maxQueue, tt.fallback)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: selectReaders = %v, want %v", tt.name, got, tt.want)
		}
	}
}
