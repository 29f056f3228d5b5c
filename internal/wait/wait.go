// Package wait is the tests' one way to wait for something another
// goroutine or process does: poll a condition until it holds or a deadline
// passes. A test that must show that nothing happens waits for a signal
// that the work was done (an attempt recorded, an event seen), never for a
// fixed time.
package wait

import (
	"testing"
	"time"
)

// Timeout is how long For waits before failing the test: long enough for a
// loaded machine running the race detector, short enough to fail a hung test
// well before `go test`'s own timeout.
const Timeout = 15 * time.Second

// interval is how often For checks the condition.
const interval = 10 * time.Millisecond

// For polls cond until it returns true; after Timeout it fails tb with
// "timed out waiting until <what>". cond runs on the test's goroutine.
func For(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	if !Until(Timeout, cond) {
		tb.Fatalf("timed out waiting until %s", what)
	}
}

// Until polls cond until it returns true (true) or timeout passes (false),
// for a caller that does more than fail when the wait is over.
func Until(timeout time.Duration, cond func() bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			return cond()
		case <-tick.C:
		}
	}
	return true
}
