package cache_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"doorstep/app/cache"
	"doorstep/backend"
	"doorstep/backend/migrate"
)

// Each message keeps the hash the server recorded for it, however it
// arrives (a page, an event); one cached before hashes were sent gets its
// hash when it comes again, and nothing else about it changes.
func TestMessagesKeepTheirHash(t *testing.T) {
	ctx := context.Background()
	c := openCache(t)
	c.PutConversations(ctx, []backend.Conversation{{ID: 5, Title: "Alice", LastSeq: 0}})
	old := msg(1, 5, 1, tenant, "cached before hashes")
	if err := c.PutMessages(ctx, []backend.Message{old}); err != nil {
		t.Fatal(err)
	}
	old.Hash, old.Text = "aa11", "a changed text is not taken"
	page := msg(2, 5, 2, tenant, "from a page")
	page.Hash = "bb22"
	if err := c.PutMessages(ctx, []backend.Message{old, page}); err != nil {
		t.Fatal(err)
	}
	live := msg(3, 5, 3, tenant, "from an event")
	live.Hash = "cc33"
	if err := c.ApplyEvents(ctx, me, []backend.Event{msgEvent(1, live)}); err != nil {
		t.Fatal(err)
	}
	// The same event again (after a reconnect) counts nothing twice.
	again := live
	again.Hash = "dd44"
	if err := c.ApplyEvents(ctx, me, []backend.Event{msgEvent(2, again)}); err != nil {
		t.Fatal(err)
	}
	msgs, err := c.Messages(ctx, 5, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]string{}
	for _, m := range msgs {
		got[m.Seq] = m.Hash + " " + m.Text
	}
	want := map[int64]string{1: "aa11 cached before hashes", 2: "bb22 from a page", 3: "cc33 from an event"}
	for seq, w := range want {
		if got[seq] != w {
			t.Errorf("message %d: %q, want %q", seq, got[seq], w)
		}
	}
	if conv, _, _ := c.Conversation(ctx, 5); conv.Unread != 1 {
		t.Errorf("unread %d after one new message", conv.Unread)
	}
}

func TestSignedHeadsAndServerKey(t *testing.T) {
	ctx := context.Background()
	c := openCache(t)
	if _, ok, err := c.SignedHead(ctx, 5); ok || err != nil {
		t.Fatalf("a head before any: %v %v", ok, err)
	}
	at := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	head := func(seq int64, signed time.Time) backend.SignedHead {
		return backend.SignedHead{HeadStatement: backend.HeadStatement{ServerID: "s", ConversationID: 5, Seq: seq, Head: "ab", SignedAt: signed}, Signature: "sig"}
	}
	for _, h := range []backend.SignedHead{head(7, at), head(9, at.Add(time.Hour)), head(8, at.Add(2*time.Hour)), head(9, at.Add(-time.Hour))} {
		if err := c.PutSignedHead(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	if h, ok, _ := c.SignedHead(ctx, 5); !ok || h.Seq != 9 || !h.SignedAt.Equal(at.Add(time.Hour)) {
		t.Errorf("kept %+v; want the newest (seq 9, signed at 10:00)", h)
	}
	c.PutSignedHead(ctx, head(9, at.Add(3*time.Hour)))
	if h, _, _ := c.SignedHead(ctx, 5); !h.SignedAt.Equal(at.Add(3 * time.Hour)) {
		t.Errorf("a later signature of the same seq was not kept: %+v", h)
	}
	key := backend.ServerKey{ServerID: "s", PublicKey: "cHVi", Fingerprint: "AB12"}
	if err := c.SetServerKey(ctx, key); err != nil {
		t.Fatal(err)
	}
	if k, ok, _ := c.ServerKey(ctx); !ok || k != key {
		t.Errorf("server key %+v", k)
	}
	// A server restored from a backup is another history: its old
	// signatures and key are forgotten with it.
	if err := c.ForgetServer(ctx, "s2", "conflict", "gone"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := c.SignedHead(ctx, 5); ok {
		t.Error("a signed head of the old server was kept")
	}
	if _, ok, _ := c.ServerKey(ctx); ok {
		t.Error("the old server's key was kept")
	}
}

// A cache made by the version before (migrations up to 0009) gets the
// hash column with every message kept, its hash empty until it comes again.
func TestMigrationKeepsMessages(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cache.db")
	raw, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	before := fstest.MapFS{}
	entries, _ := os.ReadDir("migrations")
	for _, e := range entries {
		if e.Name() < "0010" {
			b, _ := os.ReadFile(filepath.Join("migrations", e.Name()))
			before[e.Name()] = &fstest.MapFile{Data: b}
		}
	}
	if err := migrate.Run(ctx, raw, before, "Doorstep 0.1", time.Now); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO messages (id, conversation_id, seq, sender_kind, sender_id, sender_name, text, key, created_at)
		VALUES (1, 5, 1, 'tenant', 7, 'Alice', 'kept', 'k1', '2026-11-24T09:00:00.000000000Z')`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	c, err := cache.Open(ctx, path, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msgs, err := c.Messages(ctx, 5, 0, 10)
	if err != nil || len(msgs) != 1 || msgs[0].Text != "kept" || msgs[0].Hash != "" {
		t.Fatalf("after the migration: %+v %v", msgs, err)
	}
	withHash := msgs[0]
	withHash.Hash = "aa11"
	c.PutMessages(ctx, []backend.Message{withHash})
	if msgs, _ := c.Messages(ctx, 5, 0, 10); msgs[0].Hash != "aa11" {
		t.Errorf("the hash did not fill in: %+v", msgs[0])
	}
}
