package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

const request = `{
 "conf": {"filter_scheduler": {"enabled_filters": ["ComputeFilter", "AvailabilityZoneFilter"],
   "weight_classes": ["nova.scheduler.weights.ram.RAMWeigher"]}},
 "hosts": [
  {"host": "c1", "free_ram_mb": 2048, "aggregates": [{"availability_zone": "az1"}]},
  {"host": "c2", "free_ram_mb": 8192, "aggregates": [{"availability_zone": "az1"}]},
  {"host": "c3", "free_ram_mb": 4096, "aggregates": [{"availability_zone": "az1"}]},
  {"host": "c4", "free_ram_mb": 9999, "service": {"disabled": true}}],
 "spec": {"memory_mb": 4096, "vcpus": 1, "num_instances": 2, "availability_zone": "az1"},
 "num_alts": 1}`

func TestContract(t *testing.T) {
	var out, errw bytes.Buffer
	if err := run(strings.NewReader(request), &out, &errw, 0, false); err != nil {
		t.Fatal(err)
	}
	var d struct {
		Filters  []string   `json:"filters"`
		Weighers []string   `json:"weighers"`
		Weighed  [][2]any   `json:"weighed"`
		Selected [][]string `json:"selected"`
		Error    *string    `json:"error"`
		NsPerOp  *float64   `json:"ns_per_op"`
	}
	if err := json.Unmarshal(out.Bytes(), &d); err != nil {
		t.Fatalf("%v: %s", err, out.Bytes())
	}
	if strings.Join(d.Filters, ",") != "ComputeFilter,AvailabilityZoneFilter" || strings.Join(d.Weighers, ",") != "RAMWeigher" {
		t.Errorf("filters %v weighers %v", d.Filters, d.Weighers)
	}
	// c4 is disabled; RAM 8192, 4096, 2048 scaled from 0: 1, 0.5, 0.25
	if len(d.Weighed) != 3 || d.Weighed[0][0] != "c2" || d.Weighed[0][1] != 1.0 || d.Weighed[2][0] != "c1" || d.Weighed[2][1] != 0.25 {
		t.Errorf("weighed %v", d.Weighed)
	}
	// c2 (8192) takes the first instance and is left with 4096, as much as
	// c3: the tie keeps c2 first; c1 is the remaining alternate.
	if len(d.Selected) != 2 || strings.Join(d.Selected[0], ",") != "c2,c3" || strings.Join(d.Selected[1], ",") != "c2,c3" {
		t.Errorf("selected %v", d.Selected)
	}
	if d.Error != nil || d.NsPerOp != nil {
		t.Errorf("error %v ns_per_op %v", d.Error, d.NsPerOp)
	}
}

func TestRepeatAndExplain(t *testing.T) {
	var out, errw bytes.Buffer
	if err := run(strings.NewReader(request), &out, &errw, 10, true); err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	if err := json.Unmarshal(out.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	if ns, ok := d["ns_per_op"].(float64); !ok || ns <= 0 {
		t.Errorf("ns_per_op %v", d["ns_per_op"])
	}
	if !strings.Contains(errw.String(), "ComputeFilter: 4 -> 3 hosts, removed c4") {
		t.Errorf("explain:\n%s", errw.String())
	}
}

func TestNoValidHost(t *testing.T) {
	var out bytes.Buffer
	req := strings.Replace(request, `"num_instances": 2`, `"num_instances": 4`, 1)
	req = strings.Replace(req, `"enabled_filters": [`, `"max_instances_per_host": 1, "enabled_filters": ["NumInstancesFilter", `, 1)
	if err := run(strings.NewReader(req), &out, &bytes.Buffer{}, 0, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"error":"NoValidHost"`) || !strings.Contains(out.String(), `"selected":[]`) {
		t.Errorf("output %s", out.String())
	}
}

func TestBadInput(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"hosts": [}`, "invalid character"},
		{`{"conf": {"filter_scheduler": {"enabled_filters": ["NoSuchFilter"]}}}`, "NoSuchFilter"},
		{`{"conf": {"filter_scheduler": {"weight_classes": ["nova.scheduler.weights.NoWeigher"]}}}`, "nova.scheduler.weights.NoWeigher"},
		{`{"conf": {"filter_scheduler": {"host_subset_size": 0}}}`, "host_subset_size"},
		{`{"hosts": [{"host": "a", "free_ram": 1}]}`, "free_ram"},
	} {
		err := run(strings.NewReader(c.in), &bytes.Buffer{}, &bytes.Buffer{}, 0, false)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one naming %q", c.in, err, c.want)
		}
	}
}

