package notify_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"doorstep/backend"
	"doorstep/backend/notify"
)

func openMailbox(t *testing.T, dir string) *notify.Mailbox {
	t.Helper()
	m, err := notify.OpenMailbox(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func listMailbox(t *testing.T, m *notify.Mailbox) []notify.MailboxEntry {
	t.Helper()
	entries, err := m.List()
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

func TestMailbox(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("EntriesSurviveReopeningInOrder", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "mailbox") // created by OpenMailbox
		m := openMailbox(t, dir)
		before := time.Now().Add(-time.Second)
		if err := m.SendEmail(ctx, notify.Email{To: "zoe@tenant.example", ToName: "Zoë", Subject: "New chat", Text: "Line 1\nLine 2"}); err != nil {
			t.Fatal(err)
		}
		if err := m.SendSMS(ctx, notify.SMS{To: "+15552223333", Text: "New chat ✓"}); err != nil {
			t.Fatal(err)
		}

		again := openMailbox(t, dir)
		if again.Path() != m.Path() || filepath.Dir(again.Path()) != dir {
			t.Errorf("paths %q and %q", m.Path(), again.Path())
		}
		got := listMailbox(t, again)
		if len(got) != 2 {
			t.Fatalf("%d entries: %+v", len(got), got)
		}
		e, s := got[0], got[1]
		if e.Channel != notify.ChannelEmail || e.To != "zoe@tenant.example" || e.ToName != "Zoë" || e.Subject != "New chat" || e.Text != "Line 1\nLine 2" {
			t.Errorf("e-mail entry %+v", e)
		}
		if s.Channel != notify.ChannelSMS || s.To != "+15552223333" || s.Text != "New chat ✓" || s.Subject != "" {
			t.Errorf("SMS entry %+v", s)
		}
		if e.Time.Before(before) || s.Time.Before(e.Time) {
			t.Errorf("times %v, %v", e.Time, s.Time)
		}
	})

	t.Run("ConcurrentSendsAreAllRecorded", func(t *testing.T) {
		m := openMailbox(t, t.TempDir())
		const workers, each = 8, 25
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					var err error
					if i%2 == 0 {
						err = m.SendEmail(ctx, notify.Email{To: "t@tenant.example", Subject: "s", Text: fmt.Sprintf("%d-%d", w, i)})
					} else {
						err = m.SendSMS(ctx, notify.SMS{To: "+15552223333", Text: fmt.Sprintf("%d-%d", w, i)})
					}
					if err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		got := listMailbox(t, m)
		seen := map[string]bool{}
		for _, e := range got {
			seen[e.Text] = true
		}
		if len(got) != workers*each || len(seen) != workers*each {
			t.Fatalf("%d entries, %d distinct; want %d", len(got), len(seen), workers*each)
		}
		// Each worker's own sends keep their order.
		next := map[int]int{}
		for _, e := range got {
			var w, i int
			fmt.Sscanf(e.Text, "%d-%d", &w, &i)
			if i != next[w] {
				t.Fatalf("worker %d: entry %d after %d", w, i, next[w]-1)
			}
			next[w]++
		}
	})

	t.Run("InvalidMessageIsRefused", func(t *testing.T) {
		m := openMailbox(t, t.TempDir())
		err := m.SendEmail(ctx, notify.Email{To: "zoe@tenant.example", Subject: "a\r\nBcc: evil@example.com"})
		if backend.ErrorCode(err) != backend.EINVALID || !notify.Permanent(err) {
			t.Errorf("got %v, want a permanent EINVALID", err)
		}
		if got := listMailbox(t, m); len(got) != 0 {
			t.Errorf("recorded %+v", got)
		}
	})

	t.Run("LineCutShortByACrashIsDroppedOnOpen", func(t *testing.T) {
		dir := t.TempDir()
		m := openMailbox(t, dir)
		if err := m.SendSMS(ctx, notify.SMS{To: "+15552223333", Text: "kept"}); err != nil {
			t.Fatal(err)
		}
		f, err := os.OpenFile(m.Path(), os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(`{"time":"2026-01-01T00:00:00Z","channel":"sms","to":"+1555`)
		f.Close()

		m = openMailbox(t, dir)
		if err := m.SendSMS(ctx, notify.SMS{To: "+15552223333", Text: "after"}); err != nil {
			t.Fatal(err)
		}
		got := listMailbox(t, m)
		if len(got) != 2 || got[0].Text != "kept" || got[1].Text != "after" {
			t.Errorf("entries %+v", got)
		}
	})

	t.Run("CancelledContextRecordsNothing", func(t *testing.T) {
		m := openMailbox(t, t.TempDir())
		ctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := m.SendSMS(ctx, notify.SMS{To: "+15552223333", Text: "x"}); err == nil || notify.Permanent(err) {
			t.Errorf("got %v, want a temporary error", err)
		}
		if got := listMailbox(t, m); len(got) != 0 {
			t.Errorf("recorded %+v", got)
		}
	})
}
