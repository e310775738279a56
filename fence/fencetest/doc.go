// Package fencetest has fakes for package fence: an in-memory Agent with
// scripted results, hangs and power state, agent programs (WriteScript)
// for exercising fence.Runner with wrong exit codes and garbage output,
// and a Watchdog that records keep-alives and fires when they stop.
package fencetest
