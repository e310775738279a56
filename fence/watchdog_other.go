//go:build !linux

package fence

import (
	"errors"
	"time"
)

// DefaultWatchdogPath is the Linux watchdog device.
const DefaultWatchdogPath = "/dev/watchdog"

// DeviceWatchdog is a Linux watchdog device; elsewhere it cannot be
// opened.
type DeviceWatchdog struct{}

var _ Watchdog = (*DeviceWatchdog)(nil)

// OpenWatchdog fails outside Linux.
func OpenWatchdog(path string, timeout time.Duration) (*DeviceWatchdog, error) {
	return nil, errors.New("fence: watchdog devices are supported on Linux only")
}

func (*DeviceWatchdog) Keepalive() error { return errors.New("fence: no watchdog") }
func (*DeviceWatchdog) Close() error     { return nil }
