package app

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"doorstep/app/cache"
	"doorstep/app/engine"
	"doorstep/backend"
	"doorstep/backend/demo"
	"doorstep/backend/servertest"
)

func TestAttach(t *testing.T) {
	s := servertest.StartDemo(t)
	ctx := context.Background()
	landlord, _ := s.Landlord(t)
	var mu sync.Mutex
	var events []string
	var progress []engine.UploadProgress
	var onProgress func(engine.UploadProgress)
	a := NewAccountService(Config{ServerURL: s.URL}, &Lifecycle{}, &memKeys{m: map[string]string{}}, t.TempDir(),
		func(name string, data any) {
			mu.Lock()
			defer mu.Unlock()
			switch name {
			case EventAttachError:
				events = append(events, data.(string))
			case engine.EventUpload:
				p := data.(engine.UploadProgress)
				progress = append(progress, p)
				if onProgress != nil {
					go onProgress(p)
				}
			}
		}, quiet)
	t.Cleanup(a.shutdown)
	if _, err := a.SignIn(s.URL, demo.LandlordEmail, demo.Password); err != nil {
		t.Fatal(err)
	}
	chat := NewChatService(a)
	list, _ := landlord.Conversations(ctx)
	conv := list[0].ID
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o600)
		return p
	}
	serverFiles := func() int {
		f, err := landlord.ConversationFiles(ctx, conv)
		if err != nil {
			t.Fatal(err)
		}
		return len(f)
	}

	t.Run("PaperClipDialog", func(t *testing.T) {
		chat.OpenDialog = func() ([]string, error) {
			return []string{write("lease.pdf", "%PDF-1.4 lease"), write("photo.png", "\x89PNG\r\n\x1a\nxxxx")}, nil
		}
		o, err := chat.AttachFiles(conv, "  The signed lease and a photo ")
		if err != nil || len(o.Attachments) != 2 || o.Text != "The signed lease and a photo" {
			t.Fatalf("attach: %+v, %v", o, err)
		}
		waitFor(t, "delivered", func() bool { out, _ := a.sess.cache.Outbox(ctx, conv); return len(out) == 0 })
		msgs, _ := landlord.Messages(ctx, conv, backend.MessagePage{})
		last := msgs[len(msgs)-1]
		if last.Text != "The signed lease and a photo" || len(last.Files) != 2 || last.Files[0].Name != "lease.pdf" || last.Files[1].ContentType != "image/png" {
			t.Errorf("message = %+v", last)
		}
		chat.OpenDialog = func() ([]string, error) { return nil, nil } // cancelled
		if o, err := chat.AttachFiles(conv, ""); err != nil || o.LocalID != 0 {
			t.Errorf("a cancelled dialog queued %+v, %v", o, err)
		}
	})

	t.Run("DropOnTheOpenConversation", func(t *testing.T) {
		before := serverFiles()
		drop := FileDropHandler(chat)
		drop(10, 10, []string{write("notice.txt", "water off")})
		mu.Lock()
		refused := len(events)
		mu.Unlock()
		if refused != 1 {
			t.Fatalf("a drop with no conversation open: %d error events, want 1", refused)
		}
		chat.SetViewing(conv, true)
		drop(10, 10, []string{write("notice.txt", "water off")})
		waitFor(t, "the dropped file is shared", func() bool { return serverFiles() == before+1 })
	})

	t.Run("ErrTooLargeOrUnreadable", func(t *testing.T) {
		big := filepath.Join(dir, "video.mov")
		f, _ := os.Create(big)
		f.Truncate(maxAttachmentBytes + 1)
		f.Close()
		chat.OpenDialog = func() ([]string, error) { return []string{big}, nil }
		if _, err := chat.AttachFiles(conv, ""); backend.ErrorCode(err) != backend.ETOOLARGE {
			t.Errorf("a 25 MB + 1 file: %v", err)
		}
		chat.OpenDialog = func() ([]string, error) { return []string{dir}, nil }
		if _, err := chat.AttachFiles(conv, ""); backend.ErrorCode(err) != backend.EINVALID {
			t.Errorf("a directory: %v", err)
		}
		if out, _ := a.sess.cache.Outbox(ctx, conv); len(out) != 0 {
			t.Errorf("refused attachments were queued: %+v", out)
		}
	})

	t.Run("PastedImage", func(t *testing.T) {
		before := serverFiles()
		png := "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
		o, err := chat.AttachPasted(conv, "", png)
		if err != nil || len(o.Attachments) != 1 || o.Attachments[0].Name != "Pasted image.png" {
			t.Fatalf("paste: %+v, %v", o, err)
		}
		waitFor(t, "the pasted image is shared", func() bool { return serverFiles() == before+1 })
		if _, err := chat.AttachPasted(conv, "x.png", "PGh0bWw+PHNjcmlwdD4="); backend.ErrorCode(err) != backend.EINVALID { // <html><script>
			t.Errorf("pasted HTML: %v", err)
		}
		if _, err := chat.AttachPasted(conv, "x.png", "%%%not base64"); backend.ErrorCode(err) != backend.EINVALID {
			t.Errorf("garbage: %v", err)
		}
		// A file dropped where the page receives it (not its path) may be any type.
		if o, err := chat.AttachDropped(conv, "../../notes.txt", "bWVldGluZyBhdCAxMA=="); err != nil || o.Attachments[0].Name != "notes.txt" {
			t.Errorf("dropped bytes: %+v, %v", o, err)
		}
		waitFor(t, "the dropped file is shared", func() bool { return serverFiles() == before+2 })
		waitFor(t, "the app's copies are deleted once sent", func() bool {
			left, _ := os.ReadDir(filepath.Join(a.dataDir, "incoming"))
			return len(left) == 0
		})
	})

	t.Run("ProgressThenCancel", func(t *testing.T) {
		big := filepath.Join(dir, "scan.pdf")
		os.WriteFile(big, append([]byte("%PDF-1.4\n"), make([]byte, 8<<20)...), 0o600)
		cancelled := make(chan struct{})
		var once sync.Once
		mu.Lock()
		progress = nil
		onProgress = func(p engine.UploadProgress) {
			once.Do(func() {
				if err := chat.Cancel(p.LocalID); err != nil {
					t.Error(err)
				}
				close(cancelled)
			})
		}
		mu.Unlock()
		before := serverFiles()
		chat.OpenDialog = func() ([]string, error) { return []string{big}, nil }
		if _, err := chat.AttachFiles(conv, "a big scan"); err != nil {
			t.Fatal(err)
		}
		<-cancelled
		waitFor(t, "the outbox is empty", func() bool { out, _ := a.sess.cache.Outbox(ctx, conv); return len(out) == 0 })
		mu.Lock()
		onProgress = nil
		got := append([]engine.UploadProgress(nil), progress...)
		mu.Unlock()
		if len(got) == 0 || got[0].Name != "scan.pdf" || got[0].Total != 8<<20+9 || got[0].Sent <= 0 {
			t.Errorf("progress = %+v", got)
		}
		msgs, _ := landlord.Messages(ctx, conv, backend.MessagePage{})
		if msgs[len(msgs)-1].Text == "a big scan" || serverFiles() != before {
			t.Error("a cancelled message was sent")
		}
	})

	t.Run("AnUploadedFileIsNeverUploadedAgain", func(t *testing.T) {
		before := serverFiles()
		first := write("a.txt", "first")
		done, err := landlord.UploadFile(ctx, "a.txt", mustOpen(t, first))
		if err != nil {
			t.Fatal(err)
		}
		// As if the app died after uploading the first file of two.
		s.Stop()
		o, err := a.sess.cache.EnqueueWithFiles(ctx, conv, "two files", nil, []cache.Attachment{{Path: first, Name: "a.txt"}, {Path: write("b.txt", "second"), Name: "b.txt"}})
		if err != nil {
			t.Fatal(err)
		}
		a.sess.cache.Uploaded(ctx, o.LocalID, 0, done.ID)
		s.Start()
		a.sess.engine.Kick()
		waitFor(t, "delivered", func() bool { out, _ := a.sess.cache.Outbox(ctx, conv); return len(out) == 0 })
		if got := serverFiles(); got != before+2 {
			t.Errorf("files shared: %d → %d, want exactly the two", before, got)
		}
	})
}

func mustOpen(t *testing.T, p string) *os.File {
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}
