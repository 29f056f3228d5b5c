package engine_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"doorstep/app/engine"
	"doorstep/backend"
	"doorstep/backend/servertest"
	"doorstep/internal/wait"
)

func (r *recorder) stateLog() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.states...)
}

// TestSessionEndedStopsSyncing: when the server closes the event stream
// because the session ended (here: signed out on the server while the app
// is online), the engine says so and stops, as when the session is refused:
// straight from online to signed out, never offline or reconnecting.
func TestSessionEndedStopsSyncing(t *testing.T) {
	t.Parallel()
	s := servertest.StartDemo(t)
	h := start(t, s, filepath.Join(t.TempDir(), "cache.db"))
	wait.For(t, "online", func() bool { return h.eng.State().State == engine.StateOnline })
	online := len(h.rec.stateLog())

	if err := h.landlord.SignOut(context.Background()); err != nil { // the engine's own session
		t.Fatal(err)
	}
	wait.For(t, "signed out", func() bool { return h.eng.State().State == engine.StateSignedOut })
	if st := h.eng.State(); st.Message != backend.SessionEndedMessage {
		t.Errorf("state message %q", st.Message)
	}
	if after := h.rec.stateLog()[online:]; !slices.Equal(after, []string{engine.StateSignedOut}) {
		t.Errorf("after the session ended the engine went through %v, want only %s (no reconnect)", after, engine.StateSignedOut)
	}
}
