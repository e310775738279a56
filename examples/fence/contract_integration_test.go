//go:build integration

package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hakit/hakit/internal/testenv"
)

// Every action against fence_ipmilan and the simulator, with the chassis
// power checked by ipmitool after each power change.
func TestContractIPMILan(t *testing.T) {
	testenv.Exclusive(t, "ipmisim")
	env := testenv.IPMISim(t)
	t.Cleanup(func() { env.Ipmitool(t, "chassis", "power", "on") })
	agent := testenv.Command(t, "fence_ipmilan")
	base := []string{"-agent", agent, "-opt", "ip=" + env.Host, "-opt", fmt.Sprint("ipport=", env.Port), "-opt", "username=" + env.User,
		"-opt", "password=" + env.Password, "-opt", "lanplus=1", "-opt", "cipher=" + env.Cipher}
	chassis := func() string {
		return strings.TrimPrefix(env.Ipmitool(t, "chassis", "power", "status"), "Chassis Power is ")
	}
	steps := []struct {
		action, power string
		code          int
		chassis       string
	}{
		{"on", "on", 0, "on"},
		{"status", "on", 0, "on"},
		{"off", "off", 0, "off"},
		{"status", "off", 2, "off"},
		{"reboot", "", 0, "on"},
		{"monitor", "", 0, "on"},
	}
	for _, s := range steps {
		m, code, all := result(t, append(base, "-action", s.action)...)
		if code != s.code || m["result"] != "ok" || m["power"] != s.power {
			t.Fatalf("%s: exit %d %v", s.action, code, m)
		}
		if got := chassis(); got != s.chassis {
			t.Fatalf("%s: chassis %s, want %s", s.action, got, s.chassis)
		}
		if strings.Contains(all, "password="+env.Password) {
			t.Errorf("%s shows the password: %s", s.action, all)
		}
	}
	// fence_ipmilan has no list: exit 0, no plugs, a notice.
	m, code, _ := result(t, append(base, "-action", "list")...)
	if code != 0 || m["result"] != "ok" || fmt.Sprint(m["plugs"]) != "[]" || m["notice"] == nil {
		t.Errorf("list: %d %v", code, m)
	}
	// A wrong password: exit 1, the agent's reason, not the password.
	bad := append(append([]string{}, base...), "-opt", "password=Wr0ngPa55", "-action", "status")
	m, code, all := result(t, bad...)
	if code != 1 || m["result"] != "error" || !strings.Contains(all, "Unable to obtain correct plug status") || strings.Contains(all, "Wr0ngPa55") {
		t.Errorf("wrong password: %d %s", code, all)
	}
}

// fence_dummy: status starts off (2), on, status on (0), off, reboot;
// list is refused with the agent's exit status 1.
func TestContractDummy(t *testing.T) {
	base := []string{"-agent", testenv.Command(t, "fence_dummy"), "-opt", "status_file=" + filepath.Join(t.TempDir(), "status")}
	steps := []struct {
		action, result, power string
		code                  int
	}{
		{"status", "ok", "off", 2},
		{"on", "ok", "on", 0},
		{"status", "ok", "on", 0},
		{"off", "ok", "off", 0},
		{"reboot", "ok", "", 0},
		{"status", "ok", "on", 0},
		{"monitor", "ok", "", 0},
		{"list", "error", "", 1},
	}
	for _, s := range steps {
		m, code, _ := result(t, append(base, "-action", s.action)...)
		if code != s.code || m["result"] != s.result || m["power"] != s.power {
			t.Fatalf("%s: exit %d %v", s.action, code, m)
		}
	}
	m, code, _ := result(t, append(base, "-action", "off", "-opt", "random_sleep_range=100", "-timeout", "200ms")...)
	if code != 1 || !strings.Contains(fmt.Sprint(m["error"]), "timed out") {
		t.Errorf("hanging fence_dummy: %d %v", code, m)
	}
}
