package filestore_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"strings"
	"testing"

	"doorstep/backend"
	"doorstep/backend/filestore"
	"doorstep/backend/filestore/filestoretest"
)

func TestSave(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := filestore.Open(dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("StreamsHashesSniffs", func(t *testing.T) {
		png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 5000)...)
		saved, err := s.Save(bytes.NewReader(png))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(png)
		if saved.Size != int64(len(png)) || saved.SHA256 != hex.EncodeToString(sum[:]) || saved.ContentType != "image/png" {
			t.Errorf("saved = %+v", saved)
		}
		f, err := s.Open(saved.StorageName)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		got, _ := io.ReadAll(f)
		if !bytes.Equal(got, png) {
			t.Error("stored bytes differ")
		}
	})
	t.Run("ErrTooLargeLeavesNothing", func(t *testing.T) {
		before, _ := os.ReadDir(dir)
		_, err := s.Save(bytes.NewReader(make([]byte, 1<<20+1)))
		if backend.ErrorCode(err) != backend.ETOOLARGE {
			t.Fatalf("err = %v", err)
		}
		after, _ := os.ReadDir(dir)
		if len(after) != len(before) {
			t.Errorf("files in the store: %d → %d", len(before), len(after))
		}
	})
	t.Run("ErrOpenRefusesPaths", func(t *testing.T) {
		for _, name := range []string{"../../etc/passwd", "", "ABCDEF0123456789abcdef0123456789", strings.Repeat("a", 31) + "/"} {
			if _, err := s.Open(name); err == nil {
				t.Errorf("Open(%q) succeeded", name)
			}
		}
	})
}

// TestContract runs the file stores' contract against the disk store: two
// stores on one directory stand for two processes sharing it.
func TestContract(t *testing.T) {
	t.Parallel()
	filestoretest.Run(t, func(t *testing.T) (a, b filestore.Files) {
		dir := t.TempDir()
		sa, err := filestore.Open(dir, filestoretest.MaxSize)
		if err != nil {
			t.Fatal(err)
		}
		sb, err := filestore.Open(dir, filestoretest.MaxSize)
		if err != nil {
			t.Fatal(err)
		}
		return sa, sb
	})
}
