package client_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"doorstep/backend"
)

func TestNotificationsAreQueuedWithTheChat(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	raw, err := sql.Open("sqlite3", "file:"+w.path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec("UPDATE tenants SET phone = '' WHERE name = 'Erin'"); err != nil {
		t.Fatal(err)
	}
	woke := make(chan struct{}, 10)
	w.db.SetNotificationsQueued(func() { woke <- struct{}{} })

	group := must[backend.Conversation](t)(w.landlord.StartConversation(ctx, backend.StartConversation{UnitID: w.unit["1A"]}))
	log := must[[]backend.Notification](t)(w.landlord.ConversationNotifications(ctx, group.ID))
	if len(log) != 4 {
		t.Fatalf("a group chat with Alice and Bob queued %d notifications, want 4: %+v", len(log), log)
	}
	byTenant := map[string]int{}
	for _, n := range log {
		byTenant[n.Tenant.Name+" "+n.Channel]++
		if n.State != backend.NotificationQueued || n.Kind != backend.NotifyNewChat || n.Recipient == "" || n.NextAttemptAt == nil {
			t.Errorf("notification = %+v", n)
		}
	}
	for _, k := range []string{"Alice email", "Alice sms", "Bob email", "Bob sms"} {
		if byTenant[k] != 1 {
			t.Errorf("%s: %d notifications, want 1", k, byTenant[k])
		}
	}
	select {
	case <-woke:
	case <-time.After(5 * time.Second):
		t.Error("the sender was not woken")
	}

	t.Run("ReopeningAChatNotifiesNoOneAgain", func(t *testing.T) {
		must[backend.Conversation](t)(w.landlord.StartConversation(ctx, backend.StartConversation{UnitID: w.unit["1A"]}))
		if again := must[[]backend.Notification](t)(w.landlord.ConversationNotifications(ctx, group.ID)); len(again) != 4 {
			t.Errorf("%d notifications after reopening, want still 4", len(again))
		}
	})

	t.Run("NoPhoneIsSkippedWithTheReason", func(t *testing.T) {
		erin := must[backend.Conversation](t)(w.landlord.StartConversation(ctx, backend.StartConversation{TenantID: w.tenant["Erin"]}))
		log := must[[]backend.Notification](t)(w.landlord.ConversationNotifications(ctx, erin.ID))
		states := map[string]backend.Notification{}
		for _, n := range log {
			states[n.Channel] = n
		}
		if e := states[backend.ChannelEmail]; e.State != backend.NotificationQueued || e.Recipient != "erin@tenant.test" {
			t.Errorf("e-mail = %+v", e)
		}
		if s := states[backend.ChannelSMS]; s.State != backend.NotificationSkipped || s.Reason != "No phone number on file." || s.Recipient != "" {
			t.Errorf("sms = %+v", s)
		}
	})

	t.Run("ErrOnlyTheMainLandlordReadsTheLog", func(t *testing.T) {
		_, err := w.asTenant("Alice").ConversationNotifications(ctx, group.ID)
		wantCode(t, err, backend.EFORBIDDEN)
		_, err = w.subUser.ConversationNotifications(ctx, group.ID)
		wantCode(t, err, backend.EMAINUSERONLY)
		_, err = w.other.ConversationNotifications(ctx, group.ID)
		wantCode(t, err, backend.ENOTFOUND)
	})

	t.Run("SenderSeesDueOnesAndRecordsOutcomes", func(t *testing.T) {
		now := w.clock().Add(time.Second)
		due, err := w.db.DueNotifications(ctx, now, 100)
		if err != nil || len(due) != 5 { // Alice ×2, Bob ×2, Erin's e-mail
			t.Fatalf("due = %d, %v", len(due), err)
		}
		if d := due[0]; d.OrgName != "Maple Street Rentals" || d.LandlordName != "User landlord@a.test" || d.ConversationTitle != "Elm Court · 1A" {
			t.Errorf("pending = %+v", d)
		}
		if err := w.db.NotificationSent(ctx, due[0].ID, ""); err != nil {
			t.Fatal(err)
		}
		later := now.Add(10 * time.Minute)
		if err := w.db.NotificationRetry(ctx, due[1].ID, "connection refused", later); err != nil {
			t.Fatal(err)
		}
		if err := w.db.NotificationFailed(ctx, due[2].ID, "The number is not a mobile phone."); err != nil {
			t.Fatal(err)
		}
		if again, _ := w.db.DueNotifications(ctx, now, 100); len(again) != 2 {
			t.Errorf("still due: %d, want 2", len(again))
		}
		if again, _ := w.db.DueNotifications(ctx, later, 100); len(again) != 3 {
			t.Errorf("due after the retry time: %d, want 3", len(again))
		}
		next, ok, err := w.db.NextNotificationDue(ctx)
		if err != nil || !ok || next.After(now) {
			t.Errorf("next due = %v %v %v", next, ok, err)
		}
		log := must[[]backend.Notification](t)(w.landlord.ConversationNotifications(ctx, group.ID))
		got := map[int64]backend.Notification{}
		for _, n := range log {
			got[n.ID] = n
		}
		if n := got[due[0].ID]; n.State != backend.NotificationSent || n.SentAt == nil || n.Attempts != 1 || n.NextAttemptAt != nil {
			t.Errorf("sent = %+v", n)
		}
		if n := got[due[1].ID]; n.State != backend.NotificationQueued || n.Reason != "connection refused" || n.Attempts != 1 || n.NextAttemptAt == nil || !n.NextAttemptAt.Equal(later.UTC().Truncate(time.Second)) {
			t.Errorf("retrying = %+v", n)
		}
		if n := got[due[2].ID]; n.State != backend.NotificationFailed || n.Reason != "The number is not a mobile phone." {
			t.Errorf("failed = %+v", n)
		}
		// An outcome for a notification no longer queued changes nothing.
		w.db.NotificationRetry(ctx, due[0].ID, "late", later)
		for _, n := range must[[]backend.Notification](t)(w.landlord.ConversationNotifications(ctx, group.ID)) {
			if n.ID == due[0].ID && (n.State != backend.NotificationSent || n.Reason != "") {
				t.Errorf("a sent notification was changed: %+v", n)
			}
		}
	})
}

func TestNewMessageEmails(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	group := must[backend.Conversation](t)(w.landlord.StartConversation(ctx, backend.StartConversation{UnitID: w.unit["1A"]}))
	alice, bob := w.asTenant("Alice"), w.asTenant("Bob")
	advance := func(d time.Duration) { w.mu.Lock(); w.now = w.now.Add(d); w.mu.Unlock() }
	online := map[int64]bool{}
	sweep := func() int {
		t.Helper()
		n, err := w.db.QueueNewMessageEmails(ctx, w.clock(), time.Hour, 2*time.Minute, func(id int64) bool { return online[id] })
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	newMessageMails := func(tenant string) int {
		n := 0
		for _, x := range must[[]backend.Notification](t)(w.landlord.ConversationNotifications(ctx, group.ID)) {
			if x.Kind == backend.NotifyNewMessages && x.Tenant.Name == tenant {
				n++
				if x.Channel != backend.ChannelEmail || x.State != backend.NotificationQueued || x.Recipient != "alice@tenant.test" && x.Recipient != "bob@tenant.test" {
					t.Errorf("new-message notification = %+v", x)
				}
			}
		}
		return n
	}

	must[backend.Message](t)(w.landlord.SendMessage(ctx, group.ID, backend.SendMessage{Key: key(), Text: "Welcome!"}))
	advance(10 * time.Minute)
	if n := sweep(); n != 0 {
		t.Fatalf("queued %d right after the new-chat e-mail (one per hour)", n)
	}
	advance(time.Hour)
	must[backend.Message](t)(w.landlord.SendMessage(ctx, group.ID, backend.SendMessage{Key: key(), Text: "The plumber comes at 9"}))
	if n := sweep(); n != 0 {
		t.Fatalf("queued %d before the message settled (they may be reading it)", n)
	}
	advance(3 * time.Minute)
	online[w.tenant["Bob"]] = true
	if n := sweep(); n != 1 || newMessageMails("Alice") != 1 || newMessageMails("Bob") != 0 {
		t.Fatalf("first sweep queued %d (Alice %d, Bob online %d), want 1 for Alice", n, newMessageMails("Alice"), newMessageMails("Bob"))
	}

	t.Run("AtMostOnePerInterval", func(t *testing.T) {
		advance(time.Second)
		must[backend.Message](t)(w.landlord.SendMessage(ctx, group.ID, backend.SendMessage{Key: key(), Text: "Actually 10"}))
		advance(5 * time.Minute)
		if n := sweep(); n != 0 {
			t.Errorf("queued %d within the hour", n)
		}
		advance(time.Hour)
		if n := sweep(); n != 1 || newMessageMails("Alice") != 2 {
			t.Errorf("after the hour: queued %d, Alice has %d", n, newMessageMails("Alice"))
		}
	})

	t.Run("NothingUnreadNothingNew", func(t *testing.T) {
		advance(2 * time.Hour)
		if n := sweep(); n != 0 {
			t.Errorf("queued %d with nothing written since the last e-mail", n)
		}
		online[w.tenant["Bob"]] = false
		conv := must[backend.Conversation](t)(bob.Conversation(ctx, group.ID))
		if err := bob.MarkRead(ctx, group.ID, conv.LastSeq); err != nil {
			t.Fatal(err)
		}
		must[backend.Message](t)(alice.SendMessage(ctx, group.ID, backend.SendMessage{Key: key(), Text: "Fine by me"}))
		advance(3 * time.Minute)
		// Bob read everything but Alice's new one: one e-mail for him; none
		// for Alice about her own message.
		if n := sweep(); n != 1 || newMessageMails("Bob") != 1 || newMessageMails("Alice") != 2 {
			t.Errorf("queued %d (Bob %d, Alice %d)", n, newMessageMails("Bob"), newMessageMails("Alice"))
		}
	})

	t.Run("NotAfterTheLeaseEnded", func(t *testing.T) {
		// Written on the lease's last day, unread; then the lease ends.
		must[backend.Message](t)(w.landlord.SendMessage(ctx, group.ID, backend.SendMessage{Key: key(), Text: "Deposit returned"}))
		w.setDate("2027-01-02")
		advance(time.Hour)
		if n := sweep(); n != 0 {
			t.Errorf("queued %d for tenants whose lease ended", n)
		}
	})
}
