package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"doorstep/backend"
)

// testNotificationOutbox: starting a chat queues an e-mail and a text
// message for each new member (skipped, with the reason, when there is no
// address for it); the sender takes what is due and records each outcome;
// the landlord reads the delivery log.
func testNotificationOutbox(t *testing.T, w *world) {
	g := w.group("1A")
	log := must[[]backend.Notification](t)(w.s.ConversationNotifications(w.ctx, w.landlord, g.ID))
	byTenant := map[string]int{}
	for _, n := range log {
		byTenant[n.Tenant.Name+" "+n.Channel]++
		if n.State != backend.NotificationQueued || n.Kind != backend.NotifyNewChat || n.Recipient == "" || n.NextAttemptAt == nil ||
			n.ConversationID != g.ID || n.Attempts != 0 || !n.CreatedAt.Equal(w.clock()) {
			t.Errorf("notification = %+v", n)
		}
	}
	if fmt.Sprint(byTenant) != "map[Alice email:1 Alice sms:1 Bob email:1 Bob sms:1]" {
		t.Errorf("queued %v, want an e-mail and a text message for Alice and for Bob", byTenant)
	}
	for i := 1; i < len(log); i++ {
		if log[i].ID >= log[i-1].ID {
			t.Errorf("the delivery log is not newest first: %d then %d", log[i-1].ID, log[i].ID)
		}
	}

	w.run(t, "ReopeningAChatNotifiesNoOneAgain", func(t *testing.T) {
		w.group("1A")
		if again := must[[]backend.Notification](t)(w.s.ConversationNotifications(w.ctx, w.landlord, g.ID)); len(again) != 4 {
			t.Errorf("%d notifications after reopening, want still 4", len(again))
		}
	})

	w.run(t, "NoPhoneIsSkippedWithTheReason", func(t *testing.T) {
		erin := w.start(backend.StartConversation{TenantID: w.tenants["Erin"]})
		states := map[string]backend.Notification{}
		for _, n := range must[[]backend.Notification](t)(w.s.ConversationNotifications(w.ctx, w.landlord, erin.ID)) {
			states[n.Channel] = n
		}
		if e := states[backend.ChannelEmail]; e.State != backend.NotificationQueued || e.Recipient != "erin@tenant.test" {
			t.Errorf("e-mail = %+v", e)
		}
		if s := states[backend.ChannelSMS]; s.State != backend.NotificationSkipped || s.Reason != "No phone number on file." ||
			s.Recipient != "" || s.NextAttemptAt != nil {
			t.Errorf("sms = %+v", s)
		}
	})

	w.run(t, "ErrOnlyTheMainLandlordReadsTheLog", func(t *testing.T) {
		_, err := w.s.ConversationNotifications(w.ctx, w.tenant("Alice"), g.ID)
		wantRefusal(t, err, backend.EFORBIDDEN, "Only your landlord sees how notifications were delivered.")
		_, err = w.s.ConversationNotifications(w.ctx, w.subUser, g.ID)
		wantCode(t, err, backend.EMAINUSERONLY)
		_, err = w.s.ConversationNotifications(w.ctx, w.other, g.ID)
		wantCode(t, err, backend.ENOTFOUND)
	})

	w.run(t, "SenderSeesDueOnesAndRecordsOutcomes", func(t *testing.T) {
		now := w.clock().Add(time.Second)
		due, err := w.s.DueNotifications(w.ctx, now, 100)
		if err != nil || len(due) != 5 { // Alice ×2, Bob ×2, Erin's e-mail
			t.Fatalf("due = %d, %v", len(due), err)
		}
		if d := due[0]; d.OrgID != w.orgA || d.OrgName != "Maple Street Rentals" || d.LandlordName != "Pat Landlord" || d.ConversationTitle != "Elm Court · 1A" {
			t.Errorf("pending = %+v", d)
		}
		if d := due[4]; d.Tenant.Name != "Erin" || d.ConversationTitle != "" {
			t.Errorf("pending for a one-to-one chat = %+v", d)
		}
		if limited := must[[]backend.PendingNotification](t)(w.s.DueNotifications(w.ctx, now, 2)); len(limited) != 2 {
			t.Errorf("limit 2 gave %d", len(limited))
		}
		if err := w.s.NotificationSent(w.ctx, due[0].ID, ""); err != nil {
			t.Fatal(err)
		}
		later := now.Add(10 * time.Minute)
		if err := w.s.NotificationRetry(w.ctx, due[1].ID, "connection refused", later); err != nil {
			t.Fatal(err)
		}
		if err := w.s.NotificationFailed(w.ctx, due[2].ID, "The number is not a mobile phone."); err != nil {
			t.Fatal(err)
		}
		if again, _ := w.s.DueNotifications(w.ctx, now, 100); len(again) != 2 {
			t.Errorf("still due: %d, want 2", len(again))
		}
		if again, _ := w.s.DueNotifications(w.ctx, later, 100); len(again) != 3 {
			t.Errorf("due after the retry time: %d, want 3", len(again))
		}
		next, ok, err := w.s.NextNotificationDue(w.ctx)
		if err != nil || !ok || next.After(now) {
			t.Errorf("next due = %v %v %v", next, ok, err)
		}
		got := map[int64]backend.Notification{}
		for _, n := range must[[]backend.Notification](t)(w.s.ConversationNotifications(w.ctx, w.landlord, g.ID)) {
			got[n.ID] = n
		}
		if n := got[due[0].ID]; n.State != backend.NotificationSent || n.SentAt == nil || n.Attempts != 1 || n.NextAttemptAt != nil {
			t.Errorf("sent = %+v", n)
		}
		if n := got[due[1].ID]; n.State != backend.NotificationQueued || n.Reason != "connection refused" || n.Attempts != 1 ||
			n.NextAttemptAt == nil || !n.NextAttemptAt.Equal(later) {
			t.Errorf("retrying = %+v", n)
		}
		if n := got[due[2].ID]; n.State != backend.NotificationFailed || n.Reason != "The number is not a mobile phone." || n.NextAttemptAt != nil {
			t.Errorf("failed = %+v", n)
		}
		// An outcome for a notification no longer queued changes nothing.
		for _, err := range []error{
			w.s.NotificationRetry(w.ctx, due[0].ID, "late", later),
			w.s.NotificationFailed(w.ctx, due[0].ID, "late"),
			w.s.NotificationSent(w.ctx, due[2].ID, "late"),
		} {
			if err != nil {
				t.Error(err)
			}
		}
		after := map[int64]backend.Notification{}
		for _, n := range must[[]backend.Notification](t)(w.s.ConversationNotifications(w.ctx, w.landlord, g.ID)) {
			after[n.ID] = n
		}
		if n := after[due[0].ID]; n.State != backend.NotificationSent || n.Reason != "" {
			t.Errorf("a sent notification was changed: %+v", n)
		}
		if n := after[due[2].ID]; n.State != backend.NotificationFailed {
			t.Errorf("a failed notification was changed: %+v", n)
		}
	})

	w.run(t, "NothingQueued", func(t *testing.T) {
		for _, n := range must[[]backend.PendingNotification](t)(w.s.DueNotifications(w.ctx, w.clock().Add(time.Hour), 100)) {
			if err := w.s.NotificationSent(w.ctx, n.ID, ""); err != nil {
				t.Fatal(err)
			}
		}
		if _, ok, err := w.s.NextNotificationDue(w.ctx); ok || err != nil {
			t.Errorf("next due with nothing queued: %v, %v", ok, err)
		}
	})
}

