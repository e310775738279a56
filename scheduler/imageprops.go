package scheduler

import (
	"fmt"
	"slices"
	"strings"
)

// Image properties reach nova's filters as an ImageMetaProps object: a
// fixed set of typed fields, read from glance's string properties through
// a table of legacy names, each value coerced by its field type. Unknown
// keys are dropped. This file reproduces that step so that
// ImagePropertiesFilter and AggregateImagePropertiesIsolation see what nova
// sees: canonical architecture names, integers, booleans as True/False.

type propKind uint8

const (
	propStr     propKind = iota // StringField: the string itself
	propInt                     // IntegerField: Python int()
	propBool                    // FlexibleBooleanField: oslo bool_from_string, not strict
	propEnum                    // an enum field: the value must be listed
	propArch                    // ArchitectureField: canonicalized
	propHVType                  // HVTypeField: canonicalized
	propVMMode                  // VMModeField: canonicalized
	propVersion                 // VersionPredicateField: must parse
	propList                    // a list field, which nova cannot read from a string
)

type propType struct {
	kind   propKind
	values []string // propEnum
	lower  bool     // propEnum: the value is lower-cased first
	alias  map[string]string
}

var (
	diskBus = propType{kind: propEnum, values: []string{"fdc", "ide", "sata", "scsi", "usb", "virtio", "xen", "lxc", "uml"}}
	tStr    = propType{kind: propStr}
	tInt    = propType{kind: propInt}
	tBool   = propType{kind: propBool}
	tList   = propType{kind: propList}
)

func enum(values ...string) propType { return propType{kind: propEnum, values: values} }

// imagePropTypes lists the fields of nova's ImageMetaProps (objects
// version 1.34, nova 26 "Zed") with their types.
var imagePropTypes = map[string]propType{
	"hw_architecture":                    {kind: propArch},
	"hw_auto_disk_config":                tStr,
	"hw_boot_menu":                       tBool,
	"hw_cdrom_bus":                       diskBus,
	"hw_cpu_cores":                       tInt,
	"hw_cpu_max_cores":                   tInt,
	"hw_cpu_max_sockets":                 tInt,
	"hw_cpu_max_threads":                 tInt,
	"hw_cpu_policy":                      enum("dedicated", "shared", "mixed"),
	"hw_cpu_realtime_mask":               tStr,
	"hw_cpu_sockets":                     tInt,
	"hw_cpu_thread_policy":               enum("prefer", "isolate", "require"),
	"hw_cpu_threads":                     tInt,
	"hw_device_id":                       tInt,
	"hw_disk_bus":                        diskBus,
	"hw_disk_type":                       tStr,
	"hw_emulation_architecture":          {kind: propArch},
	"hw_ephemeral_encryption":            tBool,
	"hw_ephemeral_encryption_format":     enum("plain", "luks", "luksv2"),
	"hw_firmware_type":                   enum("uefi", "bios"),
	"hw_floppy_bus":                      diskBus,
	"hw_input_bus":                       enum("usb", "virtio"),
	"hw_ipxe_boot":                       tBool,
	"hw_locked_memory":                   tBool,
	"hw_machine_type":                    tStr,
	"hw_mem_encryption":                  tBool,
	"hw_mem_page_size":                   tStr,
	"hw_numa_cpus":                       tList,
	"hw_numa_mem":                        tList,
	"hw_numa_nodes":                      tInt,
	"hw_pci_numa_affinity_policy":        enum("required", "legacy", "preferred", "socket"),
	"hw_pmu":                             tBool,
	"hw_pointer_model":                   enum("usbtablet"),
	"hw_qemu_guest_agent":                tBool,
	"hw_rescue_bus":                      diskBus,
	"hw_rescue_device":                   enum("cdrom", "disk", "floppy", "fs", "lun"),
	"hw_rng_model":                       enum("virtio"),
	"hw_scsi_model":                      {kind: propEnum, lower: true, values: []string{"buslogic", "ibmvscsi", "lsilogic", "lsisas1068", "lsisas1078", "virtio-scsi", "vmpvscsi"}, alias: map[string]string{"lsilogicsas": "lsisas1068", "paravirtual": "vmpvscsi"}},
	"hw_serial_port_count":               tInt,
	"hw_time_hpet":                       tBool,
	"hw_tpm_model":                       enum("tpm-tis", "tpm-crb"),
	"hw_tpm_version":                     enum("1.2", "2.0"),
	"hw_video_model":                     enum("cirrus", "qxl", "vga", "vmvga", "xen", "virtio", "gop", "none", "bochs"),
	"hw_video_ram":                       tInt,
	"hw_vif_model":                       {kind: propEnum, lower: true, values: []string{"virtio", "ne2k_pci", "pcnet", "rtl8139", "e1000", "e1000e", "netfront", "spapr-vlan", "lan9118", "sriov", "vmxnet", "vmxnet3"}, alias: map[string]string{"virtuale1000": "e1000", "virtuale1000e": "e1000e", "virtualpcnet32": "pcnet", "virtualsriovethernetcard": "sriov", "virtualvmxnet": "vmxnet", "virtualvmxnet3": "vmxnet3"}},
	"hw_vif_multiqueue_enabled":          tBool,
	"hw_viommu_model":                    enum("intel", "smmuv3", "virtio", "auto"),
	"hw_vm_mode":                         {kind: propVMMode},
	"hw_watchdog_action":                 enum("none", "pause", "poweroff", "reset", "disabled"),
	"img_bdm_v2":                         tBool,
	"img_bittorrent":                     tBool,
	"img_block_device_mapping":           tList,
	"img_cache_in_nova":                  tBool,
	"img_compression_level":              tInt,
	"img_config_drive":                   enum("optional", "mandatory"),
	"img_hide_hypervisor_id":             tBool,
	"img_hv_requested_version":           {kind: propVersion},
	"img_hv_type":                        {kind: propHVType},
	"img_linked_clone":                   tBool,
	"img_mappings":                       tList,
	"img_owner_id":                       tStr,
	"img_root_device_name":               tStr,
	"img_signature":                      tStr,
	"img_signature_certificate_uuid":     tStr,
	"img_signature_hash_method":          enum("SHA-224", "SHA-256", "SHA-384", "SHA-512"),
	"img_signature_key_type":             enum("DSA", "ECC_SECP384R1", "ECC_SECP521R1", "ECC_SECT409K1", "ECC_SECT409R1", "ECC_SECT571K1", "ECC_SECT571R1", "RSA-PSS"),
	"img_use_agent":                      tBool,
	"img_version":                        tInt,
	"os_admin_user":                      tStr,
	"os_command_line":                    tStr,
	"os_distro":                          tStr,
	"os_require_quiesce":                 tBool,
	"os_secure_boot":                     enum("required", "disabled", "optional"),
	"os_skip_agent_inject_files_at_boot": tBool,
	"os_skip_agent_inject_ssh":           tBool,
	"os_type":                            {kind: propEnum, lower: true, values: []string{"linux", "windows"}},
	"traits_required":                    tList,
}

