package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"doorstep/backend/filename"
	"doorstep/backend/filestore"
)

// Files kept in the database. Several server nodes share one database, and
// a file uploaded through one node must be downloadable through every
// other, as must a resumable upload whose next request reaches another
// node. The bytes are kept where everything else is: in fixed-size chunks
// (chunkSize) of a bytea column, one row each, keyed by the file's storage
// name and the chunk's number (migration 0004). That is plain SQL,
// transactional (a file and its chunks appear together or not at all), and
// backed up, restored and replicated with the rest of the database. Large
// objects would be the other way inside PostgreSQL, but they live outside
// the tables, need their own clean-up (vacuumlo) and are skipped by a
// logical dump unless asked for; an S3-compatible object store would mean
// a second system to run and to back up in step with the database.
//
// Only one chunk at a time is ever in memory, whichever way the bytes go.

// chunkSize is the size of every chunk but a file's last: large enough that
// a 25 MB file is about a hundred rows, small enough that a read or a
// write holds little memory.
const chunkSize = 256 << 10

// fileTimeout bounds one statement on the files' tables: a database that
// stops answering fails the request instead of holding it forever.
const fileTimeout = 30 * time.Second

// Files is the file store in the database, for every server node that
// shares it: uploads, downloads and resumable uploads through any node.
type Files struct {
	db      *DB
	maxSize int64

	mu        sync.Mutex
	appending map[string]bool // this node's uploads receiving bytes right now
}

var _ filestore.Files = (*Files)(nil)

// Files returns the store's file store, with an upload limit (0: the
// default).
func (db *DB) Files(maxSize int64) *Files {
	if maxSize <= 0 {
		maxSize = filestore.DefaultMaxSize
	}
	return &Files{db: db, maxSize: maxSize, appending: map[string]bool{}}
}

// MaxSize is the upload limit in bytes.
func (f *Files) MaxSize() int64 { return f.maxSize }

// fillChunk reads from r until buf is full or r ends. It returns io.EOF
// only for a clean end; any other failure of r is the sender's, wrapped in
// filestore.ErrReceive.
func fillChunk(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		k, err := r.Read(buf[n:])
		n += k
		if errors.Is(err, io.EOF) {
			return n, io.EOF
		}
		if err != nil {
			return n, filestore.ReceiveFailed(err)
		}
	}
	return n, nil
}

// filesErr wraps an error of the files' tables, storage trouble becoming a
// *backend.StorageError (answered as unavailable).
func filesErr(op string, err error) error {
	return fmt.Errorf("postgres: files: %s: %w", op, storageError(err))
}

// Save streams r into the database in one transaction, hashing and sniffing
// on the way: a failed Save leaves nothing behind, a returned one is
// committed. The transaction stays open while the client sends, so an
// upload holds one connection of the pool for as long as it takes.
func (f *Files) Save(r io.Reader) (filestore.Saved, error) {
	ctx := context.Background()
	tx, err := f.db.pool.Begin(ctx)
	if err != nil {
		return filestore.Saved{}, filesErr("begin", err)
	}
	defer tx.Rollback(ctx)
	name := filestore.RandomName()
	h, sniff := sha256.New(), filestore.NewHeadBuffer(512)
	buf := make([]byte, chunkSize)
	limited := io.LimitReader(r, f.maxSize+1)
	var size int64
	for n := 0; ; n++ {
		k, readErr := fillChunk(limited, buf)
		if size += int64(k); size > f.maxSize {
			return filestore.Saved{}, filestore.TooLarge(f.maxSize)
		}
		if k > 0 {
			h.Write(buf[:k])
			sniff.Write(buf[:k])
			if err := execTimed(ctx, tx, "INSERT INTO file_chunks (name, n, data) VALUES ($1, $2, $3)", name, n, buf[:k]); err != nil {
				return filestore.Saved{}, filesErr("write", err)
			}
		}
		if errors.Is(readErr, io.EOF) {
			break
		}
		if readErr != nil {
			return filestore.Saved{}, readErr
		}
	}
	saved := filestore.Saved{StorageName: name, Size: size, SHA256: hex.EncodeToString(h.Sum(nil)), ContentType: http.DetectContentType(sniff.Bytes())}
	if err := execTimed(ctx, tx, "INSERT INTO file_blobs (storage_name, size, sha256, content_type) VALUES ($1, $2, $3, $4)",
		saved.StorageName, saved.Size, saved.SHA256, saved.ContentType); err != nil {
		return filestore.Saved{}, filesErr("write", err)
	}
	if err := commitTimed(ctx, tx); err != nil {
		return filestore.Saved{}, filesErr("commit", err)
	}
	return saved, nil
}

