package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"doorstep/backend/filestore"
	"doorstep/backend/signingkey"
	"doorstep/backend/sqlite"
)

// BenchmarkVerifyChain100k: a data directory of 100,000 messages in 100
// conversations (one in a hundred carrying a file on disk) written as an
// install from before the chain left it. Reports how long the first open
// takes to hash that history (fill-s), one periodic signing round over
// every conversation (sign-s), and verify-chain over all of it (ns/op).
//
//	go test -tags sqlite_fts5 -run '^$' -bench VerifyChain100k -benchtime 1x ./backend/cmd/doorstep-server
func BenchmarkVerifyChain100k(b *testing.B) {
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
	exec("INSERT INTO orgs (id, name, time_zone, created_at) VALUES (1, 'Org', 'UTC', '2025-01-01T00:00:00Z')")
	exec("INSERT INTO users (id, org_id, email, name, password_hash, is_main, created_at) VALUES (1, 1, 'pat@a.test', 'Pat', 'x', 1, '2025-01-01T00:00:00Z')")
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	n := 0
	for c := 1; c <= convs; c++ {
		exec("INSERT INTO tenants (id, org_id, name, created_at) VALUES (?, 1, ?, '2025-01-01T00:00:00Z')", c, fmt.Sprint("Tenant ", c))
		exec("INSERT INTO conversations (id, org_id, tenant_id, created_by, created_at, last_seq) VALUES (?, 1, ?, 1, '2025-01-01T00:00:00Z', ?)", c, c, perConv)
		for seq := 1; seq <= perConv; seq++ {
			n++
			var user, tenant any = 1, nil // the landlord and the tenant take turns
			if seq%2 == 0 {
				user, tenant = nil, c
			}
			res, err := tx.Exec("INSERT INTO messages (conversation_id, seq, sender_user_id, sender_tenant_id, text, idem_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
				c, seq, user, tenant,
				fmt.Sprintf("Message %d of conversation %d: the boiler is serviced on Saturday between 8 and noon.", seq, c),
				fmt.Sprint("k-", n), start.Add(time.Duration(n)*time.Second).Format("2006-01-02T15:04:05.000000000Z07:00"))
			if err != nil {
				b.Fatal(err)
			}
			if seq%100 == 0 {
				saved, err := store.Save(io.LimitReader(zeros{}, 64<<10))
				if err != nil {
					b.Fatal(err)
				}
				sum := sha256.Sum256(make([]byte, 64<<10))
				if hex.EncodeToString(sum[:]) != saved.SHA256 {
					b.Fatal("file hash")
				}
				id, _ := res.LastInsertId()
				exec("INSERT INTO files (id, org_id, uploader_user_id, name, size, sha256, content_type, storage_name, created_at) VALUES (?, 1, 1, 'photo.jpg', ?, ?, 'image/jpeg', ?, '2025-01-01T00:00:00Z')",
					n, saved.Size, saved.SHA256, saved.StorageName)
				exec("INSERT INTO message_files (message_id, file_id, position) VALUES (?, ?, 0)", id, n)
			}
		}
	}
	exec("UPDATE meta SET value = '0' WHERE key = 'chain_filled'")
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	raw.Close()

	t0 := time.Now()
	db, err = sqlite.Open(ctx, path, fastHashes(), sqlite.WithSigningKey(key))
	if err != nil {
		b.Fatal(err)
	}
	fill := time.Since(t0)
	t0 = time.Now()
	signed, problems, err := db.SignChangedHeads(ctx)
	if err != nil || problems != nil || signed != convs {
		b.Fatalf("signed %d, %v, %v", signed, problems, err)
	}
	sign := time.Since(t0)
	db.Close()

	b.ResetTimer()
	for range b.N {
		if err := run(ctx, []string{"verify-chain", "-data", dir}, env(nil), io.Discard, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(fill.Seconds(), "fill-s")
	b.ReportMetric(sign.Seconds(), "sign-s")
	if fi, err := os.Stat(path); err == nil {
		b.ReportMetric(float64(fi.Size())/(1<<20), "db-MB")
	}
}

// zeros reads as endless zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }
