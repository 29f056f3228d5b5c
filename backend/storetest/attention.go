package storetest

import (
	"slices"
	"testing"
	"time"

	"doorstep/backend"
)

// testAttentionSettings: a landlord user's settings start at the defaults,
// are saved and read back (with their time zone), belong to that user
// alone, and each change is an event to them.
func testAttentionSettings(t *testing.T, w *world) {
	weeknights := backend.QuietSchedule{TimeZone: "America/Chicago"}
	for d := range weeknights.Days {
		weeknights.Days[d] = backend.QuietDay{Mode: backend.QuietHours, From: "21:00", To: "07:30"}
	}
	weeknights.Days[time.Saturday] = backend.QuietDay{Mode: backend.QuietAllDay}

	w.run(t, "DefaultsUntilSaved", func(t *testing.T) {
		s := must[backend.AttentionSettings](t)(w.s.AttentionSettings(w.ctx, w.landlord))
		want := backend.DefaultAttentionSettings()
		if !slices.Equal(s.EmergencyWords, want.EmergencyWords) || s.QuietHours != want.QuietHours || len(s.Mutes) != 0 || !s.UpdatedAt.IsZero() {
			t.Errorf("settings = %+v, want the defaults", s)
		}
	})

	w.run(t, "SaveAndReadBack", func(t *testing.T) {
		since := must[int64](t)(w.s.LatestEventID(w.ctx, w.landlord))
		saved := must[backend.AttentionSettings](t)(w.s.SaveAttentionSettings(w.ctx, w.landlord, backend.AttentionUpdate{
			QuietHours: weeknights, EmergencyWords: []string{"leak", " flood ", "no  heat"}}))
		if saved.QuietHours != weeknights || !slices.Equal(saved.EmergencyWords, []string{"leak", "flood", "no heat"}) || !saved.UpdatedAt.Equal(w.clock()) {
			t.Errorf("saved = %+v", saved)
		}
		got := must[backend.AttentionSettings](t)(w.s.AttentionSettings(w.ctx, w.landlord))
		if got.QuietHours != saved.QuietHours || !slices.Equal(got.EmergencyWords, saved.EmergencyWords) || !got.UpdatedAt.Equal(saved.UpdatedAt) {
			t.Errorf("read back %+v, want %+v", got, saved)
		}
		evs := must[[]backend.Event](t)(w.s.Events(w.ctx, w.landlord, since, 100))
		if len(evs) != 1 || evs[0].Type != backend.EventSettings || evs[0].Settings == nil || evs[0].Settings.QuietHours != weeknights {
			t.Errorf("events = %+v, want one settings event", evs)
		}
		// Nobody else's settings changed.
		other := must[backend.AttentionSettings](t)(w.s.AttentionSettings(w.ctx, w.other))
		if other.QuietHours == weeknights {
			t.Error("another landlord's settings changed too")
		}
	})

	w.run(t, "ErrInvalidKeepsTheOld", func(t *testing.T) {
		bad := weeknights
		bad.TimeZone = "Mars/Olympus"
		_, err := w.s.SaveAttentionSettings(w.ctx, w.landlord, backend.AttentionUpdate{QuietHours: bad})
		wantCode(t, err, backend.EINVALID)
		if got := must[backend.AttentionSettings](t)(w.s.AttentionSettings(w.ctx, w.landlord)); got.QuietHours != weeknights {
			t.Errorf("settings after a refused save = %+v", got.QuietHours)
		}
	})

	w.run(t, "ErrNotForTenantsOrSubUsers", func(t *testing.T) {
		alice := w.tenant("Alice")
		_, err := w.s.AttentionSettings(w.ctx, alice)
		wantCode(t, err, backend.EFORBIDDEN)
		_, err = w.s.SaveAttentionSettings(w.ctx, alice, backend.AttentionUpdate{QuietHours: weeknights})
		wantCode(t, err, backend.EFORBIDDEN)
		_, err = w.s.AttentionSettings(w.ctx, w.subUser)
		wantCode(t, err, backend.EMAINUSERONLY)
	})
}

