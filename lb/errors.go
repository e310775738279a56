package lb

import (
	"errors"
	"fmt"
)

var (
	// ErrNoServer is returned by Pick and Acquire when no server of the
	// backend is usable: every active and backup server is down, in
	// maintenance, draining or of weight zero. An HTTP frontend answers it
	// with 503, as HAProxy does.
	ErrNoServer = errors.New("lb: no server available")
	// ErrQueueTimeout is returned by Acquire when every usable server was
	// at its maxconn for the whole queue timeout; HAProxy answers 503.
	ErrQueueTimeout = errors.New("lb: queue timeout")
	// ErrUnknownServer is returned by the runtime setters for a name the
	// backend does not have.
	ErrUnknownServer = errors.New("lb: unknown server")
)

// ConfigError names the field of a configuration that is invalid.
type ConfigError struct {
	Field string // e.g. "Servers[2].Addr"
	Value string // the offending value, quoted as given
	Err   error  // why, if there is an underlying error
	Msg   string
}

func (e *ConfigError) Error() string {
	s := fmt.Sprintf("lb: %s %s: %s", e.Field, e.Value, e.Msg)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *ConfigError) Unwrap() error { return e.Err }

func configErr(field, value, format string, args ...any) error {
	return &ConfigError{Field: field, Value: fmt.Sprintf("%q", value), Msg: fmt.Sprintf(format, args...)}
}
