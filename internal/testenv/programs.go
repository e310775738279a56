package testenv

import (
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// programsTable is internal/testenv/programs.txt, the one list of Debian
// packages the tests need; scripts/services.sh installs from the same file.
//
//go:embed programs.txt
var programsTable string

// Package is one row of programs.txt.
type Package struct {
	Name     string   // the Debian package
	Services []string // the services of scripts/services.sh it is for, or "tests"
	Programs []string // the programs of it that tests or scripts run
}

// Packages parses programs.txt: one row per package, fields separated by
// blanks, "#" comments; a "-" in the programs column means none (a library).
func Packages() ([]Package, error) { return parsePackages(programsTable) }

func parsePackages(text string) ([]Package, error) {
	var pkgs []Package
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 3 {
			return nil, fmt.Errorf("testenv: programs.txt line %d: want package, services and programs (or -), got %q", i+1, line)
		}
		p := Package{Name: f[0], Services: strings.Split(f[1], ",")}
		for _, s := range p.Services {
			if s != "tests" && !knownService(s) {
				return nil, fmt.Errorf("testenv: programs.txt line %d: %q is neither a service of scripts/services.sh nor \"tests\"", i+1, s)
			}
		}
		if !(len(f) == 3 && f[2] == "-") {
			p.Programs = f[2:]
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}

// packageOf returns the package of programs.txt that provides program, or "".
func packageOf(program string) string {
	pkgs, err := Packages()
	if err != nil {
		return ""
	}
	for _, p := range pkgs {
		for _, prog := range p.Programs {
			if prog == program {
				return p.Name
			}
		}
	}
	return ""
}

// Command returns the path of program name (keepalived, haproxy,
// nutcracker, fence_ipmilan, ipmitool, ...). The program must be listed in
// programs.txt, so that `make test` installs it on a fresh machine: an
// unlisted one fails t at once, naming the file. A listed one that is not
// installed fails t naming its package and `scripts/services.sh deps`. It
// looks in $PATH and in the sbin directories, where Debian puts daemons.
func Command(t testing.TB, name string) string {
	t.Helper()
	pkg := packageOf(name)
	if pkg == "" {
		t.Fatalf("testenv: program %s is provided by no package of internal/testenv/programs.txt: add its Debian package there", name)
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/local/sbin"} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p
		}
	}
	t.Fatalf("testenv: program %s (Debian package %s) is not installed: run `scripts/services.sh deps`", name, pkg)
	return ""
}
