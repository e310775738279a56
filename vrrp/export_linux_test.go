//go:build linux

package vrrp

// OpenSharedView exposes openView to the benchmarks of package vrrp_test.
func OpenSharedView(iface string, cfg RawLinkConfig, vrid uint8) (Link, func() error, error) {
	v, err := openView(iface, cfg, vrid)
	if err != nil {
		return nil, nil, err
	}
	return v, v.Close, nil
}
