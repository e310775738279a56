//go:build integration && linux

package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hakit/hakit/internal/testenv"
	"github.com/hakit/hakit/vrrp"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

func run2(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
}

// pair makes two namespaces hk-<id>-a and -b joined by a veth pair (eth0
// in each, 192.0.2.1 and .2, fd00::1 and ::2, DAD off), removed in
// t.Cleanup.
func pair(t *testing.T) (a, b string) {
	ip := testenv.Command(t, "ip")
	var r [3]byte
	rand.Read(r[:])
	id := hex.EncodeToString(r[:])
	a, b = "hk-"+id+"-a", "hk-"+id+"-b"
	t.Cleanup(func() {
		exec.Command(ip, "netns", "del", a).Run()
		exec.Command(ip, "netns", "del", b).Run()
	})
	for _, ns := range []string{a, b} {
		run2(t, ip, "netns", "add", ns)
		run2(t, ip, "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0")
	}
	run2(t, ip, "link", "add", "name", "hk"+id+"a", "netns", a, "type", "veth", "peer", "name", "hk"+id+"b", "netns", b)
	for i, ns := range []string{a, b} {
		dev := "hk" + id + string("ab"[i])
		run2(t, ip, "-n", ns, "link", "set", dev, "name", "eth0")
		run2(t, ip, "-n", ns, "addr", "add", []string{"192.0.2.1/24", "192.0.2.2/24"}[i], "dev", "eth0")
		run2(t, ip, "-n", ns, "addr", "add", []string{"fd00::1/64", "fd00::2/64"}[i], "dev", "eth0", "nodad")
		run2(t, ip, "-n", ns, "link", "set", "eth0", "up")
	}
	time.Sleep(100 * time.Millisecond) // link-local addresses
	return a, b
}

func addrFlags(t *testing.T, ns string, addr netip.Addr) (flags int, ok bool) {
	h, err := netns.GetFromName(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	nl, err := netlink.NewHandleAt(h)
	if err != nil {
		t.Fatal(err)
	}
	defer nl.Close()
	link, err := nl.LinkByName("eth0")
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := nl.AddrList(link, netlink.FAMILY_ALL)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if ip, _ := netip.AddrFromSlice(a.IP); ip.Unmap() == addr {
			return a.Flags, true
		}
	}
	return 0, false
}

// The contract, in a namespace: BACKUP then MASTER on stdout, exactly the
// -vip addresses advertised, IPv6 VIPs added with nodad, and on SIGTERM a
// priority 0 advert, the VIPs removed, INIT and exit 0.
func TestVrrpdInNamespace(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "vrrpd")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		name string
		vips []string
		v6   bool
	}{
		{"ipv4", []string{"192.0.2.100/24", "192.0.2.101/24"}, false},
		{"ipv6", []string{"fd00::100/64"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := pair(t)
			l, err := vrrp.OpenRawLink("eth0", vrrp.RawLinkConfig{IPv6: tc.v6, Netns: b})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			var mu sync.Mutex
			var adverts []vrrp.Advert
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() {
				defer close(done)
				for {
					p, err := l.ReadPacket(ctx)
					if ctx.Err() != nil {
						return
					}
					if err != nil {
						continue
					}
					a, err := vrrp.ParseAdvert(p.Payload, p.IPHeader, vrrp.ChecksumRFC)
					if err != nil {
						t.Errorf("vrrpd sent a bad packet: %v", err)
						continue
					}
					mu.Lock()
					adverts = append(adverts, a)
					mu.Unlock()
				}
			}()
			defer func() { cancel(); <-done }()

			args := []string{"netns", "exec", a, bin, "-iface", "eth0", "-vrid", "42", "-priority", "150", "-advert", "200ms"}
			var want []netip.Addr
			for _, v := range tc.vips {
				args = append(args, "-vip", v)
				want = append(want, netip.MustParsePrefix(v).Addr())
			}
			cmd := exec.Command("ip", args...)
			stderr, _ := os.Create(filepath.Join(t.TempDir(), "stderr"))
			cmd.Stderr = stderr
			out, _ := cmd.StdoutPipe()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() {
				cmd.Process.Kill()
				if t.Failed() {
					b, _ := os.ReadFile(stderr.Name())
					t.Logf("stderr:\n%s", b)
				}
			}()
			lines := make(chan string, 16)
			go func() {
				sc := bufio.NewScanner(out)
				for sc.Scan() {
					lines <- sc.Text()
				}
				close(lines)
			}()
			next := func() string {
				select {
				case s := <-lines:
					return s
				case <-time.After(5 * time.Second):
					t.Fatal("no line from vrrpd")
					return ""
				}
			}
			if s := next(); s != `{"state":"BACKUP","vrid":42}` {
				t.Fatalf("first line %q", s)
			}
			if s := next(); s != `{"state":"MASTER","vrid":42}` {
				t.Fatalf("second line %q", s)
			}
			time.Sleep(500 * time.Millisecond)
			for _, v := range want {
				flags, ok := addrFlags(t, a, v)
				if !ok {
					t.Errorf("VIP %v not on eth0", v)
				}
				if tc.v6 && flags&unix.IFA_F_NODAD == 0 {
					t.Errorf("IPv6 VIP %v without nodad (flags %#x)", v, flags)
				}
			}
			cmd.Process.Signal(syscall.SIGTERM)
			if s := next(); s != `{"state":"INIT","vrid":42}` {
				t.Errorf("line after SIGTERM %q", s)
			}
			if err := cmd.Wait(); err != nil {
				t.Errorf("exit after SIGTERM: %v", err)
			}
			for _, v := range want {
				if _, ok := addrFlags(t, a, v); ok {
					t.Errorf("VIP %v still on eth0 after SIGTERM", v)
				}
			}
			// The priority-0 advert is sent before the exit; wait until
			// the sniffer has it.
			for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				mu.Lock()
				n := len(adverts)
				sawLast := n > 0 && adverts[n-1].Priority == 0
				mu.Unlock()
				if sawLast || time.Now().After(deadline) {
					break
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if len(adverts) < 2 {
				t.Fatalf("saw %d adverts", len(adverts))
			}
			for i, ad := range adverts {
				got := slices.Clone(ad.Addrs)
				if !slices.Equal(got, want) || ad.VRID != 42 || ad.Interval != 200*time.Millisecond {
					t.Errorf("advert %d: %+v, want addresses %v", i, ad, want)
				}
				last := i == len(adverts)-1
				if last && ad.Priority != 0 || !last && ad.Priority != 150 {
					t.Errorf("advert %d of %d has priority %d", i, len(adverts), ad.Priority)
				}
			}
		})
	}
}
