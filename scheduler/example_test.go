package scheduler_test

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/hakit/hakit/scheduler"
)

func hosts() []scheduler.HostState {
	kvm := []scheduler.HVSpec{{Arch: "x86_64", HVType: "kvm", VMMode: "hvm"}}
	return []scheduler.HostState{
		{Host: "c1", Node: "c1", FreeRAMMB: 8192, TotalUsableRAMMB: 16384, VCPUsTotal: 16, VCPUsUsed: 4, SupportedInstances: kvm},
		{Host: "c2", Node: "c2", FreeRAMMB: 16384, TotalUsableRAMMB: 16384, VCPUsTotal: 16, VCPUsUsed: 12, SupportedInstances: kvm},
		{Host: "c3", Node: "c3", FreeRAMMB: 4096, TotalUsableRAMMB: 16384, VCPUsTotal: 16, SupportedInstances: kvm,
			Service: scheduler.Service{Disabled: true}},
	}
}

// Two instances with nova's default filters and the RAM and CPU weighers:
// the disabled host is filtered out and c2, with twice the free RAM, wins;
// the first instance takes 8 GB from it, so the second goes to c1. Each
// host was selected, so neither is left as an alternate.
func Example() {
	s, err := scheduler.New(scheduler.Config{
		Weighers:   []string{"RAMWeigher", "CPUWeigher"},
		Alternates: 1,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	d, err := s.ScheduleHosts(hosts(), &scheduler.RequestSpec{
		Flavor:       scheduler.Flavor{Name: "m1.large", MemoryMB: 8192, VCPUs: 4, RootGB: 40},
		Image:        scheduler.Image{Properties: map[string]string{"hw_architecture": "x86_64"}},
		NumInstances: 2,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, w := range d.Weighed {
		fmt.Printf("%s weighs %.3f\n", w.Host, w.Weight)
	}
	for i, sel := range d.Selections {
		fmt.Printf("instance %d on %s, alternates %v\n", i, sel.Host, sel.Alternates)
	}
	// Output:
	// c2 weighs 1.968
	// c1 weighs 1.500
	// instance 0 on c2, alternates []
	// instance 1 on c1, alternates []
}

// Explain tells which filter removed which host and what each weigher gave
// each host, as nova's debug log does.
func ExampleScheduler_Explain() {
	s, _ := scheduler.New(scheduler.Config{Weighers: []string{"RAMWeigher"}})
	set, _ := s.Prepare(hosts())
	_, tr, err := s.Explain(set, &scheduler.RequestSpec{Flavor: scheduler.Flavor{MemoryMB: 1024}})
	if err != nil {
		fmt.Println(err)
		return
	}
	_, _ = tr.WriteTo(os.Stdout)
	// Output:
	// instance 0 00000000-0000-4000-8000-000000000001: 3 hosts
	//   ComputeFilter: 3 -> 2 hosts, removed c3
	//   ComputeCapabilitiesFilter: 2 -> 2 hosts
	//   ImagePropertiesFilter: 2 -> 2 hosts
	//   ServerGroupAntiAffinityFilter: 2 -> 2 hosts
	//   ServerGroupAffinityFilter: 2 -> 2 hosts
	//   RAMWeigher: c1=1.0*0.5(raw 8192.0) c2=1.0*1.0(raw 16384.0)
	//   weighed: c2=1.0 c1=0.5
	//   chosen: c2
}

// An anti-affinity group keeps its members on different hosts; a third
// member finds no host left.
func ExampleServerGroup() {
	s, _ := scheduler.New(scheduler.Config{})
	members := []string{scheduler.DefaultInstanceUUID(0), scheduler.DefaultInstanceUUID(1), scheduler.DefaultInstanceUUID(2)}
	spec := &scheduler.RequestSpec{NumInstances: 2, Group: &scheduler.ServerGroup{Policy: "anti-affinity", Members: members}}
	d, err := s.ScheduleHosts(hosts(), spec)
	fmt.Println(d.Selections[0].Host, d.Selections[1].Host, err)
	spec.NumInstances = 3
	_, err = s.ScheduleHosts(hosts(), spec)
	fmt.Println(errors.Is(err, scheduler.ErrNoValidHost))
	// Output:
	// c2 c1 <nil>
	// true
}

// MatchExtraSpec applies the operators of flavor extra specs: "=" means at
// least, "<or>" one of, "<in>" a substring.
func ExampleMatchExtraSpec() {
	for _, c := range [][2]string{{"8", "= 4"}, {"8", "== 4"}, {"kvm", "<or> xen <or> kvm"}, {"aes avx2", "<in> avx"}, {"QEMU", "s== qemu"}} {
		ok, err := scheduler.MatchExtraSpec(c[0], c[1])
		fmt.Printf("%q %q: %v %v\n", c[0], c[1], ok, err)
	}
	// Output:
	// "8" "= 4": true <nil>
	// "8" "== 4": false <nil>
	// "kvm" "<or> xen <or> kvm": true <nil>
	// "aes avx2" "<in> avx": true <nil>
	// "QEMU" "s== qemu": false <nil>
}

// A custom filter and weigher join nova's by name.
func ExampleFilterFunc() {
	evenOnly := scheduler.FilterFunc("EvenHostFilter", func(h *scheduler.HostState, _ *scheduler.RequestSpec) (bool, error) {
		return strings.HasSuffix(h.Host, "2"), nil
	})
	s, err := scheduler.New(scheduler.Config{
		Filters:       []string{"EvenHostFilter", "ComputeFilter"},
		CustomFilters: []scheduler.Filter{evenOnly},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	d, _ := s.ScheduleHosts(hosts(), &scheduler.RequestSpec{})
	fmt.Println(s.Filters(), d.Selections[0].Host)
	// Output:
	// [EvenHostFilter ComputeFilter] c2
}

// RunJSON answers a request of the schedule tool (examples/schedule).
func ExampleRunJSON() {
	d, err := scheduler.RunJSON([]byte(`{
	  "conf": {"filter_scheduler": {"enabled_filters": ["ComputeFilter"],
	           "weight_classes": ["nova.scheduler.weights.ram.RAMWeigher"]}},
	  "hosts": [{"host": "a", "free_ram_mb": 1024}, {"host": "b", "free_ram_mb": 4096},
	            {"host": "c", "free_ram_mb": 9999, "service": {"forced_down": true}}],
	  "spec": {"memory_mb": 512, "vcpus": 1, "num_instances": 1},
	  "num_alts": 1}`), 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.Filters, d.Weighers, d.Weighed, d.Selected, d.Error == "")
	// Output:
	// [ComputeFilter] [RAMWeigher] [[b 1] [a 0.25]] [[b a]] true
}
