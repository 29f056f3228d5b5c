package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"doorstep/backend"
	"doorstep/backend/migrate"
)

// SchemaVersion is the schema this program's migrations bring a database
// to: a database (or a backup) recording a higher one was written by a
// newer server.
func SchemaVersion() int {
	sub, err := fs.Sub(migrationFS, "migrations")
	if err != nil {
		panic(err) // the embedded directory is part of the program
	}
	n, err := migrate.Latest(sub)
	if err != nil {
		panic(err) // the migrations' names are checked by every test run
	}
	return n
}

// newerSchemaError refuses a database at schema current, which this server
// does not know.
func newerSchemaError(current int) error {
	return fmt.Errorf("%w: the database is at schema %d but doorstep-server %s knows only up to %d; use a newer version or restore a backup",
		ErrNewerSchema, current, backend.Version, SchemaVersion())
}

// OpenReadOnly opens an existing server database for reading only, for a
// process beside the server that serves it (`doorstep-server backup`): it
// runs no migration, because a newer program must not change the schema
// under an older server still running, and it writes nothing (a write
// fails as storage that is read-only). A database at a schema newer than
// this program's is refused, like Open refuses it.
func OpenReadOnly(ctx context.Context, path string) (*DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	q := url.Values{}
	q.Set("mode", "ro")
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", "5000")
	dsn := "file:" + filepath.ToSlash(path) + "?" + q.Encode()
	readers, err := sql.Open(driverName, dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	current, err := migrate.Current(ctx, readers)
	if err != nil {
		readers.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", path, storageError(err))
	}
	if current == 0 {
		readers.Close()
		return nil, fmt.Errorf("sqlite: %s is not a doorstep-server database", path)
	}
	if current > SchemaVersion() {
		readers.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", path, newerSchemaError(current))
	}
	// The writer is read-only too: the DB keeps its shape (Close, Update)
	// and a write is refused by SQLite itself.
	writer, err := sql.Open(driverName, dsn)
	if err != nil {
		readers.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	writer.SetMaxOpenConns(1)
	db := &DB{db: readers, writer: writer, path: path, now: time.Now,
		writes: make(chan writeRequest), closing: make(chan struct{}), writerDone: make(chan struct{})}
	if err := db.startWriter(ctx); err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	return db, nil
}

// Backup writes a consistent copy of the database to dest, a new file,
// while the server (in this process or another) goes on writing, and makes
// it durable. The copy is a plain database file (rollback journal, not
// WAL), so it can be read without anything beside it.
//
// Why the online backup API, in a single step, rather than VACUUM INTO:
// both read the source inside one read transaction, and in WAL mode a read
// transaction is a snapshot that writers (the server's single writer, in
// its own process) do not block and cannot change. sqlite3_backup_step(-1)
// copies every page under that one snapshot, so the copy is exactly the
// database as of one commit. (Stepping a few pages at a time would let the
// server's commits in between restart the copy from the beginning, which
// under steady writing might never finish.) VACUUM INTO would be as
// consistent but rebuilds every table and index, which costs far more CPU
// on the server's machine, and it does not sync the file it writes; the
// backup API writes the copy through an ordinary connection, whose commit
// is synced like any other.
func (db *DB) Backup(ctx context.Context, dest string) error {
	if _, err := os.Lstat(dest); !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("sqlite: backup: %s already exists", dest)
	}
	out, err := sql.Open(driverName, "file:"+filepath.ToSlash(dest)+"?_busy_timeout=5000&_synchronous=FULL")
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	defer out.Close()
	if err := db.copyInto(ctx, out); err != nil {
		return fmt.Errorf("sqlite: backup to %s: %w", dest, err)
	}
	// The copy carries the source's WAL flag in its header: switch it to a
	// rollback journal so it is one self-contained file, and a reader of
	// the backup creates no -wal or -shm file beside it.
	var mode string
	if err := out.QueryRowContext(ctx, "PRAGMA journal_mode = DELETE").Scan(&mode); err != nil {
		return fmt.Errorf("sqlite: backup to %s: journal mode: %w", dest, storageError(err))
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("sqlite: backup to %s: %w", dest, storageError(err))
	}
	// It holds password hashes and session tokens: for its owner alone.
	return os.Chmod(dest, 0o600)
}

// copyInto runs the online backup from one of db's readers into out's
// main database.
func (db *DB) copyInto(ctx context.Context, out *sql.DB) error {
	dst, err := out.Conn(ctx)
	if err != nil {
		return storageError(err)
	}
	defer dst.Close()
	src, err := db.db.Conn(ctx)
	if err != nil {
		return storageError(err)
	}
	defer src.Close()
	return dst.Raw(func(d any) error {
		return src.Raw(func(s any) error {
			b, err := d.(*storageConn).c.Backup("main", s.(*storageConn).c, "main")
			if err != nil {
				return storageError(err)
			}
			for {
				done, err := b.Step(-1)
				if err != nil {
					b.Finish()
					return storageError(err)
				}
				if done {
					return storageError(b.Finish())
				}
				// Busy or locked (a checkpoint resetting the WAL, say):
				// the step is taken again, where it stopped.
				select {
				case <-ctx.Done():
					b.Finish()
					return ctx.Err()
				case <-time.After(50 * time.Millisecond):
				}
			}
		})
	})
}

// StoredFile is a file the database refers to, by the name the file store
// keeps it under, with what the database recorded of it.
type StoredFile struct {
	StorageName string
	Size        int64
	SHA256      string // hex
}

// CopyReport is what InspectCopy finds in a copy of the database.
type CopyReport struct {
	Schema int // the copy's schema version
	// Integrity lists what PRAGMA integrity_check found wrong; empty when
	// the copy is sound.
	Integrity []string
	// Files are the stored files the copy refers to; nil when its schema
	// is newer than this program's (they are not looked for then).
	Files []StoredFile
}

// InspectCopy examines a copy of the database that no server uses (a
// backup's): its schema version, PRAGMA integrity_check, and the stored
// files it refers to. It opens the file read-only as immutable, so it
// neither takes locks nor creates a journal, -wal or -shm file beside it.
// An error means the copy could not be read at all (not a database, or
// damaged beyond integrity_check).
func InspectCopy(ctx context.Context, path string) (CopyReport, error) {
	var r CopyReport
	if _, err := os.Stat(path); err != nil {
		return r, fmt.Errorf("sqlite: %w", err)
	}
	conn, err := sql.Open(driverName, "file:"+filepath.ToSlash(path)+"?mode=ro&immutable=1")
	if err != nil {
		return r, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	defer conn.Close()
	rows, err := conn.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return r, fmt.Errorf("sqlite: integrity check of %s: %w", path, err)
	}
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			rows.Close()
			return r, fmt.Errorf("sqlite: integrity check of %s: %w", path, err)
		}
		if line != "ok" {
			r.Integrity = append(r.Integrity, line)
		}
	}
	if err := rows.Close(); err != nil {
		return r, fmt.Errorf("sqlite: integrity check of %s: %w", path, err)
	}
	if err := rows.Err(); err != nil {
		return r, fmt.Errorf("sqlite: integrity check of %s: %w", path, err)
	}
	if r.Schema, err = migrate.Current(ctx, conn); err != nil {
		return r, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	if r.Schema > SchemaVersion() {
		return r, nil
	}
	if r.Files, err = storedFiles(ctx, conn); err != nil {
		return r, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	return r, nil
}

// storedFiles lists every file the database refers to, oldest first.
func storedFiles(ctx context.Context, q queryer) ([]StoredFile, error) {
	rows, err := q.QueryContext(ctx, "SELECT storage_name, size, sha256 FROM files ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("stored files: %w", err)
	}
	defer rows.Close()
	files := []StoredFile{}
	for rows.Next() {
		var f StoredFile
		if err := rows.Scan(&f.StorageName, &f.Size, &f.SHA256); err != nil {
			return nil, fmt.Errorf("stored files: %w", err)
		}
		files = append(files, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("stored files: %w", err)
	}
	return files, nil
}
