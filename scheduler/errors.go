package scheduler

import (
	"errors"
	"fmt"
)

// ErrNoValidHost is returned by Schedule when some instance of the request
// finds no host left after filtering, where nova raises NoValidHost ("There
// are not enough hosts available").
var ErrNoValidHost = errors.New("scheduler: no valid host was found: there are not enough hosts available")

// ErrUnknownFilter is wrapped by New when Config.Filters names a filter that
// is neither built in nor in Config.CustomFilters (nova's
// SchedulerHostFilterNotFound).
var ErrUnknownFilter = errors.New("scheduler: unknown filter")

// ErrUnknownWeigher is wrapped by New when Config.Weighers names a weigher
// that is neither built in nor in Config.CustomWeighers (nova's
// ClassNotFound).
var ErrUnknownWeigher = errors.New("scheduler: unknown weigher")

// ErrInvalid is wrapped by every *FieldError: a Config, HostState or
// RequestSpec field holds a value nova would refuse.
var ErrInvalid = errors.New("scheduler: invalid value")

// FieldError names the field of a Config, HostState or RequestSpec that
// holds an invalid value. It wraps ErrInvalid and the cause.
type FieldError struct {
	Field string // e.g. "Config.HostSubsetSize", "hosts[3].HostIP", "RequestSpec.Image.Properties[hw_architecture]"
	Err   error  // the cause
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("scheduler: invalid %s: %v", e.Field, e.Err)
}

// Unwrap returns ErrInvalid and the cause.
func (e *FieldError) Unwrap() []error { return []error{ErrInvalid, e.Err} }

func fieldErr(field string, format string, args ...any) error {
	return &FieldError{Field: field, Err: fmt.Errorf(format, args...)}
}

// HostError reports that a filter or weigher could not evaluate a host,
// where nova's filter or weigher raises an exception and the whole request
// fails (a numeric extra spec against a non-numeric capability, a malformed
// JsonFilter query, a required metric missing on a host). Schedule returns
// it instead of a decision.
type HostError struct {
	Stage string // "filter" or "weigher"
	Name  string // the filter or weigher, e.g. "ComputeCapabilitiesFilter"
	Host  string
	Node  string
	Err   error
}

func (e *HostError) Error() string {
	return fmt.Sprintf("scheduler: %s %s failed on host %s (node %s): %v", e.Stage, e.Name, e.Host, e.Node, e.Err)
}

func (e *HostError) Unwrap() error { return e.Err }
