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

// Status is a Monitor's position on HAProxy's health scale.
//
// HAProxy keeps one counter per server, health, from 0 to Rise+Fall-1. A
// server is UP while health >= Rise. A passed check adds one, and on reaching
// Rise the counter jumps to Rise+Fall-1 (fully up); a failed check takes one
// away, and on dropping below Rise it falls to 0 (fully down). Between the
// extremes the server is in transition, which HAProxy's stats show as
// "UP 2/3" (going down: 2 more failures of 3 to go... see String) or
// "DOWN 1/2" (going up: 1 success of 2 seen).
type Status struct {
	State  State
	Health int // HAProxy's health counter, 0..Rise+Fall-1
	Rise   int
	Fall   int
}

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
// passed checks have been seen.
func (s Status) String() string {
	if !s.Transitional() {
		return s.State.String()
	}
	if s.State == StateUp {
		return fmt.Sprintf("UP %d/%d", s.Health-s.Rise+1, s.Fall)
	}
	return fmt.Sprintf("DOWN %d/%d", s.Health, s.Rise)
}

// health is HAProxy's counter with its two moves, kept pure so that the
// Monitor's tables can drive it without a clock.
type health struct {
	value, rise, fall int
}

func (h health) status() Status {
	st := StateDown
	if h.value >= h.rise {
		st = StateUp
	}
	return Status{State: st, Health: h.value, Rise: h.rise, Fall: h.fall}
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
