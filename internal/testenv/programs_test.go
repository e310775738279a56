package testenv

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// toolchain are the programs every machine that runs `make test` has before
// it starts: the README asks for Go, make and git, and Debian's essential
// packages bring the shell.
var toolchain = map[string]bool{"go": true, "git": true, "make": true, "sh": true, "bash": true}

// programCall matches a test naming a program: testenv.Command(t, "haproxy"),
// exec.Command("ip", ...), exec.CommandContext(ctx, "ip", ...),
// exec.LookPath("nutcracker") or a program run inside a network namespace,
// "netns", "exec", ns, "sysctl".
var programCall = regexp.MustCompile(`(?:testenv\.Command\(\s*\w+\s*,\s*|exec\.Command\(\s*|exec\.CommandContext\(\s*\w+\s*,\s*|exec\.LookPath\(\s*|"netns",\s*"exec",\s*[\w.]+,\s*)"([^"]+)"`)

// programsNamed returns the programs src runs, as programCall finds them.
func programsNamed(src []byte) []string {
	var names []string
	for _, m := range programCall.FindAllSubmatch(src, -1) {
		names = append(names, string(m[1]))
	}
	return names
}

func TestProgramsNamed(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`bin := testenv.Command(t, "haproxy")`, "haproxy"},
		{`exec.Command("ip", "link")`, "ip"},
		{`exec.CommandContext(ctx, "wrk", "-t1")`, "wrk"},
		{`bin, err := exec.LookPath("nutcracker")`, "nutcracker"},
		{`exec.Command("ip", "netns", "exec", nd.ns, "sysctl", "-qw")`, "ip sysctl"},
		{`run(t, ip, "netns", "exec", ns, "keepalived", "-n")`, "keepalived"},
		{`exec.Command(bin, "-f", cfg)`, ""},
	} {
		if got := strings.Join(programsNamed([]byte(tc.src)), " "); got != tc.want {
			t.Errorf("programsNamed(%s) = %q, want %q", tc.src, got, tc.want)
		}
	}
}

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
		for _, name := range programsNamed(src) {
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

// fakeServices lays out a copy of scripts/services.sh whose services are the
// given shell bodies (NAME_up; every other service succeeds at once), with an
// empty package table so nothing is installed, and returns a function that
// makes commands running `services.sh args...` against it.
func fakeServices(t *testing.T, ups map[string]string) func(args ...string) *exec.Cmd {
	t.Helper()
	root := RepoRoot(t)
	dir := t.TempDir()
	for _, d := range []string{"scripts/services", "internal/testenv", "state"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	copyFile := func(rel string) {
		b, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, rel), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	copyFile("scripts/services.sh")
	copyFile("scripts/services/lib.sh")
	if err := os.WriteFile(filepath.Join(dir, "internal/testenv/programs.txt"), []byte("# no packages\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, s := range services {
		body := ups[s]
		if body == "" {
			body = "echo " + s + " started"
		}
		src := s + "_up() {\n" + body + "\n}\n" + s + "_down() { :; }\n" + s + "_status() { :; }\n"
		if err := os.WriteFile(filepath.Join(dir, "scripts/services", s+".sh"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return func(args ...string) *exec.Cmd {
		cmd := exec.Command("bash", append([]string{filepath.Join(dir, "scripts/services.sh")}, args...)...)
		cmd.Env = append(os.Environ(), "HAKIT_STATE="+filepath.Join(dir, "state"))
		return cmd
	}
}

// TestServicesUpParallel runs the parallel `services.sh up` on fake services:
// every service's output reaches the caller, nutcracker starts only once the
// memcached it fronts is up, and a failed step in any one service fails the
// whole `up`, even when that service's later steps succeed (a step that
// fails under `set -e` must stop its service, as it does when run alone).
func TestServicesUpParallel(t *testing.T) {
	// memcached takes a while; nutcracker fails if it comes first.
	ordered := map[string]string{
		"memcached":  `sleep 0.5; touch "$HAKIT_STATE/memcached.done"; echo memcached started`,
		"nutcracker": `[ -e "$HAKIT_STATE/memcached.done" ] || { echo "nutcracker before memcached"; exit 1; }; echo nutcracker started`,
	}
	for _, tc := range []struct {
		name    string
		ups     map[string]string
		args    []string
		ok      bool
		want    []string
		notWant []string
	}{
		{"all", ordered, []string{"up"}, true,
			[]string{"galera started", "ferretdb started", "memcached started", "nutcracker started", "nutcracker: up"}, nil},
		{"nutcracker named first", ordered, []string{"up", "nutcracker", "memcached"}, true,
			[]string{"memcached started", "nutcracker started"}, nil},
		{"one fails", map[string]string{"rabbitmq": "echo rabbitmq broke; return 3"}, []string{"up"}, false,
			[]string{"rabbitmq broke", "rabbitmq: FAILED", "galera started", "some services did not start"}, nil},
		// set -e must hold inside each service: without it the failed step
		// is passed over and the service reported up.
		{"failed step", map[string]string{"galera": "false; echo galera went on"}, []string{"up"}, false,
			[]string{"galera: FAILED"}, []string{"galera went on"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := fakeServices(t, tc.ups)(tc.args...).CombinedOutput()
			if (err == nil) != tc.ok {
				t.Errorf("services.sh %s: err = %v, want ok = %v", strings.Join(tc.args, " "), err, tc.ok)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("output lacks %q", w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(string(out), w) {
					t.Errorf("output has %q", w)
				}
			}
			if t.Failed() {
				t.Logf("output:\n%s", out)
			}
		})
	}
}

// Two `services.sh up` of one service at once, as two tests repairing it
// do: the second waits for the first under the service's lock, and each
// prints all of its own output, none of it lost to the other.
func TestServicesUpConcurrent(t *testing.T) {
	// The start prints its pid, then more after the other run has begun
	// (and blocked on the lock).
	run := fakeServices(t, map[string]string{"redis": `echo "begin $BASHPID"; sleep 1; echo "end $BASHPID"`})
	var outs [2]bytes.Buffer
	var cmds [2]*exec.Cmd
	for i := range cmds {
		cmds[i] = run("up", "redis")
		cmds[i].Stdout, cmds[i].Stderr = &outs[i], &outs[i]
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			// Start the second while the first holds the lock (its
			// start lasts 1s). Which one takes the lock first does
			// not matter; a machine stalled for the whole second
			// would only keep the runs from overlapping, making the
			// test pass without proving anything, never fail wrongly.
			time.Sleep(300 * time.Millisecond)
		}
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("run %d: %v\n%s", i, err, outs[i].String())
		}
	}
	begin := regexp.MustCompile(`begin (\d+)`)
	for i := range outs {
		out := outs[i].String()
		m := begin.FindStringSubmatch(out)
		if m == nil || !strings.Contains(out, "end "+m[1]) || strings.Count(out, "begin ") != 1 {
			t.Errorf("run %d printed other than one whole start of its own:\n%s", i, out)
		}
	}
}

// `make fmt` runs the gofmt of $(GO)'s toolchain, so it finds a badly
// formatted file even where gofmt is not on PATH (GO=/usr/local/go/bin/go
// on a machine whose PATH lacks that directory); a gofmt that could not
// run would otherwise print nothing and pass the check.
func TestMakeFmt(t *testing.T) {
	root := RepoRoot(t)
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, src string
		ok        bool
	}{
		{"formatted", "package x\n\nfunc F() {}\n", true},
		{"not formatted", "package x\nfunc  F() {}\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			mk, err := os.ReadFile(filepath.Join(root, "Makefile"))
			if err != nil {
				t.Fatal(err)
			}
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			must(os.WriteFile(filepath.Join(dir, "Makefile"), mk, 0o644))
			must(os.WriteFile(filepath.Join(dir, "x.go"), []byte(tc.src), 0o644))
			for _, args := range [][]string{{"init", "-q"}, {"add", "x.go"}} {
				if out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput(); err != nil {
					t.Fatalf("git %v: %v\n%s", args, err, out)
				}
			}
			cmd := exec.Command("make", "-s", "fmt", "GO="+goBin)
			cmd.Dir = dir
			// PATH without Go's directory: only make, git and the shell.
			cmd.Env = append(os.Environ(), "PATH=/usr/bin:/bin", "HOME="+dir, "GOCACHE="+t.TempDir(), "GOFLAGS=")
			out, err := cmd.CombinedOutput()
			if (err == nil) != tc.ok || (!tc.ok && !strings.Contains(string(out), "x.go")) {
				t.Errorf("make fmt: err = %v, want ok = %v, and x.go named if not:\n%s", err, tc.ok, out)
			}
		})
	}
}
