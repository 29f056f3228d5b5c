package httpapi

import (
	"sync/atomic"
	"testing"
	"time"

	"doorstep/internal/wait"
)

// newMemoryReturn counts its releases; its own timer is set too far off to
// fire in a test: the test runs check itself, as the timer would.
func newMemoryReturn(minDrop int) (*memoryReturn, *atomic.Int32) {
	var released atomic.Int32
	return &memoryReturn{minDrop: minDrop, after: time.Hour, release: func() { released.Add(1) }}, &released
}

func TestMemoryReturn(t *testing.T) {
	t.Parallel()
	t.Run("AfterMostWebsocketsClosed", func(t *testing.T) {
		m, released := newMemoryReturn(5)
		for range 10 {
			m.opened()
		}
		for range 6 {
			m.closed()
		}
		if !m.pending {
			t.Fatal("no check was planned once 6 of 10 websockets closed")
		}
		m.check()
		wait.For(t, "the memory is released", func() bool { return released.Load() == 1 })
		if m.peak != 4 || m.pending {
			t.Errorf("after the release: peak %d (want the 4 still open), pending %v", m.peak, m.pending)
		}
		m.closed() // 3 of a peak of 4: too few to be worth it
		if m.pending {
			t.Error("a check was planned for a drop smaller than minDrop")
		}
	})

	t.Run("NotWhenTheyCameBack", func(t *testing.T) {
		m, released := newMemoryReturn(5)
		for range 10 {
			m.opened()
		}
		for range 10 {
			m.closed()
		}
		for range 9 { // a storm: they reconnect before the check
			m.opened()
		}
		m.check()
		if m.pending {
			t.Error("still pending after the check")
		}
		for range 3 {
			m.closed()
		}
		m.check()
		if released.Load() != 0 {
			t.Errorf("released %d times though most websockets were open at each check", released.Load())
		}
	})

	t.Run("NotForAFewWebsockets", func(t *testing.T) {
		m, _ := newMemoryReturn(1000)
		for range 100 {
			m.opened()
		}
		for range 100 {
			m.closed()
		}
		if m.pending {
			t.Error("a check was planned after 100 websockets closed, below minDrop")
		}
	})
}
