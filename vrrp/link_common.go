package vrrp

import "github.com/hakit/hakit"

// RawLinkConfig configures OpenRawLink.
type RawLinkConfig struct {
	IPv6      bool
	Unicast   bool
	VRID      uint8
	Announcer bool
}

type RawLink struct{ Link }

func OpenRawLink(ifname string, cfg RawLinkConfig) (*RawLink, error) { return nil, ErrUnsupported }
func (l *RawLink) Close() error                                      { return nil }
func InterfaceUp(name string) hakit.Checker                          { return nil }
