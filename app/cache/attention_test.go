package cache_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"doorstep/app/cache"
	"doorstep/backend"
)

// TestAttentionSettingsKeptForOffline: the settings the server sent are
// read back after the cache is closed and opened again.
func TestAttentionSettingsKeptForOffline(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cache.db")
	c, err := cache.Open(ctx, path, "test")
	if err != nil {
		t.Fatal(err)
	}
	if s, ok, err := c.AttentionSettings(ctx); err != nil || ok || !slices.Equal(s.EmergencyWords, backend.DefaultEmergencyWords) {
		t.Fatalf("before any: %+v, %v, %v", s, ok, err)
	}
	until := time.Date(2026, 6, 16, 13, 0, 0, 0, time.UTC)
	want := backend.DefaultAttentionSettings()
	want.QuietHours.TimeZone = "America/Chicago"
	want.QuietHours.Days[time.Saturday] = backend.QuietDay{Mode: backend.QuietAllDay}
	want.EmergencyWords = []string{"fuite"}
	want.Mutes = []backend.Mute{{ConversationID: 7, Until: &until}, {ConversationID: 8}}
	if err := c.SetAttentionSettings(ctx, want); err != nil {
		t.Fatal(err)
	}
	c.Close()
	c, err = cache.Open(ctx, path, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got, ok, err := c.AttentionSettings(ctx)
	if err != nil || !ok || got.QuietHours != want.QuietHours || !slices.Equal(got.EmergencyWords, want.EmergencyWords) ||
		!backend.Muted(got, 7, until.Add(-time.Minute)) || backend.Muted(got, 7, until) || !backend.Muted(got, 8, until) {
		t.Errorf("read back %+v, %v, %v", got, ok, err)
	}
}

// TestUrgentKept: a message's urgent mark survives the cache, whether it
// came in a page or as an event.
func TestUrgentKept(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := openCache(t)
	tenant := backend.Sender{Kind: backend.KindTenant, ID: 5, Name: "Maria Garcia"}
	paged := msg(1, 1, 1, tenant, "Water in the hall")
	paged.Urgent = true
	if err := c.PutMessages(ctx, []backend.Message{paged}); err != nil {
		t.Fatal(err)
	}
	live := msg(2, 1, 2, tenant, "Please come")
	live.Urgent = true
	if err := c.PutConversations(ctx, []backend.Conversation{{ID: 1, Kind: backend.ConversationDirect}}); err != nil {
		t.Fatal(err)
	}
	if err := c.ApplyEvents(ctx, backend.Principal{Kind: backend.KindUser, ID: 1}, []backend.Event{msgEvent(10, live), msgEvent(11, msg(3, 1, 3, tenant, "ok"))}); err != nil {
		t.Fatal(err)
	}
	got, err := c.Messages(ctx, 1, 0, 10)
	if err != nil || len(got) != 3 || !got[0].Urgent || !got[1].Urgent || got[2].Urgent {
		t.Errorf("messages = %+v, %v", got, err)
	}
}

// TestHeldNotifications: held messages are counted by conversation, once
// each, and released by conversation or all together.
func TestHeldNotifications(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := openCache(t)
	tenant := backend.Sender{Kind: backend.KindTenant, ID: 5, Name: "Maria Garcia"}
	for _, m := range []backend.Message{msg(1, 1, 1, tenant, "a"), msg(2, 1, 2, tenant, "b"), msg(3, 2, 1, tenant, "c"), msg(3, 2, 1, tenant, "c"), msg(4, 3, 1, tenant, "d")} {
		if err := c.Hold(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	count := func() [2]int {
		m, n, err := c.Held(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return [2]int{m, n}
	}
	if got := count(); got != [2]int{4, 3} {
		t.Errorf("held = %v, want 4 messages in 3 conversations", got)
	}
	if err := c.ReleaseHeld(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if got := count(); got != [2]int{2, 2} {
		t.Errorf("after releasing one conversation: %v", got)
	}
	if err := c.ReleaseHeld(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if got := count(); got != [2]int{0, 0} {
		t.Errorf("after releasing all: %v", got)
	}
}
