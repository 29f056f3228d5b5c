package storetest

import (
	"testing"

	"doorstep/backend"
)

// readsOf lists a conversation's read positions as "Name:seq".
func readsOf(c backend.Conversation) map[string]int64 {
	out := map[string]int64{}
	for _, r := range c.Reads {
		out[r.Reader.Name] = r.Seq
	}
	return out
}

// testReadReceipts: the landlord sees every member's read position, in the
// conversation and the list, and is told each move; a tenant sees no one's
// and is told only of their own.
func testReadReceipts(t *testing.T, w *world) {
	alice, bob := w.tenant("Alice"), w.tenant("Bob")
	g := w.group("1A")
	w.send(w.landlord, g.ID, "one")
	w.send(w.landlord, g.ID, "two")
	w.send(alice, g.ID, "three")
	if err := w.s.MarkRead(w.ctx, bob, g.ID, 1); err != nil {
		t.Fatal(err)
	}

	landlordView := must[backend.Conversation](t)(w.s.Conversation(w.ctx, w.landlord, g.ID))
	if got := readsOf(landlordView); len(got) != 2 || got["Alice"] != 3 || got["Bob"] != 1 {
		t.Errorf("the landlord's receipts: %v; want Alice 3 (she wrote the third) and Bob 1", got)
	}
	for _, r := range landlordView.Reads {
		if r.ConversationID != g.ID || r.Reader.Kind != backend.KindTenant || r.Reader.ID != w.tenants[r.Reader.Name] {
			t.Errorf("read position %+v", r)
		}
	}
	var listed backend.Conversation
	for _, c := range must[[]backend.Conversation](t)(w.s.Conversations(w.ctx, w.landlord)) {
		if c.ID == g.ID {
			listed = c
		}
	}
	if got := readsOf(listed); got["Alice"] != 3 || got["Bob"] != 1 {
		t.Errorf("the landlord's list shows receipts %v", got)
	}

	w.run(t, "ErrATenantSeesNoOnesReadPosition", func(t *testing.T) {
		for _, p := range []backend.Principal{alice, bob} {
			if c := must[backend.Conversation](t)(w.s.Conversation(w.ctx, p, g.ID)); c.Reads != nil {
				t.Errorf("%s sees read positions %+v", p.Name, c.Reads)
			}
			for _, c := range must[[]backend.Conversation](t)(w.s.Conversations(w.ctx, p)) {
				if c.Reads != nil {
					t.Errorf("%s's list shows read positions %+v", p.Name, c.Reads)
				}
			}
		}
	})

	w.run(t, "TheLandlordIsToldEachMove", func(t *testing.T) {
		since := must[int64](t)(w.s.LatestEventID(w.ctx, w.landlord))
		aliceSince := must[int64](t)(w.s.LatestEventID(w.ctx, alice))
		if err := w.s.MarkRead(w.ctx, bob, g.ID, 2); err != nil {
			t.Fatal(err)
		}
		evs := must[[]backend.Event](t)(w.s.Events(w.ctx, w.landlord, since, 10))
		if len(evs) != 1 || evs[0].Type != backend.EventRead || evs[0].Read == nil ||
			*evs[0].Read != (backend.ReadPosition{ConversationID: g.ID, Reader: backend.Sender{Kind: backend.KindTenant, ID: bob.ID, Name: "Bob"}, Seq: 2}) {
			t.Errorf("the landlord's events after Bob read: %+v", evs)
		}
		if evs := must[[]backend.Event](t)(w.s.Events(w.ctx, alice, aliceSince, 10)); len(evs) != 0 {
			t.Errorf("Alice was told of Bob's reading: %+v", evs)
		}
		if got := readsOf(must[backend.Conversation](t)(w.s.Conversation(w.ctx, w.landlord, g.ID))); got["Bob"] != 2 {
			t.Errorf("Bob's position after reading: %v", got)
		}
	})

	w.run(t, "ErrTheLandlordsPositionIsNotToldToTenants", func(t *testing.T) {
		since := must[int64](t)(w.s.LatestEventID(w.ctx, alice))
		if err := w.s.MarkRead(w.ctx, w.landlord, g.ID, 3); err != nil {
			t.Fatal(err)
		}
		if evs := must[[]backend.Event](t)(w.s.Events(w.ctx, alice, since, 10)); len(evs) != 0 {
			t.Errorf("Alice was told the landlord read: %+v", evs)
		}
	})
}

