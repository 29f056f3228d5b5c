package cache_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"doorstep/app/cache"
	"doorstep/backend"
)

func openCache(t testing.TB) *cache.Cache {
	t.Helper()
	c, err := cache.Open(context.Background(), filepath.Join(t.TempDir(), "cache.db"), "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

var (
	me     = backend.Principal{Kind: backend.KindUser, ID: 1, OrgID: 1, IsMain: true}
	tenant = backend.Sender{Kind: backend.KindTenant, ID: 7, Name: "Alice"}
	t0     = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
)

func msg(id, conv, seq int64, from backend.Sender, text string) backend.Message {
	return backend.Message{ID: id, ConversationID: conv, Seq: seq, Sender: from, Text: text, Key: "k" + text,
		CreatedAt: t0.Add(time.Duration(id) * time.Minute)}
}

func msgEvent(id int64, m backend.Message) backend.Event {
	return backend.Event{ID: id, Type: backend.EventMessage, Message: &m}
}

func TestOpen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("ErrNewerSchema", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "cache.db")
		c, err := cache.Open(ctx, path, "test")
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		raw, _ := sql.Open("sqlite3", "file:"+path)
		raw.Exec("INSERT INTO schema_migrations VALUES (99, '0099_future.sql', 'x')")
		raw.Close()
		if _, err := cache.Open(ctx, path, "test"); !errors.Is(err, cache.ErrNewerSchema) {
			t.Fatalf("a newer cache opened: %v", err)
		}
	})
	t.Run("PathPerAccountAndServer", func(t *testing.T) {
		a := cache.PathFor("/d", "server1", "Pat@Example.com")
		if a != cache.PathFor("/d", "server1", "pat@example.com ") || a == cache.PathFor("/d", "server2", "pat@example.com") ||
			a == cache.PathFor("/d", "server1", "sam@example.com") {
			t.Errorf("cache paths do not separate accounts and servers: %s", a)
		}
	})
}

func TestApplyEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := openCache(t)
	conv := backend.Conversation{ID: 5, Kind: backend.ConversationDirect, Title: "Alice", CreatedAt: t0}
	if err := c.ApplyEvents(ctx, me, []backend.Event{{ID: 1, Type: backend.EventConversation, Conversation: &conv}}); err != nil {
		t.Fatal(err)
	}
	batch := []backend.Event{
		msgEvent(2, msg(100, 5, 1, tenant, "Is the plumber coming?")),
		msgEvent(3, msg(101, 5, 2, tenant, "The sink leaks")),
		msgEvent(4, msg(102, 5, 3, backend.Sender{Kind: backend.KindUser, ID: 1, Name: "Pat"}, "Thursday 9am")),
	}
	if err := c.ApplyEvents(ctx, me, batch); err != nil {
		t.Fatal(err)
	}
	if err := c.ApplyEvents(ctx, me, batch); err != nil { // a replay after a reconnect
		t.Fatal(err)
	}
	list, err := c.Conversations(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("conversations = %+v, %v", list, err)
	}
	got := list[0]
	// Own messages mark what came before as read: nothing is left unread.
	if got.LastSeq != 3 || got.Unread != 0 || got.ReadSeq != 3 || got.LastMessage == nil || got.LastMessage.Text != "Thursday 9am" {
		t.Errorf("conversation = %+v", got)
	}
	if last, _ := c.LastEventID(ctx); last != 4 {
		t.Errorf("last event id = %d", last)
	}
	c.ApplyEvents(ctx, me, []backend.Event{msgEvent(5, msg(103, 5, 4, tenant, "Thanks!"))})
	list, _ = c.Conversations(ctx)
	if list[0].Unread != 1 {
		t.Errorf("unread after a tenant's message = %d", list[0].Unread)
	}
	read := backend.Event{ID: 6, Type: backend.EventRead, Read: &backend.ReadPosition{ConversationID: 5, Seq: 4, Reader: backend.Sender{Kind: me.Kind, ID: me.ID}}}
	c.ApplyEvents(ctx, me, []backend.Event{read})
	list, _ = c.Conversations(ctx)
	if list[0].Unread != 0 || list[0].ReadSeq != 4 {
		t.Errorf("after my read event: %+v", list[0])
	}
	msgs, err := c.Messages(ctx, 5, 0, 100)
	if err != nil || len(msgs) != 4 || msgs[0].Seq != 1 || msgs[3].Seq != 4 {
		t.Errorf("messages = %+v, %v", msgs, err)
	}
	older, _ := c.Messages(ctx, 5, 3, 1)
	if len(older) != 1 || older[0].Seq != 2 {
		t.Errorf("page before 3 = %+v", older)
	}
	found, err := c.Search(ctx, cache.SearchQuery{Text: "plumb"})
	if err != nil || found.Count != 1 || found.Groups[0].Hits[0].MessageID != 100 {
		t.Errorf("search = %+v, %v", found, err)
	}
}

