package app

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"doorstep/backend"
	"doorstep/backend/demo"
	"doorstep/backend/servertest"
	"doorstep/internal/wait"
)

func TestViewFiles(t *testing.T) {
	t.Parallel()
	s := servertest.StartDemo(t)
	ctx := context.Background()
	landlord, _ := s.Landlord(t)
	list, _ := landlord.Conversations(ctx)
	conv := list[0].ID
	lease := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("lease terms\n"), 500)...)
	f, err := landlord.UploadFile(ctx, "../../Lease\u202Efdp.exe", bytes.NewReader(lease))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := landlord.SendMessage(ctx, conv, backend.SendMessage{Key: "file-share-1", Text: "Your lease", FileIDs: []int64{f.ID}}); err != nil {
		t.Fatal(err)
	}

	dataDir := t.TempDir()
	a := newAccounts(t, s.URL, dataDir, &memKeys{m: map[string]string{}})
	if _, err := a.SignIn(s.URL, demo.LandlordEmail, demo.Password); err != nil {
		t.Fatal(err)
	}
	var opened []string
	files := NewFileService(a)
	files.OpenWith = func(path string) error { opened = append(opened, path); return nil }
	wait.For(t, "the shared file is cached", func() bool {
		th, _ := NewConversationService(a).Thread(conv, 0)
		return len(th.Messages) > 0 && len(th.Messages[len(th.Messages)-1].Files) == 1
	})

	shared, err := files.Files(conv)
	if err != nil || len(shared) != 1 || shared[0].Name != "Leasefdp.exe" || shared[0].SharedBy.Kind != backend.KindUser {
		t.Fatalf("View Files = %+v, %v", shared, err)
	}
	if err := files.Open(shared[0].File); err != nil {
		t.Fatal(err)
	}
	if len(opened) != 1 || filepath.Base(opened[0]) != "Leasefdp.exe" || !strings.HasPrefix(opened[0], filepath.Join(dataDir, "downloads")) {
		t.Fatalf("opened %q", opened)
	}
	if b, _ := os.ReadFile(opened[0]); !bytes.Equal(b, lease) {
		t.Fatal("the opened file differs from the one shared")
	}

	t.Run("OfflineFromTheKeptCopy", func(t *testing.T) {
		s.Stop()
		defer s.Start()
		offline, err := files.Files(conv)
		if err != nil || len(offline) != 1 || offline[0].ID != f.ID {
			t.Fatalf("View Files offline = %+v, %v", offline, err)
		}
		dest := filepath.Join(t.TempDir(), "saved.pdf")
		if err := files.saveTo(offline[0].File, dest); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(dest); !bytes.Equal(b, lease) {
			t.Error("the saved file differs")
		}
	})

	t.Run("ATamperedCopyIsFetchedAgain", func(t *testing.T) {
		kept := filepath.Join(dataDir, "downloads", f.SHA256)
		os.WriteFile(kept, []byte("tampered"), 0o600)
		if err := files.Open(shared[0].File); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(kept); !bytes.Equal(b, lease) {
			t.Error("a copy that fails its checksum was used")
		}
	})

	t.Run("SaveAsOffersASafeNameInTheLastFolder", func(t *testing.T) {
		home := t.TempDir()
		files.SaveDirs = []string{filepath.Join(home, "Downloads"), home} // no Downloads folder here
		var offered, openedIn string
		dest := filepath.Join(t.TempDir(), "chosen.pdf")
		files.SaveDialog = func(dir, name string) (string, error) { openedIn, offered = dir, name; return dest, nil }
		if got, err := files.SaveAs(shared[0].File); err != nil || got != dest {
			t.Fatalf("SaveAs = %q, %v", got, err)
		}
		if offered != "Leasefdp.exe" || openedIn != home {
			t.Errorf("offered name %q in %q, want %q in %q", offered, openedIn, "Leasefdp.exe", home)
		}
		files.SaveDialog = func(dir, _ string) (string, error) { openedIn = dir; return "", nil } // cancelled
		if got, err := files.SaveAs(shared[0].File); err != nil || got != "" {
			t.Errorf("cancelled SaveAs = %q, %v", got, err)
		}
		if openedIn != filepath.Dir(dest) {
			t.Errorf("the next Save as… opened in %q, want the last folder %q", openedIn, filepath.Dir(dest))
		}
	})

	t.Run("Thumbnails", func(t *testing.T) {
		png := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{3}, 100)...)
		img, err := landlord.UploadFile(ctx, "photo.png", bytes.NewReader(png))
		if err != nil {
			t.Fatal(err)
		}
		url, err := files.Thumbnail(img)
		if err != nil || !strings.HasPrefix(url, "data:image/png;base64,") {
			t.Errorf("PNG thumbnail: %.40q, %v", url, err)
		}
		heic := append([]byte("\x00\x00\x00\x18ftypheic"), bytes.Repeat([]byte{1}, 100)...)
		phone, err := landlord.UploadFile(ctx, "IMG_0001.HEIC", bytes.NewReader(heic))
		if err != nil {
			t.Fatal(err)
		}
		if url, err := files.Thumbnail(phone); err != nil || url != "" {
			t.Errorf("a phone photo the webview cannot show: %.40q, %v (want a file card)", url, err)
		}
		if url, _ := files.Thumbnail(shared[0].File); url != "" {
			t.Errorf("a PDF got a thumbnail")
		}
	})

	t.Run("ErrSaveAsSaysWhatWentWrong", func(t *testing.T) {
		gone := filepath.Join(t.TempDir(), "removed folder")
		err := files.saveTo(shared[0].File, filepath.Join(gone, "lease.pdf"))
		if p := Describe(quiet, err); p != (Problem{Code: backend.ENOTFOUND, Message: "That folder is no longer there. Choose another folder."}) {
			t.Errorf("saving into a folder that is gone: %+v", p)
		}
		full := smallDisk(t)
		if full == "" {
			return
		}
		var log bytes.Buffer
		err = files.saveTo(shared[0].File, filepath.Join(full, "lease.pdf"))
		want := Problem{Code: backend.EUNAVAILABLE, Message: "There is not enough space to save Leasefdp.exe there. Free some space, or choose another place."}
		if p := Describe(logTo(&log), err); p != want {
			t.Errorf("saving onto a full disk: %+v, want %+v", p, want)
		}
		if !strings.Contains(log.String(), full) {
			t.Errorf("the log lacks the path: %s", log.String())
		}
		if left, _ := os.ReadDir(full); len(left) != 0 {
			t.Errorf("a failed save left %v behind", left)
		}
	})

	t.Run("ErrBadChecksum", func(t *testing.T) {
		bad := shared[0].File
		bad.SHA256 = "../../etc/passwd"
		if err := files.Open(bad); backend.ErrorCode(err) != backend.EINVALID {
			t.Errorf("a file without a valid checksum: %v", err)
		}
	})
}

// smallDisk mounts a file system too small for the test's files (a 4 KB
// tmpfs, as root on Linux) and returns its folder, or "" with a note when
// it cannot.
func smallDisk(t *testing.T) string {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4k", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Logf("skipping the full-disk case: cannot mount a small tmpfs here (needs root on Linux): %v %s", err, out)
		return ""
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	return dir
}
