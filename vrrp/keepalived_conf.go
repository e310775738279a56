package vrrp

import (
	"fmt"
	"io/fs"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// KeepalivedConf is the VRRP part of a keepalived.conf(5), as
// ParseKeepalivedConf reads it: for agents that read the files operators
// already have, and for RouterConfigs, which turns it into Router
// Configs. Every field keeps keepalived's meaning; a zero field was not
// set in the file.
type KeepalivedConf struct {
	// RouterID is global_defs' router_id.
	RouterID   string
	Scripts    []KeepalivedScript
	SyncGroups []KeepalivedSyncGroup
	Instances  []KeepalivedInstance
}

// KeepalivedPos is where a block starts: its file and line.
type KeepalivedPos struct {
	File string
	Line int
}

// KeepalivedScript is a vrrp_script block.
type KeepalivedScript struct {
	KeepalivedPos
	Name string
	// Script is the command line, split at blanks.
	Script []string
	// Interval and Timeout: zero means keepalived's 1s and the interval.
	Interval, Timeout time.Duration
	Weight            int
	Rise, Fall        int
}

// KeepalivedSyncGroup is a vrrp_sync_group block.
type KeepalivedSyncGroup struct {
	KeepalivedPos
	Name string
	// Group lists the member instances.
	Group []string
	// TrackingWeight is sync_group_tracking_weight: weighted tracks count
	// in the members; without it keepalived turns weighted tracked
	// interfaces into FAULT and ignores weighted scripts.
	TrackingWeight bool
}

// KeepalivedTrack is one line of track_interface or track_script.
type KeepalivedTrack struct {
	Name string
	// Weight is the line's weight; HasWeight says whether it had one
	// (a track_script line without one takes the script's).
	Weight    int
	HasWeight bool
}

// KeepalivedVIP is one line of virtual_ipaddress.
type KeepalivedVIP struct {
	// Prefix is the address with its length (/32 or /128 when none is
	// given, as keepalived adds it).
	Prefix netip.Prefix
	// Dev and Label are the line's dev and label, empty when not given.
	Dev, Label string
}

// KeepalivedInstance is a vrrp_instance block.
type KeepalivedInstance struct {
	KeepalivedPos
	Name string
	// State is the state keyword: StateMaster, StateBackup, or StateInit
	// when absent.
	State     State
	Interface string
	VRID      uint8
	// Priority: zero means 100. Version: zero means keepalived's 2.
	Priority uint8
	Version  Version
	// Interval is advert_int; zero means 1s.
	Interval           time.Duration
	NoPreempt          bool
	PreemptDelay       time.Duration
	NoAccept           bool
	UnicastSource      netip.Addr
	UnicastPeers       []netip.Addr
	CheckUnicastSource bool
	DontTrackPrimary   bool
	VIPs               []KeepalivedVIP
	// AuthType and AuthPass are the authentication block's ("PASS").
	AuthType, AuthPass string
	// Notify is the notify script (called with "INSTANCE" NAME STATE
	// PRIORITY appended); the others are called as written.
	Notify, NotifyMaster, NotifyBackup, NotifyFault, NotifyStop []string
	// GARPMasterDelay and GARPMasterRefresh are garp_master_delay and
	// garp_master_refresh; a garp_master_delay of 0 (no second burst) is
	// negative here, as in Config.GARPDelay.
	GARPMasterDelay, GARPMasterRefresh time.Duration
	TrackInterfaces, TrackScripts      []KeepalivedTrack
}

// ParseKeepalivedConf reads the keepalived.conf named name in fsys (use
// os.DirFS("/") and a path without its leading "/" for the real file
// system), with the files it includes. It reads global_defs (router_id),
// vrrp_script, vrrp_sync_group and vrrp_instance blocks with the keywords
// RouterConfigs can run, and refuses any other keyword with a
// *ConfFileError naming its file and line: a configuration silently half
// applied is worse than one refused.
func ParseKeepalivedConf(fsys fs.FS, name string) (*KeepalivedConf, error) {
	p := &confParser{fsys: fsys}
	stmts, err := p.parseFile(name)
	if err != nil {
		return nil, err
	}
	c := &KeepalivedConf{}
	for _, s := range stmts {
		var err error
		switch s.words[0] {
		case "global_defs":
			err = c.globalDefs(s)
		case "vrrp_script":
			err = c.script(s)
		case "vrrp_sync_group":
			err = c.syncGroup(s)
		case "vrrp_instance":
			err = c.instance(s)
		default:
			err = unsupported(s, "")
		}
		if err != nil {
			return nil, err
		}
	}
	return c, c.check()
}

func unsupported(s confStmt, in string) error {
	if in != "" {
		in = " in " + in
	}
	return confErrorf(s.file, s.line, "keyword %q%s is not supported", s.words[0], in)
}

// named checks a block statement "KEYWORD NAME {".
func named(s confStmt) (string, error) {
	if len(s.words) != 2 || !s.open {
		return "", confErrorf(s.file, s.line, "%s takes a name and a block: %s NAME { ... }", s.words[0], s.words[0])
	}
	return s.words[1], nil
}

// args checks that s has n arguments and no block.
func args(s confStmt, n int) error {
	if s.open {
		return confErrorf(s.file, s.line, "%s takes no block", s.words[0])
	}
	if len(s.words)-1 != n {
		return confErrorf(s.file, s.line, "%s takes %d argument(s), has %d", s.words[0], n, len(s.words)-1)
	}
	return nil
}

// list returns the lines of a block statement "KEYWORD {".
func list(s confStmt) ([]confStmt, error) {
	if len(s.words) != 1 || !s.open {
		return nil, confErrorf(s.file, s.line, "%s takes a block: %s { ... }", s.words[0], s.words[0])
	}
	for _, l := range s.block {
		if l.open {
			return nil, confErrorf(l.file, l.line, "unexpected block in %s", s.words[0])
		}
	}
	return s.block, nil
}

func intArg(s confStmt, lo, hi int) (int, error) {
	if err := args(s, 1); err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(s.words[1])
	if err != nil || n < lo || n > hi {
		return 0, confErrorf(s.file, s.line, "%s %q is not an integer in %d..%d", s.words[0], s.words[1], lo, hi)
	}
	return n, nil
}

// secondsArg reads a number of seconds, fractions allowed, to the
// microsecond as keepalived keeps them.
func secondsArg(s confStmt) (time.Duration, error) {
	if err := args(s, 1); err != nil {
		return 0, err
	}
	f, err := strconv.ParseFloat(s.words[1], 64)
	if err != nil || f < 0 || f > 1e6 || math.IsNaN(f) {
		return 0, confErrorf(s.file, s.line, "%s %q is not a number of seconds in 0..1000000", s.words[0], s.words[1])
	}
	return time.Duration(math.Round(f*1e6)) * time.Microsecond, nil
}

func addrArg(s confStmt, w string) (netip.Addr, error) {
	a, err := netip.ParseAddr(w)
	if err != nil || a.Zone() != "" {
		return a, confErrorf(s.file, s.line, "%s: %q is not an IP address", s.words[0], w)
	}
	return a.Unmap(), nil
}

// command reads a script's command line: the words after the keyword,
// each split at blanks (a quoted "prog arg" is two words, as keepalived
// splits it).
func command(s confStmt) ([]string, error) {
	if s.open || len(s.words) < 2 {
		return nil, confErrorf(s.file, s.line, "%s takes a command line", s.words[0])
	}
	var out []string
	for _, w := range s.words[1:] {
		out = append(out, strings.Fields(w)...)
	}
	if len(out) == 0 {
		return nil, confErrorf(s.file, s.line, "%s takes a command line", s.words[0])
	}
	return out, nil
}

func (c *KeepalivedConf) globalDefs(s confStmt) error {
	lines, err := list(s)
	if err != nil {
		return err
	}
	for _, l := range lines {
		switch l.words[0] {
		case "router_id":
			if err := args(l, 1); err != nil {
				return err
			}
			c.RouterID = l.words[1]
		default:
			return unsupported(l, "global_defs")
		}
	}
	return nil
}

func (c *KeepalivedConf) script(s confStmt) error {
	name, err := named(s)
	if err != nil {
		return err
	}
	sc := KeepalivedScript{KeepalivedPos: KeepalivedPos{s.file, s.line}, Name: name}
	for _, l := range s.block {
		var err error
		switch l.words[0] {
		case "script":
			sc.Script, err = command(l)
		case "interval":
			sc.Interval, err = secondsArg(l)
		case "timeout":
			sc.Timeout, err = secondsArg(l)
		case "weight":
			sc.Weight, err = intArg(l, -253, 253)
		case "rise":
			sc.Rise, err = intArg(l, 1, 1000000)
		case "fall":
			sc.Fall, err = intArg(l, 1, 1000000)
		default:
			err = unsupported(l, "vrrp_script")
		}
		if err != nil {
			return err
		}
	}
	if sc.Script == nil {
		return confErrorf(s.file, s.line, "vrrp_script %s has no script", name)
	}
	c.Scripts = append(c.Scripts, sc)
	return nil
}

func (c *KeepalivedConf) syncGroup(s confStmt) error {
	name, err := named(s)
	if err != nil {
		return err
	}
	g := KeepalivedSyncGroup{KeepalivedPos: KeepalivedPos{s.file, s.line}, Name: name}
	for _, l := range s.block {
		switch l.words[0] {
		case "group":
			lines, err := list(l)
			if err != nil {
				return err
			}
			for _, m := range lines {
				g.Group = append(g.Group, m.words...)
			}
		case "sync_group_tracking_weight":
			if err := args(l, 0); err != nil {
				return err
			}
			g.TrackingWeight = true
		default:
			return unsupported(l, "vrrp_sync_group")
		}
	}
	if len(g.Group) == 0 {
		return confErrorf(s.file, s.line, "vrrp_sync_group %s has no group", name)
	}
	c.SyncGroups = append(c.SyncGroups, g)
	return nil
}

func (c *KeepalivedConf) instance(s confStmt) error {
	name, err := named(s)
	if err != nil {
		return err
	}
	in := KeepalivedInstance{KeepalivedPos: KeepalivedPos{s.file, s.line}, Name: name}
	for _, l := range s.block {
		if err := in.keyword(l); err != nil {
			return err
		}
	}
	switch {
	case in.Interface == "":
		return confErrorf(s.file, s.line, "vrrp_instance %s has no interface", name)
	case in.VRID == 0:
		return confErrorf(s.file, s.line, "vrrp_instance %s has no virtual_router_id", name)
	case len(in.VIPs) == 0:
		return confErrorf(s.file, s.line, "vrrp_instance %s has no virtual_ipaddress", name)
	}
	c.Instances = append(c.Instances, in)
	return nil
}

func flag(l confStmt, v *bool) error {
	if err := args(l, 0); err != nil {
		return err
	}
	*v = true
	return nil
}

func (in *KeepalivedInstance) keyword(l confStmt) error {
	var err error
	var n int
	switch l.words[0] {
	case "state":
		if err = args(l, 1); err == nil {
			switch l.words[1] {
			case "MASTER":
				in.State = StateMaster
			case "BACKUP":
				in.State = StateBackup
			default:
				err = confErrorf(l.file, l.line, "state %q is neither MASTER nor BACKUP", l.words[1])
			}
		}
	case "interface":
		if err = args(l, 1); err == nil {
			in.Interface = l.words[1]
		}
	case "virtual_router_id":
		n, err = intArg(l, 1, 255)
		in.VRID = uint8(n)
	case "priority":
		n, err = intArg(l, 1, 255)
		in.Priority = uint8(n)
	case "version":
		n, err = intArg(l, 2, 3)
		in.Version = Version(n)
	case "advert_int":
		in.Interval, err = secondsArg(l)
	case "nopreempt":
		err = flag(l, &in.NoPreempt)
	case "preempt": // keepalived keeps it for backwards compatibility
		if err = args(l, 0); err == nil {
			in.NoPreempt = false
		}
	case "preempt_delay":
		in.PreemptDelay, err = secondsArg(l)
	case "no_accept":
		err = flag(l, &in.NoAccept)
	case "dont_track_primary":
		err = flag(l, &in.DontTrackPrimary)
	case "check_unicast_src":
		err = flag(l, &in.CheckUnicastSource)
	case "unicast_src_ip":
		if err = args(l, 1); err == nil {
			in.UnicastSource, err = addrArg(l, l.words[1])
		}
	case "unicast_peer":
		var lines []confStmt
		if lines, err = list(l); err == nil {
			for _, p := range lines {
				if len(p.words) != 1 {
					return confErrorf(p.file, p.line, "unicast_peer: %q: only an address per line is supported", strings.Join(p.words, " "))
				}
				a, err := addrArg(l, p.words[0])
				if err != nil {
					return err
				}
				in.UnicastPeers = append(in.UnicastPeers, a)
			}
		}
	case "virtual_ipaddress":
		var lines []confStmt
		if lines, err = list(l); err == nil {
			for _, v := range lines {
				vip, err := parseVIP(v)
				if err != nil {
					return err
				}
				in.VIPs = append(in.VIPs, vip)
			}
		}
	case "authentication":
		var lines []confStmt
		if lines, err = list(l); err == nil {
			for _, a := range lines {
				if err := args(a, 1); err != nil {
					return err
				}
				switch a.words[0] {
				case "auth_type":
					in.AuthType = a.words[1]
				case "auth_pass":
					in.AuthPass = a.words[1]
				default:
					return unsupported(a, "authentication")
				}
			}
		}
	case "notify":
		in.Notify, err = command(l)
	case "notify_master":
		in.NotifyMaster, err = command(l)
	case "notify_backup":
		in.NotifyBackup, err = command(l)
	case "notify_fault":
		in.NotifyFault, err = command(l)
	case "notify_stop":
		in.NotifyStop, err = command(l)
	case "garp_master_delay":
		n, err = intArg(l, 0, 255)
		in.GARPMasterDelay = time.Duration(n) * time.Second
		if n == 0 {
			in.GARPMasterDelay = -1 // no second burst
		}
	case "garp_master_refresh":
		n, err = intArg(l, 0, 1000000)
		in.GARPMasterRefresh = time.Duration(n) * time.Second
	case "track_interface", "track_script":
		var lines []confStmt
		if lines, err = list(l); err == nil {
			for _, t := range lines {
				tr, err := parseTrack(t)
				if err != nil {
					return err
				}
				if l.words[0] == "track_interface" {
					in.TrackInterfaces = append(in.TrackInterfaces, tr)
				} else {
					in.TrackScripts = append(in.TrackScripts, tr)
				}
			}
		}
	default:
		err = unsupported(l, "vrrp_instance")
	}
	return err
}

// parseVIP reads "ADDR[/LEN] [dev DEV] [label LABEL]".
func parseVIP(v confStmt) (KeepalivedVIP, error) {
	var vip KeepalivedVIP
	w := v.words
	if p, err := netip.ParsePrefix(w[0]); err == nil {
		vip.Prefix = p
	} else if a, err := netip.ParseAddr(w[0]); err == nil && a.Zone() == "" {
		vip.Prefix = netip.PrefixFrom(a, a.BitLen())
	} else {
		return vip, confErrorf(v.file, v.line, "virtual_ipaddress: %q is not an address", w[0])
	}
	for i := 1; i < len(w); i += 2 {
		if i+1 >= len(w) {
			return vip, confErrorf(v.file, v.line, "virtual_ipaddress: %q needs a value", w[i])
		}
		switch w[i] {
		case "dev":
			vip.Dev = w[i+1]
		case "label":
			vip.Label = w[i+1]
		default:
			return vip, confErrorf(v.file, v.line, "virtual_ipaddress: option %q is not supported", w[i])
		}
	}
	return vip, nil
}

// parseTrack reads "NAME [weight N]".
func parseTrack(t confStmt) (KeepalivedTrack, error) {
	tr := KeepalivedTrack{Name: t.words[0]}
	switch {
	case len(t.words) == 1:
	case len(t.words) == 3 && t.words[1] == "weight":
		n, err := strconv.Atoi(t.words[2])
		if err != nil || n < -253 || n > 253 {
			return tr, confErrorf(t.file, t.line, "weight %q is not an integer in -253..253", t.words[2])
		}
		tr.Weight, tr.HasWeight = n, true
	default:
		return tr, confErrorf(t.file, t.line, "%q: only NAME [weight N] is supported", strings.Join(t.words, " "))
	}
	return tr, nil
}

// check verifies the references between blocks.
func (c *KeepalivedConf) check() error {
	seen := map[string]bool{}
	for _, in := range c.Instances {
		if seen[in.Name] {
			return confErrorf(in.File, in.Line, "vrrp_instance %s is defined twice", in.Name)
		}
		seen[in.Name] = true
		for _, t := range in.TrackScripts {
			if !slices.ContainsFunc(c.Scripts, func(s KeepalivedScript) bool { return s.Name == t.Name }) {
				return confErrorf(in.File, in.Line, "vrrp_instance %s tracks vrrp_script %s, which is not defined", in.Name, t.Name)
			}
		}
	}
	member := map[string]string{}
	for _, g := range c.SyncGroups {
		for _, m := range g.Group {
			if !seen[m] {
				return confErrorf(g.File, g.Line, "vrrp_sync_group %s lists vrrp_instance %s, which is not defined", g.Name, m)
			}
			if o, ok := member[m]; ok {
				return confErrorf(g.File, g.Line, "vrrp_instance %s is in vrrp_sync_group %s and %s", m, o, g.Name)
			}
			member[m] = g.Name
		}
	}
	return nil
}

// String writes back what a KeepalivedConf holds, in keepalived.conf
// syntax; ParseKeepalivedConf reads it back to an equal value.
func (c *KeepalivedConf) String() string {
	var b strings.Builder
	// Words come from the lexer, which keeps everything between two
	// double quotes: quoting them back needs no escapes.
	q := func(w string) string { return `"` + w + `"` }
	if c.RouterID != "" {
		fmt.Fprintf(&b, "global_defs {\n  router_id %s\n}\n", q(c.RouterID))
	}
	secs := func(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) }
	cmd := func(kw string, argv []string) {
		if argv != nil {
			fmt.Fprintf(&b, "  %s %s\n", kw, q(strings.Join(argv, " ")))
		}
	}
	for _, s := range c.Scripts {
		fmt.Fprintf(&b, "vrrp_script %s {\n", q(s.Name))
		cmd("script", s.Script)
		for _, kv := range []struct {
			k string
			v time.Duration
		}{{"interval", s.Interval}, {"timeout", s.Timeout}} {
			if kv.v != 0 {
				fmt.Fprintf(&b, "  %s %s\n", kv.k, secs(kv.v))
			}
		}
		for _, kv := range []struct {
			k string
			v int
		}{{"weight", s.Weight}, {"rise", s.Rise}, {"fall", s.Fall}} {
			if kv.v != 0 {
				fmt.Fprintf(&b, "  %s %d\n", kv.k, kv.v)
			}
		}
		b.WriteString("}\n")
	}
	for _, g := range c.SyncGroups {
		fmt.Fprintf(&b, "vrrp_sync_group %s {\n  group {\n", q(g.Name))
		for _, m := range g.Group {
			fmt.Fprintf(&b, "    %s\n", q(m))
		}
		b.WriteString("  }\n")
		if g.TrackingWeight {
			b.WriteString("  sync_group_tracking_weight\n")
		}
		b.WriteString("}\n")
	}
	for _, in := range c.Instances {
		fmt.Fprintf(&b, "vrrp_instance %s {\n", q(in.Name))
		switch in.State {
		case StateMaster:
			b.WriteString("  state MASTER\n")
		case StateBackup:
			b.WriteString("  state BACKUP\n")
		}
		fmt.Fprintf(&b, "  interface %s\n  virtual_router_id %d\n", q(in.Interface), in.VRID)
		if in.Priority != 0 {
			fmt.Fprintf(&b, "  priority %d\n", in.Priority)
		}
		if in.Version != 0 {
			fmt.Fprintf(&b, "  version %d\n", in.Version)
		}
		for _, kv := range []struct {
			k string
			v time.Duration
		}{{"advert_int", in.Interval}, {"preempt_delay", in.PreemptDelay}} {
			if kv.v != 0 {
				fmt.Fprintf(&b, "  %s %s\n", kv.k, secs(kv.v))
			}
		}
		for _, kv := range []struct {
			k string
			v bool
		}{{"nopreempt", in.NoPreempt}, {"no_accept", in.NoAccept}, {"dont_track_primary", in.DontTrackPrimary}, {"check_unicast_src", in.CheckUnicastSource}} {
			if kv.v {
				fmt.Fprintf(&b, "  %s\n", kv.k)
			}
		}
		if in.UnicastSource.IsValid() {
			fmt.Fprintf(&b, "  unicast_src_ip %s\n", in.UnicastSource)
		}
		if in.UnicastPeers != nil {
			b.WriteString("  unicast_peer {\n")
			for _, p := range in.UnicastPeers {
				fmt.Fprintf(&b, "    %s\n", p)
			}
			b.WriteString("  }\n")
		}
		b.WriteString("  virtual_ipaddress {\n")
		for _, v := range in.VIPs {
			fmt.Fprintf(&b, "    %s", v.Prefix)
			if v.Dev != "" {
				fmt.Fprintf(&b, " dev %s", q(v.Dev))
			}
			if v.Label != "" {
				fmt.Fprintf(&b, " label %s", q(v.Label))
			}
			b.WriteString("\n")
		}
		b.WriteString("  }\n")
		if in.AuthType != "" || in.AuthPass != "" {
			b.WriteString("  authentication {\n")
			if in.AuthType != "" {
				fmt.Fprintf(&b, "    auth_type %s\n", q(in.AuthType))
			}
			if in.AuthPass != "" {
				fmt.Fprintf(&b, "    auth_pass %s\n", q(in.AuthPass))
			}
			b.WriteString("  }\n")
		}
		cmd("notify", in.Notify)
		cmd("notify_master", in.NotifyMaster)
		cmd("notify_backup", in.NotifyBackup)
		cmd("notify_fault", in.NotifyFault)
		cmd("notify_stop", in.NotifyStop)
		if in.GARPMasterDelay != 0 {
			fmt.Fprintf(&b, "  garp_master_delay %d\n", max(0, in.GARPMasterDelay/time.Second))
		}
		if in.GARPMasterRefresh != 0 {
			fmt.Fprintf(&b, "  garp_master_refresh %d\n", in.GARPMasterRefresh/time.Second)
		}
		for _, tl := range []struct {
			k string
			v []KeepalivedTrack
		}{{"track_interface", in.TrackInterfaces}, {"track_script", in.TrackScripts}} {
			if tl.v == nil {
				continue
			}
			fmt.Fprintf(&b, "  %s {\n", tl.k)
			for _, t := range tl.v {
				fmt.Fprintf(&b, "    %s", q(t.Name))
				if t.HasWeight {
					fmt.Fprintf(&b, " weight %d", t.Weight)
				}
				b.WriteString("\n")
			}
			b.WriteString("  }\n")
		}
		b.WriteString("}\n")
	}
	return b.String()
}
