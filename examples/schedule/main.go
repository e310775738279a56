// Command schedule answers one scheduling request the way nova's filter
// scheduler (nova 26, Zed) does, with package scheduler.
//
// It reads one JSON request on stdin and prints one JSON decision on stdout:
//
//	{"conf": {"filter_scheduler": {"enabled_filters": [...], "weight_classes": [...], ...},
//	          "metrics": {...}, "DEFAULT": {...}},
//	 "hosts": [{"host": "c1", "node": "c1", "free_ram_mb": 4096, "free_disk_mb": 102400,
//	            "vcpus_total": 8, "vcpus_used": 2, "num_instances": 3, "num_io_ops": 0,
//	            "failed_builds": 0, "total_usable_ram_mb": 8192, "total_usable_disk_gb": 200,
//	            "host_ip": "10.0.0.1", "hypervisor_type": "QEMU", "hypervisor_version": 6002000,
//	            "supported_instances": [["x86_64", "kvm", "hvm"]], "cpu_allocation_ratio": 16.0,
//	            "stats": {}, "aggregates": [{"availability_zone": "az1"}], "instances": [],
//	            "service": {"disabled": false, "forced_down": false}}],
//	 "spec": {"memory_mb": 2048, "vcpus": 2, "root_gb": 20, "ephemeral_gb": 0,
//	          "num_instances": 1, "project_id": "p1", "flavor_name": "m1.small",
//	          "availability_zone": "az1", "extra_specs": {}, "image_props": {}, "hints": {},
//	          "ignore_hosts": [], "group": {"policy": "anti-affinity", "members": [],
//	          "hosts": [], "rules": {}}},
//	 "num_alts": 2}
//
//	{"filters": ["ComputeFilter", ...], "weighers": ["RAMWeigher", ...],
//	 "weighed": [["c1", 1.5], ...], "selected": [["c1", "c2", "c3"]]}
//
// Absent host fields take nova's defaults (allocation ratios 16.0, 1.5 and
// 1.0); aggregate i of a host is named "agg<i>"; a host's service is up
// unless disabled or forced down. "weighed" is the first instance's
// filtered and weighed hosts, best first, before anything is consumed;
// "selected" has the selected host and its alternates for each instance;
// "error" is "NoValidHost" when nova would raise it, or the error of a
// filter or weigher that failed on a host. Beyond nova's own fields the
// request may carry "seed" (the draw among the best hosts is then CPython's
// random.choice after random.seed(seed)), and hosts and spec the optional
// fields package scheduler documents (cell_uuid, metrics, pci_pools,
// instance_uuids, force_hosts, pci_requests, retry, requested_destination...).
//
// Flags:
//
//	-repeat N   after deciding, schedule the same request N more times,
//	            each from the same fresh host states (nothing the first run
//	            consumed carries over), and add "ns_per_op": the mean
//	            wall-clock nanoseconds of one of those N runs, each a whole
//	            request (every instance and its alternates), not counting
//	            reading the JSON and preparing the hosts. The decision
//	            printed is the first run's; 0 (the default) times nothing.
//	-explain    write which filter removed which hosts and every weigher's
//	            raw and normalized weights to stderr
//
// Bad JSON, an unknown field, filter, weigher or option, or a value nova
// refuses exits 1 with an error naming it.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/hakit/hakit/scheduler"
)

func main() {
	repeat := flag.Int("repeat", 0, "after deciding, schedule the same request `N` more times on fresh host states and add ns_per_op, the mean wall-clock nanoseconds of one of those runs (all instances; parsing and host preparation not included)")
	explain := flag.Bool("explain", false, "write the filter and weigher trace to stderr")
	flag.Parse()
	if err := run(os.Stdin, os.Stdout, os.Stderr, *repeat, *explain); err != nil {
		fmt.Fprintln(os.Stderr, "schedule:", err)
		os.Exit(1)
	}
}

func run(in io.Reader, out, errw io.Writer, repeat int, explain bool) error {
	if repeat < 0 {
		return fmt.Errorf("-repeat %d is negative", repeat)
	}
	data, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	d, err := scheduler.RunJSON(data, repeat)
	if err != nil {
		return err
	}
	if explain {
		req, err := scheduler.ParseJSONRequest(data)
		if err != nil {
			return err
		}
		s, set, spec, err := req.Prepare()
		if err != nil {
			return err
		}
		_, tr, _ := s.Explain(set, spec)
		if _, err := tr.WriteTo(errw); err != nil {
			return err
		}
	}
	enc := json.NewEncoder(out)
	return enc.Encode(d)
}
