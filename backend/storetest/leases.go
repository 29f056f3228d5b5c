package storetest

import (
	"testing"
	"time"

	"doorstep/backend"
)

// The sentences of a chat a lease ending closed.
const (
	tenantReadOnly = "Your lease is no longer active, so you can read this conversation but not write in it."
	closedGroup1A  = "No tenant of Elm Court · 1A is on an active lease any more. New messages would reach no one, so this conversation is read-only."
	closedAlice    = "Alice's lease ended on 2026-12-31. New messages would reach no one, so this conversation is read-only."
)

// testLeaseEnd: once a tenant's lease is no longer Active they keep reading
// what was written but write no more; a chat nobody can read any more is
// closed for the landlord too, with the reason.
func testLeaseEnd(t *testing.T, w *world) {
	g := w.group("1A")
	direct := w.start(backend.StartConversation{TenantID: w.tenants["Alice"]})
	alice := w.tenant("Alice")
	before := w.send(w.landlord, g.ID, "before the move-out")
	if c := must[backend.Conversation](t)(w.s.Conversation(w.ctx, alice, g.ID)); c.ReadOnly || c.ReadOnlyReason != "" {
		t.Errorf("an active tenant's chat is read-only: %+v", c)
	}

	w.setDate("2027-01-02") // the lease ended on 2026-12-31

	w.run(t, "TheTenantReadsButWritesNoMore", func(t *testing.T) {
		_, err := w.s.SendMessage(w.ctx, alice, g.ID, backend.SendMessage{Key: w.key(), Text: "still here?"})
		wantRefusal(t, err, backend.ETENANTNOTACTIVE, tenantReadOnly)
		for _, c := range must[[]backend.Conversation](t)(w.s.Conversations(w.ctx, alice)) {
			if !c.ReadOnly || c.ReadOnlyReason != tenantReadOnly {
				t.Errorf("after the lease: %+v", c)
			}
		}
		seen := must[[]backend.Message](t)(w.s.Messages(w.ctx, alice, g.ID, backend.MessagePage{}))
		if len(seen) != 1 || seen[0].ID != before.ID {
			t.Errorf("Alice reads %+v; want the message from before her lease ended", seen)
		}
		if err := w.s.MarkRead(w.ctx, alice, g.ID, before.Seq); err != nil {
			t.Errorf("a former tenant marking what they read: %v", err)
		}
	})

	w.run(t, "TheLandlordsChatIsClosedWithTheReason", func(t *testing.T) {
		for _, c := range []struct {
			id     int64
			reason string
		}{{g.ID, closedGroup1A}, {direct.ID, closedAlice}} {
			conv := must[backend.Conversation](t)(w.s.Conversation(w.ctx, w.landlord, c.id))
			if !conv.ReadOnly || conv.ReadOnlyReason != c.reason || conv.Place != "" {
				t.Errorf("the landlord's view of a chat no one can read: %+v", conv)
			}
			_, err := w.s.SendMessage(w.ctx, w.landlord, c.id, backend.SendMessage{Key: w.key(), Text: "after the move-out"})
			wantRefusal(t, err, backend.ETENANTNOTACTIVE, c.reason)
		}
		if all := must[[]backend.Message](t)(w.s.Messages(w.ctx, w.landlord, g.ID, backend.MessagePage{})); len(all) != 1 {
			t.Errorf("the landlord's history: %d messages, want 1", len(all))
		}
		_, _, err := w.s.StartConversation(w.ctx, w.landlord, backend.StartConversation{TenantID: w.tenants["Alice"]})
		wantRefusal(t, err, backend.ETENANTNOTACTIVE, "Alice's lease ended on 2026-12-31.")
	})
}