func TestOutbox(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cache.db")
	c, err := cache.Open(ctx, path, "test")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := c.SendDraft(ctx, 5, "first")
	if err := c.AddDraftFiles(ctx, 5, []cache.DraftFile{{Path: "/nowhere/a.txt", Name: "a.txt"}}, 10); err != nil {
		t.Fatal(err)
	}
	b, _ := c.SendDraft(ctx, 5, "second")
	if err := c.Uploaded(ctx, b.LocalID, 0, 9); err != nil {
		t.Fatal(err)
	}
	c.SendDraft(ctx, 6, "elsewhere")
	c.Close() // as if the app were killed here

	c, err = cache.Open(ctx, path, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	out, err := c.Outbox(ctx, 0)
	if err != nil || len(out) != 3 || out[0].Text != "first" || out[1].FileIDs[0] != 9 || out[0].Key == out[1].Key {
		t.Fatalf("outbox after reopening = %+v, %v", out, err)
	}
	if err := c.Sent(ctx, a.LocalID, msg(200, 5, 1, backend.Sender{Kind: backend.KindUser, ID: 1}, "first")); err != nil {
		t.Fatal(err)
	}
	c.Failed(ctx, b.LocalID, backend.ETENANTNOTACTIVE, "Alice's lease ended.")
	out, _ = c.Outbox(ctx, 5)
	if len(out) != 1 || out[0].State != "failed" || out[0].ErrorCode != backend.ETENANTNOTACTIVE {
		t.Fatalf("outbox = %+v", out)
	}
	c.Retry(ctx, b.LocalID)
	out, _ = c.Outbox(ctx, 5)
	if out[0].State != "pending" || out[0].Key != b.Key {
		t.Errorf("after retry: %+v (the key must stay the same)", out[0])
	}
	if msgs, _ := c.Messages(ctx, 5, 0, 10); len(msgs) != 1 || msgs[0].ID != 200 {
		t.Errorf("sent message not cached: %+v", msgs)
	}
}

func TestDraftsAndDirectory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := openCache(t)
	c.SetDraft(ctx, 5, "half a thought")
	if d, _ := c.Draft(ctx, 5); d != "half a thought" {
		t.Errorf("draft = %q", d)
	}
	c.SetDraft(ctx, 5, "")
	if d, _ := c.Draft(ctx, 5); d != "" {
		t.Errorf("cleared draft = %q", d)
	}
	if _, ok, _ := c.Directory(ctx); ok {
		t.Error("a directory before any was stored")
	}
	c.PutDirectory(ctx, backend.Directory{Tenants: []backend.DirectoryTenant{{ID: 1, Name: "Alice", CanChat: true}}})
	d, ok, err := c.Directory(ctx)
	if !ok || err != nil || len(d.Tenants) != 1 {
		t.Errorf("directory = %+v, %v, %v", d, ok, err)
	}
}

