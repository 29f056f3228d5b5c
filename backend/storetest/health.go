package storetest

import (
	"testing"
)

// testHealth: a store answers, names itself the same way every time, and
// can write.
func testHealth(t *testing.T, w *world) {
	if err := w.s.Ping(w.ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	first, err := w.s.ServerID(w.ctx)
	if err != nil || first == "" {
		t.Fatalf("ServerID = %q, %v", first, err)
	}
	if again, _ := w.s.ServerID(w.ctx); again != first {
		t.Errorf("ServerID changed from %q to %q", first, again)
	}
	if err := w.s.ProbeWrite(w.ctx); err != nil {
		t.Errorf("ProbeWrite: %v", err)
	}
}