// testMutes: a conversation is muted until a time or until unmuted, read
// back with the settings, unmuted, and only the landlord's own
// conversations can be.
func testMutes(t *testing.T, w *world) {
	g := w.group("1A")
	erin := w.start(backend.StartConversation{TenantID: w.tenants["Erin"]})

	w.run(t, "MuteForAnHourAndUntilUnmuted", func(t *testing.T) {
		since := must[int64](t)(w.s.LatestEventID(w.ctx, w.landlord))
		hour := w.clock().Add(time.Hour)
		must[backend.AttentionSettings](t)(w.s.MuteConversation(w.ctx, w.landlord, g.ID, backend.MuteRequest{Until: &hour}))
		s := must[backend.AttentionSettings](t)(w.s.MuteConversation(w.ctx, w.landlord, erin.ID, backend.MuteRequest{}))
		if len(s.Mutes) != 2 || s.Mutes[0].ConversationID != g.ID || s.Mutes[0].Until == nil || !s.Mutes[0].Until.Equal(hour) ||
			s.Mutes[1].ConversationID != erin.ID || s.Mutes[1].Until != nil {
			t.Fatalf("mutes = %+v", s.Mutes)
		}
		if !backend.Muted(s, g.ID, w.clock()) || backend.Muted(s, g.ID, hour) || !backend.Muted(s, erin.ID, w.clock().AddDate(1, 0, 0)) {
			t.Error("the stored mutes do not mute as asked")
		}
		got := must[backend.AttentionSettings](t)(w.s.AttentionSettings(w.ctx, w.landlord))
		if len(got.Mutes) != 2 {
			t.Errorf("read back %+v", got.Mutes)
		}
		evs := must[[]backend.Event](t)(w.s.Events(w.ctx, w.landlord, since, 100))
		if len(evs) != 2 || evs[1].Type != backend.EventSettings || len(evs[1].Settings.Mutes) != 2 {
			t.Errorf("events = %+v", evs)
		}
	})

	w.run(t, "MuteAgainReplaces", func(t *testing.T) {
		s := must[backend.AttentionSettings](t)(w.s.MuteConversation(w.ctx, w.landlord, g.ID, backend.MuteRequest{}))
		if len(s.Mutes) != 2 || s.Mutes[0].Until != nil {
			t.Errorf("mutes = %+v", s.Mutes)
		}
	})

	w.run(t, "Unmute", func(t *testing.T) {
		s := must[backend.AttentionSettings](t)(w.s.UnmuteConversation(w.ctx, w.landlord, g.ID))
		if backend.Muted(s, g.ID, w.clock()) || len(s.Mutes) != 1 {
			t.Errorf("after unmuting: %+v", s.Mutes)
		}
		// Unmuting what is not muted is no error.
		must[backend.AttentionSettings](t)(w.s.UnmuteConversation(w.ctx, w.landlord, g.ID))
	})

	w.run(t, "SavingTheScheduleKeepsMutes", func(t *testing.T) {
		s := must[backend.AttentionSettings](t)(w.s.SaveAttentionSettings(w.ctx, w.landlord, backend.AttentionUpdate{
			QuietHours: backend.DefaultAttentionSettings().QuietHours, EmergencyWords: []string{"fire"}}))
		if !backend.Muted(s, erin.ID, w.clock()) {
			t.Errorf("mutes after saving the schedule: %+v", s.Mutes)
		}
	})

	w.run(t, "ErrInThePast", func(t *testing.T) {
		past := w.clock().Add(-time.Minute)
		_, err := w.s.MuteConversation(w.ctx, w.landlord, g.ID, backend.MuteRequest{Until: &past})
		wantCode(t, err, backend.EINVALID)
	})

	w.run(t, "ErrNotYourConversation", func(t *testing.T) {
		_, err := w.s.MuteConversation(w.ctx, w.other, g.ID, backend.MuteRequest{})
		wantCode(t, err, backend.ENOTFOUND)
		_, err = w.s.MuteConversation(w.ctx, w.landlord, 999_999, backend.MuteRequest{})
		wantCode(t, err, backend.ENOTFOUND)
		_, err = w.s.MuteConversation(w.ctx, w.tenant("Alice"), g.ID, backend.MuteRequest{})
		wantCode(t, err, backend.EFORBIDDEN)
		_, err = w.s.UnmuteConversation(w.ctx, w.other, erin.ID)
		wantCode(t, err, backend.ENOTFOUND)
		if s := must[backend.AttentionSettings](t)(w.s.AttentionSettings(w.ctx, w.other)); len(s.Mutes) != 0 {
			t.Errorf("the other landlord's mutes: %+v", s.Mutes)
		}
	})
}

// testUrgentMessages: a tenant's urgent mark is stored and read back with
// the message and its event; the landlord's is refused.
func testUrgentMessages(t *testing.T, w *world) {
	g := w.group("1A")
	alice := w.tenant("Alice")

	w.run(t, "TenantMarksUrgent", func(t *testing.T) {
		since := must[int64](t)(w.s.LatestEventID(w.ctx, w.landlord))
		m := must[backend.Message](t)(w.s.SendMessage(w.ctx, alice, g.ID, backend.SendMessage{Key: w.key(), Text: "Water everywhere", Urgent: true}))
		if !m.Urgent {
			t.Errorf("sent = %+v", m)
		}
		plain := w.send(alice, g.ID, "Never mind, it was the dog bowl")
		got := must[[]backend.Message](t)(w.s.Messages(w.ctx, w.landlord, g.ID, backend.MessagePage{}))
		if len(got) != 2 || !got[0].Urgent || got[1].Urgent || got[1].ID != plain.ID {
			t.Errorf("read back %+v", got)
		}
		evs := must[[]backend.Event](t)(w.s.Events(w.ctx, w.landlord, since, 100))
		if len(evs) != 2 || evs[0].Message == nil || !evs[0].Message.Urgent {
			t.Errorf("events = %+v", evs)
		}
		conv := must[backend.Conversation](t)(w.s.Conversation(w.ctx, w.landlord, g.ID))
		if conv.LastMessage == nil || conv.LastMessage.Urgent {
			t.Errorf("last message = %+v", conv.LastMessage)
		}
	})

	w.run(t, "ErrLandlordCannot", func(t *testing.T) {
		before := must[backend.Conversation](t)(w.s.Conversation(w.ctx, w.landlord, g.ID)).LastSeq
		_, err := w.s.SendMessage(w.ctx, w.landlord, g.ID, backend.SendMessage{Key: w.key(), Text: "Fire drill at 10", Urgent: true})
		wantRefusal(t, err, backend.EINVALID, "Only tenants can mark a message urgent.")
		if after := must[backend.Conversation](t)(w.s.Conversation(w.ctx, w.landlord, g.ID)).LastSeq; after != before {
			t.Errorf("a refused message was stored: last seq %d → %d", before, after)
		}
	})
}
