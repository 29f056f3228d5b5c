package engine_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"doorstep/app/cache"
	"doorstep/app/engine"
	"doorstep/backend"
	"doorstep/backend/client"
	"doorstep/backend/filestore"
	"doorstep/backend/httpapi"
	"doorstep/backend/servertest"
	"doorstep/internal/wait"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// recorder keeps what the engine told the UI and notified.
type recorder struct {
	mu       sync.Mutex
	events   []string
	states   []string
	notified []backend.Message
	history  engine.HistoryProgress // the last one reported
}

func (r *recorder) emit(name string, data any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, name)
	if s, ok := data.(engine.SyncState); ok {
		r.states = append(r.states, s.State)
	}
	if p, ok := data.(engine.HistoryProgress); ok {
		r.history = p
	}
}

func (r *recorder) notify(_ backend.Conversation, m backend.Message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notified = append(r.notified, m)
}

func (r *recorder) notifications() []backend.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]backend.Message(nil), r.notified...)
}

type harness struct {
	srv      *servertest.Server
	landlord *client.Client
	me       backend.Me
	cache    *cache.Cache
	eng      *engine.Engine
	rec      *recorder
	cancel   context.CancelFunc
	done     chan struct{}
}

// start runs an engine for the demo landlord over a cache at cachePath;
// configure changes the engine before it runs.
func start(t *testing.T, s *servertest.Server, cachePath string, configure ...func(*engine.Engine)) *harness {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c, err := cache.Open(ctx, cachePath, "test")
	if err != nil {
		t.Fatal(err)
	}
	landlord, me := s.Landlord(t)
	h := &harness{srv: s, landlord: landlord, me: me, cache: c, rec: &recorder{}, cancel: cancel, done: make(chan struct{})}
	h.eng = engine.New(c, landlord, me.Principal, h.rec.emit, h.rec.notify, quiet)
	for _, f := range configure {
		f(h.eng)
	}
	go func() { defer close(h.done); h.eng.Run(ctx) }()
	t.Cleanup(h.stop)
	return h
}

func (h *harness) stop() {
	h.cancel()
	<-h.done
	h.cache.Close()
}

func (h *harness) cachedMessages(t *testing.T) int {
	n := 0
	list, err := h.cache.Conversations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		msgs, _ := h.cache.Messages(context.Background(), c.ID, 0, 1000)
		n += len(msgs)
	}
	return n
}

func TestCatchUpAndLive(t *testing.T) {
	t.Parallel()
	s := servertest.StartDemo(t)
	h := start(t, s, filepath.Join(t.TempDir(), "cache.db"))
	ctx := context.Background()
	serverConvs, _ := h.landlord.Conversations(ctx)
	wait.For(t, "the demo history is cached", func() bool { return h.cachedMessages(t) == 12 && h.eng.State().State == engine.StateOnline })
	cached, _ := h.cache.Conversations(ctx)
	if len(cached) != len(serverConvs) || cached[0].ID != serverConvs[0].ID {
		t.Fatalf("cached %d conversations (first %d), server has %d (first %d)", len(cached), cached[0].ID, len(serverConvs), serverConvs[0].ID)
	}

	olivia := s.Tenant(t, "Olivia Brown")
	list, _ := olivia.Conversations(ctx)
	conv := list[0].ID
	was, _, _ := h.cache.Conversation(ctx, conv)
	m, err := olivia.SendMessage(ctx, conv, backend.SendMessage{Key: "olivia-0001", Text: "Can I paint the bedroom?\nBlue, maybe."})
	if err != nil {
		t.Fatal(err)
	}
	wait.For(t, "the tenant's message is cached and notified", func() bool {
		n := h.rec.notifications()
		return len(n) == 1 && n[0].ID == m.ID
	})
	c, _, _ := h.cache.Conversation(ctx, conv)
	if c.Unread != was.Unread+1 || c.LastMessage.ID != m.ID {
		t.Errorf("cached conversation = %+v", c)
	}

	// Looking at the conversation in a focused window: no notification.
	h.eng.SetViewing(conv, true)
	olivia.SendMessage(ctx, conv, backend.SendMessage{Key: "olivia-0002", Text: "Never mind!"})
	// Own messages never notify either.
	h.landlord.SendMessage(ctx, conv, backend.SendMessage{Key: "pat-000001", Text: "Blue is fine."})
	wait.For(t, "both messages cached", func() bool {
		msgs, _ := h.cache.Messages(ctx, conv, 0, 100)
		return len(msgs) == 5
	})
	if n := h.rec.notifications(); len(n) != 1 {
		t.Errorf("%d notifications, want only the first one", len(n))
	}
}

