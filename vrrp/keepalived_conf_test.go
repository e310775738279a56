package vrrp_test

import (
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/hakit/hakit/vrrp"
)

const sampleConf = `! keepalived.conf of a two-VIP router
global_defs {
  router_id lb1
}
include conf.d/*.conf
vrrp_sync_group VG_1 {
  group {
    VI_EXT
    VI_INT
  }
}
vrrp_instance VI_EXT {
  state MASTER
  interface eth0
  virtual_router_id 51
  priority 150
  advert_int 1
  unicast_src_ip 192.0.2.1
  unicast_peer {
    192.0.2.2
  }
  virtual_ipaddress {
    192.0.2.100/24 dev eth0
    192.0.2.101
  }
  track_script {
    chk_haproxy
  }
  track_interface {
    eth1 weight -20
  }
  notify "/usr/local/bin/notify.sh ext"
  garp_master_delay 0
}
vrrp_instance VI_INT { # one line blocks are fine too
  interface eth0
  virtual_router_id 52
  version 3
  advert_int 0.5
  nopreempt
  virtual_ipaddress { 198.51.100.100/24 }
}
`

const scriptConf = `vrrp_script chk_haproxy {
  script "/usr/bin/pgrep haproxy"
  interval 2
  fall 2
  rise 3
}
`

func sampleFS() fstest.MapFS {
	return fstest.MapFS{
		"etc/keepalived/keepalived.conf":         {Data: []byte(sampleConf)},
		"etc/keepalived/conf.d/scripts.conf":     {Data: []byte(scriptConf)},
		"etc/keepalived/conf.d/ignored.conf.bak": {Data: []byte("nonsense {")},
	}
}

func TestParseKeepalivedConf(t *testing.T) {
	c, err := vrrp.ParseKeepalivedConf(sampleFS(), "etc/keepalived/keepalived.conf")
	if err != nil {
		t.Fatal(err)
	}
	if c.RouterID != "lb1" || len(c.Scripts) != 1 || len(c.SyncGroups) != 1 || len(c.Instances) != 2 {
		t.Fatalf("parsed %+v", c)
	}
	s := c.Scripts[0]
	if s.File != "etc/keepalived/conf.d/scripts.conf" || s.Line != 1 || !reflect.DeepEqual(s.Script, []string{"/usr/bin/pgrep", "haproxy"}) ||
		s.Interval != 2*time.Second || s.Fall != 2 || s.Rise != 3 {
		t.Errorf("script %+v", s)
	}
	ext := c.Instances[0]
	if ext.Name != "VI_EXT" || ext.State != vrrp.StateMaster || ext.VRID != 51 || ext.Priority != 150 ||
		ext.UnicastSource != netip.MustParseAddr("192.0.2.1") || len(ext.UnicastPeers) != 1 ||
		ext.VIPs[0].Dev != "eth0" || ext.VIPs[1].Prefix != netip.MustParsePrefix("192.0.2.101/32") ||
		!reflect.DeepEqual(ext.Notify, []string{"/usr/local/bin/notify.sh", "ext"}) || ext.GARPMasterDelay >= 0 ||
		len(ext.TrackInterfaces) != 1 || ext.TrackInterfaces[0].Weight != -20 {
		t.Errorf("VI_EXT %+v", ext)
	}

	cfgs, err := c.RouterConfigs()
	if err != nil {
		t.Fatal(err)
	}
	e, i := cfgs[0], cfgs[1]
	if e.Version != vrrp.Version2 || i.Version != vrrp.Version3 || i.Interval != 500*time.Millisecond || !i.NoPreempt {
		t.Errorf("versions %v %v, VI_INT %+v", e.Version, i.Version, i)
	}
	if e.SyncGroup == nil || e.SyncGroup != i.SyncGroup || e.SyncGroup.Name != "VG_1" {
		t.Errorf("sync groups %p %p", e.SyncGroup, i.SyncGroup)
	}
	// keepalived in a sync group without sync_group_tracking_weight: the
	// weighted track_interface raises FAULT.
	if len(e.Track) != 2 || e.Track[0].Name != "interface eth1" || e.Track[0].Weight != 0 ||
		e.Track[1].Name != "chk_haproxy" || e.Track[1].Interval != 2*time.Second || e.Track[1].Rise != 3 {
		t.Errorf("VI_EXT tracks %+v", e.Track)
	}
	if e.GARPDelay >= 0 {
		t.Errorf("garp_master_delay 0: GARPDelay %v, want negative", e.GARPDelay)
	}
}

