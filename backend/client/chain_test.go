package client_test

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"net/http"
	"strings"
	"testing"

	"doorstep/backend"
)

// TestChainHeadAndServerKey: over HTTP, the landlord has a conversation's
// head signed, anyone can fetch the key to check it with, and a history
// changed behind the server's back since its last signature is refused,
// saying from which message.
func TestChainHeadAndServerKey(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	alice := w.asTenant("Alice")
	g := must[backend.Conversation](t)(w.landlord.StartConversation(ctx, backend.StartConversation{UnitID: w.unit["1A"]}))
	first := must[backend.Message](t)(w.landlord.SendMessage(ctx, g.ID, backend.SendMessage{Key: key(), Text: "Water off 9–11 tomorrow"}))
	second := must[backend.Message](t)(alice.SendMessage(ctx, g.ID, backend.SendMessage{Key: key(), Text: "Thanks!"}))

	serverKey := must[backend.ServerKey](t)(w.anon().ServerKey(ctx))
	pub := must[ed25519.PublicKey](t)(backend.ParsePublicKey(serverKey.PublicKey))
	if h := must[backend.Health](t)(w.anon().Health(ctx)); serverKey.ServerID != h.ServerID || serverKey.Fingerprint != backend.KeyFingerprint(pub) {
		t.Errorf("server key %+v; health says server %s", serverKey, h.ServerID)
	}

	t.Run("MessagesCarryTheirHash", func(t *testing.T) {
		msgs := must[[]backend.Message](t)(alice.Messages(ctx, g.ID, backend.MessagePage{}))
		if len(msgs) != 2 || msgs[0].Hash != first.Hash || msgs[1].Hash != second.Hash || first.Hash == "" {
			t.Fatalf("messages read back: %+v", msgs)
		}
		if _, problems := backend.CheckChain(g.ID, msgs); problems != nil {
			t.Errorf("chain: %v", problems)
		}
	})

	t.Run("TheLandlordHasTheHeadSigned", func(t *testing.T) {
		s := must[backend.SignedHead](t)(w.landlord.ChainHead(ctx, g.ID))
		if err := s.Verify(pub); err != nil {
			t.Fatalf("signature: %v", err)
		}
		if s.Seq != 2 || s.Head != second.Hash || s.ServerID != serverKey.ServerID || !s.SignedAt.Equal(w.clock()) {
			t.Errorf("signed %+v", s.HeadStatement)
		}
	})

	t.Run("ErrOthersMayNot", func(t *testing.T) {
		_, err := alice.ChainHead(ctx, g.ID)
		wantCode(t, err, backend.EFORBIDDEN)
		_, err = w.subUser.ChainHead(ctx, g.ID)
		wantCode(t, err, backend.EMAINUSERONLY)
		_, err = w.other.ChainHead(ctx, g.ID)
		wantCode(t, err, backend.ENOTFOUND)
		_, err = w.anon().ChainHead(ctx, g.ID)
		wantCode(t, err, backend.EUNAUTHORIZED)
		resp, err := http.Get(w.url + "/api/v1/conversations/1/chain-head")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
			t.Errorf("GET: %d, Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
		}
	})

	t.Run("ErrAChangedHistoryIsNotSigned", func(t *testing.T) {
		must[backend.Message](t)(alice.SendMessage(ctx, g.ID, backend.SendMessage{Key: key(), Text: "The tap drips."}))
		must[backend.Message](t)(w.landlord.SendMessage(ctx, g.ID, backend.SendMessage{Key: key(), Text: "I'll send someone."}))
		raw, err := sql.Open("sqlite3", "file:"+w.path+"?_busy_timeout=5000")
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		if _, err := raw.Exec("UPDATE messages SET text = 'The tap pours.' WHERE conversation_id = ? AND seq = 3", g.ID); err != nil {
			t.Fatal(err)
		}
		_, err = w.landlord.ChainHead(ctx, g.ID)
		wantCode(t, err, backend.ECONFLICT)
		if msg := backend.ErrorMessage(err); !strings.Contains(msg, "from message 3 on") {
			t.Errorf("refusal = %q; want it to say message 3", msg)
		}
		var signatures int
		raw.QueryRow("SELECT count(*) FROM chain_signatures WHERE conversation_id = ?", g.ID).Scan(&signatures)
		if signatures != 1 {
			t.Errorf("%d signatures stored, want only the first", signatures)
		}
	})

	// A message changed after it was signed, with nothing sent since, is
	// caught too: signing rechecks the whole history, not only what came
	// after the last signature.
	t.Run("ErrAChangeToASignedQuietHistoryIsNotSigned", func(t *testing.T) {
		quiet := must[backend.Conversation](t)(w.landlord.StartConversation(ctx, backend.StartConversation{TenantID: w.tenant["Erin"]}))
		for _, text := range []string{"Boiler service on Monday.", "Done."} {
			must[backend.Message](t)(w.landlord.SendMessage(ctx, quiet.ID, backend.SendMessage{Key: key(), Text: text}))
		}
		must[backend.SignedHead](t)(w.landlord.ChainHead(ctx, quiet.ID))
		raw, err := sql.Open("sqlite3", "file:"+w.path+"?_busy_timeout=5000")
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		if _, err := raw.Exec("UPDATE messages SET text = 'Boiler service on Tuesday.' WHERE conversation_id = ? AND seq = 1", quiet.ID); err != nil {
			t.Fatal(err)
		}
		_, err = w.landlord.ChainHead(ctx, quiet.ID)
		wantCode(t, err, backend.ECONFLICT)
		if msg := backend.ErrorMessage(err); !strings.Contains(msg, "from message 1 on") {
			t.Errorf("refusal = %q; want it to say message 1", msg)
		}
	})
}