// The limits the app checks before queueing are the server's, learned on
// connecting and kept for offline use.
func TestLearnsTheServersLimitsOnConnect(t *testing.T) {
	t.Parallel()
	files, err := filestore.Open(filepath.Join(t.TempDir(), "files"), 2<<20)
	if err != nil {
		t.Fatal(err)
	}
	s := servertest.StartDemo(t, httpapi.WithFiles(files))
	h := start(t, s, filepath.Join(t.TempDir(), "cache.db"))
	wait.For(t, "online", func() bool { return h.eng.State().State == engine.StateOnline })
	l, err := h.cache.Limits(context.Background())
	if want := (backend.Limits{MaxUploadBytes: 2 << 20, MaxFilesPerMessage: backend.MaxFilesPerMessage, MaxMessageRunes: backend.MaxMessageRunes}); err != nil || l != want {
		t.Errorf("kept limits = %+v, %v; want the server's %+v", l, err, want)
	}
}

func TestOutboxOfflineThenDeliveredOnceInOrder(t *testing.T) {
	t.Parallel()
	s := servertest.StartDemo(t)
	cachePath := filepath.Join(t.TempDir(), "cache.db")
	h := start(t, s, cachePath)
	ctx := context.Background()
	wait.For(t, "online", func() bool { return h.eng.State().State == engine.StateOnline })
	list, _ := h.cache.Conversations(ctx)
	conv := list[0].ID
	before, _ := h.landlord.Messages(ctx, conv, backend.MessagePage{})

	s.Stop()
	wait.For(t, "offline", func() bool { return h.eng.State().State == engine.StateOffline })
	for _, text := range []string{"one", "two", "three"} {
		if _, err := h.cache.SendDraft(ctx, conv, text); err != nil {
			t.Fatal(err)
		}
		h.eng.Kick()
	}
	// The sender tried the first while offline: all three are still queued.
	wait.For(t, "the sender tried while offline", func() bool {
		out, _ := h.cache.Outbox(ctx, conv)
		return len(out) > 0 && out[0].Attempts > 0
	})
	if out, _ := h.cache.Outbox(ctx, conv); len(out) != 3 {
		t.Fatalf("outbox while offline = %+v", out)
	}

	// The app is killed while offline and started again.
	h.stop()
	s.Start()
	h = start(t, s, cachePath)
	wait.For(t, "the outbox is delivered", func() bool {
		out, _ := h.cache.Outbox(ctx, conv)
		return len(out) == 0
	})
	after, _ := h.landlord.Messages(ctx, conv, backend.MessagePage{})
	got := after[len(before):]
	if len(got) != 3 || got[0].Text != "one" || got[1].Text != "two" || got[2].Text != "three" {
		t.Fatalf("delivered %+v, want one, two, three once each", got)
	}
	// Sending again (a crash after the server stored it, before the cache
	// knew) creates nothing new: same keys.
	o, _ := h.cache.SendDraft(ctx, conv, "four")
	if _, err := h.landlord.SendMessage(ctx, conv, backend.SendMessage{Key: o.Key, Text: "four"}); err != nil {
		t.Fatal(err)
	}
	h.eng.Kick()
	wait.For(t, "four confirmed", func() bool { out, _ := h.cache.Outbox(ctx, conv); return len(out) == 0 })
	final, _ := h.landlord.Messages(ctx, conv, backend.MessagePage{})
	if len(final) != len(after)+1 {
		t.Errorf("a retried message was stored twice: %d → %d", len(after), len(final))
	}
}