// testNewMessageEmails: a tenant who is not online hears of unread
// messages by e-mail once they settled, at most once per conversation and
// interval (the new-chat e-mail included), and not after their lease.
func testNewMessageEmails(t *testing.T, w *world) {
	g := w.group("1A")
	alice, bob := w.tenant("Alice"), w.tenant("Bob")
	online := map[int64]bool{}
	sweep := func() int {
		t.Helper()
		n, err := w.s.QueueNewMessageEmails(w.ctx, w.clock(), time.Hour, 2*time.Minute, func(id int64) bool { return online[id] })
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	newMessageMails := func(tenant string) int {
		n := 0
		for _, x := range must[[]backend.Notification](t)(w.s.ConversationNotifications(w.ctx, w.landlord, g.ID)) {
			if x.Kind == backend.NotifyNewMessages && x.Tenant.Name == tenant {
				n++
				if x.Channel != backend.ChannelEmail || x.State != backend.NotificationQueued || x.Recipient != "alice@tenant.test" && x.Recipient != "bob@tenant.test" {
					t.Errorf("new-message notification = %+v", x)
				}
			}
		}
		return n
	}

	w.send(w.landlord, g.ID, "Welcome!")
	w.advance(10 * time.Minute)
	if n := sweep(); n != 0 {
		t.Fatalf("queued %d right after the new-chat e-mail (one per hour)", n)
	}
	w.advance(time.Hour)
	w.send(w.landlord, g.ID, "The plumber comes at 9")
	if n := sweep(); n != 0 {
		t.Fatalf("queued %d before the message settled (they may be reading it)", n)
	}
	w.advance(3 * time.Minute)
	online[bob.ID] = true
	if n := sweep(); n != 1 || newMessageMails("Alice") != 1 || newMessageMails("Bob") != 0 {
		t.Fatalf("first sweep queued %d (Alice %d, Bob online %d), want 1 for Alice", n, newMessageMails("Alice"), newMessageMails("Bob"))
	}

	w.run(t, "AtMostOnePerInterval", func(t *testing.T) {
		w.advance(time.Second)
		w.send(w.landlord, g.ID, "Actually 10")
		w.advance(5 * time.Minute)
		if n := sweep(); n != 0 {
			t.Errorf("queued %d within the hour", n)
		}
		w.advance(time.Hour)
		if n := sweep(); n != 1 || newMessageMails("Alice") != 2 {
			t.Errorf("after the hour: queued %d, Alice has %d", n, newMessageMails("Alice"))
		}
	})

	w.run(t, "NothingUnreadNothingNew", func(t *testing.T) {
		w.advance(2 * time.Hour)
		if n := sweep(); n != 0 {
			t.Errorf("queued %d with nothing written since the last e-mail", n)
		}
		online[bob.ID] = false
		conv := must[backend.Conversation](t)(w.s.Conversation(w.ctx, bob, g.ID))
		if err := w.s.MarkRead(w.ctx, bob, g.ID, conv.LastSeq); err != nil {
			t.Fatal(err)
		}
		w.send(alice, g.ID, "Fine by me")
		w.advance(3 * time.Minute)
		// Bob read everything but Alice's new one: one e-mail for him; none
		// for Alice about her own message.
		if n := sweep(); n != 1 || newMessageMails("Bob") != 1 || newMessageMails("Alice") != 2 {
			t.Errorf("queued %d (Bob %d, Alice %d)", n, newMessageMails("Bob"), newMessageMails("Alice"))
		}
	})

	w.run(t, "NotAfterTheLeaseEnded", func(t *testing.T) {
		// Written on the lease's last day, unread; then the lease ends.
		w.send(w.landlord, g.ID, "Deposit returned")
		w.setDate("2027-01-02")
		w.advance(time.Hour)
		if n := sweep(); n != 0 {
			t.Errorf("queued %d for tenants whose lease ended", n)
		}
	})
}

// testSignInLinks: a new portal link asked for by e-mail address or phone
// number is queued for each tenant with it on file who has a chat their
// lease lets them take part in, and for no one else.
func testSignInLinks(t *testing.T, w *world) {
	w.setDate("2026-03-01")
	carol := w.start(backend.StartConversation{TenantID: w.tenants["Carol"]})
	w.setDate("2026-06-15")
	erin := w.start(backend.StartConversation{TenantID: w.tenants["Erin"]})
	g := w.group("1A")
	queue := func(contact string) int {
		t.Helper()
		n, err := w.s.QueueSignInLinks(w.ctx, contact)
		if err != nil {
			t.Fatalf("%q: %v", contact, err)
		}
		return n
	}
	links := func(convID int64) []string {
		t.Helper()
		var out []string
		for _, x := range must[[]backend.Notification](t)(w.s.ConversationNotifications(w.ctx, w.landlord, convID)) {
			if x.Kind == backend.NotifySignInLink {
				if x.State != backend.NotificationQueued || x.NextAttemptAt == nil {
					t.Errorf("sign-in link = %+v", x)
				}
				out = append(out, x.Tenant.Name+" "+x.Channel+" "+x.Recipient)
			}
		}
		slices.Sort(out)
		return out
	}

	if n := queue("  ERIN@tenant.test "); n != 1 || fmt.Sprint(links(erin.ID)) != "[Erin email erin@tenant.test]" {
		t.Errorf("Erin: queued %d, log %v", n, links(erin.ID))
	}
	if n := queue("bob@tenant.test"); n != 1 || fmt.Sprint(links(g.ID)) != "[Bob email bob@tenant.test]" {
		t.Errorf("Bob: queued %d, log %v", n, links(g.ID))
	}
	for _, nobody := range []string{"carol@tenant.test", "dan@tenant.test", "nobody@tenant.test", "not an address", ""} {
		if n := queue(nobody); n != 0 {
			t.Errorf("%q: queued %d, want none", nobody, n)
		}
	}
	if l := links(carol.ID); len(l) != 0 {
		t.Errorf("Carol, whose lease ended: %v", l)
	}
	// Alice, Bob, Carol, Dan, Gina, Hank and Zed share 555-0100: only
	// Alice and Bob have a chat on an active lease.
	if n := queue("555.0100"); n != 2 || fmt.Sprint(links(g.ID)) != "[Alice sms 555-0100 Bob email bob@tenant.test Bob sms 555-0100]" {
		t.Errorf("555.0100: queued %d, log %v", n, links(g.ID))
	}
	due := must[[]backend.PendingNotification](t)(w.s.DueNotifications(w.ctx, w.clock(), 100))
	kinds := 0
	for _, n := range due {
		if n.Kind == backend.NotifySignInLink {
			kinds++
		}
	}
	if kinds != 4 {
		t.Errorf("%d sign-in links due, want 4", kinds)
	}
}
