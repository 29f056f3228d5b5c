package cache

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"doorstep/backend/migrate"
)

// A cache written before the search index of 0007 finds, once opened, the
// messages it already held: the migration indexes them.
func TestSearchMigrationIndexesKeptMessages(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cache.db")
	before := fstest.MapFS{}
	for _, name := range []string{"0001_cache.sql", "0002_outbox_attachments.sql", "0003_draft_files.sql", "0004_delivery_logs.sql", "0005_read_positions.sql", "0006_attention.sql"} {
		b, err := fs.ReadFile(migrations, "migrations/"+name)
		if err != nil {
			t.Fatal(err)
		}
		before[name] = &fstest.MapFile{Data: b}
	}
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if err := migrateRun(ctx, db, before); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO conversations (id, data, activity, last_seq, read_seq, unread) VALUES (1, '{"id":1,"title":"Zoë"}', '', 2, 0, 0);
		INSERT INTO messages (id, conversation_id, seq, sender_kind, sender_id, sender_name, text, files, key, created_at)
		VALUES (1, 1, 1, 'tenant', 7, 'Zoë', 'Le café est fermé', '[]', 'k1', '2026-01-01T00:00:00.000000000Z'),
		       (2, 1, 2, 'tenant', 7, 'Zoë', 'Voici le bail', '[{"id":4,"name":"Bail signé.pdf"}]', 'k2', '2026-01-02T00:00:00.000000000Z')`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	c, err := Open(ctx, path, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for text, want := range map[string]int64{"cafe ferme": 1, "signe": 2} {
		res, err := c.Search(ctx, SearchQuery{Text: text})
		if err != nil || res.Count != 1 || res.Groups[0].Hits[0].MessageID != want || res.Groups[0].Title != "Zoë" {
			t.Errorf("%q: %+v, %v", text, res, err)
		}
	}
}

func migrateRun(ctx context.Context, db *sql.DB, fsys fs.FS) error {
	return migrate.Run(ctx, db, fsys, "Doorstep test", time.Now)
}
