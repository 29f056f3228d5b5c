package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"doorstep/backend"
	"doorstep/backend/filestore"
	"doorstep/backend/filestore/filestoretest"
	"doorstep/backend/postgres"
	"doorstep/internal/pgtest"
)

// TestFilesContract runs the file stores' contract against the files kept
// in PostgreSQL: two store instances on one database stand for two server
// nodes.
func TestFilesContract(t *testing.T) {
	filestoretest.Run(t, func(t *testing.T) (a, b filestore.Files) {
		dsn := pgtest.NewDatabase(t)
		return mustOpenAt(t, dsn).Files(filestoretest.MaxSize), mustOpenAt(t, dsn).Files(filestoretest.MaxSize)
	})
}

// TestFilesLeaveNothingBehind: a Save refused as too large or cut off, and
// an upload given up, leave no chunk in the database.
func TestFilesLeaveNothingBehind(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	db := mustOpenAt(t, dsn)
	files := db.Files(1 << 20)
	if _, err := files.Save(bytes.NewReader(make([]byte, 1<<20+1))); backend.ErrorCode(err) != backend.ETOOLARGE {
		t.Fatalf("too large: %v", err)
	}
	p, err := files.BeginPartial("user:1:1", "a.bin", 600_000, "0000000000000000000000000000000000000000000000000000000000000000")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := files.Append("user:1:1", p.ID, 0, bytes.NewReader(make([]byte, 500_000))); err != nil {
		t.Fatal(err)
	}
	if err := files.RemovePartial("user:1:1", p.ID); err != nil {
		t.Fatal(err)
	}
	if err := files.ProbeWrite(); err != nil {
		t.Fatal(err)
	}
	var chunks, blobs int
	if err := db.Update(context.Background(), func(tx *postgres.Tx) error {
		return tx.QueryRow(context.Background(), "SELECT (SELECT count(*) FROM file_chunks), (SELECT count(*) FROM file_blobs)").Scan(&chunks, &blobs)
	}); err != nil {
		t.Fatal(err)
	}
	if chunks != 0 || blobs != 0 {
		t.Errorf("left behind: %d chunks, %d files", chunks, blobs)
	}
}

// TestFilesReadOnlyDatabaseIsUnavailable: a database that refuses writes
// makes uploads and the probe fail as storage trouble (unavailable, with
// a sentence), not as a bug; stored files are still read.
func TestFilesReadOnlyDatabaseIsUnavailable(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	setup := mustOpenAt(t, dsn)
	kept, err := setup.Files(0).Save(bytes.NewReader([]byte("kept before")))
	if err != nil {
		t.Fatal(err)
	}
	if err := setup.Update(ctx, func(tx *postgres.Tx) error {
		var name string
		if err := tx.QueryRow(ctx, "SELECT current_database()").Scan(&name); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "ALTER DATABASE "+name+" SET default_transaction_read_only = on")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	files := mustOpenAt(t, dsn).Files(0)
	var storage *backend.StorageError
	if _, err := files.Save(bytes.NewReader(make([]byte, 300_000))); !errors.As(err, &storage) || backend.ErrorCode(err) != backend.EUNAVAILABLE {
		t.Errorf("save: %v", err)
	}
	if _, err := files.BeginPartial("user:1:1", "a.bin", 10, "0000000000000000000000000000000000000000000000000000000000000000"); !errors.As(err, &storage) {
		t.Errorf("begin upload: %v", err)
	}
	if err := files.ProbeWrite(); !errors.As(err, &storage) {
		t.Errorf("probe: %v", err)
	}
	f, err := files.Open(kept.StorageName)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got bytes.Buffer
	if _, err := got.ReadFrom(f); err != nil || got.String() != "kept before" {
		t.Errorf("read: %q, %v", got.String(), err)
	}
}
