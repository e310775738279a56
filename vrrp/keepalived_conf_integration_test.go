//go:build integration && linux

package vrrp_test

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// mirrorConf is one side of a pair of keepalived.conf files: two VRRPv2
// instances (keepalived's default version) in a sync group, both
// tracking a script (weight 0: its failure is a FAULT of the whole
// group), talking to the other side by unicast with a PASS password. The script fails while the file fail exists in dir.
func mirrorConf(t *testing.T, self, peer *nsNode, prio int, dir string) string {
	script := filepath.Join(dir, "check.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\ntest ! -e "+filepath.Join(dir, "fail")+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	inst := func(name string, vrid int, vip string) string {
		return fmt.Sprintf(`vrrp_instance %s {
  state BACKUP
  interface eth0
  virtual_router_id %d
  priority %d
  advert_int 1
  unicast_src_ip %s
  unicast_peer {
    %s
  }
  virtual_ipaddress {
    %s
  }
  track_script {
    chk
  }
  authentication {
    auth_type PASS
    auth_pass hk%d
  }
}
`, name, vrid, prio, self.ip4, peer.ip4, vip, vrid)
	}
	return `global_defs {
  router_id ` + self.ns + `
}
vrrp_script chk {
  script "` + script + `"
  interval 1
  fall 1
  rise 1
}
vrrp_sync_group VG_1 {
  group {
    VI_1
    VI_2
  }
}
` + inst("VI_1", 51, "192.0.2.100/24 dev eth0 label eth0:vip") + inst("VI_2", 52, "192.0.2.101/24")
}

// The same keepalived.conf, once under keepalived and once (its mirror:
// source and peer swapped, another priority) under vrrpd -f, on the two
// sides of a LAN: they elect one master for both instances of the sync
// group, whichever has the higher priority; a failing track_script puts
// the master's whole group in FAULT and the other side takes both
// addresses; when the script recovers the higher priority preempts
// back.
func TestKeepalivedConfAgainstKeepalived(t *testing.T) {
	vips := []netip.Addr{netip.MustParseAddr("192.0.2.100"), netip.MustParseAddr("192.0.2.101")}
	names := []string{"vrrpd-higher", "keepalived-higher"}
	concurrently(t, names, func(t *testing.T, i int) {
		lan := newNSLAN(t, 2)
		vn, kn := lan.nodes[0], lan.nodes[1]
		vdir, kdir := t.TempDir(), t.TempDir()
		vprio, kprio := 150, 100
		if i == 1 {
			vprio, kprio = 100, 150
		}
		vconf := filepath.Join(vdir, "keepalived.conf")
		if err := os.WriteFile(vconf, []byte(mirrorConf(t, vn, kn, vprio, vdir)), 0o644); err != nil {
			t.Fatal(err)
		}
		hi, lo, hidir := vn, kn, vdir
		if i == 1 {
			hi, lo, hidir = kn, vn, kdir
		}
		// The higher priority first, so that it is MASTER from the start.
		var pv *vrrpdProc
		startV := func() { pv = startProc(t, vn, exec.Command("ip", "netns", "exec", vn.ns, vrrpdBin, "-f", vconf)) }
		startK := func() { startKeepalivedConf(t, kn, mirrorConf(t, kn, vn, kprio, kdir)).waitChild(t) }
		if i == 0 {
			startV()
		} else {
			startK()
		}
		for _, v := range vips {
			hi.waitHas(t, v, true, 15*time.Second)
		}
		if i == 0 {
			startK()
		} else {
			startV()
		}
		time.Sleep(4 * time.Second) // > Master_Down_Interval: a wrong election would show
		for _, v := range vips {
			if !hi.has(t, v) || lo.has(t, v) {
				t.Fatalf("election: %v on the higher %v, on the lower %v", v, hi.has(t, v), lo.has(t, v))
			}
		}
		if l := hi.label(t, vips[0]); l != "eth0:vip" {
			t.Errorf("%v carries label %q, want eth0:vip (virtual_ipaddress ... label)", vips[0], l)
		}

		// The script fails on the higher side: its group goes FAULT and
		// the lower side takes both addresses.
		if err := os.WriteFile(filepath.Join(hidir, "fail"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, v := range vips {
			lo.waitHas(t, v, true, 10*time.Second)
			hi.waitHas(t, v, false, 5*time.Second)
		}
		if err := os.Remove(filepath.Join(hidir, "fail")); err != nil {
			t.Fatal(err)
		}
		for _, v := range vips {
			hi.waitHas(t, v, true, 15*time.Second)
			lo.waitHas(t, v, false, 5*time.Second)
		}

		// vrrpd said so for each instance, by name.
		seen := map[string][]string{}
		for _, l := range pv.lines() {
			if want := map[string]int{"VI_1": 51, "VI_2": 52}[l.Instance]; l.VRID != want {
				t.Errorf("line %+v: VRID does not match the instance", l)
			}
			seen[l.Instance] = append(seen[l.Instance], l.State)
		}
		for _, name := range []string{"VI_1", "VI_2"} {
			wantFault := i == 0
			hasFault := false
			for _, s := range seen[name] {
				hasFault = hasFault || s == "FAULT"
			}
			if len(seen[name]) == 0 || hasFault != wantFault {
				t.Errorf("%s: vrrpd printed %v (FAULT expected: %v)", name, seen[name], wantFault)
			}
		}
		pv.stop(t)
	})
}
