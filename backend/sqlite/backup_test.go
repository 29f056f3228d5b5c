package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"

	"doorstep/backend"
	"doorstep/backend/sqlite"
	"doorstep/internal/wait"
)

// writePair commits rows n-a and n-b in one transaction: a copy that holds
// one without the other is not a snapshot of any commit.
func writePair(ctx context.Context, db *sqlite.DB, n int64) error {
	return db.Update(ctx, func(tx *sqlite.Tx) error {
		for _, side := range []string{"a", "b"} {
			if _, err := tx.ExecContext(ctx, "INSERT INTO meta (key, value) VALUES (?, 'x')", fmt.Sprintf("pair-%d-%s", n, side)); err != nil {
				return err
			}
		}
		return nil
	})
}

func TestBackup(t *testing.T) {
	ctx := context.Background()

	t.Run("ConsistentWhileWriting", func(t *testing.T) {
		live := MustOpenDB(t)
		// A second process's view: the backup reads through its own
		// read-only handle while the store keeps committing.
		reader, err := sqlite.OpenReadOnly(ctx, live.Path())
		if err != nil {
			t.Fatal(err)
		}
		defer reader.Close()

		var committed atomic.Int64
		stop := make(chan struct{})
		writerDone := make(chan error, 1)
		go func() {
			for n := int64(1); ; n++ {
				select {
				case <-stop:
					writerDone <- nil
					return
				default:
				}
				if err := writePair(ctx, live, n); err != nil {
					writerDone <- err
					return
				}
				committed.Store(n)
			}
		}()
		wait.For(t, "the writer committed a few pairs", func() bool { return committed.Load() >= 20 })
		before := committed.Load()
		dest := filepath.Join(t.TempDir(), "copy.db")
		if err := reader.Backup(ctx, dest); err != nil {
			t.Fatal(err)
		}
		after := committed.Load()
		close(stop)
		if err := <-writerDone; err != nil {
			t.Fatalf("the writer failed during the backup: %v", err)
		}

		a, _ := strconv.Atoi(rawQuery(t, dest, "SELECT count(*) FROM meta WHERE key LIKE 'pair-%-a'"))
		b, _ := strconv.Atoi(rawQuery(t, dest, "SELECT count(*) FROM meta WHERE key LIKE 'pair-%-b'"))
		if a != b {
			t.Errorf("the copy holds %d first halves and %d second halves: not one commit's snapshot", a, b)
		}
		if int64(a) < before {
			t.Errorf("the copy holds %d pairs; %d were committed before the backup began", a, before)
		}
		t.Logf("pairs: %d committed before the backup, %d in the copy, %d committed when it returned", before, a, after)

		entries, _ := os.ReadDir(filepath.Dir(dest))
		if len(entries) != 1 {
			t.Errorf("beside the copy: %v, want the copy alone (no -wal, -shm or journal)", entries)
		}
		r, err := sqlite.InspectCopy(ctx, dest)
		if err != nil || len(r.Integrity) != 0 || r.Schema != sqlite.SchemaVersion() {
			t.Errorf("InspectCopy = %+v, %v; want a sound copy at schema %d", r, err, sqlite.SchemaVersion())
		}
		if mode := rawQuery(t, dest, "PRAGMA journal_mode"); mode != "delete" {
			t.Errorf("the copy's journal mode is %s, want delete", mode)
		}
	})

	t.Run("ErrDestinationExists", func(t *testing.T) {
		db := MustOpenDB(t)
		dest := filepath.Join(t.TempDir(), "copy.db")
		os.WriteFile(dest, []byte("keep me"), 0o600)
		if err := db.Backup(ctx, dest); err == nil {
			t.Fatal("backup over an existing file succeeded")
		}
		if b, _ := os.ReadFile(dest); string(b) != "keep me" {
			t.Errorf("the existing file changed to %q", b)
		}
	})

	t.Run("InspectCopyListsStoredFiles", func(t *testing.T) {
		db := MustOpenDB(t)
		orgID, _ := db.CreateOrg(ctx, "Files Rentals", "UTC")
		if _, err := db.CreateUser(ctx, orgID, "files@example.org", "Files", "a good long password", true); err != nil {
			t.Fatal(err)
		}
		sess, err := db.SignIn(ctx, "files@example.org", "a good long password")
		if err != nil {
			t.Fatal(err)
		}
		want := backend.NewFile{Name: "lease.pdf", Size: 3, SHA256: "abc", ContentType: "application/pdf", StorageName: "0123456789abcdef0123456789abcdef"}
		if _, err := db.CreateFile(ctx, sess.Me.Principal, want); err != nil {
			t.Fatal(err)
		}
		dest := filepath.Join(t.TempDir(), "copy.db")
		if err := db.Backup(ctx, dest); err != nil {
			t.Fatal(err)
		}
		r, err := sqlite.InspectCopy(ctx, dest)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Files) != 1 || r.Files[0] != (sqlite.StoredFile{StorageName: want.StorageName, Size: 3, SHA256: "abc"}) {
			t.Errorf("stored files = %+v", r.Files)
		}
	})

	t.Run("CorruptCopyFailsInspection", func(t *testing.T) {
		db := MustOpenDB(t)
		for n := range int64(300) {
			if err := writePair(ctx, db, n); err != nil {
				t.Fatal(err)
			}
		}
		dest := filepath.Join(t.TempDir(), "copy.db")
		if err := db.Backup(ctx, dest); err != nil {
			t.Fatal(err)
		}
		corruptPages(t, dest)
		r, err := sqlite.InspectCopy(ctx, dest)
		if err == nil && len(r.Integrity) == 0 {
			t.Fatal("a copy with garbage in its pages passed inspection")
		}
		t.Logf("inspection found: %v %q", err, r.Integrity)
	})
}

