package vrrp_test

import (
	"testing"
	"testing/fstest"

	"github.com/hakit/hakit/vrrp"
)

// keepalived expands csh brace expressions in include (glob with
// GLOB_BRACE), nested too; an instance included that way must not be
// dropped because fs.Glob takes "{" literally.
func TestKeepalivedConfIncludeBraces(t *testing.T) {
	inst := func(name, vrid string) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte("vrrp_instance " + name + " {\n interface eth0\n virtual_router_id " + vrid +
			"\n virtual_ipaddress {\n  192.0.2.1" + vrid + "\n }\n}\n")}
	}
	fsys := fstest.MapFS{
		"etc/keepalived/keepalived.conf": {Data: []byte("include \"{ext,int/{a,b}}.conf\"\ninclude \"conf.d/{x,missing}*.conf\"\n")},
		"etc/keepalived/ext.conf":        inst("VI_EXT", "1"),
		"etc/keepalived/int/a.conf":      inst("VI_A", "2"),
		"etc/keepalived/int/b.conf":      inst("VI_B", "3"),
		"etc/keepalived/int/c.conf":      inst("VI_C", "4"),
		"etc/keepalived/conf.d/x1.conf":  inst("VI_X", "5"),
	}
	c, err := vrrp.ParseKeepalivedConf(fsys, "etc/keepalived/keepalived.conf")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, in := range c.Instances {
		got = append(got, in.Name)
	}
	want := []string{"VI_EXT", "VI_A", "VI_B", "VI_X"}
	if len(got) != len(want) {
		t.Fatalf("instances %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("instances %v, want %v", got, want)
		}
	}
}

// keepalived keeps "preempt" (the default) for backwards compatibility;
// older files carry it and run unchanged under keepalived, and after a
// nopreempt it turns preemption back on.
func TestKeepalivedConfPreemptKeyword(t *testing.T) {
	fsys := fstest.MapFS{"k.conf": {Data: []byte("vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n nopreempt\n preempt\n virtual_ipaddress {\n  192.0.2.1\n }\n}\n")}}
	c, err := vrrp.ParseKeepalivedConf(fsys, "k.conf")
	if err != nil {
		t.Fatal(err)
	}
	if c.Instances[0].NoPreempt {
		t.Errorf("preempt after nopreempt left NoPreempt set")
	}
}
