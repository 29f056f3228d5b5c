package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"doorstep/app/cache"
	"doorstep/app/engine"
	"doorstep/backend"
	"doorstep/backend/client"
	"doorstep/backend/demo"
	"doorstep/backend/servertest"
	"doorstep/internal/wait"
)

func TestAttach(t *testing.T) {
	s := servertest.StartDemo(t)
	ctx := context.Background()
	landlord, _ := s.Landlord(t)
	var mu sync.Mutex
	var events []Problem
	var progress []engine.UploadProgress
	var onProgress func(engine.UploadProgress)
	a := NewAccountService(Config{ServerURL: s.URL}, &Lifecycle{}, &memKeys{m: map[string]string{}}, t.TempDir(),
		func(name string, data any) {
			mu.Lock()
			defer mu.Unlock()
			switch name {
			case EventAttachError:
				events = append(events, data.(Problem))
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
	wait.For(t, "the conversations are cached", func() bool { l, _ := chat.Conversations(); return len(l) == len(list) })
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

	draft := func() []cache.DraftFile {
		th, err := chat.Thread(conv, 0)
		if err != nil {
			t.Fatal(err)
		}
		return th.DraftFiles
	}
	delivered := func() backend.Message {
		t.Helper()
		wait.For(t, "delivered", func() bool { out, _ := a.sess.cache.Outbox(ctx, conv); return len(out) == 0 })
		msgs, _ := landlord.Messages(ctx, conv, backend.MessagePage{})
		return msgs[len(msgs)-1]
	}

	t.Run("PaperClipFilesWaitForSendWithACaption", func(t *testing.T) {
		before := serverFiles()
		chat.OpenDialog = func() ([]string, error) {
			return []string{write("lease.pdf", "%PDF-1.4 lease"), write("photo.png", "\x89PNG\r\n\x1a\nxxxx")}, nil
		}
		files, err := chat.AttachFiles(conv)
		if err != nil || len(files) != 2 || files[0].Name != "lease.pdf" || files[0].ContentType != "application/pdf" ||
			files[0].Size != 14 || files[1].ContentType != "image/png" {
			t.Fatalf("attach: %+v, %v", files, err)
		}
		if got := draft(); len(got) != 2 || got[1].Name != "photo.png" {
			t.Fatalf("the thread's draft files = %+v", got)
		}
		if out, _ := a.sess.cache.Outbox(ctx, conv); len(out) != 0 || serverFiles() != before {
			t.Fatal("attached files were sent before Send")
		}
		chat.OpenDialog = func() ([]string, error) { return nil, nil } // cancelled
		if files, err := chat.AttachFiles(conv); err != nil || len(files) != 2 {
			t.Errorf("a cancelled dialog changed the draft: %+v, %v", files, err)
		}
		chat.SetDraft(conv, "The signed lease")
		o, err := chat.Send(conv, "  The signed lease and a photo \n")
		if err != nil || len(o.Attachments) != 2 || o.Text != "The signed lease and a photo" {
			t.Fatalf("send: %+v, %v", o, err)
		}
		if th, _ := chat.Thread(conv, 0); len(th.DraftFiles) != 0 || th.Draft != "" {
			t.Errorf("the draft was kept after Send: %+v %q", th.DraftFiles, th.Draft)
		}
		last := delivered()
		if last.Text != "The signed lease and a photo" || len(last.Files) != 2 || last.Files[0].Name != "lease.pdf" || last.Files[1].ContentType != "image/png" {
			t.Errorf("message = %+v", last)
		}
	})

	t.Run("FilesWithoutACaption", func(t *testing.T) {
		chat.OpenDialog = func() ([]string, error) { return []string{write("receipt.txt", "paid")}, nil }
		if _, err := chat.AttachFiles(conv); err != nil {
			t.Fatal(err)
		}
		if _, err := chat.Send(conv, " \n "); err != nil {
			t.Fatal(err)
		}
		if last := delivered(); last.Text != "" || len(last.Files) != 1 || last.Files[0].Name != "receipt.txt" {
			t.Errorf("message = %+v", last)
		}
		if _, err := chat.Send(conv, " "); backend.ErrorCode(err) != backend.EINVALID {
			t.Errorf("an empty message with no files: %v", err)
		}
	})

	t.Run("RemovedFilesAreNotSent", func(t *testing.T) {
		chat.OpenDialog = func() ([]string, error) {
			return []string{write("wrong.pdf", "%PDF-1.4 wrong"), write("right.pdf", "%PDF-1.4 right")}, nil
		}
		files, err := chat.AttachFiles(conv)
		if err != nil {
			t.Fatal(err)
		}
		if files, err = chat.RemoveAttachment(conv, files[0].ID); err != nil || len(files) != 1 || files[0].Name != "right.pdf" {
			t.Fatalf("remove: %+v, %v", files, err)
		}
		if files, err := chat.RemoveAttachment(conv, 999999); err != nil || len(files) != 1 {
			t.Errorf("removing a file that is not there: %+v, %v", files, err)
		}
		if _, err := os.Stat(filepath.Join(dir, "wrong.pdf")); err != nil {
			t.Error("removing an attachment touched the landlord's own file")
		}
		chat.Send(conv, "")
		if last := delivered(); len(last.Files) != 1 || last.Files[0].Name != "right.pdf" {
			t.Errorf("message = %+v", last)
		}
	})

	t.Run("DropOnTheOpenConversation", func(t *testing.T) {
		before := serverFiles()
		drop := FileDropHandler(chat)
		a.sess.engine.SetViewing(0, false)
		drop(10, 10, []string{write("notice.txt", "water off")})
		mu.Lock()
		refused := append([]Problem(nil), events...)
		mu.Unlock()
		if len(refused) != 1 || refused[0] != (Problem{Code: backend.EINVALID, Message: "Open a conversation, then drop the files on it."}) {
			t.Fatalf("a drop with no conversation open: error events %+v, want one invalid_input", refused)
		}
		chat.SetViewing(conv, true)
		drop(10, 10, []string{write("notice.txt", "water off"), write("meter.jpg", "\xff\xd8\xff\xe0 jpeg")})
		if got := draft(); len(got) != 2 || got[0].Name != "notice.txt" || got[1].ContentType != "image/jpeg" {
			t.Fatalf("dropped files in the draft: %+v", got)
		}
		chat.Send(conv, "Water is off on Tuesday")
		if last := delivered(); last.Text != "Water is off on Tuesday" || len(last.Files) != 2 || serverFiles() != before+2 {
			t.Errorf("the dropped files were not shared with the message: %+v", last)
		}
	})

	t.Run("ErrTooLargeUnreadableOrTooMany", func(t *testing.T) {
		big := filepath.Join(dir, "video.mov")
		f, _ := os.Create(big)
		f.Truncate(maxAttachmentBytes + 1)
		f.Close()
		refused := map[string]struct {
			paths []string
			code  string
		}{
			"ErrTooLarge":  {[]string{write("ok.txt", "fine"), big}, backend.ETOOLARGE},
			"ErrDirectory": {[]string{dir}, backend.EINVALID},
			"ErrEmpty":     {[]string{write("empty.txt", "")}, backend.EINVALID},
			"ErrMissing":   {[]string{filepath.Join(dir, "gone.txt")}, backend.EINVALID},
		}
		for name, c := range refused {
			chat.OpenDialog = func() ([]string, error) { return c.paths, nil }
			if _, err := chat.AttachFiles(conv); backend.ErrorCode(err) != c.code {
				t.Errorf("%s: %v, want %s", name, err, c.code)
			}
		}
		var eleven []string
		for i := range backend.MaxFilesPerMessage + 1 {
			eleven = append(eleven, write(fmt.Sprintf("page%d.txt", i), "page"))
		}
		chat.OpenDialog = func() ([]string, error) { return eleven, nil }
		if _, err := chat.AttachFiles(conv); backend.ErrorCode(err) != backend.ETOOLARGE {
			t.Errorf("%d files: %v", len(eleven), err)
		}
		chat.OpenDialog = func() ([]string, error) { return eleven[:1], nil }
		if _, err := chat.AttachFiles(404404); backend.ErrorCode(err) != backend.ENOTFOUND {
			t.Errorf("a conversation that is not there: %v", err)
		}
		if got := draft(); len(got) != 0 {
			t.Errorf("refused attachments were kept: %+v", got)
		}
		if out, _ := a.sess.cache.Outbox(ctx, conv); len(out) != 0 {
			t.Errorf("refused attachments were queued: %+v", out)
		}
	})

	t.Run("ErrClosedConversation", func(t *testing.T) {
		// The demo's past tenant: no member can read new messages.
		var closed backend.Conversation
		for _, c := range list {
			if c.ReadOnly {
				closed = c
			}
		}
		if closed.ID == 0 || !strings.Contains(closed.ReadOnlyReason, "lease ended") {
			t.Fatalf("no closed conversation in the demo: %+v", list)
		}
		chat.OpenDialog = func() ([]string, error) { return []string{write("late.txt", "late")}, nil }
		if _, err := chat.AttachFiles(closed.ID); backend.ErrorCode(err) != backend.ETENANTNOTACTIVE || backend.ErrorMessage(err) != closed.ReadOnlyReason {
			t.Errorf("attach to a closed conversation: %v", err)
		}
		if _, err := chat.Send(closed.ID, "Anyone there?"); backend.ErrorCode(err) != backend.ETENANTNOTACTIVE {
			t.Errorf("send to a closed conversation: %v", err)
		}
		if out, _ := a.sess.cache.Outbox(ctx, closed.ID); len(out) != 0 {
			t.Errorf("a refused send was queued: %+v", out)
		}
		if th, _ := chat.Thread(closed.ID, 0); len(th.DraftFiles) != 0 {
			t.Errorf("a refused attachment was kept: %+v", th.DraftFiles)
		}
	})

	t.Run("ErrFileGoneBeforeSend", func(t *testing.T) {
		p := write("moved.pdf", "%PDF-1.4 moved")
		chat.OpenDialog = func() ([]string, error) { return []string{p}, nil }
		files, err := chat.AttachFiles(conv)
		if err != nil {
			t.Fatal(err)
		}
		os.Remove(p)
		if _, err := chat.Send(conv, "here it is"); backend.ErrorCode(err) != backend.EINVALID ||
			backend.ErrorMessage(err) != "moved.pdf is no longer there. Remove it and attach it again." {
			t.Errorf("send with a vanished file: %v", err)
		}
		if out, _ := a.sess.cache.Outbox(ctx, conv); len(out) != 0 || len(draft()) != 1 {
			t.Errorf("a refused send changed the outbox or the draft: %+v", out)
		}
		chat.RemoveAttachment(conv, files[0].ID)
	})

	t.Run("PastedImage", func(t *testing.T) {
		before := serverFiles()
		png := "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
		files, err := chat.AttachPasted(conv, "", png)
		if err != nil || len(files) != 1 || files[0].Name != "Pasted image.png" || files[0].ContentType != "image/png" {
			t.Fatalf("paste: %+v, %v", files, err)
		}
		if thumb, err := chat.DraftThumbnail(conv, files[0].ID); err != nil || thumb != "data:image/png;base64,"+png {
			t.Errorf("the tray's thumbnail = %.40q, %v", thumb, err)
		}
		if _, err := chat.AttachPasted(conv, "x.png", "PGh0bWw+PHNjcmlwdD4="); backend.ErrorCode(err) != backend.EINVALID { // <html><script>
			t.Errorf("pasted HTML: %v", err)
		}
		if _, err := chat.AttachPasted(conv, "x.png", "%%%not base64"); backend.ErrorCode(err) != backend.EINVALID {
			t.Errorf("garbage: %v", err)
		}
		// A file dropped where the page receives it (not its path) may be any type.
		files, err = chat.AttachDropped(conv, "../../notes.txt", "bWVldGluZyBhdCAxMA==")
		if err != nil || len(files) != 2 || files[1].Name != "notes.txt" {
			t.Fatalf("dropped bytes: %+v, %v", files, err)
		}
		if thumb, _ := chat.DraftThumbnail(conv, files[1].ID); thumb != "" {
			t.Errorf("a text file got a thumbnail: %.40q", thumb)
		}
		// A removed paste leaves nothing behind; the rest is sent, then deleted.
		chat.AttachPasted(conv, "", png)
		files, _ = chat.RemoveAttachment(conv, draft()[2].ID)
		if left, _ := os.ReadDir(filepath.Join(a.dataDir, "incoming")); len(left) != 2 || len(files) != 2 {
			t.Errorf("after a removal: %d copies kept, %d draft files", len(left), len(files))
		}
		chat.Send(conv, "")
		if last := delivered(); len(last.Files) != 2 || serverFiles() != before+2 {
			t.Errorf("the pasted and dropped files were not shared: %+v", last)
		}
		wait.For(t, "the app's copies are deleted once sent", func() bool {
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
			if p.Sent == 0 {
				return // cancel mid-upload, not before it
			}
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
		if _, err := chat.AttachFiles(conv); err != nil {
			t.Fatal(err)
		}
		if _, err := chat.Send(conv, "a big scan"); err != nil {
			t.Fatal(err)
		}
		<-cancelled
		wait.For(t, "the outbox is empty", func() bool { out, _ := a.sess.cache.Outbox(ctx, conv); return len(out) == 0 })
		mu.Lock()
		onProgress = nil
		got := append([]engine.UploadProgress(nil), progress...)
		mu.Unlock()
		if len(got) < 2 || got[0].Name != "scan.pdf" || got[0].Total != 8<<20+9 || got[0].Sent != 0 || got[1].Sent <= 0 {
			t.Errorf("progress = %+v", got)
		}
		msgs, _ := landlord.Messages(ctx, conv, backend.MessagePage{})
		if msgs[len(msgs)-1].Text == "a big scan" || serverFiles() != before {
			t.Error("a cancelled message was sent")
		}
	})

	t.Run("AnInterruptedUploadGoesOnWhereItStopped", func(t *testing.T) {
		big := filepath.Join(dir, "inspection.pdf")
		body := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("inspection photos and notes\n"), 400_000)...) // ~11 MB
		os.WriteFile(big, body, 0o600)
		stopped := make(chan struct{})
		var once sync.Once
		mu.Lock()
		progress = nil
		onProgress = func(p engine.UploadProgress) {
			// The server confirmed the first chunk; cut the line in the second.
			if p.Sent > client.UploadChunkSize {
				once.Do(func() { s.Stop(); close(stopped) })
			}
		}
		mu.Unlock()
		chat.OpenDialog = func() ([]string, error) { return []string{big}, nil }
		if _, err := chat.AttachFiles(conv); err != nil {
			t.Fatal(err)
		}
		if _, err := chat.Send(conv, "inspection report"); err != nil {
			t.Fatal(err)
		}
		<-stopped
		wait.For(t, "the failed try is noticed", func() bool {
			out, _ := a.sess.cache.Outbox(ctx, conv)
			return len(out) == 1 && out[0].Attempts > 0 && out[0].Attachments[0].UploadID != ""
		})
		mu.Lock()
		onProgress = nil
		mark := len(progress)
		mu.Unlock()
		s.Start()
		a.sess.engine.Kick()
		last := delivered()
		sum := sha256.Sum256(body)
		if last.Text != "inspection report" || len(last.Files) != 1 || last.Files[0].SHA256 != hex.EncodeToString(sum[:]) {
			t.Fatalf("message = %+v", last)
		}
		mu.Lock()
		after := append([]engine.UploadProgress(nil), progress[mark:]...)
		mu.Unlock()
		if len(after) == 0 || after[0].Sent < client.UploadChunkSize || after[len(after)-1].Sent != int64(len(body)) {
			t.Errorf("after the outage the upload restarted from %v, want from the %d bytes the server held", after[:min(len(after), 1)], client.UploadChunkSize)
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
		wait.For(t, "delivered", func() bool { out, _ := a.sess.cache.Outbox(ctx, conv); return len(out) == 0 })
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
