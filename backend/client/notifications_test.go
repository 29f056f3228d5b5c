package client_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"doorstep/backend"
)

func TestNotificationsAreQueuedWithTheChat(t *testing.T) {
	t.Parallel()
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
}
