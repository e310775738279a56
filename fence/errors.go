package fence

import (
	"errors"
	"fmt"
)

var (
	// ErrUnknownAgent is returned by LookAgent and Runner.Run when the agent
	// program is not installed.
	ErrUnknownAgent = errors.New("fence: unknown agent")
	// ErrInvalidOption is returned when an option fails validation against
	// the agent's metadata (unknown name, missing required, bad value) or
	// cannot be written to the agent's stdin.
	ErrInvalidOption = errors.New("fence: invalid option")
	// ErrFailed is returned when the agent answered that the action failed:
	// it ran to the end and exited with an error status.
	ErrFailed = errors.New("fence: action failed")
	// ErrTimeout is returned, together with ErrUnknownOutcome, when the
	// agent was killed at its deadline.
	ErrTimeout = errors.New("fence: agent timed out")
	// ErrUnknownOutcome is returned when a power action may or may not have
	// happened: the agent was killed (deadline, cancel, signal) or answered
	// nothing the protocol defines. A node whose fencing ended with this
	// error must be treated as not fenced.
	ErrUnknownOutcome = errors.New("fence: outcome unknown")
	// ErrNoDevice is returned by Fencer.Fence when no device can fence the
	// target.
	ErrNoDevice = errors.New("fence: no device can fence the target")
)

// AgentError is the detail of a failed agent run. Output is the agent's
// stdout and stderr with every secret option value replaced by "XXXX".
type AgentError struct {
	Agent    string
	Action   Action
	ExitCode int    // -1 when the agent was killed or did not start
	Output   string // redacted, trimmed
	Err      error  // ErrFailed, ErrTimeout, ErrUnknownOutcome, ...
}

func (e *AgentError) Error() string {
	s := fmt.Sprintf("fence: %s %s", e.Agent, e.Action)
	if e.ExitCode >= 0 {
		s += fmt.Sprintf(": exit %d", e.ExitCode)
	}
	s += ": " + e.Err.Error()
	if e.Output != "" {
		s += ": " + e.Output
	}
	return s
}

func (e *AgentError) Unwrap() error { return e.Err }

// unknownTimeout carries both ErrTimeout and ErrUnknownOutcome.
type unknownTimeout struct{}

func (unknownTimeout) Error() string { return "agent timed out, outcome unknown" }
func (unknownTimeout) Is(target error) bool {
	return target == ErrTimeout || target == ErrUnknownOutcome
}
