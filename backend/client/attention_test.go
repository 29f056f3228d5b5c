package client_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"doorstep/backend"
)

// TestAttentionSettings goes through the real HTTP API: settings saved from
// one device reach another as an event; mutes; the urgent mark.
func TestAttentionSettings(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	erin := must[backend.Conversation](t)(w.landlord.StartConversation(ctx, backend.StartConversation{TenantID: w.tenant["Erin"]}))

	t.Run("SavedOnOneDeviceArrivesOnAnother", func(t *testing.T) {
		other := w.signIn("landlord@a.test") // a second device
		s := must[backend.AttentionSettings](t)(other.AttentionSettings(ctx))
		if !slices.Equal(s.EmergencyWords, backend.DefaultEmergencyWords) {
			t.Errorf("defaults = %+v", s)
		}
		stream, err := other.Events(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer stream.Close()
		u := backend.AttentionUpdate{QuietHours: backend.QuietSchedule{TimeZone: "Europe/Lisbon"}, EmergencyWords: []string{"inundação"}}
		for d := range u.QuietHours.Days {
			u.QuietHours.Days[d] = backend.QuietDay{Mode: backend.QuietHours, From: "22:00", To: "06:00"}
		}
		saved := must[backend.AttentionSettings](t)(w.landlord.SaveAttentionSettings(ctx, u))
		if saved.QuietHours != u.QuietHours || !slices.Equal(saved.EmergencyWords, u.EmergencyWords) {
			t.Fatalf("saved = %+v", saved)
		}
		for {
			ev, err := stream.Next(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if ev.Type == backend.EventSettings {
				if ev.Settings == nil || ev.Settings.QuietHours.TimeZone != "Europe/Lisbon" {
					t.Errorf("event = %+v", ev)
				}
				break
			}
		}
	})

	t.Run("MuteAndUnmute", func(t *testing.T) {
		hour := w.clock().Add(time.Hour)
		s := must[backend.AttentionSettings](t)(w.landlord.MuteConversation(ctx, erin.ID, &hour))
		if !backend.Muted(s, erin.ID, w.clock()) || backend.Muted(s, erin.ID, hour) {
			t.Errorf("mutes = %+v", s.Mutes)
		}
		s = must[backend.AttentionSettings](t)(w.landlord.MuteConversation(ctx, erin.ID, nil))
		if !backend.Muted(s, erin.ID, w.clock().AddDate(10, 0, 0)) {
			t.Errorf("until unmuted: %+v", s.Mutes)
		}
		s = must[backend.AttentionSettings](t)(w.landlord.UnmuteConversation(ctx, erin.ID))
		if backend.Muted(s, erin.ID, w.clock()) {
			t.Errorf("unmuted: %+v", s.Mutes)
		}
	})

	t.Run("ErrRefused", func(t *testing.T) {
		past := w.clock().Add(-time.Hour)
		_, err := w.landlord.MuteConversation(ctx, erin.ID, &past)
		if backend.ErrorCode(err) != backend.EINVALID {
			t.Errorf("mute in the past: %v", err)
		}
		_, err = w.subUser.AttentionSettings(ctx)
		if backend.ErrorCode(err) != backend.EMAINUSERONLY {
			t.Errorf("sub-user: %v", err)
		}
		_, err = w.asTenant("Erin").AttentionSettings(ctx)
		if backend.ErrorCode(err) != backend.EFORBIDDEN {
			t.Errorf("tenant: %v", err)
		}
		_, err = w.other.MuteConversation(ctx, erin.ID, nil)
		if backend.ErrorCode(err) != backend.ENOTFOUND {
			t.Errorf("another landlord: %v", err)
		}
	})

	t.Run("UrgentFromTheTenantOnly", func(t *testing.T) {
		m := must[backend.Message](t)(w.asTenant("Erin").SendMessage(ctx, erin.ID, backend.SendMessage{Key: "urgent-0001", Text: "Pipe burst!", Urgent: true}))
		if !m.Urgent {
			t.Errorf("sent = %+v", m)
		}
		msgs := must[[]backend.Message](t)(w.landlord.Messages(ctx, erin.ID, backend.MessagePage{}))
		if len(msgs) == 0 || !msgs[len(msgs)-1].Urgent {
			t.Errorf("the landlord reads %+v", msgs)
		}
		_, err := w.landlord.SendMessage(ctx, erin.ID, backend.SendMessage{Key: "urgent-0002", Text: "On my way", Urgent: true})
		if backend.ErrorCode(err) != backend.EINVALID || backend.ErrorMessage(err) != backend.ErrorMessage(backend.ErrUrgentFromLandlord) {
			t.Errorf("the landlord's urgent mark: %v", err)
		}
	})
}
