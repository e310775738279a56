package testenv

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// IPMIEnv is the ipmi_sim BMC simulator of `scripts/services.sh up
// ipmisim`: IPMI over LAN (1.5 and lanplus 2.0) on UDP 127.0.0.1:9623.
// Chassis Control really changes the simulated power state that Chassis
// Status reports. ipmi_sim does not answer Get Channel Cipher Suites, so a
// lanplus client that probes cipher suites (ipmitool without -C,
// fence_ipmilan without --cipher) waits 10 s before falling back to suite
// 3; pass Cipher to skip the probe. A test that changes the power state
// takes Exclusive(t, "ipmisim") and powers the chassis on again in cleanup.
type IPMIEnv struct {
	Addr     string // "127.0.0.1:9623"
	Host     string // "127.0.0.1"
	Port     int    // 9623
	User     string // "admin" (administrator privilege)
	Password string // "password"
	Cipher   string // "3": RMCP+ cipher suite the simulator supports
}

// IPMISim returns the BMC simulator after checking that `ipmitool chassis
// power status` answers, holding the ipmisim lock shared for the rest of t;
// or fails t naming `scripts/services.sh up ipmisim`.
func IPMISim(t testing.TB) IPMIEnv {
	t.Helper()
	share(t, "ipmisim")
	env := IPMIEnv{Addr: "127.0.0.1:9623", Host: "127.0.0.1", Port: 9623, User: "admin", Password: "password", Cipher: "3"}
	ipmitool := Command(t, "ipmitool")
	err := retry(5*time.Second, func() error {
		out, err := env.run(ipmitool, "chassis", "power", "status")
		if err != nil {
			return err
		}
		if !strings.HasPrefix(out, "Chassis Power is") {
			return fmt.Errorf("unexpected answer %q", out)
		}
		return nil
	})
	if err != nil {
		fatalDown(t, "ipmisim", err)
	}
	return env
}

// IpmitoolArgs are the ipmitool options that reach the simulator: -I
// lanplus -C 3 -H 127.0.0.1 -p 9623 -U admin -P password.
func (e IPMIEnv) IpmitoolArgs() []string {
	return []string{"-I", "lanplus", "-C", e.Cipher, "-H", e.Host, "-p", fmt.Sprint(e.Port), "-U", e.User, "-P", e.Password}
}

// FenceArgs are the fence_ipmilan options that reach the simulator:
// --ip 127.0.0.1 --ipport 9623 --username admin --password password
// --lanplus --cipher 3.
func (e IPMIEnv) FenceArgs() []string {
	return []string{"--ip", e.Host, "--ipport", fmt.Sprint(e.Port), "--username", e.User, "--password", e.Password, "--lanplus", "--cipher", e.Cipher}
}

func (e IPMIEnv) run(ipmitool string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, ipmitool, append(e.IpmitoolArgs(), args...)...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("ipmitool %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

// Ipmitool runs ipmitool against the simulator with args (such as
// "chassis", "power", "off") and returns its trimmed output, failing t if
// it fails.
func (e IPMIEnv) Ipmitool(t testing.TB, args ...string) string {
	t.Helper()
	out, err := e.run(Command(t, "ipmitool"), args...)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return out
}
