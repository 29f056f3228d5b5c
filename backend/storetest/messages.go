package storetest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"doorstep/backend"
)

// testMessages: messages are stored with their sender, read back by every
// member, and refused to anyone else.
func testMessages(t *testing.T, w *world) {
	g := w.group("1A")
	alice, bob, erin := w.tenant("Alice"), w.tenant("Bob"), w.tenant("Erin")

	w.run(t, "SendAndReadBack", func(t *testing.T) {
		m := w.send(w.landlord, g.ID, "Water off 9–11 tomorrow 🚰")
		if m.Seq != 1 || m.ConversationID != g.ID || m.Sender != (backend.Sender{Kind: backend.KindUser, ID: w.landlord.ID, Name: "Pat Landlord"}) ||
			m.Text != "Water off 9–11 tomorrow 🚰" || !m.CreatedAt.Equal(w.clock()) || m.Files == nil {
			t.Fatalf("message = %+v", m)
		}
		r := w.send(alice, g.ID, "Thanks!")
		if r.Seq != 2 || r.Sender != (backend.Sender{Kind: backend.KindTenant, ID: alice.ID, Name: "Alice"}) {
			t.Fatalf("reply = %+v", r)
		}
		got := must[[]backend.Message](t)(w.s.Messages(w.ctx, bob, g.ID, backend.MessagePage{}))
		if len(got) != 2 || got[0].ID != m.ID || got[1].ID != r.ID || got[0].Text != m.Text || !got[0].CreatedAt.Equal(m.CreatedAt) {
			t.Fatalf("Bob reads %+v", got)
		}
		conv := must[backend.Conversation](t)(w.s.Conversation(w.ctx, w.landlord, g.ID))
		if conv.LastSeq != 2 || conv.LastMessage == nil || conv.LastMessage.ID != r.ID {
			t.Errorf("the landlord's view = %+v", conv)
		}
	})

	w.run(t, "HostileTextIsStoredAsText", func(t *testing.T) {
		text := `<script>alert(1)</script>'); DROP TABLE messages; -- & "quotes"`
		m := w.send(alice, g.ID, text)
		got := must[[]backend.Message](t)(w.s.Messages(w.ctx, w.landlord, g.ID, backend.MessagePage{After: new(m.Seq - 1)}))
		if len(got) != 1 || got[0].Text != text {
			t.Errorf("text came back as %+v", got)
		}
	})

	w.run(t, "ErrBadMessages", func(t *testing.T) {
		before := must[backend.Conversation](t)(w.s.Conversation(w.ctx, w.landlord, g.ID)).LastSeq
		for name, c := range map[string]struct {
			req  backend.SendMessage
			code string
		}{
			"Empty":       {backend.SendMessage{Key: w.key(), Text: "  \n "}, backend.EINVALID},
			"TooLong":     {backend.SendMessage{Key: w.key(), Text: strings.Repeat("é", backend.MaxMessageRunes+1)}, backend.ETOOLARGE},
			"ShortKey":    {backend.SendMessage{Key: "k", Text: "hi"}, backend.EINVALID},
			"ForeignFile": {backend.SendMessage{Key: w.key(), Text: "hi", FileIDs: []int64{999_999}}, backend.ENOTFOUND},
		} {
			_, err := w.s.SendMessage(w.ctx, w.landlord, g.ID, c.req)
			if backend.ErrorCode(err) != c.code {
				t.Errorf("%s: err = %v, want %s", name, err, c.code)
			}
		}
		if after := must[backend.Conversation](t)(w.s.Conversation(w.ctx, w.landlord, g.ID)).LastSeq; after != before {
			t.Errorf("refused messages moved the last seq from %d to %d", before, after)
		}
	})

	w.run(t, "ErrNotAMember", func(t *testing.T) {
		_, err := w.s.Messages(w.ctx, erin, g.ID, backend.MessagePage{})
		wantCode(t, err, backend.ENOTAMEMBER)
		_, err = w.s.SendMessage(w.ctx, erin, g.ID, backend.SendMessage{Key: w.key(), Text: "let me in"})
		wantCode(t, err, backend.ENOTAMEMBER)
		wantCode(t, w.s.MarkRead(w.ctx, erin, g.ID, 1), backend.ENOTAMEMBER)
	})

	w.run(t, "ErrNotFoundForAnotherLandlordAndTheirTenants", func(t *testing.T) {
		for _, p := range []backend.Principal{w.other, w.tenant("Zed")} {
			_, err := w.s.Messages(w.ctx, p, g.ID, backend.MessagePage{})
			wantCode(t, err, backend.ENOTFOUND)
			_, err = w.s.SendMessage(w.ctx, p, g.ID, backend.SendMessage{Key: w.key(), Text: "hello?"})
			wantCode(t, err, backend.ENOTFOUND)
			wantCode(t, w.s.MarkRead(w.ctx, p, g.ID, 1), backend.ENOTFOUND)
		}
	})

	w.run(t, "ErrMainUserOnly", func(t *testing.T) {
		_, err := w.s.Messages(w.ctx, w.subUser, g.ID, backend.MessagePage{})
		wantCode(t, err, backend.EMAINUSERONLY)
		_, err = w.s.SendMessage(w.ctx, w.subUser, g.ID, backend.SendMessage{Key: w.key(), Text: "hi"})
		wantCode(t, err, backend.EMAINUSERONLY)
	})
}

