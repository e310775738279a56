package scheduler

import (
	"encoding/json"
	"os"
	"slices"
	"testing"
)

// TestSortLikeCPython checks sortWeighed against CPython 3.11's
// sorted(key=..., reverse=True) on lists with NaN, infinities, ties, runs
// and nearly sorted input (testdata/pysort.json, from gen_pysort.py).
func TestSortLikeCPython(t *testing.T) {
	b, err := os.ReadFile("testdata/pysort.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Keys  []string `json:"keys"`
		Order []int32  `json:"order"`
	}
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	for ci, c := range cases {
		p := make([]weighed, len(c.Keys))
		for i, k := range c.Keys {
			p[i] = weighed{w: parseRepr(k), idx: int32(i)}
		}
		sortWeighed(p, make([]weighed, len(p)))
		got := make([]int32, len(p))
		for i := range p {
			got[i] = p[i].idx
		}
		if !slices.Equal(got, c.Order) {
			t.Fatalf("case %d (%d keys): order differs from CPython\n got %v\nwant %v", ci, len(p), got, c.Order)
		}
	}
}
