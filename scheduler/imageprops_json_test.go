package scheduler

import (
	"encoding/json"
	"errors"
	"maps"
	"testing"
)

// TestImagePropsOfJSON checks typed image properties against what nova
// 26's objects.ImageMeta.from_dict makes of the same Python values (read
// from the ImageMetaProps object it returns, or the exception it raises).
func TestImagePropsOfJSON(t *testing.T) {
	for _, c := range []struct {
		props string
		want  map[string]string // ImageMetaProps fields, str() of each; nil: nova raises
	}{
		{`{"hw_video_ram": 64}`, map[string]string{"hw_video_ram": "64"}},
		{`{"hw_video_ram": 64.0}`, map[string]string{"hw_video_ram": "64"}},
		{`{"hw_video_ram": 64.7}`, map[string]string{"hw_video_ram": "64"}},
		{`{"hw_video_ram": -3.5}`, map[string]string{"hw_video_ram": "-3"}},
		{`{"hw_cpu_cores": -0.5}`, map[string]string{"hw_cpu_cores": "0"}},
		{`{"hw_video_ram": true}`, map[string]string{"hw_video_ram": "1"}},
		{`{"hw_video_ram": false}`, map[string]string{"hw_video_ram": "0"}},
		{`{"hw_cpu_cores": 1e20}`, map[string]string{"hw_cpu_cores": "100000000000000000000"}},
		{`{"hw_cpu_cores": 1000000000000000000000000000000}`, map[string]string{"hw_cpu_cores": "1000000000000000000000000000000"}},
		{`{"hw_video_ram": 1e400}`, nil}, // int(inf)
		{`{"hw_video_ram": "64.0"}`, nil},
		{`{"hw_video_ram": null}`, nil},
		{`{"hw_qemu_guest_agent": true}`, map[string]string{"hw_qemu_guest_agent": "True"}},
		{`{"hw_qemu_guest_agent": 1}`, map[string]string{"hw_qemu_guest_agent": "True"}},
		{`{"hw_qemu_guest_agent": 1.0}`, map[string]string{"hw_qemu_guest_agent": "False"}},
		{`{"hw_qemu_guest_agent": 0}`, map[string]string{"hw_qemu_guest_agent": "False"}},
		{`{"os_distro": 12}`, map[string]string{"os_distro": "12"}},
		{`{"os_distro": true}`, map[string]string{"os_distro": "True"}},
		{`{"os_distro": 1.5}`, map[string]string{"os_distro": "1.5"}},
		{`{"os_distro": 1e22}`, map[string]string{"os_distro": "1e+22"}},
		{`{"os_distro": null}`, nil},
		{`{"hw_architecture": 1}`, nil},
		{`{"architecture": 5}`, nil},
		{`{"hw_architecture": true}`, nil},
		{`{"img_hv_type": 5}`, nil},
		{`{"hw_vm_mode": 1.0}`, nil},
		{`{"os_type": 1}`, nil},
		{`{"hw_scsi_model": 1}`, nil},
		{`{"hw_tpm_version": 2.0}`, nil},
		{`{"hw_tpm_version": "2.0"}`, map[string]string{"hw_tpm_version": "2.0"}},
		{`{"hw_cpu_policy": 1}`, nil},
		{`{"img_hv_requested_version": 6}`, nil},
		{`{"img_hv_requested_version": true}`, nil},
		{`{"img_mappings": 5}`, nil},
		{`{"mappings": true}`, nil},
		{`{"vmware_adaptertype": 5}`, nil},
		{`{"vmware_adaptertype": true}`, nil},
		{`{"vmware_adaptertype": 0}`, map[string]string{}},
		{`{"vmware_adaptertype": false}`, map[string]string{}},
		{`{"vmware_adaptertype": null}`, map[string]string{}},
		{`{"hw_numa_cpus.0": 1}`, nil},
		{`{"hw_numa_cpus.0": null}`, nil},
		{`{"hw_numa_mem.0": null}`, nil},
		{`{"hw_numa_mem.0": 1e400}`, nil},
		{`{"hw_numa_cpus": 1, "traits_required": 1, "trait:FOO": true, "unknown": 5, "other": null}`, map[string]string{}},
	} {
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(c.props), &m); err != nil {
			t.Fatal(err)
		}
		props, err := imagePropsOfJSON(m)
		var got imageProps
		if err == nil {
			got, err = coerceImageProps(props)
		}
		if c.want == nil {
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Errorf("%s: error %v, want a *FieldError as nova raises", c.props, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.props, err)
			continue
		}
		if !maps.Equal(got.vals, c.want) {
			t.Errorf("%s: fields %v, want %v", c.props, got.vals, c.want)
		}
	}
	for _, bad := range []string{`{"os_distro": ["a"]}`, `{"os_distro": {}}`} {
		var m map[string]json.RawMessage
		_ = json.Unmarshal([]byte(bad), &m)
		if _, err := imagePropsOfJSON(m); !errors.Is(err, ErrBadRequest) {
			t.Errorf("%s: error %v, want ErrBadRequest", bad, err)
		}
	}
}