// Every keyword a Router cannot honour is refused with its file and line.
func TestKeepalivedConfRefuses(t *testing.T) {
	inst := func(body string) string {
		return "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n  virtual_ipaddress {\n    192.0.2.100/24\n  }\n" + body + "}\n"
	}
	for _, tc := range []struct {
		conf, file string
		line       int
		want       string
		routers    bool // refused by RouterConfigs, not the parser
	}{
		{"virtual_server 192.0.2.1 80 {\n}\n", "k.conf", 1, `"virtual_server"`, false},
		{"global_defs {\n  router_id x\n  enable_script_security\n}\n", "k.conf", 3, `"enable_script_security" in global_defs`, false},
		{inst("  use_vmac\n"), "k.conf", 7, `"use_vmac" in vrrp_instance`, false},
		{inst("  virtual_routes {\n  }\n"), "k.conf", 7, `"virtual_routes"`, false},
		{"vrrp_script s {\n  script /bin/true\n  user nobody\n}\n", "k.conf", 3, `"user" in vrrp_script`, false},
		{"vrrp_sync_group g {\n  group {\n  }\n  notify_master /bin/true\n}\n", "k.conf", 4, `"notify_master" in vrrp_sync_group`, false},
		{"include more.conf\n", "more.conf", 2, `"smtp_server"`, false},
		{inst("  priority 256\n"), "k.conf", 7, "priority", false},
		{inst("  track_script {\n    nope\n  }\n"), "k.conf", 1, "not defined", false},
		{"vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n  virtual_ipaddress {\n    192.0.2.100/24 label eth1:1\n  }\n}\n", "k.conf", 1, "VIPLabels", true},
		{"vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n  virtual_ipaddress {\n    192.0.2.100/24 dev eth1\n  }\n}\n", "k.conf", 1, "another device", true},
		{"vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n  virtual_ipaddress {\n    192.0.2.100/24 scope link\n  }\n}\n", "k.conf", 5, `"scope"`, false},
		{inst("  authentication {\n    auth_type AH\n    auth_pass secret\n  }\n"), "k.conf", 1, "auth_type AH", true},
		{inst("  version 3\n  authentication {\n    auth_type PASS\n    auth_pass secret\n  }\n"), "k.conf", 1, "version 2", true},
		{inst(""), "k.conf", 0, "", false},
		{"vrrp_instance VI_1 {\n", "k.conf", 1, "not closed", false},
	} {
		fsys := fstest.MapFS{"k.conf": {Data: []byte(tc.conf)}, "more.conf": {Data: []byte("global_defs {\n  smtp_server 127.0.0.1\n}\n")}}
		c, err := vrrp.ParseKeepalivedConf(fsys, "k.conf")
		if err == nil && tc.routers {
			_, err = c.RouterConfigs()
		}
		if tc.want == "" {
			if err != nil {
				t.Errorf("%q: %v", tc.conf, err)
			}
			continue
		}
		var fe *vrrp.ConfFileError
		if !errors.As(err, &fe) || !errors.Is(err, vrrp.ErrInvalidConfig) || fe.File != tc.file || fe.Line != tc.line || !strings.Contains(fe.Msg, tc.want) {
			t.Errorf("%q: error %v, want %s:%d naming %s", tc.conf, err, tc.file, tc.line, tc.want)
		}
	}
}

// FuzzParseKeepalivedConf: whatever parses prints back (String) to a file
// that parses to the same value, positions aside; nothing panics.
func FuzzParseKeepalivedConf(f *testing.F) {
	f.Add(sampleConf)                                                                                     // every block kind, include of a missing glob
	f.Add(scriptConf)                                                                                     // a vrrp_script alone
	f.Add("vrrp_instance \"a b\" { interface eth0\nvirtual_router_id 9\nvirtual_ipaddress { fd00::1 } }") // quoted name, one-line blocks
	f.Add("global_defs {\n}\n}")                                                                          // a stray brace
	f.Add("vrrp_script s { script \"\" }")                                                                // an empty command
	f.Add("include\"\"")                                                                                  // an empty include name, refused with its file and line
	f.Add("include \"{a,{b,c}*}{d,e}{f,g}{h,i}\"\ninclude \"x{y\"")                                       // nested braces, an unmatched one
	f.Fuzz(func(t *testing.T, conf string) {
		c, err := vrrp.ParseKeepalivedConf(fstest.MapFS{"k.conf": {Data: []byte(conf)}}, "k.conf")
		if err != nil {
			var fe *vrrp.ConfFileError
			if !errors.As(err, &fe) && !strings.Contains(err.Error(), "k.conf") {
				t.Fatalf("error without file: %v", err)
			}
			return
		}
		c.RouterConfigs() // must not panic
		out := c.String()
		c2, err := vrrp.ParseKeepalivedConf(fstest.MapFS{"k.conf": {Data: []byte(out)}}, "k.conf")
		if err != nil {
			t.Fatalf("String() does not parse: %v\n%s", err, out)
		}
		if a, b := unpositioned(c), unpositioned(c2); !reflect.DeepEqual(a, b) {
			t.Fatalf("round trip:\n%+v\n%+v\n%s", a, b, out)
		}
	})
}

func unpositioned(c *vrrp.KeepalivedConf) vrrp.KeepalivedConf {
	out := *c
	out.Scripts = append([]vrrp.KeepalivedScript(nil), c.Scripts...)
	out.SyncGroups = append([]vrrp.KeepalivedSyncGroup(nil), c.SyncGroups...)
	out.Instances = append([]vrrp.KeepalivedInstance(nil), c.Instances...)
	for i := range out.Scripts {
		out.Scripts[i].KeepalivedPos = vrrp.KeepalivedPos{}
	}
	for i := range out.SyncGroups {
		out.SyncGroups[i].KeepalivedPos = vrrp.KeepalivedPos{}
	}
	for i := range out.Instances {
		out.Instances[i].KeepalivedPos = vrrp.KeepalivedPos{}
	}
	return out
}
