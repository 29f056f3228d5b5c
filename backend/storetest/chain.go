package storetest

import (
	"crypto/ed25519"
	"encoding/hex"
	"slices"
	"strings"
	"testing"
	"time"

	"doorstep/backend"
)

// testChain: every message is stored with its link in its conversation's
// hash chain, which every read carries, and a resend is the same message
// with the same hash.
func testChain(t *testing.T, w *world) {
	g := w.group("1A")
	alice := w.tenant("Alice")
	direct := w.start(backend.StartConversation{TenantID: w.tenants["Erin"]})
	// Files attached in the opposite order of their ids: the chain covers
	// them in the order of the message.
	second, first := w.upload(alice, "second.jpg"), w.upload(alice, "first.pdf")
	sent := []backend.Message{
		w.send(w.landlord, g.ID, "Water off 9–11 tomorrow"),
		w.sendFiles(alice, g.ID, "Photos of the leak", first, second),
		w.send(w.landlord, direct.ID, "Hello Erin"), // another conversation counts on its own
		w.send(alice, g.ID, "Thanks!"),
	}

	w.run(t, "EachHashIsChainedToTheOneBefore", func(t *testing.T) {
		var prev []byte
		for _, m := range []backend.Message{sent[0], sent[1], sent[3]} {
			prev = backend.ChainHash(prev, m)
			if m.Hash != hex.EncodeToString(prev) {
				t.Errorf("message %d: hash %q, want %x", m.Seq, m.Hash, prev)
			}
		}
		if want := hex.EncodeToString(backend.ChainHash(nil, sent[2])); sent[2].Hash != want {
			t.Errorf("the first message of another conversation: hash %q, want %s", sent[2].Hash, want)
		}
		if names := []string{sent[1].Files[0].Name, sent[1].Files[1].Name}; !slices.Equal(names, []string{"first.pdf", "second.jpg"}) {
			t.Errorf("files in the order %q, want the message's", names)
		}
	})

	w.run(t, "EveryReadCarriesTheHash", func(t *testing.T) {
		for _, p := range []backend.Principal{w.landlord, alice} {
			page := must[[]backend.Message](t)(w.s.Messages(w.ctx, p, g.ID, backend.MessagePage{After: new(int64(0))}))
			if len(page) != 3 {
				t.Fatalf("%d messages", len(page))
			}
			for i, m := range page {
				if want := []backend.Message{sent[0], sent[1], sent[3]}[i]; m.Hash != want.Hash || m.Hash == "" {
					t.Errorf("page: message %d has hash %q, want %q", m.Seq, m.Hash, want.Hash)
				}
			}
			if _, problems := backend.CheckChain(g.ID, page); problems != nil {
				t.Errorf("the page read back does not check: %v", problems)
			}
			conv := must[backend.Conversation](t)(w.s.Conversation(w.ctx, p, g.ID))
			if conv.LastMessage == nil || conv.LastMessage.Hash != sent[3].Hash {
				t.Errorf("the conversation's last message: %+v", conv.LastMessage)
			}
		}
		shared := must[[]backend.SharedFile](t)(w.s.ConversationFiles(w.ctx, w.landlord, g.ID))
		if len(shared) == 0 {
			t.Fatal("no shared files")
		}
		hashes := 0
		for _, ev := range must[[]backend.Event](t)(w.s.Events(w.ctx, alice, 0, 100)) {
			if ev.Message == nil {
				continue
			}
			hashes++
			if i := slices.IndexFunc(sent, func(m backend.Message) bool { return m.ID == ev.Message.ID }); i < 0 || ev.Message.Hash != sent[i].Hash {
				t.Errorf("event of message %d carries hash %q", ev.Message.Seq, ev.Message.Hash)
			}
		}
		if hashes != 3 {
			t.Errorf("Alice has %d message events, want 3", hashes)
		}
	})

	w.run(t, "AResendIsTheSameMessageAndHash", func(t *testing.T) {
		again := must[backend.Message](t)(w.s.SendMessage(w.ctx, w.landlord, g.ID, backend.SendMessage{Key: sent[0].Key, Text: sent[0].Text}))
		if again.ID != sent[0].ID || again.Hash != sent[0].Hash || again.Seq != sent[0].Seq {
			t.Errorf("resend = %+v, want message %d with hash %s", again, sent[0].ID, sent[0].Hash)
		}
		if c := must[backend.Conversation](t)(w.s.Conversation(w.ctx, w.landlord, g.ID)); c.LastSeq != 3 {
			t.Errorf("a resend moved the last seq to %d", c.LastSeq)
		}
	})
}

// testMessageTimes: a message is never dated before one already stored,
// whatever the clock says; seq, ids and times keep one order.
func testMessageTimes(t *testing.T, w *world) {
	g := w.group("1A")
	alice := w.tenant("Alice")
	before := w.send(w.landlord, g.ID, "before the clock stepped back")
	w.advance(-time.Hour)
	during := w.send(alice, g.ID, "while it is behind")
	if !during.CreatedAt.Equal(before.CreatedAt) {
		t.Errorf("sent while the clock is an hour behind: dated %v, want %v (the newest message's)", during.CreatedAt, before.CreatedAt)
	}
	w.advance(2 * time.Hour)
	after := w.send(w.landlord, g.ID, "once it is ahead again")
	if !after.CreatedAt.Equal(w.clock()) {
		t.Errorf("sent once the clock is ahead: dated %v, want the clock's %v", after.CreatedAt, w.clock())
	}
	msgs := must[[]backend.Message](t)(w.s.Messages(w.ctx, w.landlord, g.ID, backend.MessagePage{}))
	if !slices.IsSortedFunc(msgs, func(a, b backend.Message) int { return a.CreatedAt.Compare(b.CreatedAt) }) {
		t.Errorf("times out of order: %v %v %v", msgs[0].CreatedAt, msgs[1].CreatedAt, msgs[2].CreatedAt)
	}
	if _, problems := backend.CheckChain(g.ID, msgs); problems != nil {
		t.Errorf("chain: %v", problems)
	}
}

