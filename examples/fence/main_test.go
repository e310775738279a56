package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/hakit/hakit/fence/fencetest"
)

// result runs the command and decodes its one JSON line.
func result(t *testing.T, args ...string) (map[string]any, int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 1 {
		t.Fatalf("%v: %d lines: %q", args, len(lines), out.String())
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &m); err != nil {
		t.Fatalf("%v: %v: %q", args, err, lines[0])
	}
	for _, k := range []string{"agent", "action", "result", "power", "exit"} {
		if _, ok := m[k]; !ok {
			t.Errorf("%v: no %q in %s", args, k, lines[0])
		}
	}
	return m, code, out.String() + errOut.String()
}

func fake(t *testing.T, s fencetest.Script) string {
	t.Helper()
	p, err := fencetest.WriteScript(t.TempDir(), "fence_fake", s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The exit status and JSON fields of every action, on fake agents.
func TestContractOnFakes(t *testing.T) {
	cases := []struct {
		name   string
		script fencetest.Script
		action string
		code   int
		want   map[string]any
	}{
		{"status on", fencetest.Script{Stdout: "Status: ON\n"}, "status", 0, map[string]any{"result": "ok", "power": "on", "exit": 0.0}},
		{"status off", fencetest.Script{Stdout: "Status: OFF\n", Exit: 2}, "status", 2, map[string]any{"result": "ok", "power": "off", "exit": 2.0}},
		{"status error", fencetest.Script{Exit: 1}, "status", 1, map[string]any{"result": "error", "power": "", "exit": 1.0}},
		{"off", fencetest.Script{Stdout: "Success: Powered OFF\n"}, "off", 0, map[string]any{"result": "ok", "power": "off"}},
		{"on", fencetest.Script{Stdout: "Success: Powered ON\n"}, "on", 0, map[string]any{"result": "ok", "power": "on"}},
		{"reboot", fencetest.Script{Stdout: "Success: Rebooted\n"}, "reboot", 0, map[string]any{"result": "ok", "power": ""}},
		{"reboot fails", fencetest.Script{Exit: 1}, "reboot", 1, map[string]any{"result": "error"}},
		{"monitor", fencetest.Script{}, "monitor", 0, map[string]any{"result": "ok"}},
		{"list", fencetest.Script{Stdout: "n1,a1\nn2,a2\n"}, "list", 0, map[string]any{"result": "ok", "plugs": []any{map[string]any{"plug": "n1", "alias": "a1"}, map[string]any{"plug": "n2", "alias": "a2"}}}},
		{"list none", fencetest.Script{Stdout: "NOTICE: List option is not working on this device yet\n"}, "list", 0, map[string]any{"result": "ok", "plugs": []any{}, "notice": "List option is not working on this device yet"}},
		{"list refused", fencetest.Script{Exit: 1}, "list", 1, map[string]any{"result": "error", "exit": 1.0}},
		{"list refused with its own status", fencetest.Script{Exit: 4}, "list", 4, map[string]any{"result": "error", "exit": 4.0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, code, _ := result(t, "-agent", fake(t, c.script), "-action", c.action, "-opt", "password=hunter2")
			if code != c.code {
				t.Errorf("exit %d, want %d: %v", code, c.code, m)
			}
			for k, v := range c.want {
				if got, _ := json.Marshal(m[k]); string(got) != mustJSON(v) {
					t.Errorf("%s = %s, want %s", k, got, mustJSON(v))
				}
			}
			if m["action"] != c.action {
				t.Errorf("action %v", m["action"])
			}
		})
	}
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

// Errors are JSON lines with exit 1: an unknown agent is named, bad flags
// are named, and the password is never shown, even when the agent echoes
// it.
func TestContractErrors(t *testing.T) {
	m, code, _ := result(t, "-agent", "fence_no_such_agent", "-action", "status")
	if code != 1 || m["result"] != "error" || !strings.Contains(m["error"].(string), "fence_no_such_agent") {
		t.Errorf("unknown agent: %d %v", code, m)
	}
	for _, args := range [][]string{
		{"-action", "status"},
		{"-agent", "fence_dummy", "-action", "dance"},
		{"-agent", "fence_dummy", "-action", "status", "-opt", "novalue"},
		{"-agent", "fence_dummy", "-action", "status", "-timeout", "0s"},
	} {
		if m, code, _ := result(t, args...); code != 1 || m["result"] != "error" || m["error"] == "" {
			t.Errorf("%v: %d %v", args, code, m)
		}
	}
	agent := fake(t, fencetest.Script{Stdout: "bad login hunter2\n", Stderr: "passwd=hunter2\n", Exit: 1})
	_, code, all := result(t, "-agent", agent, "-action", "off", "-opt", "password=hunter2", "-opt", "ip=192.0.2.1")
	if code != 1 || strings.Contains(all, "hunter2") || !strings.Contains(all, "bad login XXXX") {
		t.Errorf("exit %d, output %s", code, all)
	}
	_, _, all = result(t, "-agent", agent, "-action", "off", "-opt", "hunter2")
	if strings.Contains(all, "hunter2") {
		t.Errorf("a malformed -opt shows its value: %s", all)
	}
}

// A hanging agent is killed at -timeout.
func TestContractTimeout(t *testing.T) {
	m, code, _ := result(t, "-agent", fake(t, fencetest.Script{Hang: true}), "-action", "off", "-timeout", "300ms")
	if code != 1 || m["result"] != "error" || !strings.Contains(m["error"].(string), "timed out") {
		t.Errorf("%d %v", code, m)
	}
}

// A password holding characters JSON escapes ("<" becomes \u003c) is
// hidden from the JSON line too: redacting the encoded line would miss
// it, so the decoded fields are checked.
func TestContractEscapedPassword(t *testing.T) {
	const pw = `hunter<2>&"x`
	agent := fake(t, fencetest.Script{Stdout: "NOTICE: login " + pw + " refused\nn1," + pw + "\n"})
	m, code, all := result(t, "-agent", agent, "-action", "list", "-opt", "password="+pw)
	if code != 0 {
		t.Fatalf("exit %d: %v", code, m)
	}
	if b, _ := json.Marshal(m); strings.Contains(string(b), "hunter") || strings.Contains(all, "hunter") || strings.Contains(fmt.Sprint(m), pw) {
		t.Errorf("the JSON line shows the password: %v", m)
	}
	agent = fake(t, fencetest.Script{Stdout: "bad login " + pw + "\n", Exit: 1})
	if m, _, _ = result(t, "-agent", agent, "-action", "off", "-opt", "password="+pw); strings.Contains(fmt.Sprint(m), "hunter") {
		t.Errorf("the error shows the password: %v", m)
	}
}
