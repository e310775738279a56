// Package lbtest provides fake backends for tests of programs that use lb:
// real HTTP and TCP servers on loopback whose behaviour a test switches
// between healthy, slow, failing and flapping, and which record what they
// served.
package lbtest
