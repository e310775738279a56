package fence

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"
)

// HostCheck is pcmk_host_check: how a device tells which nodes it can
// fence.
type HostCheck string

const (
	// HostCheckAuto, the zero value, is Pacemaker's pcmk_host_check
	// default, as its fencing resource options document it
	// (pacemaker-fenced(7), pcmk_host_check): "static-list" if
	// pcmk_host_map or pcmk_host_list is set; otherwise "dynamic-list"
	// if the device supports the list operation; otherwise "status" if
	// it supports the status operation; otherwise "none". Support is read
	// from the actions of the agent's metadata (an Agent with a Metadata
	// method, such as Runner); an Agent without one is taken to support
	// status, which every fence agent answers. fence_ipmilan's metadata
	// does not list list, and its status ignores the plug, so without a
	// HostList or HostMap its device claims every node: give such a
	// single-node device a HostList.
	HostCheckAuto    HostCheck = ""
	HostCheckStatic  HostCheck = "static-list"  // the nodes of HostList and HostMap
	HostCheckDynamic HostCheck = "dynamic-list" // the plugs the agent's list action answers, cached
	// HostCheckStatus asks the agent's status for the node's plug: the
	// device can fence the node when it answers on or off.
	HostCheckStatus HostCheck = "status"
	HostCheckNone   HostCheck = "none" // every node
)

// metadataAgent is an Agent that can say which actions it supports.
type metadataAgent interface {
	Metadata(ctx context.Context) (Metadata, error)
}

// DefaultRetries is Pacemaker's pcmk_off_retries and pcmk_reboot_retries
// default.
const DefaultRetries = 2

// DefaultListCache is how long a dynamic-list answer is kept (Pacemaker
// refreshes the list once a minute).
const DefaultListCache = time.Minute

// Device is a fence device as Pacemaker configures a stonith resource:
// an agent, its options, and which nodes it can fence. A device runs one
// action at a time (pcmk_action_limit 1, Pacemaker's default); a run
// waiting for it counts against its Timeout.
type Device struct {
	Name    string
	Agent   Agent
	Options Options
	// HostList is pcmk_host_list: the nodes this device can fence.
	HostList []string
	// HostMap is pcmk_host_map, "node1:port1;node2:port2": the plug to
	// pass for each node (see ParseHostMap). A node not in it is passed
	// by name.
	HostMap   string
	HostCheck HostCheck
	// HostArgument is pcmk_host_argument, the option that carries the
	// node's plug; zero means "plug" (fence-agents 4.x's name; "port" is
	// its deprecated alias), "none" passes no plug. Set "none" for an
	// agent that fences one machine and has no plug option, such as
	// fence_dummy: a Runner with Validate rejects options its agent lacks.
	HostArgument string
	// DelayBase and DelayMax are pcmk_delay_base and pcmk_delay_max: an
	// off or reboot that starts with this device waits DelayBase plus a
	// random part so that the total stays within DelayMax (just
	// DelayBase when DelayMax is not above it); devices run later in the
	// same fencing (next level, rest of a level) do not wait again. Give one node's device a base delay in a
	// two-node cluster so that the two never shoot each other.
	DelayBase, DelayMax time.Duration
	// Timeout bounds one action through this device, its retries
	// included (pcmk_off_timeout), and each dynamic-list query; zero
	// means the fencer's StonithTimeout.
	Timeout time.Duration
	// Retries is how many more times a failed action is tried within the
	// timeout; zero means DefaultRetries, negative means none.
	Retries int
}

// ParseHostMap parses pcmk_host_map: entries "node:port" (or
// "node=port") separated by ';' or blanks; a port may itself hold commas
// ("node2:2,3"). The error names the entry.
func ParseHostMap(s string) (map[string]string, error) {
	m := map[string]string{}
	for _, e := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ' ' || r == '\t' || r == '\n' }) {
		i := strings.IndexAny(e, ":=")
		if i <= 0 || i == len(e)-1 {
			return nil, fmt.Errorf("%w: pcmk_host_map entry %q is not node:port", ErrInvalidOption, e)
		}
		node, port := e[:i], e[i+1:]
		if _, dup := m[node]; dup {
			return nil, fmt.Errorf("%w: pcmk_host_map maps %q twice", ErrInvalidOption, node)
		}
		m[node] = port
	}
	return m, nil
}

// device is a checked Device with its state.
type device struct {
	Device
	hostMap map[string]string
	retries int
	// busy holds one token: a device runs one action at a time, as
	// Pacemaker's pcmk_action_limit defaults to 1.
	busy chan struct{}

	mu       sync.Mutex
	listed   []Plug
	listedAt time.Time
	auto     HostCheck // the default host check, once the metadata told it
}

