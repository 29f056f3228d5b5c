package filestore

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"doorstep/backend/filename"
)

// A resumable upload is kept in partial/ as two files: <id>, the bytes
// received so far (appended in order, synced after every request), and
// <id>.json, what was promised when it began. Its offset is simply the
// size of the bytes file, so it survives a restart of the server.

// Partial is a resumable upload under way.
type Partial struct {
	ID    string `json:"id"`
	Owner string `json:"owner"` // who may continue it (see httpapi)
	Name  string `json:"name"`  // sanitised
	Size  int64  `json:"size"`  // promised
	// SHA256 is the hex digest the client promised, checked when the
	// last byte arrives, so a resumed upload of a changed file is refused.
	SHA256  string    `json:"sha256"`
	Created time.Time `json:"created"`
	// Offset is how many bytes the server holds (not stored: measured).
	Offset int64 `json:"-"`
}

var errNoUpload = ErrNoUpload

func (s *Store) partialDir() string { return filepath.Join(s.dir, "partial") }

// validID accepts only the ids BeginPartial makes, so an id from a client
// never reaches a path otherwise.
func validID(id string) bool {
	return len(id) == 32 && strings.Trim(id, "0123456789abcdef") == ""
}

// BeginPartial starts a resumable upload of size bytes whose SHA-256 will
// be sha256 (hex). The size must be within MaxSize.
func (s *Store) BeginPartial(owner, name string, size int64, sha256Hex string) (Partial, error) {
	if err := CheckNewPartial(size, s.maxSize, sha256Hex); err != nil {
		return Partial{}, err
	}
	if err := os.MkdirAll(s.partialDir(), 0o700); err != nil {
		return Partial{}, diskError("begin upload", err)
	}
	p := Partial{ID: randomName(), Owner: owner, Name: filename.Safe(name), Size: size, SHA256: sha256Hex, Created: time.Now().UTC()}
	meta, _ := json.Marshal(p)
	base := filepath.Join(s.partialDir(), p.ID)
	if err := writeSynced(base+".json", meta); err != nil {
		return Partial{}, err
	}
	if err := writeSynced(base, nil); err != nil {
		os.Remove(base + ".json")
		return Partial{}, err
	}
	syncDir(s.partialDir())
	return p, nil
}

// writeSynced creates path with data and makes it durable; when that fails
// midway it removes what it created, so a failed announce leaves nothing.
func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return diskError("begin upload", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		os.Remove(path)
		return diskError("begin upload", err)
	}
	return nil
}

// randomName is a server-made name for a stored file or an upload: 32
// hex digits, never anything a client sent.
func randomName() string {
	var rnd [16]byte
	rand.Read(rnd[:])
	return hex.EncodeToString(rnd[:])
}

// syncDir makes renames and new files in dir durable.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// Partial returns a resumable upload of owner's, with its offset.
func (s *Store) Partial(owner, id string) (Partial, error) {
	if !validID(id) {
		return Partial{}, errNoUpload
	}
	base := filepath.Join(s.partialDir(), id)
	meta, err := os.ReadFile(base + ".json")
	if err != nil {
		return Partial{}, errNoUpload
	}
	var p Partial
	if json.Unmarshal(meta, &p) != nil || p.ID != id || p.Owner != owner {
		return Partial{}, errNoUpload
	}
	fi, err := os.Stat(base)
	if err != nil {
		return Partial{}, errNoUpload
	}
	p.Offset = fi.Size()
	return p, nil
}

