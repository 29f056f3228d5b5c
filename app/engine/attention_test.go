package engine_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"doorstep/app/engine"
	"doorstep/backend"
	"doorstep/backend/client"
	"doorstep/backend/servertest"
	"doorstep/internal/wait"
)

// timerClock is a clock the test moves whose timers fire when it passes
// their time, so the end of quiet hours comes when the test says.
type timerClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []clockTimer
}

type clockTimer struct {
	at time.Time
	ch chan time.Time
}

func (c *timerClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

// At returns a channel that receives once the clock reaches at (at once
// if it has).
func (c *timerClock) At(at time.Time) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if !at.After(c.now) {
		ch <- c.now
		return ch
	}
	c.timers = append(c.timers, clockTimer{at: at, ch: ch})
	return ch
}

// Add moves the clock forward and fires the timers it passes.
func (c *timerClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, t := range c.timers {
		if t.at.After(c.now) {
			kept = append(kept, t)
			continue
		}
		t.ch <- c.now
	}
	c.timers = kept
}

// pending is how many timers wait.
func (c *timerClock) pending() int { c.mu.Lock(); defer c.mu.Unlock(); return len(c.timers) }

// attentionRecorder keeps the urgent and summary notifications.
type attentionRecorder struct {
	mu      sync.Mutex
	urgent  []backend.Message
	summary [][2]int
}

func (r *attentionRecorder) notifyUrgent(_ backend.Conversation, m backend.Message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.urgent = append(r.urgent, m)
}

func (r *attentionRecorder) notifySummary(messages, conversations int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.summary = append(r.summary, [2]int{messages, conversations})
}

func (r *attentionRecorder) seen() ([]backend.Message, [][2]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]backend.Message(nil), r.urgent...), append([][2]int(nil), r.summary...)
}

// quietAround is a schedule in UTC whose quiet hours run every day from an
// hour before at to an hour after it.
func quietAround(at time.Time) backend.QuietSchedule {
	s := backend.QuietSchedule{TimeZone: "UTC"}
	for d := range s.Days {
		s.Days[d] = backend.QuietDay{Mode: backend.QuietHours, From: at.UTC().Add(-time.Hour).Format("15:04"), To: at.UTC().Add(time.Hour).Format("15:04")}
	}
	return s
}

// conversationWith is the landlord's one-to-one conversation with a demo
// tenant, as that tenant's client lists it.
func conversationWith(t *testing.T, tenant *client.Client) int64 {
	t.Helper()
	list, err := tenant.Conversations(context.Background())
	if err != nil || len(list) == 0 {
		t.Fatalf("conversations: %v %v", list, err)
	}
	return list[0].ID
}