// legacyImageProps maps glance's old property names to ImageMetaProps
// fields; a current name set on the same image wins.
var legacyImageProps = map[string]string{
	"architecture":                           "hw_architecture",
	"owner_id":                               "img_owner_id",
	"vmware_disktype":                        "hw_disk_type",
	"vmware_image_version":                   "img_version",
	"vmware_ostype":                          "os_distro",
	"auto_disk_config":                       "hw_auto_disk_config",
	"ipxe_boot":                              "hw_ipxe_boot",
	"xenapi_device_id":                       "hw_device_id",
	"xenapi_image_compression_level":         "img_compression_level",
	"vmware_linked_clone":                    "img_linked_clone",
	"xenapi_use_agent":                       "img_use_agent",
	"xenapi_skip_agent_inject_ssh":           "os_skip_agent_inject_ssh",
	"xenapi_skip_agent_inject_files_at_boot": "os_skip_agent_inject_files_at_boot",
	"cache_in_nova":                          "img_cache_in_nova",
	"vm_mode":                                "hw_vm_mode",
	"bittorrent":                             "img_bittorrent",
	"mappings":                               "img_mappings",
	"block_device_mapping":                   "img_block_device_mapping",
	"bdm_v2":                                 "img_bdm_v2",
	"root_device_name":                       "img_root_device_name",
	"hypervisor_version_requires":            "img_hv_requested_version",
	"hypervisor_type":                        "img_hv_type",
}

// architectures are nova's Architecture.ALL.
var architectures = []string{"alpha", "armv6", "armv7l", "armv7b", "aarch64", "cris", "i686", "ia64", "lm32", "m68k", "microblaze", "microblazeel", "mips", "mipsel", "mips64", "mips64el", "openrisc", "parisc", "parisc64", "ppc", "ppcle", "ppc64", "ppc64le", "ppcemb", "s390", "s390x", "sh4", "sh4eb", "sparc", "sparc64", "unicore32", "x86_64", "xtensa", "xtensaeb"}

// hvTypes are nova's HVType.ALL.
var hvTypes = []string{"baremetal", "bhyve", "docker", "fake", "hyperv", "ironic", "kqemu", "kvm", "lxc", "lxd", "openvz", "parallels", "phyp", "qemu", "test", "uml", "vbox", "vz", "vmware", "xen", "zvm", "prsm"}

// vmModes are nova's VMMode.ALL.
var vmModes = []string{"hvm", "xen", "uml", "exe"}

// CanonicalArch is nova's Architecture.canonicalize: lower case, with
// i386/i486/i586/x86_32/x86_32p read as i686 and amd64 as x86_64. ok is
// false for a name nova does not know.
func CanonicalArch(name string) (string, bool) {
	n := pyLower(name)
	switch n {
	case "i386", "i486", "i586", "x86_32", "x86_32p":
		n = "i686"
	case "amd64":
		n = "x86_64"
	}
	return n, slices.Contains(architectures, n)
}

