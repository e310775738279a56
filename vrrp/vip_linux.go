//go:build linux

package vrrp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hakit/hakit"
	"github.com/mdlayher/arp"
	"github.com/mdlayher/ethernet"
	"github.com/mdlayher/ndp"
	"github.com/vishvananda/netlink"
	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"
)

// AddVIPs adds the addresses to the interface by netlink. IPv6 addresses
// get IFA_F_NODAD, as keepalived adds them, so they are usable at once.
// An address already present is not an error.
func (l *RawLink) AddVIPs(vips []netip.Prefix) error { return l.addVIPs(vips, l.cfg.Labels) }

// addVIPs is AddVIPs with the given labels.
func (l *RawLink) addVIPs(vips []netip.Prefix, labels map[netip.Addr]string) error {
	link, err := l.nl.LinkByIndex(l.ifi.Index)
	if err != nil {
		return fmt.Errorf("vrrp: add VIPs on %s: %w", l.ifi.Name, err)
	}
	var errs []error
	for _, p := range vips {
		a := &netlink.Addr{IPNet: prefixNet(p), Label: labels[p.Addr()]}
		if p.Addr().Is6() {
			a.Flags = unix.IFA_F_NODAD
		}
		if err := l.nl.AddrAdd(link, a); err != nil && !errors.Is(err, unix.EEXIST) {
			errs = append(errs, fmt.Errorf("vrrp: add %v on %s: %w", p, l.ifi.Name, err))
		}
	}
	return errors.Join(errs...)
}

// RemoveVIPs removes the addresses; an absent one is not an error.
func (l *RawLink) RemoveVIPs(vips []netip.Prefix) error {
	link, err := l.nl.LinkByIndex(l.ifi.Index)
	if err != nil {
		return fmt.Errorf("vrrp: remove VIPs on %s: %w", l.ifi.Name, err)
	}
	var errs []error
	for _, p := range vips {
		err := l.nl.AddrDel(link, &netlink.Addr{IPNet: prefixNet(p)})
		if err != nil && !errors.Is(err, unix.EADDRNOTAVAIL) && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, fmt.Errorf("vrrp: remove %v on %s: %w", p, l.ifi.Name, err))
		}
	}
	return errors.Join(errs...)
}

func prefixNet(p netip.Prefix) *net.IPNet {
	bits := 32
	if p.Addr().Is6() {
		bits = 128
	}
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), bits)}
}

// Announce sends one round of announcements for addrs: for IPv4 a
// gratuitous ARP request and a gratuitous ARP reply per address, both
// broadcast with sender and target protocol address the virtual address
// (RFC 5798 section 6.4.2, RFC 5227 section 3); for IPv6 an unsolicited
// neighbour advertisement to all-nodes with the Override flag and the
// target link-layer address option (RFC 4861 section 7.2.6), and the
// Router flag when the interface forwards IPv6, as keepalived sends.
func (l *RawLink) Announce(addrs []netip.Addr) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var errs []error
	for _, ip := range addrs {
		var err error
		if ip.Is4() {
			err = l.garp(ip)
		} else {
			err = l.unsolicitedNA(ip)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("vrrp: announce %v on %s: %w", ip, l.ifi.Name, err))
		}
	}
	return errors.Join(errs...)
}

// garp sends a gratuitous ARP request and reply for ip. l.mu held.
func (l *RawLink) garp(ip netip.Addr) error {
	if l.arp == nil {
		err := l.inNetns(func() error {
			var err error
			l.arp, err = arp.Dial(l.ifi)
			return err
		})
		if err != nil {
			return err
		}
	}
	for _, op := range []arp.Operation{arp.OperationRequest, arp.OperationReply} {
		p, err := arp.NewPacket(op, l.ifi.HardwareAddr, ip, ethernet.Broadcast, ip)
		if err != nil {
			return err
		}
		if err := l.arp.WriteTo(p, ethernet.Broadcast); err != nil {
			return err
		}
	}
	return nil
}

// unsolicitedNA sends an unsolicited neighbour advertisement for ip.
// l.mu held.
func (l *RawLink) unsolicitedNA(ip netip.Addr) error {
	if l.ndp == nil {
		// ndp uses the interface name as the IPv6 zone, which Go resolves
		// in the calling thread's namespace: a numeric zone (the index)
		// is right in any namespace.
		ifi := *l.ifi
		ifi.Name = strconv.Itoa(ifi.Index)
		err := l.inNetns(func() error {
			c, _, err := ndp.Listen(&ifi, ndp.LinkLocal)
			if err != nil {
				return err
			}
			// Only sending: let no ICMPv6 message queue up on it.
			var f ipv6.ICMPFilter
			f.SetAll(true)
			if err := c.SetICMPFilter(&f); err != nil {
				c.Close()
				return err
			}
			l.ndp = c
			return nil
		})
		if err != nil {
			return err
		}
	}
	na := &ndp.NeighborAdvertisement{
		Router:        l.forwarding(),
		Override:      true,
		TargetAddress: ip,
		Options:       []ndp.Option{&ndp.LinkLayerAddress{Direction: ndp.Target, Addr: l.ifi.HardwareAddr}},
	}
	// From the virtual address itself, as keepalived sends it (RFC 4861
	// section 7.2.6 allows any address of the interface).
	cm := &ipv6.ControlMessage{HopLimit: ndp.HopLimit, Src: ip.AsSlice(), IfIndex: l.ifi.Index}
	return l.ndp.WriteTo(na, cm, netip.IPv6LinkLocalAllNodes())
}

// forwarding reports whether the interface forwards IPv6
// (net.ipv6.conf.IFACE.forwarding, read in the link's namespace at most
// every 5s, as keepalived does): a router's neighbour advertisements must
// carry the Router flag, or hosts drop it from their default router lists
// (RFC 4861 section 7.2.5). l.mu held.
func (l *RawLink) forwarding() bool {
	if time.Since(l.fwdChecked) < 5*time.Second {
		return l.fwd
	}
	l.fwdChecked = time.Now()
	l.inNetns(func() error {
		b, err := os.ReadFile("/proc/sys/net/ipv6/conf/" + l.ifi.Name + "/forwarding")
		l.fwd = err == nil && strings.TrimSpace(string(b)) != "0"
		return nil
	})
	return l.fwd
}

// InterfaceUp returns a Checker that fails while the named interface (in
// the caller's network namespace) is missing, administratively down or
// without carrier: keepalived's track_interface.
func InterfaceUp(name string) hakit.Checker {
	return hakit.CheckerFunc(func(ctx context.Context) error {
		link, err := netlink.LinkByName(name)
		return linkUp(name, link, err)
	})
}

// linkUp says why a link looked up as name (with lookup error err) is not
// up, or nil when it is.
func linkUp(name string, link netlink.Link, err error) error {
	if err != nil {
		return fmt.Errorf("vrrp: interface %s: %w", name, err)
	}
	a := link.Attrs()
	if a.Flags&net.FlagUp == 0 {
		return fmt.Errorf("vrrp: interface %s is down", name)
	}
	if a.OperState != netlink.OperUp && a.OperState != netlink.OperUnknown {
		return fmt.Errorf("vrrp: interface %s: operational state %s", name, a.OperState)
	}
	return nil
}
