package scheduler

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestGeneratedRequests runs the parity tests' generated requests without
// nova: every request gets a decision or an error, twice the same (the
// draw is seeded), and Explain decides as Schedule does.
func TestGeneratedRequests(t *testing.T) {
	n := 300
	if testing.Short() {
		n = 50
	}
	for i := 0; i < n; i++ {
		raw, err := json.Marshal(genCase(uint64(i)))
		if err != nil {
			t.Fatal(err)
		}
		a, errA := RunJSON(raw, 0)
		b, errB := RunJSON(raw, 0)
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if (errA == nil) != (errB == nil) || !bytes.Equal(ja, jb) {
			t.Fatalf("case %d: two runs differ: %s / %v vs %s / %v", i, ja, errA, jb, errB)
		}
		if errA != nil {
			continue
		}
		req, _ := ParseJSONRequest(raw)
		s, set, spec, err := req.Prepare()
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		d, tr, err := s.Explain(set, spec)
		je, _ := json.Marshal(NewJSONDecision(s, d, err))
		if !bytes.Equal(ja, je) {
			t.Fatalf("case %d: Explain decides %s, Schedule %s", i, je, ja)
		}
		if err == nil && len(tr.Instances) < len(d.Selections) {
			t.Fatalf("case %d: %d trace rounds for %d instances", i, len(tr.Instances), len(d.Selections))
		}
	}
}