// testIdempotencyKeys: a message sent again with its key is the first one,
// however many times and however concurrently; a key names one message of
// one sender.
func testIdempotencyKeys(t *testing.T, w *world) {
	g := w.group("1A")
	alice := w.tenant("Alice")
	k := w.key()
	first := must[backend.Message](t)(w.s.SendMessage(w.ctx, w.landlord, g.ID, backend.SendMessage{Key: k, Text: "once"}))

	w.run(t, "ConcurrentResendsReturnTheFirst", func(t *testing.T) {
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				again, err := w.s.SendMessage(w.ctx, w.landlord, g.ID, backend.SendMessage{Key: k, Text: "once"})
				if err != nil || again.ID != first.ID || again.Seq != first.Seq || !again.CreatedAt.Equal(first.CreatedAt) {
					t.Errorf("resend = %+v, %v; want message %d", again, err, first.ID)
				}
			})
		}
		wg.Wait()
		if msgs := must[[]backend.Message](t)(w.s.Messages(w.ctx, w.landlord, g.ID, backend.MessagePage{})); len(msgs) != 1 {
			t.Errorf("%d messages stored, want 1", len(msgs))
		}
	})

	w.run(t, "FirstSendsRacingEachOther", func(t *testing.T) {
		k := w.key()
		ids := make([]int64, 8)
		var wg sync.WaitGroup
		for i := range ids {
			wg.Go(func() {
				m, err := w.s.SendMessage(w.ctx, alice, g.ID, backend.SendMessage{Key: k, Text: "racing"})
				if err != nil {
					t.Errorf("send: %v", err)
				}
				ids[i] = m.ID
			})
		}
		wg.Wait()
		if ids[0] == 0 || slices.ContainsFunc(ids, func(id int64) bool { return id != ids[0] }) {
			t.Errorf("racing sends got messages %v, want one", ids)
		}
	})

	w.run(t, "ErrConflict", func(t *testing.T) {
		_, err := w.s.SendMessage(w.ctx, w.landlord, g.ID, backend.SendMessage{Key: k, Text: "something else"})
		wantRefusal(t, err, backend.ECONFLICT, "This message key was already used for a different message.")
		other := w.start(backend.StartConversation{TenantID: w.tenants["Erin"]})
		_, err = w.s.SendMessage(w.ctx, w.landlord, other.ID, backend.SendMessage{Key: k, Text: "once"})
		wantCode(t, err, backend.ECONFLICT)
	})

	w.run(t, "KeysBelongToTheirSender", func(t *testing.T) {
		m := must[backend.Message](t)(w.s.SendMessage(w.ctx, alice, g.ID, backend.SendMessage{Key: k, Text: "once"}))
		if m.ID == first.ID || m.Sender.Kind != backend.KindTenant {
			t.Errorf("Alice's message with the landlord's key = %+v", m)
		}
	})

	w.run(t, "ErrResendToAConversationNotYours", func(t *testing.T) {
		_, err := w.s.SendMessage(w.ctx, w.tenant("Erin"), g.ID, backend.SendMessage{Key: k, Text: "once"})
		wantCode(t, err, backend.ENOTAMEMBER)
	})

	// Last: it moves the clock past the end of Gina's lease.
	w.run(t, "AResendOutlivesTheLease", func(t *testing.T) {
		birch := w.group("3A")
		gina := w.tenant("Gina")
		k := w.key()
		first := must[backend.Message](t)(w.s.SendMessage(w.ctx, gina, birch.ID, backend.SendMessage{Key: k, Text: "Moving out on the 30th."}))
		w.setDate("2026-07-01")
		again, err := w.s.SendMessage(w.ctx, gina, birch.ID, backend.SendMessage{Key: k, Text: "Moving out on the 30th."})
		if err != nil || again.ID != first.ID {
			t.Errorf("resend after the lease ended = %+v, %v; want message %d", again, err, first.ID)
		}
		_, err = w.s.SendMessage(w.ctx, gina, birch.ID, backend.SendMessage{Key: k, Text: "something else"})
		wantCode(t, err, backend.ECONFLICT)
		_, err = w.s.SendMessage(w.ctx, gina, birch.ID, backend.SendMessage{Key: w.key(), Text: "one more thing"})
		wantCode(t, err, backend.ETENANTNOTACTIVE)
	})
}