// execTimed runs one statement of a transaction within fileTimeout.
func execTimed(ctx context.Context, tx pgx.Tx, sql string, args ...any) error {
	ctx, cancel := context.WithTimeout(ctx, fileTimeout)
	defer cancel()
	_, err := tx.Exec(ctx, sql, args...)
	return err
}

func commitTimed(ctx context.Context, tx pgx.Tx) error {
	ctx, cancel := context.WithTimeout(ctx, fileTimeout)
	defer cancel()
	return tx.Commit(ctx)
}

// Open opens a stored file to read and seek, one chunk at a time.
func (f *Files) Open(storageName string) (filestore.File, error) {
	if !filestore.ValidName(storageName) {
		return nil, errors.New("postgres: files: not a storage name")
	}
	ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
	defer cancel()
	var size int64
	err := f.db.pool.QueryRow(ctx, "SELECT size FROM file_blobs WHERE storage_name = $1", storageName).Scan(&size)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errors.New("postgres: files: no such stored file") // a bug or a damaged database: the log says which
	}
	if err != nil {
		return nil, filesErr("open", err)
	}
	return &chunkReader{files: f, name: storageName, size: size, chunk: -1}, nil
}

// chunkReader reads a stored file, fetching the chunk it is in when it
// needs one and keeping only that.
type chunkReader struct {
	files *Files
	name  string
	size  int64
	pos   int64
	chunk int64 // the number of the chunk in data; -1: none
	data  []byte
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if c.pos >= c.size {
		return 0, io.EOF
	}
	if n := c.pos / chunkSize; n != c.chunk {
		ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
		err := c.files.db.pool.QueryRow(ctx, "SELECT data FROM file_chunks WHERE name = $1 AND n = $2", c.name, n).Scan(&c.data)
		cancel()
		if err != nil {
			c.chunk = -1
			return 0, filesErr("read", err)
		}
		c.chunk = n
	}
	off := int(c.pos % chunkSize)
	if off >= len(c.data) {
		return 0, fmt.Errorf("postgres: files: chunk %d of %s is short", c.chunk, c.name)
	}
	k := copy(p, c.data[off:])
	c.pos += int64(k)
	return k, nil
}

func (c *chunkReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		offset += c.pos
	case io.SeekEnd:
		offset += c.size
	}
	if offset < 0 {
		return c.pos, errors.New("postgres: files: seek before the start")
	}
	c.pos = offset
	return offset, nil
}

func (c *chunkReader) Close() error { c.data = nil; return nil }

// Remove deletes a stored file and its chunks.
func (f *Files) Remove(storageName string) error {
	if !filestore.ValidName(storageName) {
		return errors.New("postgres: files: not a storage name")
	}
	return f.inTx("remove", func(ctx context.Context, tx pgx.Tx) error {
		if err := execTimed(ctx, tx, "DELETE FROM file_blobs WHERE storage_name = $1", storageName); err != nil {
			return err
		}
		return execTimed(ctx, tx, "DELETE FROM file_chunks WHERE name = $1", storageName)
	})
}

// inTx runs fn in a transaction of its own and commits it.
func (f *Files) inTx(op string, fn func(context.Context, pgx.Tx) error) error {
	ctx := context.Background()
	tx, err := f.db.pool.Begin(ctx)
	if err != nil {
		return filesErr(op, err)
	}
	defer tx.Rollback(ctx)
	if err := fn(ctx, tx); err != nil {
		if errors.Is(err, errMoved) {
			return err
		}
		return filesErr(op, err)
	}
	if err := commitTimed(ctx, tx); err != nil {
		return filesErr(op, err)
	}
	return nil
}

// ProbeWrite shows that the files' tables can still be written: a chunk's
// worth of a page is committed and deleted again.
func (f *Files) ProbeWrite() error {
	return f.inTx("probe", func(ctx context.Context, tx pgx.Tx) error {
		if err := execTimed(ctx, tx, `INSERT INTO file_chunks (name, n, data) VALUES ('write-probe', 0, $1)
			ON CONFLICT (name, n) DO UPDATE SET data = excluded.data`, make([]byte, 4096)); err != nil {
			return err
		}
		return execTimed(ctx, tx, "DELETE FROM file_chunks WHERE name = 'write-probe'")
	})
}

