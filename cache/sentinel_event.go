package cache

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Sentinel's event channels that SentinelWatcher has callbacks for (Redis
// Sentinel documentation, "Pub/Sub messages").
const (
	EventSDown        = "+sdown"         // an instance is subjectively down (this Sentinel)
	EventSDownEnd     = "-sdown"         // no longer subjectively down
	EventODown        = "+odown"         // a master is objectively down (quorum agreed)
	EventODownEnd     = "-odown"         // no longer objectively down
	EventSwitchMaster = "+switch-master" // the master changed address: a failover happened
	EventFailoverEnd  = "+failover-end"  // a failover finished; every replica reconfigured
)

// SentinelInstance is an instance as Sentinel names it in its events.
type SentinelInstance struct {
	Type string // "master", "slave" or "sentinel"
	Name string // the master's name; "ip:port" for a replica; the run id or ip:port for a sentinel
	IP   string
	Port int
}

// Addr returns the instance's "ip:port", bracketing an IPv6 address.
func (i SentinelInstance) Addr() string { return net.JoinHostPort(i.IP, strconv.Itoa(i.Port)) }

// SentinelEvent is one message of Sentinel's pub/sub events. Sentinel
// writes most of them in its instance format ("%@" in sentinel.c's
// sentinelEvent):
//
//	<instance-type> <name> <ip> <port> [@ <master-name> <master-ip> <master-port>] [<rest>]
//
// where the "@" part names the master of an instance that is not one, and
// +switch-master in its own:
//
//	<master-name> <old-ip> <old-port> <new-ip> <new-port>
type SentinelEvent struct {
	// Channel is the event's type, the channel it was published on
	// ("+sdown", "+switch-master", ...).
	Channel string
	// Instance is the instance the event is about, for events in the
	// instance format; its Type is empty otherwise.
	Instance SentinelInstance
	// Master is Instance's master when Instance is not a master; its Type
	// is empty otherwise.
	Master SentinelInstance
	// OldMaster is the master at its address before a +switch-master,
	// whose Instance is the master at its new address.
	OldMaster SentinelInstance
	// Rest is the text after the instance part ("#quorum 2/2" on +odown),
	// or the whole message of an event in neither format ("+new-epoch 5").
	Rest string
}

// MasterName returns the name of the master the event concerns, or "" if
// it names none.
func (e SentinelEvent) MasterName() string {
	switch {
	case e.Master.Type != "":
		return e.Master.Name
	case e.Instance.Type == "master":
		return e.Instance.Name
	}
	return ""
}

// SentinelParseError reports a message on a channel whose format is known
// that does not follow it.
type SentinelParseError struct {
	Channel, Payload, Reason string
}

func (e *SentinelParseError) Error() string {
	return fmt.Sprintf("cache: sentinel event %s %q: %s", e.Channel, e.Payload, e.Reason)
}

// strictChannels are the channels ParseSentinelEvent requires to be in the
// instance format (sentinel.c publishes them with "%@").
var strictChannels = map[string]bool{
	EventSDown: true, EventSDownEnd: true, EventODown: true, EventODownEnd: true, EventFailoverEnd: true,
	"+try-failover": true, "+elected-leader": true, "+failover-state-select-slave": true,
	"+selected-slave": true, "+failover-state-send-slaveof-noone": true, "+failover-state-wait-promotion": true,
	"+promoted-slave": true, "+failover-state-reconf-slaves": true, "+slave-reconf-sent": true,
	"+slave-reconf-inprog": true, "+slave-reconf-done": true, "+failover-end-for-timeout": true,
	"-failover-abort-no-good-slave": true, "+convert-to-slave": true, "+reset-master": true,
	"+slave": true, "+sentinel": true, "+monitor": true, "+failover-detected": true,
}

