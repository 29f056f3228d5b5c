package filestore

import (
	"fmt"
	"io"
	"strings"
	"time"

	"doorstep/backend"
)

// Files is where uploaded files and resumable uploads are kept: the
// directory of a Store (the default, for one server node), or a store every
// node reads, such as the PostgreSQL database several nodes share
// (backend/postgres). httpapi uses only this. Every implementation keeps
// the same guarantees: the bytes are streamed, never held whole in memory;
// a file is checked against its SHA-256 and refused beyond MaxSize (with
// ETOOLARGE); names and ids are the store's own, so nothing a client sends
// reaches storage; storage that is full or failing is a
// *backend.StorageError (unavailable); a resumable upload goes on at the
// offset the store holds, from any node that reads the same store.
type Files interface {
	// MaxSize is the upload limit in bytes.
	MaxSize() int64
	// Save streams r into the store, hashing and sniffing on the way, and
	// makes it durable before returning. A failure of r wraps ErrReceive;
	// a failed Save leaves nothing behind.
	Save(r io.Reader) (Saved, error)
	// Open opens a stored file by its storage name, to read and seek.
	Open(storageName string) (File, error)
	// Remove deletes a stored file (when its metadata could not be recorded).
	Remove(storageName string) error
	// ProbeWrite shows that the store can still write durably.
	ProbeWrite() error

	// BeginPartial starts a resumable upload of size bytes whose SHA-256
	// will be sha256Hex; owner alone may continue it.
	BeginPartial(owner, name string, size int64, sha256Hex string) (Partial, error)
	// Partial returns a resumable upload of owner's, with its offset.
	Partial(owner, id string) (Partial, error)
	// Append adds r's bytes to owner's upload id at offset (which must be
	// the held one, else ECONFLICT); see Store.Append.
	Append(owner, id string, offset int64, r io.Reader) (p Partial, saved Saved, done bool, err error)
	// RemovePartial gives up an upload of owner's.
	RemovePartial(owner, id string) error
	// PrunePartials deletes uploads begun before cutoff and never
	// finished; it returns how many.
	PrunePartials(cutoff time.Time) (int, error)
}

// File is a stored file opened to be read: served with http.ServeContent,
// which seeks for ranges.
type File interface {
	io.ReadSeekCloser
}

var _ Files = (*Store)(nil)

// ValidName accepts only the names and ids a store makes (32 lower-case
// hex digits), so a name from anywhere else never reaches storage.
func ValidName(name string) bool { return validID(name) }

// RandomName is a new server-made name for a stored file or an upload.
func RandomName() string { return randomName() }

// HeadBuffer keeps the first Max bytes written to it: what
// http.DetectContentType sniffs.
type HeadBuffer = headBuffer

// NewHeadBuffer returns a HeadBuffer keeping the first max bytes.
func NewHeadBuffer(max int) *HeadBuffer { return &headBuffer{max: max} }

// Bytes is what the buffer kept.
func (h *headBuffer) Bytes() []byte { return h.b }

// The refusals every Files implementation answers with, in one place so
// the sentences agree whichever store keeps the bytes.
var (
	// ErrNoUpload: no upload of the caller's has that id.
	ErrNoUpload = backend.Errorf(backend.ENOTFOUND, "There is no such upload; it may have expired. Start it again.")
	// ErrUploadBusy: another request is adding bytes to the upload.
	ErrUploadBusy = backend.Errorf(backend.ECONFLICT, "This upload is receiving data already; ask for its offset in a moment.")
	// ErrChecksum: a finished upload does not match its promised SHA-256.
	ErrChecksum = backend.Errorf(backend.EINVALID, "The file received does not match its checksum; send it again from the start.")
)

// TooLarge refuses a file beyond max bytes.
func TooLarge(max int64) error {
	return backend.Errorf(backend.ETOOLARGE, "Files can be at most %d MB.", max>>20)
}

// OffsetConflict refuses bytes sent for offset when the store holds held.
func OffsetConflict(held, offset int64) error {
	return backend.Errorf(backend.ECONFLICT, "The server holds %d bytes of this upload, not %d; continue from there.", held, offset)
}

// Overlong refuses bytes beyond the size an upload announced.
func Overlong(size int64) error {
	return backend.Errorf(backend.ETOOLARGE, "The upload is longer than the %d bytes it announced.", size)
}

// CheckNewPartial checks what a resumable upload announces: a size within
// max and a SHA-256 in lower-case hex.
func CheckNewPartial(size, max int64, sha256Hex string) error {
	switch {
	case size <= 0:
		return backend.Errorf(backend.EINVALID, "The file is empty.")
	case size > max:
		return TooLarge(max)
	case len(sha256Hex) != 64 || strings.Trim(sha256Hex, "0123456789abcdef") != "":
		return backend.Errorf(backend.EINVALID, "The checksum must be a SHA-256 in lower-case hex.")
	}
	return nil
}

// ReceiveFailed wraps a failure to read what the client sends in ErrReceive.
func ReceiveFailed(err error) error { return fmt.Errorf("%w: %w", ErrReceive, err) }
