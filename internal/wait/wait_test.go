package wait

import (
	"sync/atomic"
	"testing"
	"time"
)

func TestUntil(t *testing.T) {
	t.Parallel()
	t.Run("ReturnsOnceTheConditionHolds", func(t *testing.T) {
		t.Parallel()
		var calls atomic.Int32
		if !Until(time.Minute, func() bool { return calls.Add(1) == 3 }) {
			t.Fatal("Until gave up on a condition that came true")
		}
		if n := calls.Load(); n != 3 {
			t.Errorf("cond ran %d times, want 3", n)
		}
	})
	t.Run("ErrTimedOut", func(t *testing.T) {
		t.Parallel()
		start := time.Now()
		if Until(50*time.Millisecond, func() bool { return false }) {
			t.Fatal("Until reported a condition that never held")
		}
		if waited := time.Since(start); waited < 50*time.Millisecond {
			t.Errorf("gave up after %v, before the timeout", waited)
		}
	})
}
