package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/hakit/hakit/scheduler"
)

// sceneScheduler places servers on a small cloud the way nova's filter
// scheduler does: filters remove hosts, weighers rank the rest, each placed
// instance consumes its host, and a server group keeps its members apart.
func sceneScheduler(ctx context.Context, w io.Writer) error {
	tl := newTimeline(w)
	zone := func(z string) []scheduler.Aggregate {
		return []scheduler.Aggregate{{Name: "zone-" + z, Metadata: map[string]string{"availability_zone": z}}}
	}
	kvm := []scheduler.HVSpec{{Arch: "x86_64", HVType: "kvm", VMMode: "hvm"}}
	var hosts []scheduler.HostState
	for i, ram := range []int64{65536, 49152, 16384, 98304, 32768, 8192} {
		h := scheduler.HostState{
			Host: fmt.Sprintf("compute%d", i+1), FreeRAMMB: ram, TotalUsableRAMMB: 131072,
			FreeDiskMB: 500 * 1024, TotalUsableDiskGB: 1000, VCPUsTotal: 32, VCPUsUsed: int64(4 * i),
			SupportedInstances: kvm, Aggregates: zone([]string{"az1", "az2"}[i%2]),
		}
		h.Node = h.Host
		hosts = append(hosts, h)
	}
	hosts[3].Service.Disabled, hosts[3].Service.DisabledReason = true, "maintenance"
	for _, h := range hosts {
		state := "up"
		if h.Service.Disabled {
			state = "disabled: " + h.Service.DisabledReason
		}
		tl.printf("%s in %s: %d MB RAM free, %d vCPUs used (%s)", h.Host, h.Aggregates[0].Metadata["availability_zone"], h.FreeRAMMB, h.VCPUsUsed, state)
	}

	s, err := scheduler.New(scheduler.Config{
		Filters:    append([]string{"AvailabilityZoneFilter"}, scheduler.DefaultFilters...),
		Weighers:   []string{"RAMWeigher", "CPUWeigher"},
		Alternates: 1,
		Rand:       scheduler.NewPythonRandom(1),
	})
	if err != nil {
		return err
	}
	set, err := s.Prepare(hosts)
	if err != nil {
		return err
	}
	tl.printf("filters %s; weighers %s", strings.Join(s.Filters(), ", "), strings.Join(s.Weighers(), ", "))

	members := []string{scheduler.DefaultInstanceUUID(0), scheduler.DefaultInstanceUUID(1)}
	spec := &scheduler.RequestSpec{
		Flavor:           scheduler.Flavor{Name: "m1.xlarge", MemoryMB: 16384, VCPUs: 8, RootGB: 160},
		Image:            scheduler.Image{Properties: map[string]string{"architecture": "amd64"}},
		NumInstances:     2,
		AvailabilityZone: "az1",
		Group:            &scheduler.ServerGroup{Policy: "anti-affinity", Members: members},
	}
	tl.printf("request: 2 x m1.xlarge (16 GB) in az1, an amd64 image, one anti-affinity group")
	d, tr, err := s.Explain(set, spec)
	if err != nil {
		return err
	}
	for _, st := range tr.Instances[0].Steps {
		if len(st.Removed) > 0 {
			var names []string
			for _, r := range st.Removed {
				names = append(names, r.Host)
			}
			tl.printf("  %s removed %s", st.Filter, strings.Join(names, ", "))
		}
	}
	for _, wh := range d.Weighed {
		tl.printf("  weighed %s = %.3f", wh.Host, wh.Weight)
	}
	for i, sel := range d.Selections {
		alt := "none"
		if len(sel.Alternates) > 0 {
			alt = sel.Alternates[0].Host
		}
		tl.printf("instance %d -> %s (alternate %s)", i+1, sel.Host, alt)
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	spec.NumInstances = 4
	for i := 2; i < 4; i++ {
		spec.Group.Members = append(spec.Group.Members, scheduler.DefaultInstanceUUID(i))
	}
	_, err = s.Schedule(set, spec)
	if !errors.Is(err, scheduler.ErrNoValidHost) {
		return fmt.Errorf("four members on three hosts: %v, want no valid host", err)
	}
	tl.printf("4 group members on the 3 hosts az1 has up: %v", err)

	st := s.Stats()
	tl.printf("stats: %d requests, %d instances placed, %d without a valid host", st.Requests, st.Instances, st.NoValidHost)
	return nil
}