// TestMuteQuietHoursAndUrgent: with the real server and a clock the test
// moves, a muted conversation does not notify (its unread count still
// grows), quiet hours hold notifications and end in one summary, and an
// urgent message (marked, or with an emergency word) notifies at once
// through both. Settings changed on "another device" (the landlord's own
// client) reach the engine as events.
func TestMuteQuietHoursAndUrgent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := &timerClock{now: time.Now()}
	s := servertest.StartDemo(t)
	ar := &attentionRecorder{}
	h := start(t, s, filepath.Join(t.TempDir(), "cache.db"), func(e *engine.Engine) {
		e.Clock, e.At = clock.Now, clock.At
		e.NotifyUrgent, e.NotifySummary = ar.notifyUrgent, ar.notifySummary
	})
	wait.For(t, "online", func() bool { return h.eng.State().State == engine.StateOnline })

	olivia, james := s.Tenant(t, "Olivia Brown"), s.Tenant(t, "James Okafor")
	emily, daniel := s.Tenant(t, "Emily Chen"), s.Tenant(t, "Daniel Park")
	oliviaConv, jamesConv, group := conversationWith(t, olivia), conversationWith(t, james), conversationWith(t, emily)

	// Another device of the landlord's: quiet hours now, Olivia muted.
	if _, err := h.landlord.SaveAttentionSettings(ctx, backend.AttentionUpdate{QuietHours: quietAround(clock.Now()), EmergencyWords: []string{"smoke"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.landlord.MuteConversation(ctx, oliviaConv, nil); err != nil {
		t.Fatal(err)
	}
	wait.For(t, "the settings arrive as events", func() bool {
		a := h.eng.Attention()
		return backend.Muted(a, oliviaConv, clock.Now()) && backend.InQuietHours(a.QuietHours, clock.Now())
	})
	if cached, ok, err := h.cache.AttentionSettings(ctx); err != nil || !ok || !backend.Muted(cached, oliviaConv, clock.Now()) {
		t.Errorf("cached settings = %+v, %v, %v", cached, ok, err)
	}

	send := func(tenant *client.Client, conv int64, key, text string, urgent bool) backend.Message {
		t.Helper()
		m, err := tenant.SendMessage(ctx, conv, backend.SendMessage{Key: key, Text: text, Urgent: urgent})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	unread := func(conv int64) int64 {
		c, _, _ := h.cache.Conversation(ctx, conv)
		return c.Unread
	}
	oliviaUnread := unread(oliviaConv)

	send(olivia, oliviaConv, "olivia-quiet-1", "Can I paint the bedroom?", false) // muted
	send(james, jamesConv, "james-quiet-1", "The sink is fine now", false)        // held
	send(emily, group, "emily-quiet-1", "Parcel for 2B downstairs", false)        // held
	send(daniel, group, "daniel-quiet-1", "Thanks Emily", false)                  // held
	wait.For(t, "three held in two conversations", func() bool {
		m, c, _ := h.cache.Held(ctx)
		return m == 3 && c == 2
	})
	if got := unread(oliviaConv); got != oliviaUnread+1 {
		t.Errorf("the muted conversation's unread = %d, want %d", got, oliviaUnread+1)
	}

	marked := send(olivia, oliviaConv, "olivia-urgent-1", "Please call me", true) // muted and quiet: urgent anyway
	worded := send(james, jamesConv, "james-urgent-1", "There is SMOKE in the hall!", false)
	wait.For(t, "both urgent messages notified at once", func() bool {
		u, _ := ar.seen()
		return len(u) == 2 && u[0].ID == marked.ID && u[1].ID == worded.ID
	})
	if n := h.rec.notifications(); len(n) != 0 {
		t.Errorf("%d ordinary notifications during quiet hours and mute", len(n))
	}
	if _, summary := ar.seen(); len(summary) != 0 {
		t.Errorf("a summary before quiet hours end: %v", summary)
	}

	// Quiet hours end when the clock passes their end.
	wait.For(t, "the engine waits for the end of quiet hours", func() bool { return clock.pending() > 0 })
	clock.Add(90 * time.Minute)
	wait.For(t, "one summary when quiet hours end", func() bool {
		_, summary := ar.seen()
		return len(summary) == 1
	})
	if _, summary := ar.seen(); summary[0] != [2]int{3, 2} || backend.HeldSummary(summary[0][0], summary[0][1]) != "3 new messages in 2 conversations" {
		t.Errorf("summary = %v", summary)
	}
	if m, c, _ := h.cache.Held(ctx); m != 0 || c != 0 {
		t.Errorf("still held: %d in %d", m, c)
	}

	// After quiet hours: the muted one stays silent, the others notify.
	send(olivia, oliviaConv, "olivia-after-1", "Blue, maybe", false)
	after := send(james, jamesConv, "james-after-1", "All good", false)
	wait.For(t, "an ordinary notification after quiet hours", func() bool {
		n := h.rec.notifications()
		return len(n) == 1 && n[0].ID == after.ID
	})

	// A mute for an hour is over when the clock passes it.
	hour := clock.Now().Add(time.Hour)
	if _, err := h.landlord.MuteConversation(ctx, jamesConv, &hour); err != nil {
		t.Fatal(err)
	}
	wait.For(t, "James muted", func() bool { return backend.Muted(h.eng.Attention(), jamesConv, clock.Now()) })
	send(james, jamesConv, "james-muted-1", "One more thing", false)
	// Messages are decided in order: once Emily's notifies, James's muted
	// one was decided, before the clock moves on.
	emilys := send(emily, group, "emily-after-1", "Thanks!", false)
	wait.For(t, "the next message notified", func() bool {
		n := h.rec.notifications()
		return len(n) == 2 && n[1].ID == emilys.ID
	})
	clock.Add(61 * time.Minute)
	later := send(james, jamesConv, "james-unmuted-1", "Never mind", false)
	wait.For(t, "notified once the mute is over", func() bool {
		n := h.rec.notifications()
		return len(n) == 3 && n[2].ID == later.ID
	})
}

// TestHeldReleasedWhenRead: a conversation looked at during quiet hours
// leaves the summary, and a schedule changed so that quiet hours are over
// sums up at once, with no timer.
func TestHeldReleasedWhenReadAndOnScheduleChange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := &timerClock{now: time.Now()}
	s := servertest.StartDemo(t)
	ar := &attentionRecorder{}
	h := start(t, s, filepath.Join(t.TempDir(), "cache.db"), func(e *engine.Engine) {
		e.Clock, e.At = clock.Now, clock.At
		e.NotifyUrgent, e.NotifySummary = ar.notifyUrgent, ar.notifySummary
	})
	wait.For(t, "online", func() bool { return h.eng.State().State == engine.StateOnline })
	olivia, james := s.Tenant(t, "Olivia Brown"), s.Tenant(t, "James Okafor")
	oliviaConv, jamesConv := conversationWith(t, olivia), conversationWith(t, james)
	if _, err := h.landlord.SaveAttentionSettings(ctx, backend.AttentionUpdate{QuietHours: quietAround(clock.Now())}); err != nil {
		t.Fatal(err)
	}
	wait.For(t, "quiet hours in force", func() bool { return backend.InQuietHours(h.eng.Attention().QuietHours, clock.Now()) })
	olivia.SendMessage(ctx, oliviaConv, backend.SendMessage{Key: "olivia-held-1", Text: "Hello"})
	james.SendMessage(ctx, jamesConv, backend.SendMessage{Key: "james-held-1", Text: "Hi"})
	james.SendMessage(ctx, jamesConv, backend.SendMessage{Key: "james-held-2", Text: "Hi again"})
	wait.For(t, "held", func() bool { m, _, _ := h.cache.Held(ctx); return m == 3 })

	h.eng.SetViewing(jamesConv, true) // read in the window
	if m, c, _ := h.cache.Held(ctx); m != 1 || c != 1 {
		t.Errorf("held after reading James's = %d in %d", m, c)
	}
	h.eng.SetViewing(0, false)

	if _, err := h.landlord.SaveAttentionSettings(ctx, backend.AttentionUpdate{QuietHours: backend.DefaultAttentionSettings().QuietHours}); err != nil {
		t.Fatal(err)
	}
	wait.For(t, "the summary once quiet hours are turned off", func() bool {
		_, summary := ar.seen()
		return len(summary) == 1 && summary[0] == [2]int{1, 1}
	})
}

// TestUrgentWhileAwayNotifiesOnReturn: urgent messages that came while the
// app was closed (or asleep, or offline) notify when it catches up, the
// newest of each conversation once; one read meanwhile on another device
// does not, and neither do ordinary messages (the unread badge shows them).
func TestUrgentWhileAwayNotifiesOnReturn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := servertest.StartDemo(t)
	path := filepath.Join(t.TempDir(), "cache.db")
	first := start(t, s, path)
	wait.For(t, "online", func() bool { return first.eng.State().State == engine.StateOnline })
	first.stop()

	olivia, james, emily := s.Tenant(t, "Olivia Brown"), s.Tenant(t, "James Okafor"), s.Tenant(t, "Emily Chen")
	oliviaConv, jamesConv, group := conversationWith(t, olivia), conversationWith(t, james), conversationWith(t, emily)
	send := func(tenant *client.Client, conv int64, key, text string, urgent bool) backend.Message {
		t.Helper()
		m, err := tenant.SendMessage(ctx, conv, backend.SendMessage{Key: key, Text: text, Urgent: urgent})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	send(olivia, oliviaConv, "while-away-1", "Water is dripping from the ceiling", true)
	newest := send(olivia, oliviaConv, "while-away-2", "It is getting worse, please call", true)
	readElsewhere := send(james, jamesConv, "while-away-3", "There is smoke in the hall", false)
	send(emily, group, "while-away-4", "Parcel for 2B downstairs", false)
	worded := send(emily, group, "while-away-5", "The basement has a gas smell", false)
	// The landlord reads James's on the phone before the desktop wakes.
	if err := first.landlord.MarkRead(ctx, jamesConv, readElsewhere.Seq); err != nil {
		t.Fatal(err)
	}

	ar := &attentionRecorder{}
	h := start(t, s, path, func(e *engine.Engine) { e.NotifyUrgent, e.NotifySummary = ar.notifyUrgent, ar.notifySummary })
	// The engine notifies what it missed before it says it is online.
	wait.For(t, "online again", func() bool { return h.eng.State().State == engine.StateOnline })
	urgent, summary := ar.seen()
	if len(urgent) != 2 || urgent[0].ID != newest.ID || urgent[1].ID != worded.ID {
		t.Errorf("urgent notifications on return: %+v, want messages %d and %d", urgent, newest.ID, worded.ID)
	}
	if n := h.rec.notifications(); len(n) != 0 {
		t.Errorf("%d ordinary notifications for messages that came while away", len(n))
	}
	if len(summary) != 0 {
		t.Errorf("a summary: %v", summary)
	}
	// Live again: an urgent message notifies once, as always.
	live := send(olivia, oliviaConv, "while-away-6", "Fire!", false)
	wait.For(t, "a live urgent message", func() bool {
		u, _ := ar.seen()
		return len(u) == 3 && u[2].ID == live.ID
	})
}
