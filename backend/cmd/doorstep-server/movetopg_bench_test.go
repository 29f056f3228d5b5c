package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"doorstep/backend/filestore"
	"doorstep/backend/signingkey"
	"doorstep/backend/sqlite"
	"doorstep/internal/pgtest"
)

// BenchmarkMoveToPostgres100k: move-to-postgres of a data directory of
// 100,000 messages in 100 conversations (times with nanoseconds, one
// message in a hundred carrying a 64 KB file, an event per message for
// the landlord, every head signed), into a fresh PostgreSQL database per
// round. Reports the move's own time (move-s, one transaction) beside the
// whole command's (ns/op: the move and verify-chain's check afterwards).
//
//	go test -tags sqlite_fts5 -run '^$' -bench MoveToPostgres100k -benchtime 1x ./backend/cmd/doorstep-server
func BenchmarkMoveToPostgres100k(b *testing.B) {
	const convs, perConv = 100, 1000
	ctx := context.Background()
	dir := b.TempDir()
	key, _, err := signingkey.LoadOrCreate(dir)
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, databaseFile)
	db, err := sqlite.Open(ctx, path, fastHashes())
	if err != nil {
		b.Fatal(err)
	}
	db.Close()
	store, err := filestore.Open(filepath.Join(dir, filesDirName), 0)
	if err != nil {
		b.Fatal(err)
	}
	raw, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_synchronous=OFF")
	if err != nil {
		b.Fatal(err)
	}
	tx, err := raw.Begin()
	if err != nil {
		b.Fatal(err)
	}
	exec := func(q string, args ...any) {
		if _, err := tx.Exec(q, args...); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	const layout = "2006-01-02T15:04:05.000000000Z07:00"
	exec("INSERT INTO orgs (id, name, time_zone, created_at) VALUES (1, 'Org', 'UTC', '2025-01-01T00:00:00.000000000Z')")
	exec("INSERT INTO users (id, org_id, email, name, password_hash, is_main, created_at) VALUES (1, 1, 'pat@a.test', 'Pat', 'x', 1, '2025-01-01T00:00:00.000000000Z')")
	start := time.Date(2025, 1, 1, 0, 0, 0, 123456789, time.UTC)
	n := 0
	for c := 1; c <= convs; c++ {
		exec("INSERT INTO tenants (id, org_id, name, created_at) VALUES (?, 1, ?, '2025-01-01T00:00:00.000000000Z')", c, fmt.Sprint("Tenant ", c))
		exec("INSERT INTO conversations (id, org_id, tenant_id, created_by, created_at, last_seq) VALUES (?, 1, ?, 1, '2025-01-01T00:00:00.000000000Z', ?)", c, c, perConv)
		exec("INSERT INTO conversation_tenants (conversation_id, tenant_id) VALUES (?, ?)", c, c)
		for seq := 1; seq <= perConv; seq++ {
			n++
			var user, tenant any = 1, nil // the landlord and the tenant take turns
			if seq%2 == 0 {
				user, tenant = nil, c
			}
			at := start.Add(time.Duration(n) * 1001 * time.Millisecond).Format(layout)
			text := fmt.Sprintf("Message %d of conversation %d: the boiler is serviced on Saturday between 8 and noon.", seq, c)
			res, err := tx.Exec("INSERT INTO messages (conversation_id, seq, sender_user_id, sender_tenant_id, text, idem_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
				c, seq, user, tenant, text, fmt.Sprint("k-", n), at)
			if err != nil {
				b.Fatal(err)
			}
			exec("INSERT INTO events (user_id, type, payload, created_at) VALUES (1, 'message', ?, ?)",
				fmt.Sprintf(`{"id":0,"type":"message","message":{"conversation_id":%d,"seq":%d,"text":%q},"created_at":%q}`, c, seq, text, at), at)
			if seq%100 == 0 {
				saved, err := store.Save(io.LimitReader(zeros{}, 64<<10))
				if err != nil {
					b.Fatal(err)
				}
				id, _ := res.LastInsertId()
				exec("INSERT INTO files (id, org_id, uploader_user_id, name, size, sha256, content_type, storage_name, created_at) VALUES (?, 1, 1, 'photo.jpg', ?, ?, 'image/jpeg', ?, ?)",
					n, saved.Size, saved.SHA256, saved.StorageName, at)
				exec("INSERT INTO message_files (message_id, file_id, position) VALUES (?, ?, 0)", id, n)
			}
		}
	}
	exec("UPDATE meta SET value = '0' WHERE key = 'chain_filled'")
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	raw.Close()
	// The server fills in the hashes on opening; sign every head.
	db, err = sqlite.Open(ctx, path, fastHashes(), sqlite.WithSigningKey(key))
	if err != nil {
		b.Fatal(err)
	}
	if signed, problems, err := db.SignChangedHeads(ctx); err != nil || problems != nil || signed != convs {
		b.Fatalf("signed %d, %v, %v", signed, problems, err)
	}
	db.Close()

	took := regexp.MustCompile(`into the PostgreSQL database \(-store\) in (\S+), in one transaction`)
	var move time.Duration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		dsn := pgtest.NewDatabase(b)
		b.StartTimer()
		var out bytes.Buffer
		if err := run(ctx, []string{"move-to-postgres", "-data", dir, "-store", dsn}, env(nil), &out, &out); err != nil {
			b.Fatalf("%v\n%s", err, out.String())
		}
		m := took.FindStringSubmatch(out.String())
		if m == nil {
			b.Fatalf("no time in:\n%s", out.String())
		}
		d, _ := time.ParseDuration(m[1])
		move += d
		b.Log(out.String())
	}
	b.ReportMetric(move.Seconds()/float64(b.N), "move-s")
}
