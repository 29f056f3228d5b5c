// Package filestore keeps uploaded files under server-made names: Files is
// what the HTTP API needs of a file store, and Store keeps them on disk, the
// default for one server node. Nothing a client sends ever becomes part of
// a path.
package filestore

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"

	"doorstep/backend"
)

// DefaultMaxSize is the default upload limit.
const DefaultMaxSize = backend.DefaultMaxUploadBytes

// Store is a directory of uploaded files.
type Store struct {
	dir     string
	maxSize int64

	mu        sync.Mutex
	appending map[string]bool // resumable uploads receiving bytes right now
}

// Open returns the store in dir (created if needed) with an upload limit.
func Open(dir string, maxSize int64) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, diskError("open", err)
	}
	if maxSize <= 0 {
		maxSize = DefaultMaxSize
	}
	return &Store{dir: dir, maxSize: maxSize, appending: map[string]bool{}}, nil
}

// MaxSize is the upload limit in bytes.
func (s *Store) MaxSize() int64 { return s.maxSize }

// Saved describes a file written by Save.
type Saved struct {
	StorageName string // the server-made name on disk
	Size        int64
	SHA256      string // hex
	ContentType string // sniffed from the content, never taken from the client
}

// Save streams r to disk, hashing and sniffing on the way, and makes the
// file durable (fsync, rename, fsync of the directory) before returning. More
// than MaxSize bytes gives ETOOLARGE; r failing gives an error wrapping
// ErrReceive (the sender's side); the disk failing gives a
// *backend.StorageError when it means storage trouble (a full disk, say).
// A failed Save leaves nothing behind.
func (s *Store) Save(r io.Reader) (Saved, error) {
	name := randomName()
	tmp, err := os.CreateTemp(s.dir, ".upload-*")
	if err != nil {
		return Saved{}, diskError("create", err)
	}
	defer func() {
		if tmp != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	sniff := &headBuffer{max: 512}
	disk := &diskWriter{w: tmp}
	n, err := io.Copy(io.MultiWriter(disk, h, sniff), io.LimitReader(r, s.maxSize+1))
	if err != nil {
		return Saved{}, copyError(disk, err)
	}
	if n > s.maxSize {
		return Saved{}, TooLarge(s.maxSize)
	}
	if err := tmp.Sync(); err != nil {
		return Saved{}, diskError("sync", err)
	}
	if err := tmp.Close(); err != nil {
		return Saved{}, diskError("close", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(s.dir, name)); err != nil {
		return Saved{}, diskError("rename", err)
	}
	tmp = nil
	syncDir(s.dir) // make the rename itself durable
	return Saved{StorageName: name, Size: n, SHA256: hex.EncodeToString(h.Sum(nil)), ContentType: http.DetectContentType(sniff.b)}, nil
}

// Open opens a stored file by its storage name. A disk that cannot be read
// gives a *backend.StorageError.
func (s *Store) Open(storageName string) (File, error) {
	if !validID(storageName) {
		return nil, errors.New("filestore: not a storage name")
	}
	f, err := os.Open(filepath.Join(s.dir, storageName))
	if err != nil {
		return nil, diskError("open", err) // a failing disk is unavailable, a missing file a bug
	}
	return f, nil
}

// Remove deletes a stored file (when its metadata could not be recorded).
func (s *Store) Remove(storageName string) error {
	f, err := s.Open(storageName)
	if err != nil {
		return err
	}
	f.Close()
	return os.Remove(filepath.Join(s.dir, storageName))
}

// ErrReceive is wrapped by the errors of Save and Append that come from
// reading what the client sends (a body cut off or malformed), to tell them
// apart from the store failing to write it, which is the server's trouble.
var ErrReceive = errors.New("filestore: the upload could not be received")

// diskWriter passes writes to the file and remembers a failure, so a copy
// that fails can be told to have failed on the disk's side.
type diskWriter struct {
	w   io.Writer
	err error
}

func (d *diskWriter) Write(p []byte) (int, error) {
	n, err := d.w.Write(p)
	if err != nil && d.err == nil {
		d.err = err
	}
	return n, err
}

// copyError says which side a failed copy into disk failed on.
func copyError(disk *diskWriter, err error) error {
	if disk.err != nil {
		return diskError("write", disk.err)
	}
	return ReceiveFailed(err)
}

// diskError wraps a failure of the store's directory: a *backend.StorageError
// (answered as unavailable) when it means storage trouble such as a full
// disk, else an error for the log.
func diskError(op string, err error) error {
	err = fmt.Errorf("filestore: %s: %w", op, err)
	if t, ok := backend.StorageTroubleOf(err); ok {
		return &backend.StorageError{Trouble: t, Err: err}
	}
	return err
}

// ProbeWrite shows that the store can still write: it creates a small file,
// makes it durable and removes it. It fails with a *backend.StorageError
// saying why when the disk is full or read-only.
func (s *Store) ProbeWrite() error {
	f, err := os.CreateTemp(s.dir, ".probe-*")
	if err != nil {
		return diskError("probe", err)
	}
	defer os.Remove(f.Name())
	// A whole page, so a disk without a free block refuses it.
	if _, err := f.Write(make([]byte, 4096)); err != nil {
		f.Close()
		return diskError("probe", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return diskError("probe", err)
	}
	if err := f.Close(); err != nil {
		return diskError("probe", err)
	}
	return nil
}

// headBuffer keeps the first max bytes written to it.
type headBuffer struct {
	b   []byte
	max int
}

func (h *headBuffer) Write(p []byte) (int, error) {
	if room := h.max - len(h.b); room > 0 {
		h.b = append(h.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}
