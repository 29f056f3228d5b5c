package client_test

import (
	"context"
	"testing"

	"doorstep/backend"
)

// TestC1ControlCharactersAreRefused: U+0080–U+009F are control characters
// as much as C0's (U+009B starts a terminal escape sequence on its own), so
// message text refuses them, while tab and line breaks stay.
func TestC1ControlCharactersAreRefused(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	conv := must[backend.Conversation](t)(w.landlord.StartConversation(ctx, backend.StartConversation{TenantID: w.tenant["Erin"]}))
	erin := w.asTenant("Erin")
	for _, text := range []string{"\u009b31mred", "a\u0080b", "a\u009fb", "next\u0085line", "\u008dreverse"} {
		_, err := erin.SendMessage(ctx, conv.ID, backend.SendMessage{Key: key(), Text: text})
		wantCode(t, err, backend.EINVALID)
	}
	ok := "tab\there\r\nand é ü ¡ ¿ (U+00A0 after the C1 range:\u00a0)"
	m := must[backend.Message](t)(erin.SendMessage(ctx, conv.ID, backend.SendMessage{Key: key(), Text: ok}))
	if m.Text != ok {
		t.Errorf("stored %q, want %q", m.Text, ok)
	}
	if msgs := must[[]backend.Message](t)(w.landlord.Messages(ctx, conv.ID, backend.MessagePage{})); len(msgs) != 1 {
		t.Errorf("%d messages stored, want 1", len(msgs))
	}
}
