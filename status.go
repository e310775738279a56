package hakit

import "fmt"

// State is whether a monitored thing is in service.
type State int

// The two states of a Monitor. Transitions between them follow HAProxy's
// rise/fall hysteresis; Status says how far along a transition is.
const (
	StateDown State = iota
	StateUp
)

// String returns "UP" or "DOWN", as HAProxy's stats page writes them.
func (s State) String() string {
	switch s {
	case StateUp:
		return "UP"
	case StateDown:
		return "DOWN"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// AdminState is an administrative state set by an operator, as HAProxy's
// "set server <backend>/<server> state ready|drain|maint" (management guide,
// section 9.3) sets it.
type AdminState int

const (
	// AdminReady is normal operation. The zero value.
	AdminReady AdminState = iota
	// AdminDrain keeps checking and keeps the checked State, but asks
	// load balancers to send no new work: HAProxy's "drain", shown as
	// "DRAIN" (or "DRAIN 2/3" while going down) when UP.
	AdminDrain
	// AdminMaint stops the checks and reports the target DOWN: HAProxy's
	// "maint", shown as "MAINT".
	AdminMaint
)

// String returns HAProxy's keyword: "ready", "drain" or "maint".
func (a AdminState) String() string {
	switch a {
	case AdminReady:
		return "ready"
	case AdminDrain:
		return "drain"
	case AdminMaint:
		return "maint"
	}
	return fmt.Sprintf("AdminState(%d)", int(a))
}

// Status is a Monitor's position on HAProxy's health scale.
//
// HAProxy keeps one counter per server, health, from 0 to Rise+Fall-1. A
// server is UP while health >= Rise. A passed check adds one, and on reaching
// Rise the counter jumps to Rise+Fall-1 (fully up); a failed check takes one
// away, and on dropping below Rise it falls to 0 (fully down). Between the
// extremes the server is in transition, which HAProxy's stats show as
// "UP 2/3" (going down: 2 more failures of 3 to go... see String) or
// "DOWN 1/2" (going up: 1 success of 2 seen).
//
// Admin is the administrative state. In AdminMaint the health counter is 0
// and State is StateDown, as HAProxy zeroes a server's health when it
// enters maintenance.
type Status struct {
	State  State
	Health int // HAProxy's health counter, 0..Rise+Fall-1
	Rise   int
	Fall   int
	Admin  AdminState
}

// Draining reports whether the status is UP in AdminDrain: in service for
// work already under way, but not for new work.
func (s Status) Draining() bool { return s.State == StateUp && s.Admin == AdminDrain }

// Transitional reports whether the status is between fully up and fully
// down, where HAProxy checks at fastinter.
func (s Status) Transitional() bool {
	if s.State == StateUp {
		return s.Health < s.Rise+s.Fall-1
	}
	return s.Health > 0
}

// String formats the status as HAProxy's stats page does: "UP", "DOWN",
// "UP n/Fall" while going down, where n is how many more failed checks it
// takes to go down, and "DOWN n/Rise" while going up, where n is how many
// passed checks have been seen. In maintenance it is "MAINT"; draining, UP
// reads "DRAIN" ("DRAIN n/Fall" while going down), as HAProxy 2.6 shows
// them.
func (s Status) String() string {
	up := "UP"
	switch {
	case s.Admin == AdminMaint:
		return "MAINT"
	case s.Admin == AdminDrain:
		up = "DRAIN"
	}
	if !s.Transitional() {
		if s.State == StateUp {
			return up
		}
		return s.State.String()
	}
	if s.State == StateUp {
		return fmt.Sprintf("%s %d/%d", up, s.Health-s.Rise+1, s.Fall)
	}
	return fmt.Sprintf("DOWN %d/%d", s.Health, s.Rise)
}

// health is HAProxy's counter with its two moves, kept pure so that the
// Monitor's tables can drive it without a clock.
type health struct {
	value, rise, fall int
	admin             AdminState
}

func (h health) status() Status {
	st := StateDown
	if h.value >= h.rise {
		st = StateUp
	}
	return Status{State: st, Health: h.value, Rise: h.rise, Fall: h.fall, Admin: h.admin}
}

// setAdmin applies HAProxy's srv_update_status to an admin change: entering
// maintenance zeroes health, leaving it sets health to rise.
func (h *health) setAdmin(a AdminState) {
	switch {
	case a == AdminMaint && h.admin != AdminMaint:
		h.value = 0
	case a != AdminMaint && h.admin == AdminMaint:
		h.value = h.rise
	}
	h.admin = a
}

func (h health) full() int { return h.rise + h.fall - 1 }

// pass applies a passed check: HAProxy's set_server_check_status for
// CHK_RES_PASSED.
func (h *health) pass() {
	if h.value < h.full() {
		h.value++
		if h.value >= h.rise {
			h.value = h.full()
		}
	}
}

// fail applies a failed check: HAProxy's set_server_check_status for
// CHK_RES_FAILED.
func (h *health) fail() {
	if h.value > 0 {
		h.value--
		if h.value < h.rise {
			h.value = 0
		}
	}
}
