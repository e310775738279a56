//go:build linux

package vrrp

import (
	"fmt"
	"net/netip"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

var _ Filter = (*RawLink)(nil)

// Offsets in the IPv4 (RFC 791) and IPv6 (RFC 8200) headers.
const (
	ip4SrcOff, ip4DstOff = 12, 16
	ip6SrcOff, ip6DstOff = 8, 24
)

// filterPriority is the priority of the filter's base chains: keepalived's
// default nftables_priority, -1, just ahead of the usual filter chains at
// 0, so that their accept rules cannot let the packets through first.
const filterPriority nftables.ChainPriority = -1

// filterTable returns the table BlockVIPs fills: name, or the link's
// default when empty.
func (l *RawLink) filterTable(name string) *nftables.Table {
	if name == "" {
		name = "hakit_vrrp_" + l.ifi.Name
	}
	fam := nftables.TableFamilyIPv4
	if l.cfg.IPv6 {
		fam = nftables.TableFamilyIPv6
	}
	return &nftables.Table{Name: name, Family: fam}
}

// nft returns an nftables connection in the link's namespace. The
// library talks netlink directly; no nft binary is involved.
func (l *RawLink) nft() (*nftables.Conn, error) {
	if l.ns.IsOpen() {
		return nftables.New(nftables.WithNetNSFd(int(l.ns)))
	}
	return nftables.New()
}

// BlockVIPs installs keepalived's no_accept rules for vips in a table of
// the link's own, created anew in one atomic nftables transaction:
//
//	table ip TABLE {                  # ip6 for IPv6
//	  set vips { type ipv4_addr; elements = { VIPS } }
//	  chain in {
//	    type filter hook input priority -1; policy accept;
//	    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept   # IPv6 only
//	    ip daddr @vips counter drop
//	  }
//	  chain out {
//	    type filter hook output priority -1; policy accept;
//	    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept   # IPv6 only
//	    ip saddr @vips counter drop
//	  }
//	}
//
// Every protocol is dropped, ICMP echo included, as keepalived 2.2.7 does.
// IPv6 link-local virtual addresses are matched together with the
// interface (iif / oif), since the same address may exist on other links.
func (l *RawLink) BlockVIPs(vips []netip.Prefix) error { return l.blockVIPs(l.cfg.Table, vips) }

// blockVIPs is BlockVIPs in the table named table.
func (l *RawLink) blockVIPs(table string, vips []netip.Prefix) error {
	c, err := l.nft()
	if err != nil {
		return fmt.Errorf("vrrp: block VIPs on %s: nftables: %w", l.ifi.Name, err)
	}
	t := l.filterTable(table)
	// Add then delete: the delete cannot fail for want of the table, and
	// the batch leaves exactly the rules below.
	c.AddTable(t)
	c.DelTable(t)
	c.AddTable(t)
	accept := nftables.ChainPolicyAccept
	prio := filterPriority
	in := c.AddChain(&nftables.Chain{Name: "in", Table: t, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookInput, Priority: &prio, Policy: &accept})
	out := c.AddChain(&nftables.Chain{Name: "out", Table: t, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookOutput, Priority: &prio, Policy: &accept})

	v6 := l.cfg.IPv6
	srcOff, dstOff, alen := uint32(ip4SrcOff), uint32(ip4DstOff), uint32(4)
	keyType := nftables.TypeIPAddr
	if v6 {
		srcOff, dstOff, alen = ip6SrcOff, ip6DstOff, 16
		keyType = nftables.TypeIP6Addr
		// RFC 4861: the addresses must stay resolvable (and answer
		// neighbour unreachability detection) on the link.
		for _, ch := range []*nftables.Chain{in, out} {
			c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: []expr.Any{
				&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
				&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.IPPROTO_ICMPV6}},
				&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 0, Len: 1},
				&expr.Range{Op: expr.CmpOpEq, Register: 1, FromData: []byte{135}, ToData: []byte{136}},
				&expr.Verdict{Kind: expr.VerdictAccept},
			}})
		}
	}
	var elems []nftables.SetElement
	var linkLocal []netip.Addr
	for _, p := range vips {
		ip := p.Addr().Unmap()
		if ip.Is6() != v6 {
			return fmt.Errorf("vrrp: block VIPs on %s: %v is not of the link's family: %w", l.ifi.Name, ip, ErrInvalidConfig)
		}
		if ip.Is6() && ip.IsLinkLocalUnicast() {
			linkLocal = append(linkLocal, ip)
			continue
		}
		elems = append(elems, nftables.SetElement{Key: ip.AsSlice()})
	}
	if len(elems) > 0 {
		set := &nftables.Set{Table: t, Name: "vips", KeyType: keyType}
		if err := c.AddSet(set, elems); err != nil {
			return fmt.Errorf("vrrp: block VIPs on %s: %w", l.ifi.Name, err)
		}
		for _, r := range []struct {
			ch  *nftables.Chain
			off uint32
		}{{in, dstOff}, {out, srcOff}} {
			c.AddRule(&nftables.Rule{Table: t, Chain: r.ch, Exprs: []expr.Any{
				&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: r.off, Len: alen},
				&expr.Lookup{SourceRegister: 1, SetName: set.Name, SetID: set.ID},
				&expr.Counter{},
				&expr.Verdict{Kind: expr.VerdictDrop},
			}})
		}
	}
	idx := binaryutil.NativeEndian.PutUint32(uint32(l.ifi.Index))
	for _, ip := range linkLocal {
		for _, r := range []struct {
			ch  *nftables.Chain
			off uint32
			key expr.MetaKey
		}{{in, dstOff, expr.MetaKeyIIF}, {out, srcOff, expr.MetaKeyOIF}} {
			c.AddRule(&nftables.Rule{Table: t, Chain: r.ch, Exprs: []expr.Any{
				&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: r.off, Len: alen},
				&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ip.AsSlice()},
				&expr.Meta{Key: r.key, Register: 1},
				&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: idx},
				&expr.Counter{},
				&expr.Verdict{Kind: expr.VerdictDrop},
			}})
		}
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("vrrp: block VIPs on %s: nftables table %s: %w", l.ifi.Name, t.Name, err)
	}
	return nil
}

// UnblockVIPs deletes the link's nftables table, if present.
func (l *RawLink) UnblockVIPs() error { return l.unblockVIPs(l.cfg.Table) }

// unblockVIPs is UnblockVIPs of the table named table.
func (l *RawLink) unblockVIPs(table string) error {
	c, err := l.nft()
	if err != nil {
		return fmt.Errorf("vrrp: unblock VIPs on %s: nftables: %w", l.ifi.Name, err)
	}
	t := l.filterTable(table)
	c.AddTable(t)
	c.DelTable(t)
	if err := c.Flush(); err != nil {
		return fmt.Errorf("vrrp: unblock VIPs on %s: nftables table %s: %w", l.ifi.Name, t.Name, err)
	}
	return nil
}
