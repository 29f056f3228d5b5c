package filestore_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"doorstep/backend"
	"doorstep/backend/filestore"
)

func hexSum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func TestPartialUploads(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := filestore.Open(dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("0123456789"), 10_000)

	t.Run("SurvivesARestartAndFinishes", func(t *testing.T) {
		p, err := s.BeginPartial("user:1:1", "report.txt", int64(len(data)), hexSum(data))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, done, err := s.Append("user:1:1", p.ID, 0, bytes.NewReader(data[:40_000])); err != nil || done {
			t.Fatalf("append: %v %v", done, err)
		}
		// A new process on the same directory knows where it stopped.
		again, _ := filestore.Open(dir, 1<<20)
		held, err := again.Partial("user:1:1", p.ID)
		if err != nil || held.Offset != 40_000 || held.Name != "report.txt" {
			t.Fatalf("after a restart: %+v, %v", held, err)
		}
		_, saved, done, err := again.Append("user:1:1", p.ID, 40_000, bytes.NewReader(data[40_000:]))
		if err != nil || !done || saved.SHA256 != hexSum(data) || saved.Size != int64(len(data)) {
			t.Fatalf("finish: %+v %v %v", saved, done, err)
		}
		f, err := again.Open(saved.StorageName)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(f)
		f.Close()
		if !bytes.Equal(got, data) {
			t.Error("the stored file differs")
		}
	})

	t.Run("ErrConflictWhileReceiving", func(t *testing.T) {
		p, _ := s.BeginPartial("user:1:1", "a.txt", int64(len(data)), hexSum(data))
		pr, pw := io.Pipe()
		first := make(chan error, 1)
		go func() {
			_, _, _, err := s.Append("user:1:1", p.ID, 0, pr)
			first <- err
		}()
		pw.Write(data[:1000]) // the first request is under way
		if _, _, _, err := s.Append("user:1:1", p.ID, 0, bytes.NewReader(data)); backend.ErrorCode(err) != backend.ECONFLICT {
			t.Errorf("a second request at once: %v", err)
		}
		pw.CloseWithError(io.ErrUnexpectedEOF) // the first one is cut off
		<-first
		if held, _ := s.Partial("user:1:1", p.ID); held.Offset != 1000 {
			t.Errorf("what arrived before the cut: %d bytes, want 1000", held.Offset)
		}
	})

	t.Run("ErrNotYoursOrNotAnID", func(t *testing.T) {
		p, _ := s.BeginPartial("user:1:1", "a.txt", 10, hexSum([]byte("0123456789")))
		for _, c := range []struct{ owner, id string }{{"user:2:1", p.ID}, {"tenant:1:1", p.ID}, {"user:1:1", "../../etc/passwd"}, {"user:1:1", ""}} {
			if _, err := s.Partial(c.owner, c.id); backend.ErrorCode(err) != backend.ENOTFOUND {
				t.Errorf("%q %q: %v", c.owner, c.id, err)
			}
			if _, _, _, err := s.Append(c.owner, c.id, 0, bytes.NewReader([]byte("0123456789"))); backend.ErrorCode(err) != backend.ENOTFOUND {
				t.Errorf("append %q %q: %v", c.owner, c.id, err)
			}
		}
	})

	t.Run("PruneForgetsOldOnes", func(t *testing.T) {
		p, _ := s.BeginPartial("user:1:1", "old.txt", 10, hexSum([]byte("0123456789")))
		n, err := s.PrunePartials(time.Now().Add(-time.Hour))
		if err != nil || n != 0 {
			t.Fatalf("pruned %d fresh uploads, %v", n, err)
		}
		if n, _ = s.PrunePartials(time.Now().Add(time.Minute)); n == 0 {
			t.Fatal("nothing pruned")
		}
		if _, err := s.Partial("user:1:1", p.ID); backend.ErrorCode(err) != backend.ENOTFOUND {
			t.Errorf("a pruned upload is still there: %v", err)
		}
		if left, _ := os.ReadDir(filepath.Join(dir, "partial")); len(left) != 0 {
			t.Errorf("left behind: %d files", len(left))
		}
	})
}