// testLeaseEndVisibility: in a group where one lease ends first, the others
// go on; the tenant who left sees what was written until the end of their
// lease's last day, in the landlord's time zone, and nothing newer: no
// message, file or event.
func testLeaseEndVisibility(t *testing.T, w *world) {
	g := w.group("3A") // Gina until 2026-06-30, Hank open-ended
	gina, hank := w.tenant("Gina"), w.tenant("Hank")
	early := w.sendFiles(w.landlord, g.ID, "inspection report", w.upload(w.landlord, "report.pdf"))

	// 2026-07-01 04:00 UTC is 2026-06-30 23:00 in Chicago: Gina's last day.
	w.setDate("2026-07-01")
	w.advance(-8 * time.Hour)
	lastDay := w.send(w.landlord, g.ID, "last evening")
	w.advance(2 * time.Hour) // 2026-07-01 01:00 in Chicago
	late := w.sendFiles(w.landlord, g.ID, "new rules", w.upload(w.landlord, "rules.pdf"))
	w.setDate("2026-07-02")

	w.run(t, "TheOthersGoOn", func(t *testing.T) {
		if c := must[backend.Conversation](t)(w.s.Conversation(w.ctx, w.landlord, g.ID)); c.ReadOnly {
			t.Errorf("the landlord's view with Hank still Active: %+v", c)
		}
		if got := must[[]backend.Message](t)(w.s.Messages(w.ctx, hank, g.ID, backend.MessagePage{})); len(got) != 3 {
			t.Errorf("Hank reads %d messages, want 3", len(got))
		}
		w.send(hank, g.ID, "thanks")
	})

	w.run(t, "TheTenantWhoLeftSeesUntilTheEndOfTheirLease", func(t *testing.T) {
		got := must[[]backend.Message](t)(w.s.Messages(w.ctx, gina, g.ID, backend.MessagePage{}))
		if len(got) != 2 || got[0].ID != early.ID || got[1].ID != lastDay.ID {
			t.Errorf("Gina reads %+v; want the two messages of her lease", got)
		}
		list := must[[]backend.Conversation](t)(w.s.Conversations(w.ctx, gina))
		if len(list) != 1 || list[0].LastMessage == nil || list[0].LastMessage.ID != lastDay.ID ||
			!list[0].ReadOnly || list[0].ReadOnlyReason != tenantReadOnly {
			t.Errorf("Gina's list = %+v", list)
		}
		files := must[[]backend.SharedFile](t)(w.s.ConversationFiles(w.ctx, gina, g.ID))
		if len(files) != 1 || files[0].MessageID != early.ID {
			t.Errorf("Gina's files = %+v", files)
		}
		if _, _, err := w.s.FileForDownload(w.ctx, gina, early.Files[0].ID); err != nil {
			t.Errorf("Gina fetching a file of her lease: %v", err)
		}
		_, _, err := w.s.FileForDownload(w.ctx, gina, late.Files[0].ID)
		wantCode(t, err, backend.ENOTFOUND)
		for _, ev := range must[[]backend.Event](t)(w.s.Events(w.ctx, gina, 0, 100)) {
			if ev.Message != nil && ev.Message.Seq > lastDay.Seq {
				t.Errorf("Gina was told of message %d, written after her lease", ev.Message.Seq)
			}
		}
	})

	w.run(t, "TheTenantWhoLeftWritesAndUploadsNoMore", func(t *testing.T) {
		_, err := w.s.SendMessage(w.ctx, gina, g.ID, backend.SendMessage{Key: w.key(), Text: "one more thing"})
		wantRefusal(t, err, backend.ETENANTNOTACTIVE, tenantReadOnly)
		wantRefusal(t, w.s.CanUpload(w.ctx, gina), backend.ETENANTNOTACTIVE, "Your lease is no longer active, so you cannot share files.")
		if err := w.s.CanUpload(w.ctx, hank); err != nil {
			t.Errorf("Hank may not upload: %v", err)
		}
	})

	w.run(t, "NothingBeforeAFutureLeaseStarts", func(t *testing.T) {
		// Ivy moves into 3A in September; added to the chat now, she sees
		// nothing of it until then.
		_, ids, err := w.s.AddLease(w.ctx, w.orgA, Lease{Property: "Birch Row", Unit: "3A", Start: "2026-09-01",
			Tenants: []Tenant{{Name: "Ivy", Email: "ivy@tenant.test"}}})
		if err != nil {
			t.Fatal(err)
		}
		w.tenants["Ivy"] = ids[0]
		w.setDate("2026-09-02")
		w.group("3A")
		ivy := w.tenant("Ivy")
		w.setDate("2026-08-15")
		c := must[backend.Conversation](t)(w.s.Conversation(w.ctx, ivy, g.ID))
		msgs := must[[]backend.Message](t)(w.s.Messages(w.ctx, ivy, g.ID, backend.MessagePage{}))
		if !c.ReadOnly || c.LastMessage != nil || len(msgs) != 0 {
			t.Errorf("Ivy before her lease: %+v, %d messages", c, len(msgs))
		}
	})
}
