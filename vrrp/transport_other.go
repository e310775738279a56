//go:build !linux

package vrrp

import (
	"context"
	"fmt"
	"net"
	"net/netip"

	"github.com/hakit/hakit"
)

// RawLink is the raw-socket Link; it exists on Linux only. Elsewhere
// OpenRawLink returns ErrUnsupported.
type RawLink struct{}

var (
	_ Filter      = (*RawLink)(nil)
	_ AddrWatcher = (*RawLink)(nil)
)

// OpenRawLink returns ErrUnsupported outside Linux.
func OpenRawLink(ifname string, cfg RawLinkConfig) (*RawLink, error) {
	return nil, fmt.Errorf("vrrp: open %s: %w", ifname, ErrUnsupported)
}

func (*RawLink) Primary() netip.Addr                        { return netip.Addr{} }
func (*RawLink) Interface() *net.Interface                  { return nil } // no interface outside Linux
func (*RawLink) ReadPacket(context.Context) (Packet, error) { return Packet{}, ErrUnsupported }
func (*RawLink) WritePacket(Packet) error                   { return ErrUnsupported }
func (*RawLink) AddVIPs([]netip.Prefix) error               { return ErrUnsupported }
func (*RawLink) RemoveVIPs([]netip.Prefix) error            { return ErrUnsupported }
func (*RawLink) Announce([]netip.Addr) error                { return ErrUnsupported }
func (*RawLink) BlockVIPs([]netip.Prefix) error             { return ErrUnsupported }
func (*RawLink) UnblockVIPs() error                         { return ErrUnsupported }
func (*RawLink) AddrsChanged() <-chan struct{}              { return nil }
func (*RawLink) Addrs() ([]netip.Addr, error)               { return nil, ErrUnsupported }
func (*RawLink) Close() error                               { return nil }
func (*RawLink) CheckInterface(context.Context) error       { return ErrUnsupported }

// InterfaceUp returns a Checker that always fails with ErrUnsupported
// outside Linux.
func InterfaceUp(name string) hakit.Checker {
	return hakit.CheckerFunc(func(context.Context) error {
		return fmt.Errorf("vrrp: interface %s: %w", name, ErrUnsupported)
	})
}

// openView returns ErrUnsupported outside Linux.
func openView(ifname string, cfg RawLinkConfig, vrid uint8) (*RawLink, error) {
	return OpenRawLink(ifname, cfg)
}
