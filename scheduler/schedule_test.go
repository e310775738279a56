package scheduler

import (
	"errors"
	"slices"
	"testing"
)

func selectedHosts(d *Decision) []string {
	var out []string
	for _, s := range d.Selections {
		out = append(out, s.Host)
	}
	return out
}

// Each selected host has the instance's resources taken before the next
// instance is weighed, so RAMWeigher spreads a multi-instance request.
func TestScheduleConsumesAndSpreads(t *testing.T) {
	hosts := []HostState{
		host("a", func(h *HostState) { h.FreeRAMMB = 4096 }),
		host("b", func(h *HostState) { h.FreeRAMMB = 3072 }),
		host("c", func(h *HostState) { h.FreeRAMMB = 1024 }),
	}
	s, err := New(Config{Weighers: []string{"RAMWeigher"}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.ScheduleHosts(hosts, &RequestSpec{NumInstances: 3, Flavor: Flavor{MemoryMB: 1536, VCPUs: 1}})
	if err != nil {
		t.Fatal(err)
	}
	// a (4096) -> 2560 left; b (3072) now best -> 1536; a (2560) again.
	if got := selectedHosts(d); !slices.Equal(got, []string{"a", "b", "a"}) {
		t.Errorf("selected %v, want [a b a]", got)
	}
	if hosts[0].FreeRAMMB != 4096 {
		t.Errorf("the caller's hosts were modified")
	}
}

func TestScheduleAntiAffinityMultiCreate(t *testing.T) {
	hosts := []HostState{host("a"), host("b"), host("c")}
	uuids := []string{DefaultInstanceUUID(0), DefaultInstanceUUID(1), DefaultInstanceUUID(2), DefaultInstanceUUID(3)}
	spec := &RequestSpec{NumInstances: 3, Group: &ServerGroup{Policy: "anti-affinity", Members: uuids}}
	s, _ := New(Config{Weighers: []string{}})
	d, err := s.ScheduleHosts(hosts, spec)
	if err != nil {
		t.Fatal(err)
	}
	if got := selectedHosts(d); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("selected %v, want one instance per host", got)
	}
	spec.NumInstances = 4
	if _, err := s.ScheduleHosts(hosts, spec); !errors.Is(err, ErrNoValidHost) {
		t.Errorf("a fourth instance: %v, want ErrNoValidHost", err)
	}
}

func TestScheduleAffinityFollowsFirstHost(t *testing.T) {
	hosts := []HostState{host("a", func(h *HostState) { h.FreeRAMMB = 1000 }), host("b", func(h *HostState) { h.FreeRAMMB = 9000 })}
	s, _ := New(Config{Weighers: []string{"RAMWeigher"}})
	d, err := s.ScheduleHosts(hosts, &RequestSpec{NumInstances: 2, Flavor: Flavor{MemoryMB: 8000},
		Group: &ServerGroup{Policy: "affinity"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := selectedHosts(d); !slices.Equal(got, []string{"b", "b"}) {
		t.Errorf("selected %v, want [b b]", got)
	}
}

func TestAlternates(t *testing.T) {
	hosts := []HostState{
		host("a", func(h *HostState) { h.FreeRAMMB = 4000 }),
		host("b", func(h *HostState) { h.FreeRAMMB = 3000 }),
		host("c", func(h *HostState) { h.FreeRAMMB = 2000; h.CellUUID = "cell2" }),
		host("d", func(h *HostState) { h.FreeRAMMB = 1000 }),
	}
	s, _ := New(Config{Weighers: []string{"RAMWeigher"}, Alternates: 2})
	d, err := s.ScheduleHosts(hosts, &RequestSpec{Flavor: Flavor{MemoryMB: 100}})
	if err != nil {
		t.Fatal(err)
	}
	sel := d.Selections[0]
	// alternates come from the selected host's cell only
	if sel.Host != "a" || len(sel.Alternates) != 2 || sel.Alternates[0].Host != "b" || sel.Alternates[1].Host != "d" {
		t.Errorf("selection %+v, want a with alternates b, d", sel)
	}
}

func TestForcedAndIgnoredHosts(t *testing.T) {
	hosts := []HostState{host("a"), host("B"), host("c", func(h *HostState) { h.Service.Disabled = true })}
	s, _ := New(Config{Weighers: []string{}})
	d, err := s.ScheduleHosts(hosts, &RequestSpec{IgnoreHosts: []string{"A"}})
	if err != nil || d.Selections[0].Host != "B" {
		t.Fatalf("ignore_hosts: %v %v", d, err)
	}
	// forced hosts skip the filters: the disabled host is taken.
	d, err = s.ScheduleHosts(hosts, &RequestSpec{ForceHosts: []string{"C"}})
	if err != nil || d.Selections[0].Host != "c" {
		t.Fatalf("force_hosts: %v %v", d, err)
	}
	// unless _nova_check_type asks for the filters
	_, err = s.ScheduleHosts(hosts, &RequestSpec{ForceHosts: []string{"c"}, SchedulerHints: map[string][]string{"_nova_check_type": {"migrate"}}})
	if !errors.Is(err, ErrNoValidHost) {
		t.Fatalf("force_hosts with check type: %v", err)
	}
}

// With host_subset_size 3 the chosen host is drawn from the three best with
// CPython's random.choice, so a PythonRandom seeded like nova's process
// makes the same choice.
func TestSubsetDraw(t *testing.T) {
	hosts := []HostState{host("a", func(h *HostState) { h.FreeRAMMB = 4000 }), host("b", func(h *HostState) { h.FreeRAMMB = 3000 }),
		host("c", func(h *HostState) { h.FreeRAMMB = 2000 }), host("d", func(h *HostState) { h.FreeRAMMB = 1000 })}
	s, _ := New(Config{Weighers: []string{"RAMWeigher"}, HostSubsetSize: 3, Rand: NewPythonRandom(42)})
	d, err := s.ScheduleHosts(hosts, &RequestSpec{Flavor: Flavor{MemoryMB: 1}})
	if err != nil {
		t.Fatal(err)
	}
	// random.seed(42); random.choice(["a", "b", "c"]) is "c" in CPython.
	if d.Selections[0].Host != "c" {
		t.Errorf("chosen %s, want c", d.Selections[0].Host)
	}
}

func TestExplain(t *testing.T) {
	hosts := []HostState{host("a"), host("b", func(h *HostState) { h.Service.Disabled = true })}
	s, _ := New(Config{Weighers: []string{"RAMWeigher"}})
	set, err := s.Prepare(hosts)
	if err != nil {
		t.Fatal(err)
	}
	_, tr, err := s.Explain(set, &RequestSpec{})
	if err != nil {
		t.Fatal(err)
	}
	it := tr.Instances[0]
	if it.Steps[0].Filter != "ComputeFilter" || len(it.Steps[0].Removed) != 1 || it.Steps[0].Removed[0].Host != "b" {
		t.Errorf("steps %+v", it.Steps)
	}
	if it.Selected.Host != "a" {
		t.Errorf("selected %v", it.Selected)
	}
}

// A Scheduler and a HostSet serve concurrent requests (run with -race).
func TestConcurrentSchedule(t *testing.T) {
	s, err := New(Config{Weighers: []string{"RAMWeigher", "CPUWeigher", "ServerGroupSoftAntiAffinityWeigher"}})
	if err != nil {
		t.Fatal(err)
	}
	var hosts []HostState
	for i := 0; i < 50; i++ {
		hosts = append(hosts, host(string(rune('a'+i%26))+string(rune('a'+i/26)), func(h *HostState) { h.FreeRAMMB = int64(1024 * (i%7 + 1)) }))
	}
	set, err := s.Prepare(hosts)
	if err != nil {
		t.Fatal(err)
	}
	want, err := s.Schedule(set, &RequestSpec{NumInstances: 5, Flavor: Flavor{MemoryMB: 512}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func() {
			for k := 0; k < 20; k++ {
				d, err := s.Schedule(set, &RequestSpec{NumInstances: 5, Flavor: Flavor{MemoryMB: 512},
					Group: &ServerGroup{Policy: "soft-anti-affinity"}})
				if err != nil {
					done <- err
					return
				}
				if !slices.Equal(selectedHosts(d), selectedHosts(want)) {
					done <- errors.New("a concurrent request decided differently")
					return
				}
			}
			done <- nil
		}()
	}
	for g := 0; g < 8; g++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if got := s.Stats().Requests; got != 161 {
		t.Errorf("Stats().Requests = %d, want 161", got)
	}
}
