package fence

import (
	"testing"
	"time"
)

// A Runner without Timeout adds up the agent's own timeouts, with
// fence-agents' defaults (login 5, shell 3, power 20, power_wait 2 s) for
// those not given, and 10 s for the interpreter.
func TestAgentTimeout(t *testing.T) {
	cases := []struct {
		action Action
		opts   Options
		want   time.Duration
	}{
		{ActionStatus, nil, (5 + 3 + 20 + 2 + 10) * time.Second},
		{ActionReboot, nil, (5 + 3 + 2*(20+2) + 10) * time.Second},
		{ActionOff, Options{"power_timeout": "60", "login_timeout": "1.5", "shell_timeout": "0", "power_wait": "4", "delay": "7"}, 7*time.Second + 1500*time.Millisecond + 64*time.Second + 10*time.Second},
		{ActionOff, Options{"power_timeout": "bogus", "login_timeout": "-3"}, (5 + 3 + 20 + 2 + 10) * time.Second},
	}
	for _, c := range cases {
		if got := agentTimeout(c.action, c.opts); got != c.want {
			t.Errorf("%s %v: %v, want %v", c.action, c.opts, got, c.want)
		}
	}
}
