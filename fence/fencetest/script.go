package fencetest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Script describes a fake agent program for testing code that runs real
// agent processes (fence.Runner): what it prints, how it exits, whether
// it hangs. WriteScript turns it into a /bin/sh script.
type Script struct {
	Stdout, Stderr string
	Exit           int
	// Hang makes the agent start a child (sleep) in its process group
	// and wait for it, as an agent stuck on an unreachable device would;
	// the child's pid goes to PIDFile when set.
	Hang    bool
	PIDFile string
	// StdinFile, when set, receives what the agent read on stdin; ArgsFile
	// receives its arguments, one per line.
	StdinFile, ArgsFile string
	// ByAction, when set, replaces Stdout and Exit for the named actions
	// (the action=NAME line of stdin).
	ByAction map[string]Reply
}

// Reply is what a Script prints and how it exits for one action.
type Reply struct {
	Stdout string
	Exit   int
}

// WriteScript writes s as an executable script called name in dir and
// returns its path.
func WriteScript(dir, name string, s Script) (string, error) {
	var b strings.Builder
	b.WriteString("#!/bin/sh\n")
	b.WriteString("in=$(cat)\n")
	if s.StdinFile != "" {
		fmt.Fprintf(&b, "printf '%%s\\n' \"$in\" > %s\n", quote(s.StdinFile))
	}
	if s.ArgsFile != "" {
		fmt.Fprintf(&b, "for a in \"$@\"; do printf '%%s\\n' \"$a\"; done > %s\n", quote(s.ArgsFile))
	}
	b.WriteString("action=$(printf '%s\\n' \"$in\" | sed -n 's/^action=//p' | head -n 1)\n")
	if s.Stderr != "" {
		fmt.Fprintf(&b, "printf '%%s' %s >&2\n", quote(s.Stderr))
	}
	b.WriteString("case \"$action\" in\n")
	for a, r := range s.ByAction {
		fmt.Fprintf(&b, "%s) printf '%%s' %s; exit %d;;\n", quote(a), quote(r.Stdout), r.Exit)
	}
	b.WriteString("esac\n")
	if s.Stdout != "" {
		fmt.Fprintf(&b, "printf '%%s' %s\n", quote(s.Stdout))
	}
	if s.Hang {
		b.WriteString("sleep 1000 &\n")
		if s.PIDFile != "" {
			fmt.Fprintf(&b, "echo $! > %s\n", quote(s.PIDFile))
		}
		b.WriteString("wait\n")
	}
	fmt.Fprintf(&b, "exit %d\n", s.Exit)
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(b.String()), 0o755); err != nil {
		return "", fmt.Errorf("fencetest: %w", err)
	}
	return path, nil
}

// quote makes s one single-quoted shell word.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
