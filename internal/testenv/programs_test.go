package testenv

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// toolchain are the programs every machine that runs `make test` has before
// it starts: the README asks for Go, make and git, and Debian's essential
// packages bring the shell.
var toolchain = map[string]bool{"go": true, "git": true, "make": true, "sh": true, "bash": true}

// programCall matches a test naming a program: testenv.Command(t, "haproxy"),
// exec.Command("ip", ...) or exec.CommandContext(ctx, "ip", ...).
var programCall = regexp.MustCompile(`(?:testenv\.Command\(\s*\w+\s*,\s*|exec\.Command\(\s*|exec\.CommandContext\(\s*\w+\s*,\s*)"([^"]+)"`)

func TestProgramsListed(t *testing.T) {
	root := RepoRoot(t)
	var checked int
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range programCall.FindAllSubmatch(src, -1) {
			name := string(m[1])
			checked++
			if toolchain[name] || strings.ContainsRune(name, '/') {
				continue
			}
			if packageOf(name) == "" {
				rel, _ := filepath.Rel(root, path)
				t.Errorf("%s runs %q, which no package of internal/testenv/programs.txt provides: add its Debian package there", rel, name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Fatal("found no program a test runs: the pattern no longer matches the code")
	}
}

func TestPackagesTable(t *testing.T) {
	pkgs, err := Packages()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, p := range pkgs {
		for _, prog := range p.Programs {
			if other, dup := seen[prog]; dup {
				t.Errorf("program %s is listed under both %s and %s", prog, other, p.Name)
			}
			seen[prog] = p.Name
		}
	}
	// The programs the harness itself is known to need.
	for _, prog := range []string{"haproxy", "keepalived", "ip", "wrk", "fence_ipmilan", "ipmitool", "ipmi_sim", "nutcracker", "memcached", "redis-server"} {
		if seen[prog] == "" {
			t.Errorf("program %s is missing from programs.txt", prog)
		}
	}
	for _, s := range services {
		if s == "ferretdb" { // built from scripts/ferretdb with Go, no package
			continue
		}
		found := false
		for _, p := range pkgs {
			for _, ps := range p.Services {
				found = found || ps == s
			}
		}
		if !found {
			t.Errorf("service %s has no package in programs.txt", s)
		}
	}
}

func TestParsePackagesErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"haproxy tests", "line 1: want package, services and programs"},
		{"# c\nhaproxy nosuch haproxy", `line 2: "nosuch" is neither a service`},
	} {
		_, err := parsePackages(tc.text)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parsePackages(%q) = %v, want an error containing %q", tc.text, err, tc.want)
		}
	}
}

// TestBuildTags keeps `make lint` honest: it vets and staticchecks only the
// integration build, which covers every file as long as none is built only
// without the tag.
func TestBuildTags(t *testing.T) {
	root := RepoRoot(t)
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			if d != nil && d.IsDir() && path != root && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if regexp.MustCompile(`(?m)^//go:build .*!\s*integration`).Match(src) {
			rel, _ := filepath.Rel(root, path)
			t.Errorf("%s is built only without the integration tag: `make lint` would not check it", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