// ParseSentinelEvent parses a message Sentinel published on channel.
// Messages of +switch-master and of the channels Sentinel writes in its
// instance format must follow that format (else a *SentinelParseError);
// on other channels a message that is not in the instance format is kept
// whole in Rest.
func ParseSentinelEvent(channel, payload string) (SentinelEvent, error) {
	ev := SentinelEvent{Channel: channel}
	fail := func(reason string) (SentinelEvent, error) {
		return SentinelEvent{}, &SentinelParseError{Channel: channel, Payload: payload, Reason: reason}
	}
	if channel == EventSwitchMaster {
		f := strings.Split(payload, " ")
		if len(f) != 5 {
			return fail("want <master-name> <old-ip> <old-port> <new-ip> <new-port>")
		}
		oldPort, ok1 := parsePort(f[2])
		newPort, ok2 := parsePort(f[4])
		if f[0] == "" || f[1] == "" || f[3] == "" || !ok1 || !ok2 {
			return fail("want <master-name> <old-ip> <old-port> <new-ip> <new-port>")
		}
		ev.OldMaster = SentinelInstance{Type: "master", Name: f[0], IP: f[1], Port: oldPort}
		ev.Instance = SentinelInstance{Type: "master", Name: f[0], IP: f[3], Port: newPort}
		return ev, nil
	}
	inst, rest, ok := cutInstance(payload)
	if !ok {
		if strictChannels[channel] {
			return fail("want <instance-type> <name> <ip> <port> [@ <master-name> <master-ip> <master-port>]")
		}
		ev.Rest = payload
		return ev, nil
	}
	ev.Instance = inst
	if r, found := strings.CutPrefix(rest, " @ "); found {
		f := strings.SplitN(r, " ", 4)
		if len(f) < 3 {
			return fail("want @ <master-name> <master-ip> <master-port>")
		}
		port, ok := parsePort(f[2])
		if f[0] == "" || f[1] == "" || !ok {
			return fail("want @ <master-name> <master-ip> <master-port>")
		}
		ev.Master = SentinelInstance{Type: "master", Name: f[0], IP: f[1], Port: port}
		rest = ""
		if len(f) == 4 {
			rest = " " + f[3]
		}
	}
	if inst.Type == "master" && ev.Master.Type != "" {
		return fail("a master has no @ part")
	}
	if inst.Type != "master" && ev.Master.Type == "" && strictChannels[channel] {
		return fail("a " + inst.Type + " needs its @ <master-name> <master-ip> <master-port>")
	}
	if rest != "" {
		r, found := strings.CutPrefix(rest, " ")
		if !found {
			return fail("no space after the instance")
		}
		ev.Rest = r
	}
	return ev, nil
}

// cutInstance reads "<type> <name> <ip> <port>" from the start of s and
// returns the instance and what follows.
func cutInstance(s string) (SentinelInstance, string, bool) {
	f := strings.SplitN(s, " ", 5)
	if len(f) < 4 {
		return SentinelInstance{}, "", false
	}
	switch f[0] {
	case "master", "slave", "sentinel":
	default:
		return SentinelInstance{}, "", false
	}
	port, ok := parsePort(f[3])
	if f[1] == "" || f[2] == "" || !ok {
		return SentinelInstance{}, "", false
	}
	rest := ""
	if len(f) == 5 {
		rest = " " + f[4]
	}
	return SentinelInstance{Type: f[0], Name: f[1], IP: f[2], Port: port}, rest, true
}

// parsePort parses a decimal port as Sentinel prints it (%d).
func parsePort(s string) (int, bool) {
	if s == "" || len(s) > 5 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 65535 || s[0] == '+' || s[0] == '-' {
		return 0, false
	}
	return n, true
}

// Payload returns the message Sentinel would have published for e: the
// inverse of ParseSentinelEvent.
func (e SentinelEvent) Payload() string {
	if e.Channel == EventSwitchMaster {
		return fmt.Sprintf("%s %s %d %s %d", e.Instance.Name, e.OldMaster.IP, e.OldMaster.Port, e.Instance.IP, e.Instance.Port)
	}
	if e.Instance.Type == "" {
		return e.Rest
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s %d", e.Instance.Type, e.Instance.Name, e.Instance.IP, e.Instance.Port)
	if e.Master.Type != "" {
		fmt.Fprintf(&b, " @ %s %s %d", e.Master.Name, e.Master.IP, e.Master.Port)
	}
	if e.Rest != "" {
		b.WriteString(" ")
		b.WriteString(e.Rest)
	}
	return b.String()
}
