package sqlite_test

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"doorstep/backend"
	"doorstep/backend/migrate"
	"doorstep/backend/sqlite"
)

// schema5 writes a database as the server before the chain left it: the
// migrations up to 0005 and a history written with plain SQL, a
// conversation of n messages (the second with two files, attached in the
// opposite order of their ids) and one of 3, every time a second apart from
// start. It returns the main user.
func schema5(t *testing.T, path string, n int, start time.Time) backend.Principal {
	t.Helper()
	ctx := context.Background()
	old := fstest.MapFS{}
	entries, err := os.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() < "0006" {
			b, _ := os.ReadFile(filepath.Join("migrations", e.Name()))
			old[e.Name()] = &fstest.MapFile{Data: b}
		}
	}
	raw, err := sql.Open("sqlite3", "file:"+path+"?_foreign_keys=on")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if err := migrate.Run(ctx, raw, fs.FS(old), "doorstep-server before the chain", time.Now); err != nil {
		t.Fatal(err)
	}
	tx, err := raw.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := tx.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec("INSERT INTO orgs (id, name, time_zone, created_at) VALUES (1, 'Maple Street Rentals', 'UTC', '2025-01-01T00:00:00Z')")
	exec("INSERT INTO users (id, org_id, email, name, password_hash, is_main, created_at) VALUES (1, 1, 'pat@a.test', 'Pat', 'x', 1, '2025-01-01T00:00:00Z')")
	exec("INSERT INTO tenants (id, org_id, name, created_at) VALUES (1, 1, 'Alice', '2025-01-01T00:00:00Z'), (2, 1, 'Erin', '2025-01-01T00:00:00Z')")
	exec("INSERT INTO properties (id, org_id, name) VALUES (1, 1, 'Elm Court')")
	exec("INSERT INTO units (id, property_id, name) VALUES (1, 1, '1A'), (2, 1, '2B')")
	exec("INSERT INTO leases (id, unit_id, start_date) VALUES (1, 1, '2024-01-01'), (2, 2, '2024-01-01')")
	exec("INSERT INTO lease_tenants (lease_id, tenant_id) VALUES (1, 1), (2, 2)")
	exec("INSERT INTO conversations (id, org_id, tenant_id, created_by, created_at, last_seq) VALUES (1, 1, 1, 1, '2025-01-01T00:00:00Z', ?), (2, 1, 2, 1, '2025-01-01T00:00:00Z', 3)", n)
	exec("INSERT INTO conversation_tenants (conversation_id, tenant_id) VALUES (1, 1), (2, 2)")
	exec(`INSERT INTO files (id, org_id, uploader_user_id, name, size, sha256, content_type, storage_name, created_at) VALUES
		(1, 1, 1, 'b.jpg', 3, ?, 'image/jpeg', 'sb', '2025-01-01T00:00:00Z'), (2, 1, 1, 'a.pdf', 4, ?, 'application/pdf', 'sa', '2025-01-01T00:00:00Z')`,
		strings.Repeat("b", 64), strings.Repeat("a", 64))
	at := func(i int) string {
		return start.Add(time.Duration(i) * time.Second).UTC().Format("2006-01-02T15:04:05.000000000Z07:00")
	}
	for i := 1; i <= n; i++ {
		sender := "sender_user_id"
		if i%2 == 0 {
			sender = "sender_tenant_id"
		}
		exec("INSERT INTO messages (conversation_id, seq, "+sender+", text, idem_key, created_at, urgent) VALUES (1, ?, 1, ?, ?, ?, ?)",
			i, fmt.Sprintf("message %d\nof the old history", i), fmt.Sprintf("k-%d", i), at(i), i%7 == 0 && sender == "sender_tenant_id")
	}
	exec("INSERT INTO message_files (message_id, file_id, position) VALUES ((SELECT id FROM messages WHERE conversation_id = 1 AND seq = 2), 2, 0), ((SELECT id FROM messages WHERE conversation_id = 1 AND seq = 2), 1, 1)")
	for i := 1; i <= 3; i++ {
		exec("INSERT INTO messages (conversation_id, seq, sender_user_id, text, idem_key, created_at) VALUES (2, ?, 1, ?, ?, ?)", i, fmt.Sprint("to Erin ", i), fmt.Sprintf("e-%d", i), at(n+i))
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return backend.Principal{Kind: backend.KindUser, ID: 1, OrgID: 1, Name: "Pat", IsMain: true}
}

// An existing install's history gets its hashes when the upgraded server
// first opens it, in seq order and batches; new messages chain on from
// there, and no message is dated before the newest already stored.
func TestExistingHistoryIsChainedAtOpen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "doorstep.db")
	start := time.Date(2030, 1, 2, 3, 4, 5, 600, time.UTC) // ahead of any clock this test runs on
	const n = 4_500                                        // more than two batches
	pat := schema5(t, path, n, start)
	_, key, _ := ed25519.GenerateKey(nil)

	db, err := sqlite.Open(ctx, path, sqlite.WithSigningKey(key))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { db.Close() }()
	report, err := db.VerifyChains(ctx, nil, nil)
	if err != nil || report.Problems != nil || report.Messages != n+3 || report.Conversations != 2 {
		t.Fatalf("after the upgrade: %+v, %v", report, err)
	}
	page, err := db.Messages(ctx, pat, 1, backend.MessagePage{After: new(int64(0)), Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	var prev []byte
	for _, m := range page {
		prev = backend.ChainHash(prev, m)
		if m.Hash != hex.EncodeToString(prev) {
			t.Errorf("message %d: hash %q, want %x", m.Seq, m.Hash, prev)
		}
	}
	if names := []string{page[1].Files[0].Name, page[1].Files[1].Name}; names[0] != "a.pdf" || names[1] != "b.jpg" {
		t.Errorf("message 2's files in the order %q, want as attached", names)
	}

	// A new message is chained to the last of the old ones; the clock is
	// behind the old history, so it is dated with the newest message.
	db.SetClock(func() time.Time { return start.Add(-time.Hour) })
	sent, err := db.SendMessage(ctx, pat, 2, backend.SendMessage{Key: "after-upgrade", Text: "hello again"})
	if err != nil {
		t.Fatal(err)
	}
	if want := start.Add((n + 3) * time.Second); !sent.CreatedAt.Equal(want) {
		t.Errorf("sent with the clock behind: dated %v, want the newest message's %v", sent.CreatedAt, want)
	}
	msgs, err := db.Messages(ctx, pat, 2, backend.MessagePage{})
	if err != nil {
		t.Fatal(err)
	}
	if _, problems := backend.CheckChain(2, msgs); problems != nil || len(msgs) != 4 {
		t.Errorf("Erin's chat after a new message: %d messages, %v", len(msgs), problems)
	}

	// Done once: reopening hashes nothing again, and what is stored stays.
	db.Close()
	raw, _ := sql.Open("sqlite3", "file:"+path)
	raw.Exec("UPDATE messages SET chain_hash = NULL WHERE conversation_id = 2 AND seq = 1")
	raw.Close()
	if db, err = sqlite.Open(ctx, path, sqlite.WithSigningKey(key)); err != nil {
		t.Fatal(err)
	}
	report, err = db.VerifyChains(ctx, nil, nil)
	if err != nil || len(report.Problems) != 1 || report.Problems[0].Seq != 1 || report.Problems[0].Problem != backend.ChainNoHash {
		t.Errorf("a hash removed after the upgrade was filled in again at open: %+v, %v", report.Problems, err)
	}
}