// TestTypedImageProps: image properties take JSON numbers and booleans as
// nova's ImageMeta.from_dict does; AggregateImagePropertiesIsolation then
// compares str() of the coerced value with the aggregates' metadata.
func TestTypedImageProps(t *testing.T) {
	const typed = `{
 "conf": {"filter_scheduler": {"enabled_filters": ["AggregateImagePropertiesIsolation"], "weight_classes": []}},
 "hosts": [
  {"host": "c1", "aggregates": [{"hw_video_ram": "32"}]},
  {"host": "c2", "aggregates": [{"hw_video_ram": "64", "hw_qemu_guest_agent": "True"}]},
  {"host": "c3", "aggregates": [{"hw_qemu_guest_agent": "False"}]},
  {"host": "c4"}],
 "spec": {"memory_mb": 512, "vcpus": 1, "image_props": {"hw_video_ram": VRAM, "hw_qemu_guest_agent": true, "os_distro": 7}}}`
	for _, vram := range []string{"64", "64.0", "64.9", `"64"`} {
		var out bytes.Buffer
		if err := run(strings.NewReader(strings.Replace(typed, "VRAM", vram, 1)), &out, &bytes.Buffer{}, 0, false); err != nil {
			t.Fatalf("hw_video_ram %s: %v", vram, err)
		}
		var d struct {
			Weighed [][2]any `json:"weighed"`
		}
		if err := json.Unmarshal(out.Bytes(), &d); err != nil {
			t.Fatal(err)
		}
		if len(d.Weighed) != 2 || d.Weighed[0][0] != "c2" || d.Weighed[1][0] != "c4" {
			t.Errorf("hw_video_ram %s: weighed %v, want c2 and c4", vram, d.Weighed)
		}
	}
	for _, c := range []struct{ props, want string }{
		{`{"hw_architecture": 1}`, "hw_architecture"},
		{`{"hw_video_ram": "64.0"}`, "hw_video_ram"},
		{`{"hw_video_ram": null}`, "hw_video_ram"},
		{`{"os_distro": ["a"]}`, "os_distro"},
	} {
		req := strings.Replace(typed, `{"hw_video_ram": VRAM, "hw_qemu_guest_agent": true, "os_distro": 7}`, c.props, 1)
		err := run(strings.NewReader(req), &bytes.Buffer{}, &bytes.Buffer{}, 0, false)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one naming %s", c.props, err, c.want)
		}
	}
}

// TestRepeatKeepsDecision: -repeat adds ns_per_op and changes nothing else.
func TestRepeatKeepsDecision(t *testing.T) {
	decide := func(repeat int) map[string]any {
		var out bytes.Buffer
		req := strings.Replace(request, `"num_alts": 1}`, `"num_alts": 1, "seed": 3}`, 1)
		if err := run(strings.NewReader(req), &out, &bytes.Buffer{}, repeat, false); err != nil {
			t.Fatal(err)
		}
		var d map[string]any
		if err := json.Unmarshal(out.Bytes(), &d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	once, repeated := decide(0), decide(5)
	if _, ok := once["ns_per_op"]; ok {
		t.Errorf("ns_per_op without -repeat: %v", once)
	}
	if _, ok := repeated["ns_per_op"]; !ok {
		t.Fatalf("no ns_per_op with -repeat 5: %v", repeated)
	}
	delete(repeated, "ns_per_op")
	a, _ := json.Marshal(once)
	b, _ := json.Marshal(repeated)
	if !bytes.Equal(a, b) {
		t.Errorf("-repeat changed the decision: %s, without %s", b, a)
	}
}