func TestDraftFiles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cache.db")
	c, err := cache.Open(ctx, path, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { c.Close() }()
	lease := cache.DraftFile{Path: "/home/pat/lease.pdf", Name: "lease.pdf", Size: 1200, ContentType: "application/pdf"}
	photo := cache.DraftFile{Path: "/home/pat/leak.jpg", Name: "leak.jpg", Size: 90_000, ContentType: "image/jpeg"}
	if err := c.AddDraftFiles(ctx, 1, []cache.DraftFile{lease, photo}, backend.MaxFilesPerMessage); err != nil {
		t.Fatal(err)
	}
	c.AddDraftFiles(ctx, 2, []cache.DraftFile{photo}, backend.MaxFilesPerMessage)
	c.SetDraft(ctx, 1, "The lease and a photo")

	t.Run("KeptAcrossARestart", func(t *testing.T) {
		c.Close()
		if c, err = cache.Open(ctx, path, "test"); err != nil {
			t.Fatal(err)
		}
		files, err := c.DraftFiles(ctx, 1)
		if err != nil || len(files) != 2 || files[0].Name != "lease.pdf" || files[0].Path != lease.Path ||
			files[1].Size != 90_000 || files[1].ContentType != "image/jpeg" || files[0].ConversationID != 1 {
			t.Fatalf("draft files = %+v, %v", files, err)
		}
	})

	t.Run("ErrTooManyAddsNone", func(t *testing.T) {
		many := make([]cache.DraftFile, backend.MaxFilesPerMessage-1)
		for i := range many {
			many[i] = lease
		}
		if err := c.AddDraftFiles(ctx, 1, many, backend.MaxFilesPerMessage); backend.ErrorCode(err) != backend.ETOOLARGE {
			t.Fatalf("%d + %d files: %v", 2, len(many), err)
		}
		if files, _ := c.DraftFiles(ctx, 1); len(files) != 2 {
			t.Errorf("a refused add kept %d files", len(files)-2)
		}
	})

	t.Run("ErrTooManyForTheServersLimit", func(t *testing.T) {
		err := c.AddDraftFiles(ctx, 1, []cache.DraftFile{lease}, 2)
		if backend.ErrorCode(err) != backend.ETOOLARGE || backend.ErrorMessage(err) != "A message can carry at most 2 files; send these, then attach the rest." {
			t.Fatalf("a third file where the server takes two: %v", err)
		}
	})

	t.Run("Remove", func(t *testing.T) {
		files, _ := c.DraftFiles(ctx, 2)
		if _, ok, _ := c.RemoveDraftFile(ctx, 1, files[0].ID); ok {
			t.Error("a file was removed through another conversation")
		}
		got, ok, err := c.RemoveDraftFile(ctx, 2, files[0].ID)
		if err != nil || !ok || got.Path != photo.Path {
			t.Errorf("remove = %+v, %v, %v", got, ok, err)
		}
		if left, _ := c.DraftFiles(ctx, 2); len(left) != 0 {
			t.Errorf("left: %+v", left)
		}
	})

	t.Run("SendDraftMovesFilesAndTextToTheOutbox", func(t *testing.T) {
		o, err := c.SendDraft(ctx, 1, "The lease and a photo")
		if err != nil || o.Text != "The lease and a photo" || len(o.Attachments) != 2 || o.Attachments[0].Path != lease.Path || o.Attachments[1].Name != "leak.jpg" {
			t.Fatalf("send draft = %+v, %v", o, err)
		}
		out, _ := c.Outbox(ctx, 1)
		files, _ := c.DraftFiles(ctx, 1)
		text, _ := c.Draft(ctx, 1)
		if len(out) != 1 || out[0].Key != o.Key || len(out[0].Attachments) != 2 || len(files) != 0 || text != "" {
			t.Errorf("after Send: outbox %+v, draft files %+v, draft %q", out, files, text)
		}
		// Text alone is a plain message.
		if o, err := c.SendDraft(ctx, 1, "thanks"); err != nil || len(o.Attachments) != 0 {
			t.Errorf("text only: %+v, %v", o, err)
		}
	})
}