func TestPermanentRefusalIsMarkedFailed(t *testing.T) {
	t.Parallel()
	s := servertest.StartDemo(t)
	h := start(t, s, filepath.Join(t.TempDir(), "cache.db"))
	ctx := context.Background()
	wait.For(t, "online", func() bool { return h.eng.State().State == engine.StateOnline })
	bad, _ := h.cache.SendDraft(ctx, 99999, "to nowhere")
	list, _ := h.cache.Conversations(ctx)
	good, _ := h.cache.SendDraft(ctx, list[0].ID, "after it")
	h.eng.Kick()
	wait.For(t, "the refusal is recorded", func() bool {
		out, _ := h.cache.Outbox(ctx, 0)
		return len(out) == 1 && out[0].LocalID == bad.LocalID && out[0].State == "failed"
	})
	out, _ := h.cache.Outbox(ctx, 0)
	if out[0].ErrorCode != backend.ENOTFOUND || !strings.Contains(out[0].ErrorMessage, "conversation") {
		t.Errorf("failed entry = %+v", out[0])
	}
	_ = good
}

// testClock is a clock the test moves, shared by the server's limits and
// the engine.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// A rate_limited answer is the server asking to wait, not a refusal of the
// message: it stays queued (not "Not sent"), the engine waits the
// Retry-After out, and then it goes, once and in order.
func TestRateLimitedMessageWaitsAndIsSentOnce(t *testing.T) {
	t.Parallel()
	clock := &testClock{now: time.Now()}
	limits := httpapi.DefaultLimits()
	limits.CreateRate = httpapi.Rate{N: 1, Per: time.Minute} // one new upload a minute
	s := servertest.StartDemo(t, httpapi.WithLimits(limits), httpapi.WithClock(clock.Now))
	h := start(t, s, filepath.Join(t.TempDir(), "cache.db"), func(e *engine.Engine) { e.Clock = clock.Now })
	ctx := context.Background()
	wait.For(t, "online", func() bool { return h.eng.State().State == engine.StateOnline })
	list, _ := h.cache.Conversations(ctx)
	conv := list[0].ID

	dir := t.TempDir()
	var queued []cache.Outgoing
	for _, name := range []string{"first.txt", "second.txt"} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte("contents of "+name), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := h.cache.AddDraftFiles(ctx, conv, []cache.DraftFile{{Path: path, Name: name}}, 10); err != nil {
			t.Fatal(err)
		}
		o, err := h.cache.SendDraft(ctx, conv, "with "+name)
		if err != nil {
			t.Fatal(err)
		}
		queued = append(queued, o)
	}
	h.eng.Kick()
	wait.For(t, "the first is sent and the second asked to wait", func() bool {
		out, _ := h.cache.Outbox(ctx, conv)
		return len(out) == 1 && out[0].LocalID == queued[1].LocalID && out[0].Attempts > 0
	})
	out, _ := h.cache.Outbox(ctx, conv)
	if out[0].State != "pending" || out[0].ErrorCode != "" {
		t.Fatalf("a rate-limited message was given up on: %+v", out[0])
	}

	clock.Add(61 * time.Second)
	h.eng.Kick()
	wait.For(t, "the second is sent once the wait is over", func() bool {
		out, _ := h.cache.Outbox(ctx, conv)
		return len(out) == 0
	})
	msgs, err := h.landlord.Messages(ctx, conv, backend.MessagePage{})
	if err != nil {
		t.Fatal(err)
	}
	got := msgs[len(msgs)-2:]
	if got[0].Text != "with first.txt" || got[1].Text != "with second.txt" || len(got[0].Files) != 1 || len(got[1].Files) != 1 {
		t.Fatalf("the server has %+v, want the two messages once each, in order, with their files", got)
	}
}

