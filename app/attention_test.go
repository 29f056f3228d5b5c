package app

import (
	"slices"
	"strings"
	"testing"
	"time"

	"doorstep/backend"
	"doorstep/backend/demo"
	"doorstep/backend/servertest"
	"doorstep/internal/wait"
)

// TestAttentionService: the bound methods mute and save through the real
// server, the settings stay readable offline, and a change offline is
// refused as unreachable, the kept settings unchanged.
func TestAttentionService(t *testing.T) {
	t.Parallel()
	s := servertest.StartDemo(t)
	a := newAccounts(t, s.URL, t.TempDir(), &memKeys{m: map[string]string{}})
	if _, err := a.SignIn(s.URL, demo.LandlordEmail, demo.Password); err != nil {
		t.Fatal(err)
	}
	attention := NewAttentionService(a)
	var conv int64
	wait.For(t, "the conversations are synced", func() bool {
		convs, _ := NewConversationService(a).Conversations()
		if len(convs) > 0 {
			conv = convs[0].ID
		}
		return conv != 0
	})

	settings, err := attention.Mute(conv, backend.MuteUntilMorning, "Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	if len(settings.Mutes) != 1 || settings.Mutes[0].Until == nil || settings.Mutes[0].Until.In(tokyo).Hour() != backend.MorningHour {
		t.Errorf("muted until tomorrow morning in Tokyo: %+v", settings.Mutes)
	}
	week := backend.QuietSchedule{TimeZone: "Asia/Tokyo"}
	for d := range week.Days {
		week.Days[d] = backend.QuietDay{Mode: backend.QuietHours, From: "22:00", To: "07:00"}
	}
	if _, err := attention.Save(backend.AttentionUpdate{QuietHours: week, EmergencyWords: []string{"leak"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := attention.Mute(conv, "fortnight", "UTC"); backend.ErrorCode(err) != backend.EINVALID {
		t.Errorf("an unknown length: %v", err)
	}
	// The UI keeps no rules of its own for the words: the server's refusals
	// reach it with their sentences, and nothing is saved.
	for words, want := range map[string]string{
		"leak|Léak": "“Léak” is the same emergency word as “leak” (case and accents do not count); remove one.",
		strings.Repeat("é", backend.MaxEmergencyWordRunes+1): "An emergency word can be at most 60 characters.",
	} {
		_, err := attention.Save(backend.AttentionUpdate{QuietHours: week, EmergencyWords: strings.Split(words, "|")})
		if backend.ErrorCode(err) != backend.EINVALID || backend.ErrorMessage(err) != want {
			t.Errorf("save %q: %v, want %q", words, err, want)
		}
	}
	if kept, _ := attention.Settings(); !slices.Equal(kept.EmergencyWords, []string{"leak"}) {
		t.Errorf("a refused save changed the words: %q", kept.EmergencyWords)
	}

	s.Stop()
	wait.For(t, "offline", func() bool { st, _ := a.State(); return st.Sync.State == "offline" })
	kept, err := attention.Settings()
	if err != nil || kept.QuietHours != week || !backend.Muted(kept, conv, time.Now()) {
		t.Errorf("offline: %+v, %v", kept, err)
	}
	if _, err := attention.Unmute(conv); backend.ErrorCode(err) != backend.EUNREACHABLE {
		t.Errorf("unmute offline: %v", err)
	}
	if kept, _ := attention.Settings(); !backend.Muted(kept, conv, time.Now()) {
		t.Error("a refused unmute changed the kept settings")
	}
	// The list's icon: the mute in force, its label read in the UI's zone.
	mutes, err := attention.Mutes("Asia/Tokyo")
	// (Tomorrow's 08:00, or today's when muted in the small hours.)
	if err != nil || len(mutes) != 1 || mutes[0].ConversationID != conv ||
		(mutes[0].Label != "Muted until tomorrow 08:00" && mutes[0].Label != "Muted until 08:00") {
		t.Errorf("mutes in force, offline: %+v, %v", mutes, err)
	}
}

// TestDefaultEmergencyWords: the UI's "Reset to defaults" gets the domain's
// list, and a copy of it: what the page does with it never changes the
// defaults of later calls.
func TestDefaultEmergencyWords(t *testing.T) {
	attention := NewAttentionService(nil)
	words := attention.DefaultEmergencyWords()
	if !slices.Equal(words, backend.DefaultEmergencyWords) || !slices.Contains(words, "no heat") {
		t.Fatalf("defaults: %q", words)
	}
	words[0] = "changed"
	if attention.DefaultEmergencyWords()[0] == "changed" {
		t.Error("the defaults were shared, not copied")
	}
}
