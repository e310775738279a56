//go:build integration && linux

package vrrp_test

import (
	"net"
	"net/netip"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// acceptPort is where the master's namespace listens; the namespaces are
// the test's own, so any port would do.
const acceptPort = 18099

// listenIn listens on every address of node nd's namespace and accepts
// (and closes) connections until the test ends.
func listenIn(t *testing.T, nd *nsNode, v6 bool) {
	t.Helper()
	network, addr := "tcp4", "0.0.0.0"
	if v6 {
		network, addr = "tcp6", "::"
	}
	var ln net.Listener
	inNetns(t, nd.ns, func() (err error) {
		ln, err = net.Listen(network, net.JoinHostPort(addr, strconv.Itoa(acceptPort)))
		return err
	})
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
}

// dialFrom tries a TCP connection from node nd's namespace to addr and
// reports whether it was established within timeout.
func dialFrom(t *testing.T, nd *nsNode, addr netip.Addr, timeout time.Duration) (ok bool, err error) {
	t.Helper()
	inNetns(t, nd.ns, func() error {
		var c net.Conn
		// The socket is created on this thread, in nd's namespace; it
		// stays there when the dial waits on another.
		c, err = net.DialTimeout("tcp", netip.AddrPortFrom(addr, acceptPort).String(), timeout)
		if err == nil {
			ok = true
			c.Close()
		}
		return nil
	})
	return ok, err
}

// nftTables lists the names of the nftables tables of family fam in node
// nd's namespace.
func nftTables(t *testing.T, nd *nsNode, fam nftables.TableFamily) []string {
	t.Helper()
	h, err := netns.GetFromName(nd.ns)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	c, err := nftables.New(nftables.WithNetNSFd(int(h)))
	if err != nil {
		t.Fatal(err)
	}
	ts, err := c.ListTablesOfFamily(fam)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tb := range ts {
		names = append(names, tb.Name)
	}
	return names
}

// neighbourResolved reports whether node nd has resolved addr on eth0
// (its neighbour entry is neither missing, incomplete nor failed).
func neighbourResolved(t *testing.T, nd *nsNode, addr netip.Addr) bool {
	t.Helper()
	link, err := nd.nl.LinkByName("eth0")
	if err != nil {
		t.Fatal(err)
	}
	fam := netlink.FAMILY_V4
	if addr.Is6() {
		fam = netlink.FAMILY_V6
	}
	neighs, err := nd.nl.NeighList(link.Attrs().Index, fam)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range neighs {
		if ip, _ := netip.AddrFromSlice(n.IP); ip.Unmap() == addr {
			return n.State&(netlink.NUD_INCOMPLETE|netlink.NUD_FAILED) == 0 && len(n.HardwareAddr) > 0
		}
	}
	return false
}

// RFC 5798 6.4.3 and keepalived's no_accept on the wire: a MASTER that is
// not the address owner and runs with -noaccept holds the VIP but drops
// TCP to it (its nftables table hakit_vrrp_eth0_42 is installed while it
// is MASTER, deleted when it stops), while its own address still answers
// and the VIP is still resolved (ARP, IPv6 neighbour discovery); in accept
// mode (keepalived's default) and as the address owner the VIP answers.
// keepalived 2.2.7 with no_accept does the same in the same setting (its
// table is "keepalived").
func TestAcceptModeOnTheWire(t *testing.T) {
	for _, tc := range []struct {
		name     string
		impl     impl
		v6       bool
		prio     int
		noaccept bool
		accepts  bool
	}{
		{"vrrpd ipv4 no_accept", ours, false, 150, true, false},
		{"vrrpd ipv4 accept", ours, false, 150, false, true},
		{"vrrpd ipv4 no_accept owner", ours, false, 255, true, true},
		{"vrrpd ipv6 no_accept", ours, true, 150, true, false},
		{"vrrpd ipv6 accept", ours, true, 150, false, true},
		{"keepalived ipv4 no_accept", keepalived, false, 150, true, false},
		{"keepalived ipv6 no_accept", keepalived, true, 150, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			table := "hakit_vrrp_eth0_42"
			if tc.impl == keepalived {
				table = "keepalived"
			}
			lan := newNSLAN(t, 2)
			m, client := lan.nodes[0], lan.nodes[1]
			vip, own := netip.MustParsePrefix("192.0.2.100/24"), m.ip4
			fam := nftables.TableFamilyIPv4
			if tc.v6 {
				vip, own = netip.MustParsePrefix("fd00::100/64"), m.ip6
				fam = nftables.TableFamilyIPv6
			}
			listenIn(t, m, tc.v6)
			p := start(t, tc.impl, m, routerSpec{vrid: 42, priority: tc.prio, version: 3, advert: 100 * time.Millisecond,
				vips: []netip.Prefix{vip}, noaccept: tc.noaccept})
			m.waitHas(t, vip.Addr(), true, 5*time.Second)
			time.Sleep(200 * time.Millisecond) // the announcements

			if ok, err := dialFrom(t, client, own, 2*time.Second); !ok {
				t.Fatalf("TCP to the master's own address %v: %v", own, err)
			}
			ok, err := dialFrom(t, client, vip.Addr(), time.Second)
			if ok != tc.accepts {
				t.Errorf("TCP to the VIP established = %v (%v), want %v", ok, err, tc.accepts)
			}
			if !neighbourResolved(t, client, vip.Addr()) {
				t.Errorf("client did not resolve the VIP %v (ARP / neighbour discovery blocked?)", vip.Addr())
			}
			tables := nftTables(t, m, fam)
			if has := slices.Contains(tables, table); has == tc.accepts {
				t.Errorf("nftables tables %v while MASTER; want %s: %v", tables, table, !tc.accepts)
			}

			p.stop(t)
			if tables := nftTables(t, m, fam); slices.Contains(tables, table) {
				t.Errorf("table %s still there after SIGTERM: %v", table, tables)
			}
			if m.has(t, vip.Addr()) {
				t.Errorf("VIP still on the master after SIGTERM")
			}
		})
	}
}
