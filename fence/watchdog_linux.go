package fence

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// DefaultWatchdogPath is the Linux watchdog device.
const DefaultWatchdogPath = "/dev/watchdog"

// DeviceWatchdog is a Linux watchdog device (Documentation/watchdog/
// watchdog-api.rst): opening it arms the timer, every write feeds it, and
// writing the magic character 'V' just before close disarms it. If the
// process dies without Close, the timer keeps running and the machine is
// reset, unless the driver was built with nowayout, in which case even
// Close cannot disarm it.
type DeviceWatchdog struct {
	f *os.File
}

var _ Watchdog = (*DeviceWatchdog)(nil)

// OpenWatchdog opens and so arms the watchdog at path (zero:
// DefaultWatchdogPath) and, when timeout is positive, sets its timeout in
// whole seconds with WDIOC_SETTIMEOUT.
func OpenWatchdog(path string, timeout time.Duration) (*DeviceWatchdog, error) {
	if path == "" {
		path = DefaultWatchdogPath
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("fence: open watchdog: %w", err)
	}
	w := &DeviceWatchdog{f: f}
	if timeout > 0 {
		secs := int((timeout + time.Second - 1) / time.Second)
		if err := unix.IoctlSetPointerInt(int(f.Fd()), unix.WDIOC_SETTIMEOUT, secs); err != nil {
			// Leave it armed: a watchdog that was opened must not be
			// disarmed behind the caller's back.
			return w, fmt.Errorf("fence: watchdog %s: set timeout %ds: %w", path, secs, err)
		}
	}
	return w, nil
}

// Keepalive writes to the device, which restarts its timer.
func (w *DeviceWatchdog) Keepalive() error {
	if _, err := w.f.Write([]byte{0}); err != nil {
		return fmt.Errorf("fence: watchdog keep-alive: %w", err)
	}
	return nil
}

// Close writes the magic 'V' and closes the device, which disarms it.
func (w *DeviceWatchdog) Close() error {
	_, err := w.f.Write([]byte{'V'})
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("fence: watchdog close: %w", err)
	}
	return nil
}
