// Package fence runs fence agents (Debian's fence-agents: fence_ipmilan,
// fence_dummy, fence_virsh, ...) with their stdin protocol.
//
// # Failure model
//
// A power action whose agent was killed or timed out has an unknown
// outcome (ErrUnknownOutcome): the node must be treated as not fenced.
package fence
