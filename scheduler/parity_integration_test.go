//go:build integration

package scheduler

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hakit/hakit/internal/testenv"
)

// oracle is one nova_oracle.py process answering requests line by line.
type oracle struct {
	cmd *exec.Cmd
	enc *json.Encoder
	dec *json.Decoder
}

type oracleReply struct {
	ID      int             `json:"id"`
	Out     json.RawMessage `json:"out"`
	NsPerOp float64         `json:"ns_per_op"`
	Fatal   string          `json:"fatal"`
}

func startOracle(t testing.TB) *oracle {
	t.Helper()
	cmd := exec.Command(testenv.Nova(t), "testdata/nova_oracle.py")
	cmd.Env = append(os.Environ(), "PYTHONHASHSEED=0")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	o := &oracle{cmd: cmd, enc: json.NewEncoder(in), dec: json.NewDecoder(bufio.NewReaderSize(out, 1<<20))}
	t.Cleanup(func() {
		in.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	return o
}

// askAll sends every request and reads the replies, writing from another
// goroutine so that neither pipe fills up.
func (o *oracle) askAll(t testing.TB, reqs []json.RawMessage, bench int) []oracleReply {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		for i, r := range reqs {
			msg := map[string]any{"id": i, "req": r}
			if bench > 0 {
				msg["bench"] = bench
			}
			if err := o.enc.Encode(msg); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	replies := make([]oracleReply, len(reqs))
	for i := range reqs {
		if err := o.dec.Decode(&replies[i]); err != nil {
			t.Fatalf("reading nova's answer %d: %v", i, err)
		}
		if replies[i].ID != i {
			t.Fatalf("nova's answer %d has id %d", i, replies[i].ID)
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	return replies
}

// decision is the part of a decision the parity test compares.
type decision struct {
	Filters  []string   `json:"filters"`
	Weighers []string   `json:"weighers"`
	Weighed  [][2]any   `json:"weighed"`
	Selected [][]string `json:"selected"`
	Error    string     `json:"error"`
	// ErrorAt is [stage, filter or weigher, host] when a filter or weigher
	// raised.
	ErrorAt []*string `json:"error_at"`
}

// ours answers a request with this package, the way the schedule tool
// does; an input error is a decision with that error.
func ours(raw []byte) decision {
	d, err := RunJSON(raw, 0)
	if err != nil {
		return decision{Error: err.Error()}
	}
	b, _ := json.Marshal(d)
	var out decision
	_ = json.Unmarshal(b, &out)
	if out.Error != "" && out.Error != "NoValidHost" {
		// Run again for the structured error.
		req, _ := ParseJSONRequest(raw)
		s, set, spec, _ := req.Prepare()
		_, err := s.Schedule(set, spec)
		var he *HostError
		if errors.As(err, &he) {
			out.ErrorAt = []*string{&he.Stage, &he.Name, &he.Host}
		}
	}
	return out
}

func weightOf(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case string:
		return parseRepr(x)
	}
	return math.NaN()
}

// compareDecisions returns the differences between nova's decision and
// ours: same filters and weighers in the same order, the same weighed hosts
// in the same order with weights within 1e-6 (relative for large ones),
// the same selections and alternates, and the same outcome: no error,
// NoValidHost, or some other error.
func compareDecisions(nova, got decision) []string {
	var diffs []string
	kind := func(e string) string {
		switch e {
		case "":
			return "none"
		case "NoValidHost":
			return "NoValidHost"
		}
		return "error"
	}
	if kind(nova.Error) != kind(got.Error) {
		diffs = append(diffs, fmt.Sprintf("error: nova %q, ours %q", nova.Error, got.Error))
	}
	if kind(nova.Error) == "error" && kind(got.Error) == "error" {
		// The same filter or weigher must fail, on the same host.
		str := func(l []*string) string {
			var parts []string
			for _, p := range l {
				if p == nil {
					parts = append(parts, "?")
				} else {
					parts = append(parts, *p)
				}
			}
			return strings.Join(parts, "/")
		}
		if str(nova.ErrorAt) != str(got.ErrorAt) {
			diffs = append(diffs, fmt.Sprintf("error at: nova %s (%s), ours %s (%s)", str(nova.ErrorAt), nova.Error, str(got.ErrorAt), got.Error))
		}
		return diffs
	}
	if !slices.Equal(nova.Filters, got.Filters) {
		diffs = append(diffs, fmt.Sprintf("filters: nova %v, ours %v", nova.Filters, got.Filters))
	}
	if !slices.Equal(nova.Weighers, got.Weighers) {
		diffs = append(diffs, fmt.Sprintf("weighers: nova %v, ours %v", nova.Weighers, got.Weighers))
	}
	if len(nova.Weighed) != len(got.Weighed) {
		diffs = append(diffs, fmt.Sprintf("weighed: nova %v, ours %v", nova.Weighed, got.Weighed))
	} else {
		for i := range nova.Weighed {
			a, b := weightOf(nova.Weighed[i][1]), weightOf(got.Weighed[i][1])
			close := a == b || math.Abs(a-b) <= 1e-6*math.Max(1, math.Abs(a)) || math.IsNaN(a) && math.IsNaN(b)
			if nova.Weighed[i][0] != got.Weighed[i][0] || !close {
				diffs = append(diffs, fmt.Sprintf("weighed[%d]: nova %v, ours %v (nova %v, ours %v)", i, nova.Weighed[i], got.Weighed[i], nova.Weighed, got.Weighed))
				break
			}
		}
	}
	if len(nova.Selected) != len(got.Selected) {
		diffs = append(diffs, fmt.Sprintf("selected: nova %v, ours %v", nova.Selected, got.Selected))
	} else {
		for i := range nova.Selected {
			if !slices.Equal(nova.Selected[i], got.Selected[i]) {
				diffs = append(diffs, fmt.Sprintf("selected: nova %v, ours %v", nova.Selected, got.Selected))
				break
			}
		}
	}
	return diffs
}

// workedExampleJSON is the operators' guides' weighing example as a
// request (see workedExample).
func workedExampleJSON() map[string]any {
	w1 := []int{110, 20, 10, 80, 50, 90}
	w2 := []int{4, 2, 1, 11, 6, 8}
	w3 := []int{5, 25, 10, 15, 5, 20}
	var hosts []map[string]any
	var members []string
	for i := range w1 {
		var inst []string
		for k := 0; k < w3[i]; k++ {
			u := fmt.Sprintf("%08d-0000-4000-8000-%012d", i+1, k)
			inst = append(inst, u)
			members = append(members, u)
		}
		hosts = append(hosts, map[string]any{"host": fmt.Sprintf("host%d", i+1), "metrics": map[string]int{"cpu.frequency": w1[i]},
			"failed_builds": w2[i], "instances": inst})
	}
	return map[string]any{
		"conf": map[string]any{
			"filter_scheduler": map[string]any{"enabled_filters": []string{}, "weight_classes": []string{
				"nova.scheduler.weights.metrics.MetricsWeigher", "nova.scheduler.weights.compute.BuildFailureWeigher",
				"nova.scheduler.weights.affinity.ServerGroupSoftAffinityWeigher"},
				"build_failure_weight_multiplier": -1.0, "soft_affinity_weight_multiplier": 2.0},
			"metrics": map[string]any{"weight_setting": []string{"cpu.frequency=1.0"}},
		},
		"hosts": hosts,
		"spec":  map[string]any{"memory_mb": 512, "vcpus": 1, "group": map[string]any{"policy": "soft-affinity", "members": members}},
	}
}

// parityCases is how many generated requests TestNovaParity sends.
const parityCases = 600

// TestNovaParity runs generated requests through nova's own scheduler code
// (testdata/nova_oracle.py, one process) and through this package, and
// requires the same decisions.
func TestNovaParity(t *testing.T) {
	o := startOracle(t)
	var reqs []json.RawMessage
	add := func(v any) {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, b)
	}
	add(workedExampleJSON())
	n := parityCases
	if v, err := strconv.Atoi(os.Getenv("PARITY_CASES")); err == nil && v > 0 {
		n = v // a longer hunt: PARITY_CASES=20000
	}
	base, _ := strconv.ParseUint(os.Getenv("PARITY_SEED"), 10, 64) // another sample: PARITY_SEED=1000000
	for i := 0; i < n; i++ {
		add(genCase(base + uint64(i)))
	}
	start := time.Now()
	replies := o.askAll(t, reqs, 0)
	t.Logf("nova answered %d requests in %v", len(reqs), time.Since(start).Round(time.Millisecond))

	// The worked example: final weights 3.0, 2.7, 2.2, 1.3, 0.9, 0.5.
	var we decision
	if err := json.Unmarshal(replies[0].Out, &we); err != nil {
		t.Fatal(err)
	}
	wantOrder := []string{"host6", "host4", "host2", "host1", "host5", "host3"}
	wantW := []float64{3.0, 2.7, 2.2, 1.3, 0.9, 0.5}
	for i := range wantOrder {
		if len(we.Weighed) != 6 || we.Weighed[i][0] != wantOrder[i] || math.Abs(weightOf(we.Weighed[i][1])-wantW[i]) > 1e-9 {
			t.Fatalf("nova weighs the worked example %v, want %v with weights %v", we.Weighed, wantOrder, wantW)
		}
	}

	stats := map[string]int{}
	failed := 0
	for i, rep := range replies {
		if rep.Fatal != "" {
			t.Errorf("case %d: the oracle failed: %s", i, rep.Fatal)
			failed++
			continue
		}
		var nova decision
		if err := json.Unmarshal(rep.Out, &nova); err != nil {
			t.Fatal(err)
		}
		got := ours(reqs[i])
		if os.Getenv("PARITY_ERRORS") != "" && (nova.Error != "" || got.Error != "") && nova.Error != "NoValidHost" {
			t.Logf("case %d errors: nova %q\n   ours %q", i, nova.Error, got.Error)
		}
		for _, w := range nova.Weighed {
			if _, ok := w[1].(string); ok {
				stats["non-finite weights"]++
				break
			}
		}
		switch {
		case nova.Error == "":
			stats["selected"]++
		case nova.Error == "NoValidHost":
			stats["NoValidHost"]++
		default:
			stats["error"]++
		}
		if diffs := compareDecisions(nova, got); len(diffs) > 0 {
			failed++
			if failed <= 10 {
				t.Errorf("case %d differs from nova:\n  %s", i, strings.Join(diffs, "\n  "))
			}
			if dir := os.Getenv("PARITY_DUMP"); dir != "" {
				_ = os.WriteFile(fmt.Sprintf("%s/case%03d.json", dir, i), reqs[i], 0o644)
			}
		}
	}
	t.Logf("outcomes: %v; %d of %d cases differ", stats, failed, len(reqs))
	checkCoverage(t, reqs)
	if stats["selected"] < n/3 {
		t.Errorf("only %d cases placed instances: the generator is too restrictive to test much", stats["selected"])
	}
}

// checkCoverage requires the generated requests to exercise every filter
// (removing hosts), every weigher (on hosts it tells apart), every
// multiplier (in the configuration and in aggregate metadata) and every
// server group policy, as the explain traces of this package show them.
func checkCoverage(t *testing.T, reqs []json.RawMessage) {
	t.Helper()
	removed := map[string]int{}
	weighed := map[string]int{}
	mults := map[string]int{}
	policies := map[string]int{}
	multi := 0
	for _, raw := range reqs {
		req, err := ParseJSONRequest(raw)
		if err != nil {
			continue
		}
		for _, opts := range req.Conf {
			for k := range opts {
				if strings.HasSuffix(k, "weight_multiplier") {
					mults["conf "+k]++
				}
			}
		}
		for _, h := range req.Hosts {
			for _, md := range h.Aggregates {
				for k := range md {
					if strings.HasSuffix(k, "weight_multiplier") {
						mults["aggregate "+k]++
					}
				}
			}
		}
		if req.Spec.Group != nil {
			policies[req.Spec.Group.Policy]++
		}
		s, set, spec, err := req.Prepare()
		if err != nil {
			continue
		}
		_, tr, _ := s.Explain(set, spec)
		if len(tr.Instances) > 2 {
			multi++
		}
		for _, it := range tr.Instances {
			for _, st := range it.Steps {
				if len(st.Removed) > 0 {
					removed[st.Filter]++
				}
			}
			for _, wt := range it.Weighers {
				if len(wt.Raw) > 0 && slices.Min(wt.Raw) != slices.Max(wt.Raw) {
					weighed[wt.Weigher]++
				}
			}
		}
	}
	for _, f := range zedFilters {
		if f == "AllHostsFilter" {
			continue
		}
		if removed[f] < 3 {
			t.Errorf("coverage: %s removed hosts in %d cases", f, removed[f])
		}
	}
	for _, w := range AllWeighers() {
		if weighed[w] < 5 {
			t.Errorf("coverage: %s told hosts apart in %d cases", w, weighed[w])
		}
	}
	for _, k := range multiplierKeys {
		if k != "metrics_weight_multiplier" && mults["conf "+k] < 5 {
			t.Errorf("coverage: %s set in %d configurations", k, mults["conf "+k])
		}
		if mults["aggregate "+k] < 5 {
			t.Errorf("coverage: %s set in aggregates of %d hosts", k, mults["aggregate "+k])
		}
	}
	for _, p := range []string{"affinity", "anti-affinity", "soft-affinity", "soft-anti-affinity"} {
		if policies[p] < 10 {
			t.Errorf("coverage: %d requests with a %s group", policies[p], p)
		}
	}
	t.Logf("coverage: filters removing hosts %v; weighers %v; multipliers %v; policies %v; multi-round requests %d",
		removed, weighed, mults, policies, multi)
}