func newDevice(d Device) (*device, error) {
	if d.Name == "" {
		return nil, fmt.Errorf("fence: a Device has no Name")
	}
	if d.Agent == nil {
		return nil, fmt.Errorf("fence: Device %q has no Agent", d.Name)
	}
	hm, err := ParseHostMap(d.HostMap)
	if err != nil {
		return nil, fmt.Errorf("fence: Device %q HostMap: %w", d.Name, err)
	}
	switch d.HostCheck {
	case HostCheckAuto, HostCheckStatic, HostCheckDynamic, HostCheckStatus, HostCheckNone:
	default:
		return nil, fmt.Errorf("fence: Device %q HostCheck %q is not static-list, dynamic-list, status or none", d.Name, d.HostCheck)
	}
	if d.HostCheck == HostCheckStatic && len(d.HostList) == 0 && len(hm) == 0 {
		return nil, fmt.Errorf("fence: Device %q HostCheck static-list needs HostList or HostMap", d.Name)
	}
	if d.DelayBase < 0 || d.DelayMax < 0 || d.Timeout < 0 {
		return nil, fmt.Errorf("fence: Device %q has a negative DelayBase, DelayMax or Timeout", d.Name)
	}
	if d.HostArgument == "" {
		d.HostArgument = "plug"
	}
	r := d.Retries
	switch {
	case r == 0:
		r = DefaultRetries
	case r < 0:
		r = 0
	}
	d.Options = d.Options.Clone()
	return &device{Device: d, hostMap: hm, retries: r, busy: make(chan struct{}, 1)}, nil
}

// errBusy is a run that never started because its device stayed busy.
var errBusy = fmt.Errorf("%w: not started", ErrFailed)

// run runs a on the device once it is free; waiting counts against ctx.
func (d *device) run(ctx context.Context, a Action, opts Options) (Result, error) {
	select {
	case d.busy <- struct{}{}:
	case <-ctx.Done():
		// Nothing was sent: the wait itself failed.
		return Result{Action: a, ExitCode: -1}, fmt.Errorf("%w: device %s busy until %v", errBusy, d.Name, context.Cause(ctx))
	}
	defer func() { <-d.busy }()
	return d.Agent.Run(ctx, a, opts)
}

// port is the plug passed for node.
func (d *device) port(node string) string {
	if p, ok := d.hostMap[node]; ok {
		return p
	}
	return node
}

// check is the device's host check; for the default it reads the
// agent's metadata once (bounded by timeout; d.mu held).
func (d *device) check(ctx context.Context, timeout time.Duration) (HostCheck, error) {
	switch {
	case d.HostCheck != HostCheckAuto:
		return d.HostCheck, nil
	case len(d.HostList) > 0 || len(d.hostMap) > 0:
		return HostCheckStatic, nil
	case d.auto != HostCheckAuto:
		return d.auto, nil
	}
	ma, ok := d.Agent.(metadataAgent)
	if !ok {
		d.auto = HostCheckStatus
		return d.auto, nil
	}
	mctx, cancel := context.WithTimeout(ctx, timeout)
	m, err := ma.Metadata(mctx)
	cancel()
	if err != nil {
		return HostCheckAuto, fmt.Errorf("fence: device %s metadata for its host check: %w", d.Name, err)
	}
	switch {
	case m.HasAction(ActionList):
		d.auto = HostCheckDynamic
	case m.HasAction(ActionStatus):
		d.auto = HostCheckStatus
	default:
		d.auto = HostCheckNone
	}
	return d.auto, nil
}

// timeout is the device's Timeout, or def (the fencer's StonithTimeout).
func (d *device) timeout(def time.Duration) time.Duration {
	if d.Timeout > 0 {
		return d.Timeout
	}
	return def
}

// canFence reports whether d can fence node; a list run is bounded by
// timeout.
func (d *device) canFence(ctx context.Context, node string, timeout time.Duration) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	check, err := d.check(ctx, timeout)
	if err != nil {
		return false, err
	}
	switch check {
	case HostCheckNone:
		return true, nil
	case HostCheckStatic:
		_, mapped := d.hostMap[node]
		return mapped || slices.Contains(d.HostList, node), nil
	case HostCheckStatus:
		return d.answersStatus(ctx, node, timeout)
	}
	if d.listed == nil || time.Since(d.listedAt) > DefaultListCache {
		lctx, cancel := context.WithTimeout(ctx, timeout)
		res, err := d.run(lctx, ActionList, d.Options)
		cancel()
		if err != nil {
			return false, fmt.Errorf("fence: device %s list: %w", d.Name, err)
		}
		d.listed, d.listedAt = append([]Plug{}, res.Plugs...), time.Now()
	}
	port := d.port(node)
	return slices.ContainsFunc(d.listed, func(p Plug) bool { return p.ID == port || p.Alias == node }), nil
}

// answersStatus reports whether the agent's status for node's plug
// answers on or off; an agent that says no (ErrFailed) cannot fence it.
// d.mu is held.
func (d *device) answersStatus(ctx context.Context, node string, timeout time.Duration) (bool, error) {
	sctx, cancel := context.WithTimeout(ctx, timeout)
	res, err := d.run(sctx, ActionStatus, d.options(node))
	cancel()
	switch {
	case err == nil:
		return res.Power == PowerOn || res.Power == PowerOff, nil
	case errors.Is(err, ErrFailed) && !errors.Is(err, errBusy):
		return false, nil
	}
	return false, fmt.Errorf("fence: device %s status of %s: %w", d.Name, node, err)
}

// delay is pcmk_delay_base plus a random part up to pcmk_delay_max.
func (d *device) delay() time.Duration {
	if d.DelayMax <= d.DelayBase {
		return d.DelayBase
	}
	return d.DelayBase + rand.N(d.DelayMax-d.DelayBase+1)
}

// options are the agent options for an action on node.
func (d *device) options(node string) Options {
	o := d.Options.Clone()
	if o == nil {
		o = Options{}
	}
	if d.HostArgument != "none" {
		o[d.HostArgument] = d.port(node)
	}
	return o
}