// testSignedHeads: the main landlord user has a conversation's head signed
// with the server's key; the periodic signer signs the conversations that
// changed, once.
func testSignedHeads(t *testing.T, w *world) {
	g := w.group("1A")
	alice := w.tenant("Alice")
	direct := w.start(backend.StartConversation{TenantID: w.tenants["Erin"]})
	w.send(w.landlord, g.ID, "one")
	last := w.send(alice, g.ID, "two")
	key := must[backend.ServerKey](t)(w.s.ServerKey(w.ctx))
	pub := must[ed25519.PublicKey](t)(backend.ParsePublicKey(key.PublicKey))
	if id := must[string](t)(w.s.ServerID(w.ctx)); key.ServerID != id || key.Fingerprint != backend.KeyFingerprint(pub) {
		t.Errorf("server key = %+v; server id %s", key, id)
	}

	w.run(t, "TheLandlordHasTheHeadSigned", func(t *testing.T) {
		s := must[backend.SignedHead](t)(w.s.SignChainHead(w.ctx, w.landlord, g.ID))
		if err := s.Verify(pub); err != nil {
			t.Fatalf("signature: %v", err)
		}
		if s.Seq != last.Seq || s.Head != last.Hash || s.ConversationID != g.ID || s.ServerID != key.ServerID || !s.SignedAt.Equal(w.clock()) {
			t.Errorf("signed %+v; want seq %d, head %s, now", s.HeadStatement, last.Seq, last.Hash)
		}
		empty := must[backend.SignedHead](t)(w.s.SignChainHead(w.ctx, w.landlord, direct.ID))
		if empty.Seq != 0 || empty.Head != "" || empty.Verify(pub) != nil {
			t.Errorf("a conversation with no message yet: %+v", empty)
		}
	})

	w.run(t, "OthersMayNot", func(t *testing.T) {
		for _, c := range []struct {
			who  string
			p    backend.Principal
			code string
		}{
			{"a tenant of it", alice, backend.EFORBIDDEN},
			{"the sub-user", w.subUser, backend.EMAINUSERONLY},
			{"another landlord", w.other, backend.ENOTFOUND},
		} {
			_, err := w.s.SignChainHead(w.ctx, c.p, g.ID)
			if backend.ErrorCode(err) != c.code {
				t.Errorf("%s: err = %v, want %s", c.who, err, c.code)
			}
		}
		_, err := w.s.SignChainHead(w.ctx, w.landlord, 999_999)
		wantCode(t, err, backend.ENOTFOUND)
	})

	w.run(t, "ThePeriodicSignerSignsWhatChanged", func(t *testing.T) {
		signed, problems, err := w.s.SignChangedHeads(w.ctx)
		if err != nil || problems != nil || signed != 0 {
			t.Fatalf("nothing changed since the last signatures: signed %d, %v, %v", signed, problems, err)
		}
		w.advance(time.Minute)
		w.send(w.landlord, direct.ID, "hello Erin")
		third := w.send(w.landlord, g.ID, "three")
		signed, problems, err = w.s.SignChangedHeads(w.ctx)
		if err != nil || problems != nil || signed != 2 {
			t.Fatalf("two conversations changed: signed %d, %v, %v", signed, problems, err)
		}
		if signed, _, _ := w.s.SignChangedHeads(w.ctx); signed != 0 {
			t.Errorf("signed %d again with nothing new", signed)
		}
		s := must[backend.SignedHead](t)(w.s.SignChainHead(w.ctx, w.landlord, g.ID))
		if s.Seq != third.Seq || s.Head != third.Hash {
			t.Errorf("head after the periodic signature: %+v, want %d %s", s.HeadStatement, third.Seq, third.Hash)
		}
	})
}

// testSigningKeyRecord: the first key recorded stays the one recorded; a
// node with another learns which, and only replace records its own.
func testSigningKeyRecord(t *testing.T, w *world) {
	const first, second = "AAAA 1111", "BBBB 2222"
	if got := must[string](t)(w.s.RecordSigningKey(w.ctx, first, false)); got != first {
		t.Fatalf("the first key recorded: %q; want %q", got, first)
	}
	if got := must[string](t)(w.s.RecordSigningKey(w.ctx, second, false)); got != first {
		t.Errorf("another key without replace: recorded %q; want still %q", got, first)
	}
	if got := must[string](t)(w.s.RecordSigningKey(w.ctx, first, false)); got != first {
		t.Errorf("the same key again: recorded %q", got)
	}
	if got := must[string](t)(w.s.RecordSigningKey(w.ctx, second, true)); got != second {
		t.Errorf("another key with replace: recorded %q; want %q", got, second)
	}
	if err := backend.CheckSigningKey(first, second); backend.ErrorCode(err) != backend.EUNAVAILABLE ||
		!strings.Contains(backend.ErrorMessage(err), first) || !strings.Contains(backend.ErrorMessage(err), second) {
		t.Errorf("CheckSigningKey of two keys: %v; want both named", err)
	}
}