// testMarkUnread: the landlord can set their read position back so that
// the newest tenant message shows unread, which their other devices are
// told; tenants cannot, so a receipt once shown is never taken back.
func testMarkUnread(t *testing.T, w *world) {
	alice := w.tenant("Alice")
	g := w.group("1A")
	w.send(w.landlord, g.ID, "one")
	w.send(alice, g.ID, "two")
	w.send(w.landlord, g.ID, "three")
	if c := must[backend.Conversation](t)(w.s.Conversation(w.ctx, w.landlord, g.ID)); c.Unread != 0 || c.ReadSeq != 3 {
		t.Fatalf("before: %+v", c)
	}
	since := must[int64](t)(w.s.LatestEventID(w.ctx, w.landlord))
	aliceSince := must[int64](t)(w.s.LatestEventID(w.ctx, alice))

	c, err := w.s.MarkUnread(w.ctx, w.landlord, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Unread != 1 || c.ReadSeq != 1 {
		t.Errorf("after Mark as unread: unread %d, read %d; want 1 and 1 (just before Alice's message)", c.Unread, c.ReadSeq)
	}
	if again := must[backend.Conversation](t)(w.s.Conversation(w.ctx, w.landlord, g.ID)); again.Unread != 1 || again.ReadSeq != 1 {
		t.Errorf("stored: unread %d, read %d", again.Unread, again.ReadSeq)
	}
	evs := must[[]backend.Event](t)(w.s.Events(w.ctx, w.landlord, since, 10))
	if len(evs) != 1 || evs[0].Read == nil || !evs[0].Read.MarkedUnread || evs[0].Read.Seq != 1 || evs[0].Read.Reader.ID != w.landlord.ID {
		t.Errorf("the landlord's events: %+v", evs)
	}
	if evs := must[[]backend.Event](t)(w.s.Events(w.ctx, alice, aliceSince, 10)); len(evs) != 0 {
		t.Errorf("Alice was told: %+v", evs)
	}

	w.run(t, "MarkingAgainChangesNothing", func(t *testing.T) {
		since := must[int64](t)(w.s.LatestEventID(w.ctx, w.landlord))
		if c, err := w.s.MarkUnread(w.ctx, w.landlord, g.ID); err != nil || c.ReadSeq != 1 || c.Unread != 1 {
			t.Errorf("again: %+v, %v", c, err)
		}
		if evs := must[[]backend.Event](t)(w.s.Events(w.ctx, w.landlord, since, 10)); len(evs) != 0 {
			t.Errorf("told again: %+v", evs)
		}
	})
	w.run(t, "ReadingMovesItForwardAgain", func(t *testing.T) {
		if err := w.s.MarkRead(w.ctx, w.landlord, g.ID, 3); err != nil {
			t.Fatal(err)
		}
		if c := must[backend.Conversation](t)(w.s.Conversation(w.ctx, w.landlord, g.ID)); c.Unread != 0 || c.ReadSeq != 3 {
			t.Errorf("after reading: %+v", c)
		}
	})
	w.run(t, "ErrNothingFromATenant", func(t *testing.T) {
		direct := w.start(backend.StartConversation{TenantID: w.tenants["Erin"]})
		w.send(w.landlord, direct.ID, "hello")
		_, err := w.s.MarkUnread(w.ctx, w.landlord, direct.ID)
		wantRefusal(t, err, backend.EINVALID, "There is no message from a tenant here to mark as unread.")
	})
	w.run(t, "ErrATenantCannot", func(t *testing.T) {
		_, err := w.s.MarkUnread(w.ctx, alice, g.ID)
		wantRefusal(t, err, backend.EFORBIDDEN, "Only the landlord can mark a conversation as unread.")
		if r := readsOf(must[backend.Conversation](t)(w.s.Conversation(w.ctx, w.landlord, g.ID))); r["Alice"] != 2 {
			t.Errorf("Alice's position moved to %d", r["Alice"])
		}
	})
	w.run(t, "ErrSubUserAndOtherLandlord", func(t *testing.T) {
		_, err := w.s.MarkUnread(w.ctx, w.subUser, g.ID)
		wantCode(t, err, backend.EMAINUSERONLY)
		_, err = w.s.MarkUnread(w.ctx, w.other, g.ID)
		wantCode(t, err, backend.ENOTFOUND)
	})
}