func TestLimitsKeptForOffline(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cache.db")
	c, err := cache.Open(ctx, path, "test")
	if err != nil {
		t.Fatal(err)
	}
	if l, err := c.Limits(ctx); err != nil || l != (backend.Limits{}) {
		t.Fatalf("limits before the server said any = %+v, %v; want none", l, err)
	}
	said := backend.Limits{MaxUploadBytes: 2 << 20, MaxFilesPerMessage: 4, MaxMessageRunes: 500}
	if err := c.SetLimits(ctx, said); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if c, err = cache.Open(ctx, path, "test"); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if l, err := c.Limits(ctx); err != nil || l != said {
		t.Errorf("limits after a restart = %+v, %v; want %+v", l, err, said)
	}
}

// TestForgetServer: a server restored from a backup has a history of its
// own; the cache drops what it kept of the old one, keeps what only the
// landlord has, and makes queued files go up again.
func TestForgetServer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, err := cache.Open(ctx, filepath.Join(t.TempDir(), "cache.db"), "test")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.AdoptServer(ctx, "first"); err != nil {
		t.Fatal(err)
	}
	if err := c.AdoptServer(ctx, "second"); err != nil {
		t.Fatal(err)
	}
	if id, _ := c.ServerID(ctx); id != "first" {
		t.Fatalf("ServerID = %q: adopting must not replace a recorded id", id)
	}
	c.PutConversations(ctx, []backend.Conversation{{ID: 5, Title: "Maria Garcia"}})
	c.PutMessages(ctx, []backend.Message{msg(200, 5, 1, backend.Sender{Kind: backend.KindUser, ID: 1}, "kept from the old history")})
	c.SetLastEventID(ctx, 77)
	c.SetDraft(ctx, 5, "half written")
	c.AddDraftFiles(ctx, 5, []cache.DraftFile{{Path: "/somewhere/lease.pdf", Name: "lease.pdf"}}, 10)
	o, _ := c.SendDraft(ctx, 5, "with the lease")
	c.UploadBegun(ctx, o.LocalID, 0, "up-1")
	c.Uploaded(ctx, o.LocalID, 0, 41)
	c.SetDraft(ctx, 5, "next one")

	if err := c.ForgetServer(ctx, "restored", backend.ECONFLICT, backend.HistoryRestoredMessage); err != nil {
		t.Fatal(err)
	}
	if id, _ := c.ServerID(ctx); id != "restored" {
		t.Errorf("ServerID = %q, want the restored server's", id)
	}
	if convs, _ := c.Conversations(ctx); len(convs) != 0 {
		t.Errorf("conversations kept: %+v", convs)
	}
	if msgs, _ := c.Messages(ctx, 5, 0, 10); len(msgs) != 0 {
		t.Errorf("messages kept: %+v", msgs)
	}
	if found, _ := c.Search(ctx, cache.SearchQuery{Text: "history"}); found.Count != 0 {
		t.Errorf("search still finds %d forgotten messages", found.Count)
	}
	if last, _ := c.LastEventID(ctx); last != 0 {
		t.Errorf("LastEventID = %d, want 0: the stream starts over", last)
	}
	if d, _ := c.Draft(ctx, 5); d != "next one" {
		t.Errorf("draft = %q, want it kept", d)
	}
	out, _ := c.Outbox(ctx, 0)
	if len(out) != 1 || out[0].State != "failed" || out[0].ErrorMessage != backend.HistoryRestoredMessage ||
		len(out[0].FileIDs) != 0 || out[0].Attachments[0].FileID != 0 || out[0].Attachments[0].UploadID != "" || out[0].Attachments[0].Path != "/somewhere/lease.pdf" {
		t.Errorf("outbox = %+v, want the entry waiting, its file to go up again", out)
	}
}

