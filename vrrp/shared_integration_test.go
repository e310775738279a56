//go:build integration && linux

package vrrp_test

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// manyInstances is a keepalived.conf with 255 VRRPv3 instances on eth0,
// VRID n holding 198.51.100.n/32.
func manyInstances(prio int) string {
	var b strings.Builder
	for n := 1; n <= 255; n++ {
		fmt.Fprintf(&b, "vrrp_instance VI_%d {\n  interface eth0\n  virtual_router_id %d\n  priority %d\n  version 3\n  advert_int 1\n  virtual_ipaddress {\n    198.51.100.%d/32\n  }\n}\n", n, n, prio, n)
	}
	return b.String()
}

// rawSockets counts the raw sockets of protocol 112 open in the
// namespace of process pid (its /proc/PID/net/raw: the local address
// column ends in the protocol number, 0070).
func rawSockets(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/raw", pid))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range strings.Split(string(b), "\n")[1:] {
		if f := strings.Fields(l); len(f) > 1 && strings.HasSuffix(f[1], ":0070") {
			n++
		}
	}
	return n
}

// countStates returns, per state, how many instances printed it last.
func countStates(p *vrrpdProc) map[string]int {
	last := map[string]string{}
	for _, l := range p.lines() {
		last[l.Instance] = l.State
	}
	out := map[string]int{}
	for _, s := range last {
		out[s]++
	}
	return out
}

// 255 virtual routers on one interface in one process, on each side of a
// LAN: they elect as 255 pairs would, and each process reads the link
// through a single raw socket.
func TestManyVRIDsShareOneSocket(t *testing.T) {
	lan := newNSLAN(t, 2)
	dir := t.TempDir()
	run := func(i, prio int) *vrrpdProc {
		conf := filepath.Join(dir, fmt.Sprintf("k%d.conf", i))
		if err := os.WriteFile(conf, []byte(manyInstances(prio)), 0o644); err != nil {
			t.Fatal(err)
		}
		nd := lan.nodes[i]
		return startProc(t, nd, exec.Command("ip", "netns", "exec", nd.ns, vrrpdBin, "-f", conf))
	}
	wait := func(p *vrrpdProc, state string, timeout time.Duration) {
		t.Helper()
		for deadline := time.Now().Add(timeout); countStates(p)[state] != 255; time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: states %v after %v, want 255 %s", p.name(), countStates(p), timeout, state)
			}
		}
	}
	pm := run(0, 150)
	wait(pm, "MASTER", 30*time.Second)
	pb := run(1, 100)
	wait(pb, "BACKUP", 30*time.Second)
	time.Sleep(5 * time.Second) // > Master_Down_Interval (3.6s): a lost election would show
	if c := countStates(pb); c["BACKUP"] != 255 {
		t.Errorf("backup side: %v, want 255 BACKUP", c)
	}
	if c := countStates(pm); c["MASTER"] != 255 {
		t.Errorf("master side: %v, want 255 MASTER", c)
	}
	for n := 1; n <= 255; n += 127 {
		vip := netip.AddrFrom4([4]byte{198, 51, 100, byte(n)})
		if !lan.nodes[0].has(t, vip) || lan.nodes[1].has(t, vip) {
			t.Errorf("%v: master side holds %v, backup side %v", vip, lan.nodes[0].has(t, vip), lan.nodes[1].has(t, vip))
		}
	}
	for _, p := range []*vrrpdProc{pm, pb} {
		if n := rawSockets(t, p.cmd.Process.Pid); n != 1 {
			t.Errorf("%s: %d raw VRRP sockets, want 1 shared by its 255 routers", p.name(), n)
		}
	}
	pm.stop(t)
	pb.stop(t)
}
