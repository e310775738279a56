package vrrp

import (
	"net/netip"
	"time"
)

// RouterConfigs returns the Config of each vrrp_instance, in file order,
// with its Track list (track_interface as InterfaceUp, track_script as
// Script, with the vrrp_script's interval, timeout, rise, fall and
// weight) and its SyncGroup (one per vrrp_sync_group, shared by its
// members). Link, Logger and OnStateChange are left to the caller, and so
// are the notify scripts and the initial state, which a Router does not
// use (see KeepalivedInstance).
//
// keepalived's defaults apply where the file is silent: VRRPv2, and in a
// sync group without sync_group_tracking_weight a weighted
// track_interface raises FAULT and a weighted track_script is ignored.
// What a Router cannot do is refused with a *ConfFileError at the
// instance: a virtual address on another device, auth_type AH.
func (c *KeepalivedConf) RouterConfigs() ([]Config, error) {
	groups := map[string]*SyncGroup{}
	tracking := map[string]bool{}
	for _, g := range c.SyncGroups {
		sg := &SyncGroup{Name: g.Name}
		for _, m := range g.Group {
			groups[m] = sg
			tracking[m] = g.TrackingWeight
		}
	}
	scripts := map[string]KeepalivedScript{}
	for _, s := range c.Scripts {
		scripts[s.Name] = s
	}
	var out []Config
	for _, in := range c.Instances {
		bad := func(format string, args ...any) ([]Config, error) {
			return nil, confErrorf(in.File, in.Line, "vrrp_instance "+in.Name+": "+format, args...)
		}
		cfg := Config{
			Interface: in.Interface, VRID: in.VRID, Priority: in.Priority, Version: in.Version,
			Interval: in.Interval, NoPreempt: in.NoPreempt, PreemptDelay: in.PreemptDelay,
			NoAccept: in.NoAccept, UnicastPeers: in.UnicastPeers, UnicastSource: in.UnicastSource,
			CheckUnicastSource: in.CheckUnicastSource, DontTrackInterface: in.DontTrackPrimary,
			GARPDelay: in.GARPMasterDelay, GARPRefresh: in.GARPMasterRefresh,
			SyncGroup: groups[in.Name],
		}
		if cfg.Version == 0 {
			cfg.Version = Version2 // keepalived's default
		}
		for _, v := range in.VIPs {
			switch {
			case v.Dev != "" && v.Dev != in.Interface:
				return bad("virtual_ipaddress %v dev %s: addresses on another device than the interface are not supported", v.Prefix, v.Dev)
			case v.Label != "":
				if cfg.VIPLabels == nil {
					cfg.VIPLabels = map[netip.Addr]string{}
				}
				cfg.VIPLabels[v.Prefix.Addr().Unmap()] = v.Label
			}
			cfg.VIPs = append(cfg.VIPs, v.Prefix)
		}
		switch in.AuthType {
		case "":
			if in.AuthPass != "" {
				return bad("auth_pass without auth_type PASS")
			}
		case "PASS":
			cfg.AuthPass = in.AuthPass
			if cfg.Version != Version2 || len(cfg.AuthPass) < 1 || len(cfg.AuthPass) > 8 {
				return bad("auth_type PASS needs version 2 and an auth_pass of 1..8 characters")
			}
		default:
			return bad("auth_type %s is not supported (PASS is)", in.AuthType)
		}
		inGroup := cfg.SyncGroup != nil && !tracking[in.Name]
		for _, t := range in.TrackInterfaces {
			w := t.Weight
			if inGroup {
				w = 0 // keepalived: "ignoring weight ... due to SYNC group"
			}
			cfg.Track = append(cfg.Track, Track{
				Name: "interface " + t.Name, Checker: InterfaceUp(t.Name), Weight: w,
				Interval: interfaceTrackInterval, Rise: 1, Fall: 1,
			})
		}
		for _, t := range in.TrackScripts {
			s := scripts[t.Name]
			w := s.Weight
			if t.HasWeight {
				w = t.Weight
			}
			if inGroup && w != 0 {
				continue // keepalived ignores a weighted script in a sync group
			}
			iv := s.Interval
			if iv == 0 {
				iv = time.Second
			}
			cfg.Track = append(cfg.Track, Track{
				Name: t.Name, Checker: Script(s.Script[0], s.Script[1:]...), Weight: w,
				Interval: iv, Timeout: s.Timeout, Rise: s.Rise, Fall: s.Fall,
			})
		}
		if _, _, err := cfg.validate(); err != nil {
			return bad("%v", err)
		}
		out = append(out, cfg)
	}
	return out, nil
}