func TestResync(t *testing.T) {
	t.Parallel()
	s := servertest.StartDemo(t)
	cachePath := filepath.Join(t.TempDir(), "cache.db")
	h := start(t, s, cachePath)
	ctx := context.Background()
	wait.For(t, "synced", func() bool { return h.cachedMessages(t) == 12 })
	h.stop()

	// While the app is closed, messages arrive and the server prunes them
	// from its event log.
	olivia := s.Tenant(t, "Olivia Brown")
	list, _ := olivia.Conversations(ctx)
	for i := range 3 {
		olivia.SendMessage(ctx, list[0].ID, backend.SendMessage{Key: "while-away-" + string(rune('a'+i)), Text: "while you were away"})
	}
	if _, err := s.DB.PruneEvents(ctx, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	h = start(t, s, cachePath)
	wait.For(t, "the resync reloads what was missed", func() bool { return h.cachedMessages(t) == 12 })
	wait.For(t, "online after the resync", func() bool { return h.eng.State().State == engine.StateOnline })
}

// TestServerRestoredFromABackup: the server goes back to a backup while the
// app has synced what came after. The app must show the restored history,
// not a mix of the two: what it kept from after the backup is forgotten,
// the message it queued meanwhile waits for the landlord (its conversation
// may be another one now) and is never sent on its own, and what the
// restored server says next arrives under the ids it reuses.
func TestServerRestoredFromABackup(t *testing.T) {
	t.Parallel()
	s := servertest.StartDemo(t)
	h := start(t, s, filepath.Join(t.TempDir(), "cache.db"))
	ctx := context.Background()
	wait.For(t, "the demo history is cached", func() bool { return h.cachedMessages(t) == 12 && h.eng.State().State == engine.StateOnline })
	list, _ := h.landlord.Conversations(ctx)
	conv := list[0].ID
	before := must[backend.Message](t)(h.landlord.SendMessage(ctx, conv, backend.SendMessage{Key: "before-backup", Text: "before the backup"}))
	backup := s.Backup(t)
	after := must[backend.Message](t)(h.landlord.SendMessage(ctx, conv, backend.SendMessage{Key: "after-backup", Text: "after the backup"}))
	wait.For(t, "both messages are cached", func() bool { return h.cachedMessages(t) == 14 })
	oldID, _ := h.cache.ServerID(ctx)

	s.Stop()
	wait.For(t, "offline", func() bool { return h.eng.State().State == engine.StateOffline })
	queued := must[cache.Outgoing](t)(h.cache.SendDraft(ctx, conv, "written while the server was restored"))
	s.RestoreFrom(t, backup)

	wait.For(t, "the cache holds the restored history", func() bool {
		id, _ := h.cache.ServerID(ctx)
		return id != oldID && h.eng.State().State == engine.StateOnline && h.cachedMessages(t) == 13
	})
	msgs, _ := h.cache.Messages(ctx, conv, 0, 100)
	if last := msgs[len(msgs)-1]; last.ID != before.ID || last.Text != "before the backup" {
		t.Errorf("the newest cached message is %d %q, want %d %q", last.ID, last.Text, before.ID, before.Text)
	}
	out, _ := h.cache.Outbox(ctx, 0)
	if len(out) != 1 || out[0].LocalID != queued.LocalID || out[0].State != "failed" || out[0].ErrorCode != backend.ECONFLICT || out[0].ErrorMessage != backend.HistoryRestoredMessage {
		t.Fatalf("outbox after the restore = %+v, want the queued message waiting for the landlord", out)
	}
	if got, _ := h.landlord.Messages(ctx, conv, backend.MessagePage{}); got[len(got)-1].ID != before.ID {
		t.Errorf("the queued message reached the restored server on its own: %+v", got[len(got)-1])
	}
	h.rec.mu.Lock()
	reloaded := slices.Contains(h.rec.events, engine.EventReloaded)
	h.rec.mu.Unlock()
	if !reloaded {
		t.Error("the UI was not told to reload")
	}

	// The restored server gives the next message the id and seq the
	// forgotten one had: the cache shows the new one.
	next := must[backend.Message](t)(h.landlord.SendMessage(ctx, conv, backend.SendMessage{Key: "after-restore", Text: "after the restore"}))
	if next.ID != after.ID || next.Seq != after.Seq {
		t.Fatalf("the restored server gave id %d seq %d, not the forgotten message's %d, %d", next.ID, next.Seq, after.ID, after.Seq)
	}
	wait.For(t, "the restored server's next message is cached", func() bool {
		msgs, _ := h.cache.Messages(ctx, conv, 0, 100)
		last := msgs[len(msgs)-1]
		return last.ID == next.ID && last.Text == "after the restore"
	})
}

// must returns v, or ends the test on err.
func must[T any](t *testing.T) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// TestReadsOfflineAndMarkUnreadElsewhere: a conversation read here while
// the server is down shows read, is not made unread again by the server's
// list, and reaches the server on reconnection; a Mark as unread made on
// another device while this one was away long enough to need a full
// reload shows here after it.
func TestReadsOfflineAndMarkUnreadElsewhere(t *testing.T) {
	t.Parallel()
	s := servertest.StartDemo(t)
	cachePath := filepath.Join(t.TempDir(), "cache.db")
	h := start(t, s, cachePath)
	ctx := context.Background()
	wait.For(t, "synced", func() bool { return h.cachedMessages(t) == 12 && h.eng.State().State == engine.StateOnline })
	olivia := s.Tenant(t, "Olivia Brown")
	list, _ := olivia.Conversations(ctx)
	conv := list[0].ID
	cached := func(h *harness) backend.Conversation {
		list, _ := h.cache.Conversations(ctx)
		for _, c := range list {
			if c.ID == conv {
				return c
			}
		}
		t.Fatalf("conversation %d not cached", conv)
		return backend.Conversation{}
	}
	onServer := func() backend.Conversation {
		c, err := h.landlord.Conversation(ctx, conv)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	sent, err := olivia.SendMessage(ctx, conv, backend.SendMessage{Key: "before-offline", Text: "Are you there?"})
	if err != nil {
		t.Fatal(err)
	}
	last := sent.Seq
	wait.For(t, "her message unread here", func() bool { c := cached(h); return c.LastSeq == last && c.Unread > 0 })

	s.Stop()
	if err := h.eng.MarkRead(ctx, conv, last); err != nil {
		t.Fatal(err)
	}
	wait.For(t, "the read waits for the server", func() bool {
		r, err := h.cache.UnsentReads(ctx)
		return err == nil && r[conv] == last
	})
	if c := cached(h); c.Unread != 0 || c.ReadSeq != last {
		t.Errorf("read offline: unread %d, read %d", c.Unread, c.ReadSeq)
	}
	// The app closes before it could tell the server, and opens again
	// once the server is back.
	h.stop()
	s.Start()
	h = start(t, s, cachePath)
	wait.For(t, "the server has the read", func() bool { return onServer().ReadSeq == last })
	wait.For(t, "confirmed here", func() bool { r, _ := h.cache.UnsentReads(ctx); return len(r) == 0 })
	if c := cached(h); c.Unread != 0 || c.ReadSeq != last {
		t.Errorf("after reconnecting: unread %d, read %d", c.Unread, c.ReadSeq)
	}
	h.stop()

	var marked backend.Conversation
	// Away: another device marks it unread, and the event log is pruned,
	// so this one comes back through a full reload.
	other, _ := s.Landlord(t)
	marked, err = other.MarkUnread(ctx, conv)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB.PruneEvents(ctx, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	h = start(t, s, cachePath)
	wait.For(t, "unread after the reload", func() bool {
		c := cached(h)
		return c.ReadSeq == marked.ReadSeq && c.Unread == marked.Unread && h.eng.State().State == engine.StateOnline
	})
}
