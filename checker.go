package hakit

import "context"

// Checker is one health probe: Check returns nil when the thing it probes is
// healthy and an error saying why not otherwise.
//
// Check must honour ctx: when ctx is done it returns promptly with an error
// (typically ctx.Err() wrapped). A Monitor gives every Check a ctx that ends
// after its Timeout, so a Checker needs no timeout of its own. A Check that
// ignores ctx fails at Timeout all the same, and until it returns every
// check that falls due fails with ErrCheckRunning without calling it again.
//
// An error may name its HAProxy class with a *CheckError; otherwise the
// Monitor classifies it with ClassifyCheckError. Errors reach Stats and
// logs as they are, and a Health body only with credentials removed.
type Checker interface {
	Check(ctx context.Context) error
}

// CheckerFunc adapts an ordinary function to a Checker.
type CheckerFunc func(ctx context.Context) error

// Check calls f(ctx).
func (f CheckerFunc) Check(ctx context.Context) error { return f(ctx) }
