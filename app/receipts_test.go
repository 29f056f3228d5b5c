package app

import (
	"context"
	"slices"
	"sync"
	"testing"

	"doorstep/app/engine"
	"doorstep/backend"
	"doorstep/backend/demo"
	"doorstep/backend/servertest"
	"doorstep/internal/wait"
)

// readEvents keeps the read positions the engine told the UI of.
type readEvents struct {
	mu   sync.Mutex
	seen []backend.ReadPosition
}

func (r *readEvents) emit(name string, data any) {
	if p, ok := data.(backend.ReadPosition); ok && name == engine.EventRead {
		r.mu.Lock()
		r.seen = append(r.seen, p)
		r.mu.Unlock()
	}
}

func (r *readEvents) has(reader string, seq int64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.seen {
		if p.Reader.Name == reader && p.Seq == seq {
			return true
		}
	}
	return false
}

// receiptOf is the receipt under the landlord's message at seq of a
// thread's newest page ("" when it has none).
func receiptOf(t *testing.T, chat *ConversationService, convID, seq int64) backend.Receipt {
	t.Helper()
	th, err := chat.Thread(convID, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range th.Receipts {
		if r.Seq == seq {
			return r
		}
	}
	return backend.Receipt{}
}

// signedInDemo signs the demo landlord in through an AccountService over
// dataDir and keys, its events to rec, and waits until it is online.
func signedInDemo(t *testing.T, s *servertest.Server, dataDir string, keys *memKeys, rec *readEvents) *AccountService {
	t.Helper()
	a := NewAccountService(Config{ServerURL: s.URL}, &Lifecycle{}, keys, dataDir, rec.emit, quiet)
	t.Cleanup(a.shutdown)
	if _, err := a.SignIn(s.URL, demo.LandlordEmail, demo.Password); err != nil {
		t.Fatal(err)
	}
	wait.For(t, "online", func() bool { st, _ := a.State(); return st.Sync.State == "online" })
	return a
}

// TestReadReceiptsThroughTheServer: tenants read in their conversations on
// the real server; the landlord's engine hears of it, keeps it in the
// cache, tells the UI, and the thread's receipts say "Seen" (one-to-one)
// or "Seen by 2 of 3" (a group of three) — also offline, from the cache.
func TestReadReceiptsThroughTheServer(t *testing.T) {
	t.Parallel()
	s := servertest.StartDemo(t)
	dataDir, keys, rec := t.TempDir(), &memKeys{m: map[string]string{}}, &readEvents{}
	a := signedInDemo(t, s, dataDir, keys, rec)
	chat := NewConversationService(a)
	byTitle := map[string]backend.Conversation{}
	list, _ := chat.Conversations()
	for _, c := range list {
		byTitle[c.Title] = c
	}
	group, direct := byTitle["Maple Court · 2B"], byTitle["James Okafor"]
	if group.LastSeq != 4 || direct.LastSeq != 3 {
		t.Fatalf("the demo chats changed: %+v, %+v", group, direct)
	}
	ctx := context.Background()

	// The demo group: Emily wrote 2, Daniel 3, the landlord's 4 is unseen.
	if r := receiptOf(t, chat, group.ID, 4); r.Label != "Not seen yet" || len(r.NotSeen) != 3 {
		t.Fatalf("before anyone read: %+v", r)
	}
	if r := receiptOf(t, chat, group.ID, 1); r.Label != "Seen by 2 of 3" {
		t.Errorf("the first message, which Emily and Daniel answered: %+v", r)
	}
	for _, name := range []string{"Emily Chen", "Daniel Park"} {
		if err := s.Tenant(t, name).MarkRead(ctx, group.ID, 4); err != nil {
			t.Fatal(err)
		}
		wait.For(t, "the UI is told "+name+" read", func() bool { return rec.has(name, 4) })
	}
	wait.For(t, "Seen by 2 of 3", func() bool { return receiptOf(t, chat, group.ID, 4).Label == "Seen by 2 of 3" })
	r := receiptOf(t, chat, group.ID, 4)
	if len(r.Seen) != 2 || r.Seen[0] != "Daniel Park" || r.Seen[1] != "Emily Chen" || len(r.NotSeen) != 1 || r.NotSeen[0] != "Sofia Rossi" {
		t.Errorf("who has seen it: %+v", r)
	}

	// One-to-one: James answered 2; the landlord's 3 is seen once he reads.
	if r := receiptOf(t, chat, direct.ID, 3); r.Label != "Not seen yet" {
		t.Fatalf("James before reading: %+v", r)
	}
	if err := s.Tenant(t, "James Okafor").MarkRead(ctx, direct.ID, 3); err != nil {
		t.Fatal(err)
	}
	wait.For(t, "Seen", func() bool { return receiptOf(t, chat, direct.ID, 3).Label == "Seen" })
	if th, _ := chat.Thread(direct.ID, 0); len(th.Receipts) != 2 {
		t.Errorf("receipts under %d messages, want the landlord's 2: %+v", len(th.Receipts), th.Receipts)
	}

	t.Run("OfflineFromTheCache", func(t *testing.T) {
		a.shutdown()
		s.Stop()
		b := newAccounts(t, s.URL, dataDir, keys)
		if st, err := b.Restore(); err != nil || !st.SignedIn {
			t.Fatalf("restore offline: %+v, %v", st, err)
		}
		chat := NewConversationService(b)
		if r := receiptOf(t, chat, group.ID, 4); r.Label != "Seen by 2 of 3" {
			t.Errorf("the group offline: %+v", r)
		}
		if r := receiptOf(t, chat, direct.ID, 3); r.Label != "Seen" {
			t.Errorf("James offline: %+v", r)
		}
	})
}

// TestMarkUnread: the landlord marks a read conversation unread; the
// server keeps it (a second device, here a fresh cache, shows it unread
// too), and opening it reads it again.
func TestMarkUnread(t *testing.T) {
	t.Parallel()
	s := servertest.StartDemo(t)
	keys := &memKeys{m: map[string]string{}}
	a := newAccounts(t, s.URL, t.TempDir(), keys)
	if _, err := a.SignIn(s.URL, demo.LandlordEmail, demo.Password); err != nil {
		t.Fatal(err)
	}
	other := newAccounts(t, s.URL, t.TempDir(), &memKeys{m: map[string]string{}})
	if _, err := other.SignIn(s.URL, demo.LandlordEmail, demo.Password); err != nil {
		t.Fatal(err)
	}
	chat, otherChat := NewConversationService(a), NewConversationService(other)
	for _, acc := range []*AccountService{a, other} {
		wait.For(t, "online", func() bool { st, _ := acc.State(); return st.Sync.State == "online" })
	}
	find := func(chat *ConversationService, title string) backend.Conversation {
		list, _ := chat.Conversations()
		for _, c := range list {
			if c.Title == title {
				return c
			}
		}
		return backend.Conversation{}
	}
	olivia := find(chat, "Olivia Brown") // Olivia wrote last: seq 2
	if olivia.Unread != 0 {
		// The demo landlord has not read her answer yet: read it first.
		if err := chat.MarkRead(olivia.ID, olivia.LastSeq); err != nil {
			t.Fatal(err)
		}
		wait.For(t, "read on the other device", func() bool { return find(otherChat, "Olivia Brown").Unread == 0 })
	}

	if err := chat.MarkUnread(olivia.ID); err != nil {
		t.Fatal(err)
	}
	if c := find(chat, "Olivia Brown"); c.Unread != 1 || c.ReadSeq != 1 {
		t.Errorf("here after Mark as unread: unread %d, read %d", c.Unread, c.ReadSeq)
	}
	wait.For(t, "unread on the other device", func() bool { c := find(otherChat, "Olivia Brown"); return c.Unread == 1 && c.ReadSeq == 1 })

	if err := chat.MarkRead(olivia.ID, 2); err != nil {
		t.Fatal(err)
	}
	wait.For(t, "read again everywhere", func() bool {
		return find(chat, "Olivia Brown").Unread == 0 && find(otherChat, "Olivia Brown").Unread == 0
	})

	james := find(chat, "James Okafor") // the landlord wrote last, James answered before
	if err := chat.MarkUnread(james.ID); err != nil {
		t.Fatal(err)
	}
	if c := find(chat, "James Okafor"); c.Unread != 1 || c.ReadSeq != 1 {
		t.Errorf("James's chat after Mark as unread: unread %d, read %d; want his answer (2) unread", c.Unread, c.ReadSeq)
	}
}

// TestThreadMarksUrgentMessages: the thread marks what the notifications
// treat as urgent, a tenant's flag or an emergency word, and says why.
func TestThreadMarksUrgentMessages(t *testing.T) {
	t.Parallel()
	s := servertest.StartDemo(t)
	dataDir, keys, rec := t.TempDir(), &memKeys{m: map[string]string{}}, &readEvents{}
	a := signedInDemo(t, s, dataDir, keys, rec)
	chat := NewConversationService(a)
	ctx := context.Background()
	james := s.Tenant(t, "James Okafor")
	convs, _ := james.Conversations(ctx)
	conv := convs[0].ID
	word, err := james.SendMessage(ctx, conv, backend.SendMessage{Key: "urgent-word", Text: "There is a leak under the sink"})
	if err != nil {
		t.Fatal(err)
	}
	flagged, err := james.SendMessage(ctx, conv, backend.SendMessage{Key: "urgent-flag", Text: "Please call me", Urgent: true})
	if err != nil {
		t.Fatal(err)
	}
	var th Thread
	wait.For(t, "both messages in the thread", func() bool {
		th, _ = chat.Thread(conv, 0)
		return len(th.Messages) > 0 && th.Messages[len(th.Messages)-1].ID == flagged.ID
	})
	want := []backend.UrgentMark{
		{Seq: word.Seq, Reason: "It holds the emergency word \u201cleak\u201d."},
		{Seq: flagged.Seq, Reason: "The tenant marked this message urgent."},
	}
	if !slices.Equal(th.Urgent, want) {
		t.Errorf("urgent marks = %+v, want %+v", th.Urgent, want)
	}
}
