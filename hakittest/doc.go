// Package hakittest provides fakes for the hakit root package, the way
// net/http/httptest does for net/http: an in-memory Lease with fault
// injection (latency, partitions, injected errors, lost replies), a
// scriptable Checker, and TestLease, the conformance suite every
// hakit.Lease implementation must pass.
//
// The fakes implement the same interfaces as the real things and are safe
// to use from many goroutines and inside testing/synctest bubbles: they
// sleep with time.Timer only, so virtual time drives their latencies.
//
// Their randomness (Lease latency jitter, Checker flakiness) comes from the
// global source unless SetRand gives a seeded one: a fault test that seeds
// every source it uses, and runs in a synctest bubble, replays the same run
// for the same seed.
package hakittest