// CanonicalHVType is nova's HVType.canonicalize: lower case, xapi read as
// xen.
func CanonicalHVType(name string) (string, bool) {
	n := pyLower(name)
	if n == "xapi" {
		n = "xen"
	}
	return n, slices.Contains(hvTypes, n)
}

// CanonicalVMMode is nova's VMMode.canonicalize: lower case, pv read as
// xen, hv and baremetal as hvm.
func CanonicalVMMode(name string) (string, bool) {
	n := pyLower(name)
	switch n {
	case "pv":
		n = "xen"
	case "hv", "baremetal":
		n = "hvm"
	}
	return n, slices.Contains(vmModes, n)
}

// imageProps is an image's properties as nova's ImageMetaProps holds them:
// field name to the str() of the coerced value. Fields nova would keep as
// lists are present with ok=false in list.
type imageProps struct {
	vals map[string]string
	list map[string]bool
}

func (p imageProps) get(name string) (string, bool) {
	v, ok := p.vals[name]
	return v, ok
}

// coerceImageProps turns glance properties into ImageMetaProps values, with
// an error naming the first property nova would refuse.
func coerceImageProps(props map[string]string) (imageProps, error) {
	out := imageProps{vals: make(map[string]string)}
	set := func(src, field, v string) error {
		t := imagePropTypes[field]
		s, err := coerceProp(t, v)
		if err != nil {
			return fieldErr("RequestSpec.Image.Properties["+src+"]", "%v", err)
		}
		if t.kind == propList {
			if out.list == nil {
				out.list = make(map[string]bool)
			}
			out.list[field] = true
			return nil
		}
		out.vals[field] = s
		return nil
	}
	for _, legacy := range sortedKeys(legacyImageProps) {
		if v, ok := props[legacy]; ok {
			if err := set(legacy, legacyImageProps[legacy], v); err != nil {
				return imageProps{}, err
			}
		}
	}
	if v := props["vmware_adaptertype"]; v == "ide" {
		out.vals["hw_disk_bus"] = "ide"
	} else if v != "" {
		out.vals["hw_disk_bus"] = "scsi"
		if err := set("vmware_adaptertype", "hw_scsi_model", v); err != nil {
			return imageProps{}, err
		}
	}
	for _, field := range sortedKeys(imagePropTypes) {
		if field == "traits_required" || field == "hw_numa_cpus" || field == "hw_numa_mem" {
			continue
		}
		if v, ok := props[field]; ok {
			if err := set(field, field, v); err != nil {
				return imageProps{}, err
			}
		}
	}
	for k, v := range props {
		switch {
		case strings.HasPrefix(k, "trait:") && v == "required":
			out.markList("traits_required")
		case strings.HasPrefix(k, "hw_numa_mem."):
			out.markList("hw_numa_mem")
		case strings.HasPrefix(k, "hw_numa_cpus."):
			out.markList("hw_numa_cpus")
		}
	}
	return out, nil
}

func (p *imageProps) markList(field string) {
	if p.list == nil {
		p.list = make(map[string]bool)
	}
	p.list[field] = true
}

// coerceProp returns str() of the value nova's field type makes of v.
func coerceProp(t propType, v string) (string, error) {
	switch t.kind {
	case propInt:
		n, ok := pyParseBigInt(v)
		if !ok {
			return "", fmt.Errorf("invalid literal for int(): %q", v)
		}
		return n.String(), nil
	case propBool:
		if boolFromString(v) {
			return "True", nil
		}
		return "False", nil
	case propEnum:
		if t.lower {
			v = pyLower(v)
		}
		if a, ok := t.alias[v]; ok {
			v = a
		}
		if !slices.Contains(t.values, v) {
			return "", fmt.Errorf("field value %s is invalid", v)
		}
		return v, nil
	case propArch:
		c, ok := CanonicalArch(v)
		if !ok {
			return "", fmt.Errorf("architecture name %q is not valid", v)
		}
		return c, nil
	case propHVType:
		c, ok := CanonicalHVType(v)
		if !ok {
			return "", fmt.Errorf("hypervisor virt type %q is not valid", v)
		}
		return c, nil
	case propVMMode:
		c, ok := CanonicalVMMode(v)
		if !ok {
			return "", fmt.Errorf("virtual machine mode %q is not valid", v)
		}
		return c, nil
	case propVersion:
		if _, err := parseVersionPredicate("check (" + v + ")"); err != nil {
			return "", fmt.Errorf("version %s is not a valid predicate: %v", v, err)
		}
		return v, nil
	case propList:
		return "", fmt.Errorf("a list is required, not a str")
	}
	return v, nil
}

// boolFromString is oslo.utils' strutils.bool_from_string, not strict: true
// for 1, t, true, on, y, yes in any case with surrounding whitespace.
func boolFromString(s string) bool {
	switch pyLower(pyStrip(s)) {
	case "1", "t", "true", "on", "y", "yes":
		return true
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
