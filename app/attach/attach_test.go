package attach

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"doorstep/backend"
)

// write makes a file of body in dir and returns its path.
func write(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheck(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	t.Run("SizeAndTypeFromTheBytes", func(t *testing.T) {
		t.Parallel()
		info, err := Check(write(t, dir, "lease.txt", "%PDF-1.4 lease"), "lease.txt", 1<<20)
		if err != nil || info != (Info{Size: 14, ContentType: "application/pdf"}) {
			t.Errorf("Check = %+v, %v; want 14 bytes of application/pdf whatever the name says", info, err)
		}
	})
	t.Run("AtTheLimit", func(t *testing.T) {
		t.Parallel()
		if _, err := Check(write(t, dir, "exact.txt", strings.Repeat("x", 1000)), "exact.txt", 1000); err != nil {
			t.Errorf("a file of exactly the limit: %v", err)
		}
	})
	big := filepath.Join(dir, "video.mov")
	f, _ := os.Create(big)
	f.Truncate(3<<20 + 1)
	f.Close()
	unreadable := write(t, dir, "secret.txt", "secret")
	os.Chmod(unreadable, 0)
	for _, c := range []struct {
		name, path, code, sentence string
	}{
		{"ErrTooLarge", big, backend.ETOOLARGE, "video.mov is 3.1 MB; files can be at most 3 MB."},
		{"ErrMissing", filepath.Join(dir, "gone.txt"), backend.EINVALID, "gone.txt is no longer there."},
		{"ErrDirectory", dir, backend.EINVALID, filepath.Base(dir) + " is not a file Doorstep can read."},
		{"ErrEmpty", write(t, dir, "empty.txt", ""), backend.EINVALID, "empty.txt is empty."},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := Check(c.path, filepath.Base(c.path), 3<<20)
			if backend.ErrorCode(err) != c.code || backend.ErrorMessage(err) != c.sentence {
				t.Errorf("Check = %v, want %s %q", err, c.code, c.sentence)
			}
		})
	}
	t.Run("ErrNotAllowed", func(t *testing.T) {
		t.Parallel()
		if os.Geteuid() == 0 {
			t.Skip("root reads any file")
		}
		if _, err := Check(unreadable, "secret.txt", 1<<20); backend.ErrorMessage(err) != "Doorstep is not allowed to read secret.txt." {
			t.Errorf("Check = %v", err)
		}
	})
}

func TestMegabytes(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{25 << 20: "25", 25<<20 + 1: "25.1", 3 << 19: "1.5", 1: "0.1", 10<<20 - 1: "10"} {
		if got := Megabytes(n); got != want {
			t.Errorf("Megabytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestFromPage(t *testing.T) {
	t.Parallel()
	png := "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
	t.Run("APastedImageWithoutANameIsNamedByItsType", func(t *testing.T) {
		t.Parallel()
		body, name, err := FromPage(" ", png, true, 1<<20)
		if want, _ := base64.StdEncoding.DecodeString(png); err != nil || name != "Pasted image.png" || string(body) != string(want) {
			t.Errorf("FromPage = %d bytes, %q, %v", len(body), name, err)
		}
	})
	t.Run("ADroppedFileMayBeAnyType", func(t *testing.T) {
		t.Parallel()
		body, name, err := FromPage("notes.txt", base64.StdEncoding.EncodeToString([]byte("meeting at 10")), false, 1<<20)
		if err != nil || name != "notes.txt" || string(body) != "meeting at 10" {
			t.Errorf("FromPage = %q, %q, %v", body, name, err)
		}
	})
	for _, c := range []struct {
		name, data string
		imagesOnly bool
		code       string
		sentence   string
	}{
		{"ErrPastedHTML", "PGh0bWw+PHNjcmlwdD4=", true, backend.EINVALID, "Only images can be pasted; attach other files with the paper-clip."},
		{"ErrNotBase64", "%%%not base64", false, backend.EINVALID, "The file could not be read."},
		{"ErrEmpty", "", false, backend.EINVALID, "The file could not be read."},
		{"ErrTooLarge", strings.Repeat("A", 2<<20), false, backend.ETOOLARGE, "Files can be at most 1 MB."},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if _, _, err := FromPage("x.png", c.data, c.imagesOnly, 1<<20); backend.ErrorCode(err) != c.code || backend.ErrorMessage(err) != c.sentence {
				t.Errorf("FromPage = %v, want %s %q", err, c.code, c.sentence)
			}
		})
	}
}

func TestIncoming(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	in := IncomingDir(data)
	p, err := in.Keep([]byte("pasted"))
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "pasted" || !in.Owns(p) {
		t.Fatalf("kept %q at %s (owned: %v)", b, p, in.Owns(p))
	}
	if q, _ := in.Keep([]byte("pasted")); q == p {
		t.Error("two copies share one path")
	}
	mine := write(t, data, "lease.pdf", "%PDF-1.4")
	if in.Owns(mine) || in.Owns(filepath.Join(string(in), "sub", "x")) {
		t.Error("a file outside the folder counts as the app's copy")
	}
	in.Discard(mine)
	in.Discard(p)
	if _, err := os.Stat(mine); err != nil {
		t.Error("Discard deleted the landlord's own file")
	}
	if _, err := os.Stat(p); err == nil {
		t.Error("Discard kept the app's copy")
	}
	t.Run("ErrCannotWrite", func(t *testing.T) {
		t.Parallel()
		blocked := Incoming(filepath.Join(write(t, t.TempDir(), "file", "x"), "incoming")) // under a file
		if _, err := blocked.Keep([]byte("x")); err == nil {
			t.Error("Keep under a file succeeded")
		}
	})
}

func TestImageDataURL(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pngBytes, _ := base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
	png := write(t, dir, "dot.png", string(pngBytes))
	if got := ImageDataURL(png, "image/png", int64(len(pngBytes))); got != "data:image/png;base64,"+base64.StdEncoding.EncodeToString(pngBytes) {
		t.Errorf("a PNG: %.40q", got)
	}
	for name, c := range map[string]struct {
		path, contentType string
		size              int64
	}{
		"LabelledPNGButHTML": {write(t, dir, "x.png", "<html><script>"), "image/png", 14},
		"HEIC":               {png, "image/heic", int64(len(pngBytes))},
		"TooLarge":           {png, "image/png", MaxThumbnailBytes + 1},
		"Gone":               {filepath.Join(dir, "gone.png"), "image/png", 10},
	} {
		if got := ImageDataURL(c.path, c.contentType, c.size); got != "" {
			t.Errorf("%s: %.40q, want none", name, got)
		}
	}
}
