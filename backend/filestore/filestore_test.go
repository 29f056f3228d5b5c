package filestore_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"doorstep/backend"
	"doorstep/backend/filestore"
)

func TestSave(t *testing.T) {
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

func TestSafeName(t *testing.T) {
	for in, want := range map[string]string{
		"lease.pdf":                   "lease.pdf",
		"../../etc/passwd":            "passwd",
		`C:\Windows\system32\x.exe`:   "x.exe",
		"CON.txt":                     "_CON.txt",
		"lpt1":                        "_lpt1",
		"evil\u202Etxt.exe":           "eviltxt.exe",
		"..":                          "file",
		"  ...  ":                     "file",
		"photo.jpg. . ":               "photo.jpg",
		"a\x00b\x1fc.png":             "abc.png",
		"what?<>.doc":                 "what___.doc",
		".bashrc":                     "bashrc",
		"Übersicht – Mietvertrag.pdf": "Übersicht – Mietvertrag.pdf",
	} {
		if got := filestore.SafeName(in); got != want {
			t.Errorf("SafeName(%q) = %q, want %q", in, got, want)
		}
	}
	long := strings.Repeat("é", 300) + ".pdf"
	if got := filestore.SafeName(long); len(got) > filestore.MaxNameBytes || !strings.HasSuffix(got, ".pdf") || !utf8.ValidString(got) {
		t.Errorf("long name → %q (%d bytes)", got, len(got))
	}
}

// FuzzSafeName checks the promises of SafeName on any input.
func FuzzSafeName(f *testing.F) {
	for _, s := range []string{"a.pdf", "../x", `..\..\CON.txt`, "evil\u202Etxt.exe", strings.Repeat("ü", 150), "\xff\xfe", "NUL", " . "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := filestore.SafeName(in)
		if out == "" || out == "." || out == ".." || len(out) > filestore.MaxNameBytes || !utf8.ValidString(out) {
			t.Fatalf("SafeName(%q) = %q", in, out)
		}
		if strings.ContainsAny(out, `/\<>:"|?*`) || strings.HasPrefix(out, ".") || strings.HasSuffix(out, ".") || strings.HasSuffix(out, " ") {
			t.Fatalf("SafeName(%q) = %q has a forbidden character or edge", in, out)
		}
		for _, r := range out {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("SafeName(%q) = %q keeps %U", in, out, r)
			}
		}
		base, _, _ := strings.Cut(out, ".")
		switch strings.ToUpper(strings.TrimSpace(base)) {
		case "CON", "PRN", "AUX", "NUL", "COM1", "LPT1":
			t.Fatalf("SafeName(%q) = %q is a reserved name", in, out)
		}
	})
}