// BeginPartial starts a resumable upload, kept in the database so that any
// node can continue it.
func (f *Files) BeginPartial(owner, name string, size int64, sha256Hex string) (filestore.Partial, error) {
	if err := filestore.CheckNewPartial(size, f.maxSize, sha256Hex); err != nil {
		return filestore.Partial{}, err
	}
	p := filestore.Partial{ID: filestore.RandomName(), Owner: owner, Name: filename.Safe(name), Size: size, SHA256: sha256Hex,
		Created: time.Now().UTC().Truncate(time.Microsecond)}
	err := f.inTx("begin upload", func(ctx context.Context, tx pgx.Tx) error {
		return execTimed(ctx, tx, `INSERT INTO upload_partials (id, owner, name, size, sha256, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			p.ID, p.Owner, p.Name, p.Size, p.SHA256, p.Created)
	})
	if err != nil {
		return filestore.Partial{}, err
	}
	return p, nil
}

// Partial returns a resumable upload of owner's, with the offset the
// database holds.
func (f *Files) Partial(owner, id string) (filestore.Partial, error) {
	if !filestore.ValidName(id) {
		return filestore.Partial{}, filestore.ErrNoUpload
	}
	ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
	defer cancel()
	p := filestore.Partial{ID: id}
	err := f.db.pool.QueryRow(ctx, "SELECT owner, name, size, sha256, created_at, received FROM upload_partials WHERE id = $1", id).
		Scan(&p.Owner, &p.Name, &p.Size, &p.SHA256, &p.Created, &p.Offset)
	if errors.Is(err, pgx.ErrNoRows) {
		return filestore.Partial{}, filestore.ErrNoUpload
	}
	if err != nil {
		return filestore.Partial{}, filesErr("read upload", err)
	}
	if p.Owner != owner {
		return filestore.Partial{}, filestore.ErrNoUpload
	}
	return p, nil
}

// errMoved is a write that found the upload's offset moved by another
// request (on another node): the client asks for the offset again.
var errMoved = errors.New("postgres: files: the upload's offset moved")

// Append adds r's bytes to owner's upload id at offset, one chunk per
// transaction: what arrived stays even when the connection breaks midway.
// Each write moves the held offset only from where it expects it to be, so
// two requests for one upload at once (on two nodes) never interleave
// their bytes: the one that finds it moved stops with ECONFLICT.
func (f *Files) Append(owner, id string, offset int64, r io.Reader) (p filestore.Partial, saved filestore.Saved, done bool, err error) {
	if p, err = f.Partial(owner, id); err != nil {
		return p, saved, false, err
	}
	f.mu.Lock()
	if f.appending[id] {
		f.mu.Unlock()
		return p, saved, false, filestore.ErrUploadBusy
	}
	f.appending[id] = true
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.appending, id)
		f.mu.Unlock()
	}()
	if p, err = f.Partial(owner, id); err != nil {
		return p, saved, false, err
	}
	if offset != p.Offset {
		return p, saved, false, filestore.OffsetConflict(p.Offset, offset)
	}
	start := p.Offset
	// One byte more than is missing tells an overlong body apart.
	limited := io.LimitReader(r, p.Size-p.Offset+1)
	buf := make([]byte, chunkSize)
	for {
		k, readErr := fillChunk(limited, buf[:chunkSize-int(p.Offset%chunkSize)])
		if p.Offset+int64(k) > p.Size {
			// Undo what this request wrote: the upload stays as it was.
			if err := f.truncate(id, p.Offset, start); err != nil {
				return p, saved, false, err
			}
			p.Offset = start
			return p, saved, false, filestore.Overlong(p.Size)
		}
		if k > 0 {
			if err := f.appendChunk(id, p.Offset, buf[:k]); errors.Is(err, errMoved) {
				held, _ := f.Partial(owner, id)
				return held, saved, false, filestore.ErrUploadBusy
			} else if err != nil {
				return p, saved, false, err
			}
			p.Offset += int64(k)
		}
		if errors.Is(readErr, io.EOF) {
			break
		}
		if readErr != nil {
			return p, saved, false, readErr
		}
	}
	if p.Offset < p.Size {
		return p, saved, false, nil
	}
	saved, err = f.finish(p)
	return p, saved, err == nil, err
}

// appendChunk writes b at the upload's offset at, which must be the held
// one: into the chunk at's part of, which b never runs past.
func (f *Files) appendChunk(id string, at int64, b []byte) error {
	return f.inTx("append", func(ctx context.Context, tx pgx.Tx) error {
		ctx, cancel := context.WithTimeout(ctx, fileTimeout)
		defer cancel()
		tag, err := tx.Exec(ctx, "UPDATE upload_partials SET received = $3 WHERE id = $1 AND received = $2", id, at, at+int64(len(b)))
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 1 {
			return errMoved
		}
		n := at / chunkSize
		if at%chunkSize == 0 {
			_, err = tx.Exec(ctx, "INSERT INTO file_chunks (name, n, data) VALUES ($1, $2, $3)", id, n, b)
		} else {
			_, err = tx.Exec(ctx, "UPDATE file_chunks SET data = data || $3 WHERE name = $1 AND n = $2", id, n, b)
		}
		return err
	})
}

// truncate takes an upload back from offset now to to, dropping the bytes
// after it.
func (f *Files) truncate(id string, now, to int64) error {
	if now == to {
		return nil
	}
	return f.inTx("undo append", func(ctx context.Context, tx pgx.Tx) error {
		n, keep := to/chunkSize, to%chunkSize
		if keep == 0 {
			if err := execTimed(ctx, tx, "DELETE FROM file_chunks WHERE name = $1 AND n >= $2", id, n); err != nil {
				return err
			}
		} else {
			if err := execTimed(ctx, tx, "DELETE FROM file_chunks WHERE name = $1 AND n > $2", id, n); err != nil {
				return err
			}
			if err := execTimed(ctx, tx, "UPDATE file_chunks SET data = substring(data FROM 1 FOR $3) WHERE name = $1 AND n = $2", id, n, keep); err != nil {
				return err
			}
		}
		return execTimed(ctx, tx, "UPDATE upload_partials SET received = $2 WHERE id = $1", id, to)
	})
}

// finish checks a complete upload against its promised SHA-256 and turns
// it into a stored file, in one transaction.
func (f *Files) finish(p filestore.Partial) (filestore.Saved, error) {
	h, sniff := sha256.New(), filestore.NewHeadBuffer(512)
	if err := f.hashChunks(p.ID, h, sniff); err != nil {
		return filestore.Saved{}, err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if sum != p.SHA256 {
		f.RemovePartial(p.Owner, p.ID)
		return filestore.Saved{}, filestore.ErrChecksum
	}
	saved := filestore.Saved{StorageName: filestore.RandomName(), Size: p.Size, SHA256: sum, ContentType: http.DetectContentType(sniff.Bytes())}
	err := f.inTx("finish upload", func(ctx context.Context, tx pgx.Tx) error {
		ctx, cancel := context.WithTimeout(ctx, fileTimeout)
		defer cancel()
		tag, err := tx.Exec(ctx, "DELETE FROM upload_partials WHERE id = $1 AND received = size", p.ID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 1 {
			return errMoved // finished (or given up) by another request meanwhile
		}
		if _, err := tx.Exec(ctx, "UPDATE file_chunks SET name = $2 WHERE name = $1", p.ID, saved.StorageName); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "INSERT INTO file_blobs (storage_name, size, sha256, content_type) VALUES ($1, $2, $3, $4)",
			saved.StorageName, saved.Size, saved.SHA256, saved.ContentType)
		return err
	})
	if errors.Is(err, errMoved) {
		return filestore.Saved{}, filestore.ErrNoUpload
	}
	if err != nil {
		return filestore.Saved{}, err
	}
	return saved, nil
}

// hashChunks streams an upload's chunks, in order, into the writers.
func (f *Files) hashChunks(id string, ws ...io.Writer) error {
	w := io.MultiWriter(ws...)
	ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
	defer cancel()
	rows, err := f.db.pool.Query(ctx, "SELECT data FROM file_chunks WHERE name = $1 ORDER BY n", id)
	if err != nil {
		return filesErr("read upload", err)
	}
	defer rows.Close()
	var data []byte
	for rows.Next() {
		if err := rows.Scan(&data); err != nil {
			return filesErr("read upload", err)
		}
		w.Write(data)
	}
	if err := rows.Err(); err != nil {
		return filesErr("read upload", err)
	}
	return nil
}

// RemovePartial gives up an upload of owner's, with its chunks.
func (f *Files) RemovePartial(owner, id string) error {
	if _, err := f.Partial(owner, id); err != nil {
		return err
	}
	return f.inTx("remove upload", func(ctx context.Context, tx pgx.Tx) error {
		if err := execTimed(ctx, tx, "DELETE FROM upload_partials WHERE id = $1", id); err != nil {
			return err
		}
		return execTimed(ctx, tx, "DELETE FROM file_chunks WHERE name = $1", id)
	})
}

// PrunePartials deletes uploads begun before cutoff and never finished,
// with their chunks; it returns how many.
func (f *Files) PrunePartials(cutoff time.Time) (int, error) {
	var n int
	err := f.inTx("prune uploads", func(ctx context.Context, tx pgx.Tx) error {
		ctx, cancel := context.WithTimeout(ctx, fileTimeout)
		defer cancel()
		return tx.QueryRow(ctx, `WITH old AS (DELETE FROM upload_partials WHERE created_at < $1 RETURNING id),
			chunks AS (DELETE FROM file_chunks WHERE name IN (SELECT id FROM old))
			SELECT count(*) FROM old`, cutoff).Scan(&n)
	})
	return n, err
}
