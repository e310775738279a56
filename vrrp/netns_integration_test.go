//go:build integration && linux

package vrrp_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hakit/hakit/internal/testenv"
	"github.com/hakit/hakit/vrrp"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// nsLAN is a bridge in a namespace of its own with n node namespaces
// plugged into it by veth pairs. Node i has eth0 with 192.0.2.(i+1)/24 and
// fd00::(i+1)/64, DAD off. Everything is removed in t.Cleanup.
type nsLAN struct {
	id    string
	sw    string
	nodes []*nsNode
}

type nsNode struct {
	ns  string
	ip4 netip.Addr
	ip6 netip.Addr
	ll  netip.Addr
	nl  *netlink.Handle
}

func ipCmd(t testing.TB, args ...string) {
	t.Helper()
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func newNSLAN(t testing.TB, n int) *nsLAN {
	t.Helper()
	testenv.Command(t, "ip")
	var b [3]byte
	rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	l := &nsLAN{id: id, sw: "hk-" + id + "-s"}
	t.Cleanup(func() {
		for _, nd := range l.nodes {
			if nd.nl != nil {
				nd.nl.Close()
			}
			exec.Command("ip", "netns", "del", nd.ns).Run()
		}
		exec.Command("ip", "netns", "del", l.sw).Run()
	})
	ipCmd(t, "netns", "add", l.sw)
	ipCmd(t, "-n", l.sw, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0")
	ipCmd(t, "-n", l.sw, "link", "set", "br0", "up")
	for i := range n {
		nd := &nsNode{
			ns:  fmt.Sprintf("hk-%s-%d", id, i),
			ip4: netip.AddrFrom4([4]byte{192, 0, 2, byte(i + 1)}),
			ip6: netip.MustParseAddr(fmt.Sprintf("fd00::%d", i+1)),
		}
		l.nodes = append(l.nodes, nd)
		ipCmd(t, "netns", "add", nd.ns)
		if out, err := exec.Command("ip", "netns", "exec", nd.ns, "sysctl", "-qw",
			"net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0").CombinedOutput(); err != nil {
			t.Fatalf("sysctl: %v %s", err, out)
		}
		port := fmt.Sprintf("p%d", i)
		ipCmd(t, "link", "add", "name", "hk"+id+strconv.Itoa(i), "netns", nd.ns, "type", "veth", "peer", "name", port, "netns", l.sw)
		ipCmd(t, "-n", nd.ns, "link", "set", "hk"+id+strconv.Itoa(i), "name", "eth0")
		ipCmd(t, "-n", l.sw, "link", "set", port, "master", "br0", "up")
		ipCmd(t, "-n", nd.ns, "addr", "add", nd.ip4.String()+"/24", "dev", "eth0")
		ipCmd(t, "-n", nd.ns, "addr", "add", nd.ip6.String()+"/64", "dev", "eth0", "nodad")
		ipCmd(t, "-n", nd.ns, "link", "set", "lo", "up")
		ipCmd(t, "-n", nd.ns, "link", "set", "eth0", "up")
		h, err := netns.GetFromName(nd.ns)
		if err != nil {
			t.Fatal(err)
		}
		nd.nl, err = netlink.NewHandleAt(h)
		h.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, nd := range l.nodes {
		deadline := time.Now().Add(5 * time.Second)
		for !nd.ll.IsValid() {
			link, err := nd.nl.LinkByName("eth0")
			if err != nil {
				t.Fatal(err)
			}
			addrs, _ := nd.nl.AddrList(link, netlink.FAMILY_V6)
			for _, a := range addrs {
				if ip, _ := netip.AddrFromSlice(a.IP); ip.IsLinkLocalUnicast() {
					nd.ll = ip
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: no link-local address", nd.ns)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return l
}

// setPort makes the bridge forward node i's frames or not (STP port state
// forwarding or disabled): a partition that leaves the carrier up, so
// that neither side sees its interface go down.
func (l *nsLAN) setPort(t testing.TB, i int, forward bool) {
	t.Helper()
	state := "0"
	if forward {
		state = "3"
	}
	out, err := exec.Command(testenv.Command(t, "bridge"), "-n", l.sw, "link", "set", "dev", fmt.Sprintf("p%d", i), "state", state).CombinedOutput()
	if err != nil {
		t.Fatalf("bridge link set p%d state %s: %v\n%s", i, state, err, out)
	}
}

// has reports whether the node's eth0 carries addr.
func (nd *nsNode) has(t testing.TB, addr netip.Addr) bool {
	_, ok := nd.addr(t, addr)
	return ok
}

// label returns the address label of addr on the node's eth0.
func (nd *nsNode) label(t testing.TB, addr netip.Addr) string {
	a, _ := nd.addr(t, addr)
	return a.Label
}

// addr returns addr as the node's eth0 carries it, if it does.
func (nd *nsNode) addr(t testing.TB, addr netip.Addr) (netlink.Addr, bool) {
	link, err := nd.nl.LinkByName("eth0")
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := nd.nl.AddrList(link, netlink.FAMILY_ALL)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if ip, _ := netip.AddrFromSlice(a.IP); ip.Unmap() == addr {
			return a, true
		}
	}
	return netlink.Addr{}, false
}

// watch polls in the background until the node's holding of addr is
// want, and sends the time it saw that (or the zero time after timeout).
func (nd *nsNode) watch(t testing.TB, addr netip.Addr, want bool, timeout time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	go func() {
		deadline := time.Now().Add(timeout)
		for time.Now().Before(deadline) {
			if nd.has(t, addr) == want {
				ch <- time.Now()
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
		ch <- time.Time{}
	}()
	return ch
}

// waitHas polls (every 2ms) until the node holds addr (want true) or not,
// and returns when it saw the change; it fails t after timeout.
func (nd *nsNode) waitHas(t testing.TB, addr netip.Addr, want bool, timeout time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if nd.has(t, addr) == want {
			return time.Now()
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: holds %v = %v after %v, want %v", nd.ns, addr, !want, timeout, want)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// sniffer records when adverts from each source arrive at a node, through
// a raw link of its own in the node's namespace.
type sniffer struct {
	mu   sync.Mutex
	last map[netip.Addr]time.Time
	seen map[netip.Addr]vrrp.Advert
}

func sniff(t testing.TB, nd *nsNode, v6 bool) *sniffer {
	t.Helper()
	l, err := vrrp.OpenRawLink("eth0", vrrp.RawLinkConfig{IPv6: v6, Netns: nd.ns})
	if err != nil {
		t.Fatal(err)
	}
	s := &sniffer{last: map[netip.Addr]time.Time{}, seen: map[netip.Addr]vrrp.Advert{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			p, err := l.ReadPacket(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				continue
			}
			now := time.Now()
			a, err := vrrp.ParseAdvert(p.Payload, p.IPHeader, vrrp.ChecksumRFC)
			s.mu.Lock()
			s.last[p.Src] = now
			if err == nil {
				s.seen[p.Src] = a
			}
			s.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		l.Close()
	})
	return s
}

func (s *sniffer) lastFrom(src netip.Addr) (time.Time, vrrp.Advert) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last[src], s.seen[src]
}

// speaker is a VRRP router in a node: keepalived or our vrrpd.
type speaker interface {
	// crash kills the router without a goodbye (keepalived: its VRRP
	// child; vrrpd: the process).
	crash(t testing.TB)
	// stop asks it to stop (SIGTERM) and waits for it to exit.
	stop(t testing.TB)
	name() string
}

// routerSpec is one virtual router's settings, for either implementation.
type routerSpec struct {
	vrid      int
	priority  int
	version   int
	advert    time.Duration
	vips      []netip.Prefix
	nopreempt bool
	noaccept  bool
	// unicastSrc and unicastPeers are keepalived's unicast_src_ip and
	// unicast_peer (vrrpd's -unicast-src and -unicast-peer).
	unicastSrc   netip.Addr
	unicastPeers []netip.Addr
}

var vrrpdBin string

func TestMain(m *testing.M) {
	if os.Getenv(trackHelperEnv) != "" {
		os.Exit(trackHelper())
	}
	dir, err := os.MkdirTemp("", "vrrpd-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	vrrpdBin = filepath.Join(dir, "vrrpd")
	if out, err := exec.Command("go", "build", "-o", vrrpdBin, "github.com/hakit/hakit/examples/vrrpd").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build vrrpd: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// vrrpdProc is our vrrpd running in a node.
type vrrpdProc struct {
	nd     *nsNode
	cmd    *exec.Cmd
	mu     sync.Mutex
	states []stateAt
	stderr *os.File
	done   chan struct{}
	err    error
}

type stateAt struct {
	State    string
	VRID     int
	Instance string
	At       time.Time
}

func startVrrpd(t testing.TB, nd *nsNode, s routerSpec, extra ...string) *vrrpdProc {
	t.Helper()
	args := []string{"netns", "exec", nd.ns, vrrpdBin, "-iface", "eth0",
		"-vrid", strconv.Itoa(s.vrid), "-priority", strconv.Itoa(s.priority),
		"-version", strconv.Itoa(s.version), "-advert", s.advert.String()}
	for _, v := range s.vips {
		args = append(args, "-vip", v.String())
	}
	if s.nopreempt {
		args = append(args, "-nopreempt")
	}
	if s.noaccept {
		args = append(args, "-noaccept")
	}
	if s.unicastSrc.IsValid() {
		args = append(args, "-unicast-src", s.unicastSrc.String())
	}
	for _, p := range s.unicastPeers {
		args = append(args, "-unicast-peer", p.String())
	}
	args = append(args, extra...)
	return startProc(t, nd, exec.Command("ip", args...))
}

// startProc starts cmd, a process that prints vrrpd's JSON lines, and
// records them; it is killed in t.Cleanup if still running.
func startProc(t testing.TB, nd *nsNode, cmd *exec.Cmd) *vrrpdProc {
	t.Helper()
	p := &vrrpdProc{nd: nd, done: make(chan struct{}), cmd: cmd}
	var err error
	if p.stderr, err = os.CreateTemp(t.TempDir(), "vrrpd-*.log"); err != nil {
		t.Fatal(err)
	}
	p.cmd.Stderr = p.stderr
	if p.cmd.SysProcAttr == nil {
		p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var st stateAt
			if err := json.Unmarshal(sc.Bytes(), &st); err != nil {
				st.State = "BAD LINE " + sc.Text()
			}
			st.At = time.Now()
			p.mu.Lock()
			p.states = append(p.states, st)
			p.mu.Unlock()
		}
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			b, _ := os.ReadFile(p.stderr.Name())
			t.Logf("vrrpd in %s stderr:\n%s", nd.ns, b)
		}
		p.stderr.Close()
	})
	return p
}

func (p *vrrpdProc) name() string { return "vrrpd@" + p.nd.ip4.String() }

func (p *vrrpdProc) crash(t testing.TB) {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

func (p *vrrpdProc) stop(t testing.TB) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("vrrpd did not exit after SIGTERM")
	}
	if p.err != nil {
		t.Errorf("vrrpd exit after SIGTERM: %v", p.err)
	}
}

func (p *vrrpdProc) lines() []stateAt {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]stateAt(nil), p.states...)
}

// keepalivedProc is keepalived 2.2.7 running one instance in a node.
type keepalivedProc struct {
	nd   *nsNode
	cmd  *exec.Cmd
	dir  string
	done chan struct{}
}

func keepalivedConf(s routerSpec) string {
	var b strings.Builder
	fmt.Fprintf(&b, "global_defs {\n  router_id hk\n}\nvrrp_instance VI_%d {\n  interface eth0\n  state BACKUP\n", s.vrid)
	fmt.Fprintf(&b, "  virtual_router_id %d\n  priority %d\n  advert_int %g\n", s.vrid, s.priority, s.advert.Seconds())
	if s.version == 3 {
		b.WriteString("  version 3\n")
	}
	if s.nopreempt {
		b.WriteString("  nopreempt\n")
	}
	if s.noaccept {
		b.WriteString("  no_accept\n")
	}
	if s.unicastSrc.IsValid() {
		fmt.Fprintf(&b, "  unicast_src_ip %s\n", s.unicastSrc)
	}
	if len(s.unicastPeers) > 0 {
		b.WriteString("  unicast_peer {\n")
		for _, p := range s.unicastPeers {
			fmt.Fprintf(&b, "    %s\n", p)
		}
		b.WriteString("  }\n")
	}
	b.WriteString("  virtual_ipaddress {\n")
	for _, v := range s.vips {
		fmt.Fprintf(&b, "    %s\n", v)
	}
	b.WriteString("  }\n}\n")
	return b.String()
}

func startKeepalived(t testing.TB, nd *nsNode, s routerSpec) *keepalivedProc {
	t.Helper()
	return startKeepalivedConf(t, nd, keepalivedConf(s))
}

// startKeepalivedConf runs keepalived in nd on the configuration text.
func startKeepalivedConf(t testing.TB, nd *nsNode, text string) *keepalivedProc {
	t.Helper()
	bin := testenv.Command(t, "keepalived")
	p := &keepalivedProc{nd: nd, dir: t.TempDir(), done: make(chan struct{})}
	conf := filepath.Join(p.dir, "keepalived.conf")
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	log, err := os.Create(filepath.Join(p.dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command("ip", "netns", "exec", nd.ns, bin, "-P", "-n", "-l", "-D", "-R",
		"-f", conf, "-p", filepath.Join(p.dir, "k.pid"), "-r", filepath.Join(p.dir, "v.pid"))
	p.cmd.Stdout, p.cmd.Stderr = log, log
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if pid := p.childPID(); pid > 0 {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
		log.Close()
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(p.dir, "log"))
			t.Logf("keepalived in %s:\n%s", nd.ns, b)
		}
	})
	return p
}

func (p *keepalivedProc) name() string { return "keepalived@" + p.nd.ip4.String() }

// childPID returns the VRRP child's pid, or 0.
func (p *keepalivedProc) childPID() int {
	b, err := os.ReadFile(filepath.Join(p.dir, "v.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// crash kills the VRRP child: killing keepalived's parent is not a crash,
// the parent SIGTERMs the child, which sends priority 0.
func (p *keepalivedProc) crash(t testing.TB) {
	t.Helper()
	pid := p.childPID()
	if pid <= 0 {
		t.Fatalf("keepalived in %s has no VRRP child pid", p.nd.ns)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill VRRP child %d: %v", pid, err)
	}
	select {
	case <-p.done: // -R: the parent does not respawn it and exits
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

func (p *keepalivedProc) stop(t testing.TB) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("keepalived did not exit after SIGTERM")
	}
}

// waitChild waits until keepalived has written its VRRP child's pid.
func (p *keepalivedProc) waitChild(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for p.childPID() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("keepalived in %s wrote no VRRP child pid", p.nd.ns)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
