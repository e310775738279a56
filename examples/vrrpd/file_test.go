package main

import (
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hakit/hakit/vrrp"
	"github.com/hakit/hakit/vrrp/vrrptest"
)

const twoInstances = `vrrp_sync_group VG_1 {
  group {
    VI_EXT
    VI_INT
  }
}
vrrp_instance VI_EXT {
  interface eth0
  virtual_router_id 51
  priority 150
  version 3
  advert_int 0.1
  virtual_ipaddress {
    192.0.2.100/24
  }
}
vrrp_instance VI_INT {
  interface eth1
  virtual_router_id 52
  priority 150
  version 3
  advert_int 0.1
  virtual_ipaddress {
    198.51.100.100/24
  }
}
`

// startTwoInstances runs vrrpd -f conf (a twoInstances file) on a LAN of
// its own per instance until ctx is done, then sends its exit code.
func startTwoInstances(ctx context.Context, conf string) (map[string]*vrrptest.Host, *syncBuffer, *syncBuffer, <-chan int) {
	hosts := map[string]*vrrptest.Host{
		"VI_EXT": vrrptest.NewLAN(1).AddHost("eth0", netip.MustParseAddr("192.0.2.1")),
		"VI_INT": vrrptest.NewLAN(2).AddHost("eth1", netip.MustParseAddr("198.51.100.1")),
	}
	var out, errs syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- runFile(ctx, conf, &out, &errs, func(name string) vrrp.Link { return hosts[name] })
	}()
	return hosts, &out, &errs, done
}

// -f runs every vrrp_instance of the file; each JSON line names its
// instance, and the lines of the flags' mode are unchanged otherwise.
func TestFileInstances(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "keepalived.conf")
	if err := os.WriteFile(conf, []byte(twoInstances), 0o644); err != nil {
		t.Fatal(err)
	}
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		hosts, out, errs, done := startTwoInstances(ctx, conf)
		time.Sleep(2 * time.Second)
		for name, h := range hosts {
			if len(h.VIPs()) != 1 {
				t.Errorf("%s holds %v", name, h.VIPs())
			}
		}
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("exit %d, stderr %s", code, errs.String())
		}
		got := map[string][]string{}
		for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			var ln line
			if err := json.Unmarshal([]byte(l), &ln); err != nil {
				t.Fatalf("line %q: %v", l, err)
			}
			want := map[string]int{"VI_EXT": 51, "VI_INT": 52}[ln.Instance]
			if ln.VRID != want || !strings.HasSuffix(l, `"instance":"`+ln.Instance+`"}`) {
				t.Errorf("line %q", l)
			}
			got[ln.Instance] = append(got[ln.Instance], ln.State)
		}
		for _, name := range []string{"VI_EXT", "VI_INT"} {
			if want := []string{"BACKUP", "MASTER", "INIT"}; !slices.Equal(got[name], want) {
				t.Errorf("%s: states %v, want %v", name, got[name], want)
			}
		}
	})
}

// -f goes alone, and a keyword vrrpd cannot honour stops it before it
// starts, naming the file and line.
func TestFileErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.conf")
	if err := os.WriteFile(bad, []byte(twoInstances+"vrrp_instance VI_3 {\n  use_vmac\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-f", bad, "-vrid", "1"}, "-f takes no other flag, got -vrid"},
		{[]string{"-f", bad}, bad + `:28: keyword "use_vmac" in vrrp_instance is not supported`},
		{[]string{"-f", filepath.Join(dir, "missing.conf")}, "missing.conf"},
	} {
		var out, errs syncBuffer
		if code := run(context.Background(), tc.args, &out, &errs, nil); code != 2 {
			t.Errorf("%v: exit %d, want 2", tc.args, code)
		}
		if first, _, _ := strings.Cut(errs.String(), "\n"); out.String() != "" || !strings.Contains(first, tc.want) {
			t.Errorf("%v: stdout %q, stderr %q, want %q", tc.args, out.String(), first, tc.want)
		}
	}
}