// corruptPages writes garbage over every page of a database file but the
// first (which says how to read the rest).
func corruptPages(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const page = 4096
	if len(b) < 3*page {
		t.Fatalf("database of %d bytes: too small to corrupt meaningfully", len(b))
	}
	for i := page; i < len(b); i += 7 {
		b[i] ^= 0x5a
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestOpenReadOnly(t *testing.T) {
	ctx := context.Background()

	t.Run("DatabaseAtRest", func(t *testing.T) {
		db := MustOpenDB(t)
		path := db.Path()
		db.Close() // the last connection removes the -wal and -shm files
		ro, err := sqlite.OpenReadOnly(ctx, path)
		if err != nil {
			t.Fatalf("a database no server runs on: %v", err)
		}
		defer ro.Close()
		if _, err := ro.ServerID(ctx); err != nil {
			t.Errorf("reading: %v", err)
		}
		err = ro.ProbeWrite(ctx)
		var se *backend.StorageError
		if !errors.As(err, &se) {
			t.Errorf("a write through the read-only store: %v, want a storage error", err)
		}
	})

	t.Run("NoMigration", func(t *testing.T) {
		db := MustOpenDB(t)
		path := db.Path()
		db.Close()
		// As if an older server had made it: its latest migration unrecorded.
		raw, _ := sql.Open("sqlite3", "file:"+path)
		if _, err := raw.Exec("DELETE FROM schema_migrations WHERE version = ?", sqlite.SchemaVersion()); err != nil {
			t.Fatal(err)
		}
		raw.Close()
		ro, err := sqlite.OpenReadOnly(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		ro.Close()
		if got := rawQuery(t, path, "SELECT max(version) FROM schema_migrations"); got != strconv.Itoa(sqlite.SchemaVersion()-1) {
			t.Errorf("schema after a read-only open: %s, want it untouched at %d", got, sqlite.SchemaVersion()-1)
		}
	})

	t.Run("ErrNewerSchema", func(t *testing.T) {
		db := MustOpenDB(t)
		path := db.Path()
		db.Close()
		raw, _ := sql.Open("sqlite3", "file:"+path)
		if _, err := raw.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', 'x')"); err != nil {
			t.Fatal(err)
		}
		raw.Close()
		if _, err := sqlite.OpenReadOnly(ctx, path); !errors.Is(err, sqlite.ErrNewerSchema) {
			t.Fatalf("err = %v, want ErrNewerSchema", err)
		}
	})

	t.Run("ErrNotADoorstepDatabase", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "other.db")
		raw, _ := sql.Open("sqlite3", "file:"+path)
		raw.Exec("CREATE TABLE t (x)")
		raw.Close()
		if _, err := sqlite.OpenReadOnly(ctx, path); err == nil {
			t.Fatal("a database without a schema record opened")
		}
	})
}