// TestReadPositions: members' read positions come with the conversation
// list, move forward with read events (never back), survive a reopen, and
// the landlord's own position goes back only when marked unread.
func TestReadPositions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cache.db")
	c, err := cache.Open(ctx, path, "test")
	if err != nil {
		t.Fatal(err)
	}
	alice, bob := tenant, backend.Sender{Kind: backend.KindTenant, ID: 8, Name: "Bob"}
	pos := func(who backend.Sender, seq int64) backend.ReadPosition {
		return backend.ReadPosition{ConversationID: 5, Reader: who, Seq: seq}
	}
	conv := backend.Conversation{ID: 5, Kind: backend.ConversationGroup, Title: "Elm Court · 1A", CreatedAt: t0, LastSeq: 3, ReadSeq: 3,
		Reads: []backend.ReadPosition{pos(bob, 1), pos(alice, 2)}}
	if err := c.PutConversations(ctx, []backend.Conversation{conv}); err != nil {
		t.Fatal(err)
	}
	reads := func() map[string]int64 {
		t.Helper()
		list, err := c.Conversations(ctx)
		if err != nil || len(list) != 1 {
			t.Fatalf("conversations = %+v, %v", list, err)
		}
		out := map[string]int64{}
		for _, r := range list[0].Reads {
			out[r.Reader.Name] = r.Seq
		}
		return out
	}
	if got := reads(); len(got) != 2 || got["Alice"] != 2 || got["Bob"] != 1 {
		t.Errorf("from the list: %v", got)
	}
	events := []backend.Event{
		{ID: 1, Type: backend.EventRead, Read: &backend.ReadPosition{ConversationID: 5, Reader: bob, Seq: 3}},
		{ID: 2, Type: backend.EventRead, Read: &backend.ReadPosition{ConversationID: 5, Reader: alice, Seq: 1}}, // older news
	}
	if err := c.ApplyEvents(ctx, me, events); err != nil {
		t.Fatal(err)
	}
	if got := reads(); got["Alice"] != 2 || got["Bob"] != 3 {
		t.Errorf("after read events: %v; want Alice still 2, Bob 3", got)
	}
	// A list older than the events does not take them back.
	if err := c.PutConversations(ctx, []backend.Conversation{conv}); err != nil {
		t.Fatal(err)
	}
	if got := reads(); got["Bob"] != 3 {
		t.Errorf("after an older list: %v", got)
	}
	c.Close()

	c, err = cache.Open(ctx, path, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := reads(); got["Alice"] != 2 || got["Bob"] != 3 {
		t.Errorf("after reopening (offline): %v", got)
	}

	t.Run("MarkedUnread", func(t *testing.T) {
		c.ApplyEvents(ctx, me, []backend.Event{msgEvent(3, msg(100, 5, 2, alice, "The sink leaks"))})
		mine := backend.Sender{Kind: me.Kind, ID: me.ID, Name: "Pat"}
		c.ApplyEvents(ctx, me, []backend.Event{{ID: 4, Type: backend.EventRead, Read: &backend.ReadPosition{ConversationID: 5, Reader: mine, Seq: 3}}})
		c.ApplyEvents(ctx, me, []backend.Event{{ID: 5, Type: backend.EventRead, Read: &backend.ReadPosition{ConversationID: 5, Reader: mine, Seq: 1, MarkedUnread: true}}})
		list, _ := c.Conversations(ctx)
		if list[0].ReadSeq != 1 || list[0].Unread != 1 {
			t.Errorf("after marked unread: read %d, unread %d; want 1 and 1", list[0].ReadSeq, list[0].Unread)
		}
		if got := reads(); len(got) != 2 {
			t.Errorf("my own position became a receipt: %v", got)
		}
		if err := c.SetReadPosition(ctx, 5, 3, 0); err != nil {
			t.Fatal(err)
		}
		if list, _ := c.Conversations(ctx); list[0].ReadSeq != 3 || list[0].Unread != 0 {
			t.Errorf("after SetReadPosition: %+v", list[0])
		}
	})
}