// testGaplessSeq: concurrent senders in one conversation get 1, 2, 3…
// with no gap and no repeat, each conversation counting on its own.
func testGaplessSeq(t *testing.T, w *world) {
	g := w.group("1A")
	direct := w.start(backend.StartConversation{TenantID: w.tenants["Erin"]})
	senders := map[int64][]backend.Principal{
		g.ID:      {w.landlord, w.tenant("Alice"), w.tenant("Bob")},
		direct.ID: {w.landlord, w.tenant("Erin")},
	}
	const each = 12
	var wg sync.WaitGroup
	for conv, ps := range senders {
		for _, p := range ps {
			for i := range each {
				wg.Go(func() {
					if _, err := w.s.SendMessage(w.ctx, p, conv, backend.SendMessage{Key: w.key(), Text: fmt.Sprint(i)}); err != nil {
						t.Errorf("send: %v", err)
					}
				})
			}
		}
	}
	wg.Wait()
	for conv, ps := range senders {
		msgs := must[[]backend.Message](t)(w.s.Messages(w.ctx, w.landlord, conv, backend.MessagePage{After: new(int64(0))}))
		if len(msgs) != each*len(ps) {
			t.Fatalf("conversation %d holds %d messages, want %d", conv, len(msgs), each*len(ps))
		}
		for i, m := range msgs {
			if m.Seq != int64(i+1) {
				t.Fatalf("conversation %d: message %d has seq %d", conv, i, m.Seq)
			}
		}
		if c := must[backend.Conversation](t)(w.s.Conversation(w.ctx, w.landlord, conv)); c.LastSeq != int64(len(msgs)) {
			t.Errorf("conversation %d: last seq %d, want %d", conv, c.LastSeq, len(msgs))
		}
	}
}