// Append adds the bytes of r to owner's upload id, which must hold exactly
// offset bytes so far (else ECONFLICT: ask for the offset and go on from
// there). What arrives is kept even when the connection breaks midway (the
// error then wraps ErrReceive) or the disk fills up (a
// *backend.StorageError). When the last byte is in, the file is checked
// against its promised SHA-256 and moved into the store: done is true and
// saved describes it.
func (s *Store) Append(owner, id string, offset int64, r io.Reader) (p Partial, saved Saved, done bool, err error) {
	if p, err = s.Partial(owner, id); err != nil {
		return p, Saved{}, false, err
	}
	// One request at a time per upload: a retry racing a request the
	// server is still reading must not interleave bytes.
	s.mu.Lock()
	if s.appending[id] {
		s.mu.Unlock()
		return p, Saved{}, false, ErrUploadBusy
	}
	s.appending[id] = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.appending, id)
		s.mu.Unlock()
	}()
	if p, err = s.Partial(owner, id); err != nil { // the offset, now that it cannot move
		return p, Saved{}, false, err
	}
	if offset != p.Offset {
		return p, Saved{}, false, OffsetConflict(p.Offset, offset)
	}
	base := filepath.Join(s.partialDir(), id)
	f, err := os.OpenFile(base, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return p, Saved{}, false, diskError("append", err)
	}
	// One byte more than is missing tells an overlong body apart.
	disk := &diskWriter{w: f}
	n, copyErr := io.Copy(disk, io.LimitReader(r, p.Size-p.Offset+1))
	if n > p.Size-p.Offset {
		// Undo the overlong part: the upload stays as it was.
		f.Truncate(p.Offset)
		f.Close()
		return p, Saved{}, false, Overlong(p.Size)
	}
	syncErr := f.Sync()
	f.Close()
	p.Offset += n
	if copyErr != nil {
		return p, Saved{}, false, copyError(disk, copyErr)
	}
	if syncErr != nil {
		return p, Saved{}, false, diskError("sync", syncErr)
	}
	if p.Offset < p.Size {
		return p, Saved{}, false, nil
	}
	saved, err = s.finish(p)
	return p, saved, err == nil, err
}

// finish checks a complete upload and moves it into the store.
func (s *Store) finish(p Partial) (Saved, error) {
	base := filepath.Join(s.partialDir(), p.ID)
	f, err := os.Open(base)
	if err != nil {
		return Saved{}, fmt.Errorf("filestore: %w", err)
	}
	h := sha256.New()
	sniff := &headBuffer{max: 512}
	_, err = io.Copy(io.MultiWriter(h, sniff), f)
	f.Close()
	if err != nil {
		return Saved{}, fmt.Errorf("filestore: %w", err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if sum != p.SHA256 {
		s.RemovePartial(p.Owner, p.ID)
		return Saved{}, ErrChecksum
	}
	name := randomName()
	if err := os.Rename(base, filepath.Join(s.dir, name)); err != nil {
		return Saved{}, diskError("finish upload", err)
	}
	syncDir(s.dir)
	os.Remove(base + ".json")
	return Saved{StorageName: name, Size: p.Size, SHA256: sum, ContentType: http.DetectContentType(sniff.b)}, nil
}

// RemovePartial gives up an upload of owner's.
func (s *Store) RemovePartial(owner, id string) error {
	if _, err := s.Partial(owner, id); err != nil {
		return err
	}
	base := filepath.Join(s.partialDir(), id)
	os.Remove(base)
	return os.Remove(base + ".json")
}

// PrunePartials deletes uploads begun before cutoff and never finished; it
// returns how many.
func (s *Store) PrunePartials(cutoff time.Time) (int, error) {
	entries, err := os.ReadDir(s.partialDir())
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("filestore: %w", err)
	}
	n := 0
	for _, e := range entries {
		id, isMeta := strings.CutSuffix(e.Name(), ".json")
		if !isMeta || !validID(id) {
			continue
		}
		base := filepath.Join(s.partialDir(), id)
		var p Partial
		meta, err := os.ReadFile(base + ".json")
		if err == nil && json.Unmarshal(meta, &p) == nil && p.Created.After(cutoff) {
			continue
		}
		os.Remove(base)
		os.Remove(base + ".json")
		n++
	}
	return n, nil
}