// testPaging: pages of messages before or after a seq, or the newest.
func testPaging(t *testing.T, w *world) {
	direct := w.start(backend.StartConversation{TenantID: w.tenants["Erin"]})
	for i := 1; i <= 150; i++ {
		w.send(w.landlord, direct.ID, fmt.Sprint(i))
	}
	seqs := func(msgs []backend.Message) string {
		if len(msgs) == 0 {
			return "none"
		}
		return fmt.Sprintf("%d×[%d..%d]", len(msgs), msgs[0].Seq, msgs[len(msgs)-1].Seq)
	}
	for _, c := range []struct {
		page backend.MessagePage
		want string
	}{
		{backend.MessagePage{}, "100×[51..150]"},
		{backend.MessagePage{Limit: 10}, "10×[141..150]"},
		{backend.MessagePage{Before: 51, Limit: 20}, "20×[31..50]"},
		{backend.MessagePage{Before: 3}, "2×[1..2]"},
		{backend.MessagePage{Before: 1}, "none"},
		{backend.MessagePage{After: new(int64(0)), Limit: 5}, "5×[1..5]"},
		{backend.MessagePage{After: new(int64(145))}, "5×[146..150]"},
		{backend.MessagePage{After: new(int64(150))}, "none"},
	} {
		got := must[[]backend.Message](t)(w.s.Messages(w.ctx, w.tenant("Erin"), direct.ID, c.page))
		if seqs(got) != c.want {
			t.Errorf("page %+v = %s, want %s", c.page, seqs(got), c.want)
		}
		if got == nil {
			t.Errorf("page %+v is nil, want a list", c.page)
		}
	}
	for _, page := range []backend.MessagePage{{Limit: backend.MaxPageSize + 1}, {Before: 5, After: new(int64(2))}, {Before: -1}} {
		_, err := w.s.Messages(w.ctx, w.landlord, direct.ID, page)
		wantCode(t, err, backend.EINVALID)
	}
}

// testReadPositions: each member's read position moves forward only, never
// past the last message, and unread counts messages from others after it.
func testReadPositions(t *testing.T, w *world) {
	g := w.group("1A")
	alice, bob := w.tenant("Alice"), w.tenant("Bob")
	w.send(w.landlord, g.ID, "one")
	w.send(alice, g.ID, "two")
	w.send(w.landlord, g.ID, "three")

	view := func(p backend.Principal) backend.Conversation {
		t.Helper()
		return must[backend.Conversation](t)(w.s.Conversation(w.ctx, p, g.ID))
	}
	if b := view(bob); b.Unread != 3 || b.ReadSeq != 0 {
		t.Errorf("Bob before reading: unread %d, read %d", b.Unread, b.ReadSeq)
	}
	if a := view(alice); a.Unread != 1 || a.ReadSeq != 2 {
		t.Errorf("Alice, who wrote the second: unread %d, read %d; want 1 and 2 (a sender has read their own)", a.Unread, a.ReadSeq)
	}
	if l := view(w.landlord); l.Unread != 0 || l.ReadSeq != 3 {
		t.Errorf("the landlord: unread %d, read %d", l.Unread, l.ReadSeq)
	}

	if err := w.s.MarkRead(w.ctx, bob, g.ID, 100); err != nil {
		t.Fatal(err)
	}
	if b := view(bob); b.Unread != 0 || b.ReadSeq != 3 {
		t.Errorf("Bob after reading past the end: unread %d, read %d; want 0 and 3", b.Unread, b.ReadSeq)
	}
	if err := w.s.MarkRead(w.ctx, bob, g.ID, 1); err != nil {
		t.Fatal(err)
	}
	if b := view(bob); b.ReadSeq != 3 {
		t.Errorf("Bob's read position went back to %d", b.ReadSeq)
	}
	wantRefusal(t, w.s.MarkRead(w.ctx, bob, g.ID, -1), backend.EINVALID, "seq must not be negative.")

	w.send(alice, g.ID, "four")
	if l := view(w.landlord); l.Unread != 1 {
		t.Errorf("the landlord's unread after Alice wrote: %d", l.Unread)
	}
	if err := w.s.MarkRead(w.ctx, w.landlord, g.ID, 4); err != nil {
		t.Fatal(err)
	}
	if l := view(w.landlord); l.Unread != 0 || l.ReadSeq != 4 {
		t.Errorf("the landlord after reading: %+v", l)
	}
	list := must[[]backend.Conversation](t)(w.s.Conversations(w.ctx, bob))
	if len(list) != 1 || list[0].Unread != 1 || list[0].ReadSeq != 3 {
		t.Errorf("Bob's list = %+v", list)
	}
}
