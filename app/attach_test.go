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
	"doorstep/backend/filestore"
	"doorstep/backend/httpapi"
	"doorstep/backend/servertest"
	"doorstep/internal/wait"
)

// uiEvents records what the app told the UI about attachments and uploads;
// onProgress, when set, sees each upload's progress as it is emitted.
type uiEvents struct {
	mu         sync.Mutex
	problems   []Problem
	progress   []engine.UploadProgress
	onProgress func(engine.UploadProgress)
}

func (e *uiEvents) emit(name string, data any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch name {
	case EventAttachError:
		e.problems = append(e.problems, data.(Problem))
	case engine.EventUpload:
		p := data.(engine.UploadProgress)
		e.progress = append(e.progress, p)
		if e.onProgress != nil {
			go e.onProgress(p)
		}
	}
}

// watchProgress forgets the progress seen so far and calls f (unless nil)
// with each further one.
func (e *uiEvents) watchProgress(f func(engine.UploadProgress)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.progress, e.onProgress = nil, f
}

func (e *uiEvents) uploads() []engine.UploadProgress {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]engine.UploadProgress(nil), e.progress...)
}

func (e *uiEvents) attachErrors() []Problem {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Problem(nil), e.problems...)
}

// attachFixture is the demo landlord signed in to the app over a server of
// its own, synced, with the first conversation to attach files to: each
// test that uses one is independent of the others.
type attachFixture struct {
	srv         *servertest.Server
	landlord    *client.Client
	accounts    *AccountService
	chat        *ConversationService
	attachments *AttachmentService
	list        []backend.Conversation // the server's conversations
	conv        int64
	dir         string // the landlord's own files
	events      *uiEvents
}

func newAttachFixture(t *testing.T, opts ...httpapi.Option) *attachFixture {
	t.Helper()
	f := &attachFixture{srv: servertest.StartDemo(t, opts...), dir: t.TempDir(), events: &uiEvents{}}
	f.landlord, _ = f.srv.Landlord(t)
	f.accounts = NewAccountService(Config{ServerURL: f.srv.URL}, &Lifecycle{}, &memKeys{m: map[string]string{}}, t.TempDir(), f.events.emit, quiet)
	t.Cleanup(f.accounts.shutdown)
	if _, err := f.accounts.SignIn(f.srv.URL, demo.LandlordEmail, demo.Password); err != nil {
		t.Fatal(err)
	}
	f.chat, f.attachments = NewConversationService(f.accounts), NewAttachmentService(f.accounts)
	f.list, _ = f.landlord.Conversations(context.Background())
	f.conv = f.list[0].ID
	// Online: caught up, and the list (with the chats closed since) is as the server shows it.
	wait.For(t, "caught up", func() bool { st, _ := f.accounts.State(); return st.Sync.State == engine.StateOnline })
	return f
}

// write makes one of the landlord's files and returns its path.
func (f *attachFixture) write(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(f.dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// sparse makes a file of size bytes, quickly, and returns its path.
func (f *attachFixture) sparse(t *testing.T, name string, size int64) string {
	t.Helper()
	p := filepath.Join(f.dir, name)
	fh, err := os.Create(p)
	if err == nil {
		err = fh.Truncate(size)
		fh.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// pick makes the native dialog answer with paths.
func (f *attachFixture) pick(paths ...string) {
	f.attachments.OpenDialog = func() ([]string, error) { return paths, nil }
}

// serverFiles counts the files shared in the conversation on the server.
func (f *attachFixture) serverFiles(t *testing.T) int {
	t.Helper()
	list, err := f.landlord.ConversationFiles(context.Background(), f.conv)
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

// draft is the conversation's draft files as the thread shows them.
func (f *attachFixture) draft(t *testing.T) []cache.DraftFile {
	t.Helper()
	th, err := f.chat.Thread(f.conv, 0)
	if err != nil {
		t.Fatal(err)
	}
	return th.DraftFiles
}

// outbox is what waits to be sent in conversation conv.
func (f *attachFixture) outbox(conv int64) []cache.Outgoing {
	s, _ := f.accounts.active()
	out, _ := s.cache.Outbox(context.Background(), conv)
	return out
}

// delivered waits for the outbox to empty and returns the server's newest
// message of the conversation.
func (f *attachFixture) delivered(t *testing.T) backend.Message {
	t.Helper()
	wait.For(t, "delivered", func() bool { return len(f.outbox(f.conv)) == 0 })
	msgs, _ := f.landlord.Messages(context.Background(), f.conv, backend.MessagePage{})
	return msgs[len(msgs)-1]
}

func TestAttachPaperClipFilesWaitForSendWithACaption(t *testing.T) {
	t.Parallel()
	f := newAttachFixture(t)
	before := f.serverFiles(t)
	f.pick(f.write(t, "lease.pdf", "%PDF-1.4 lease"), f.write(t, "photo.png", "\x89PNG\r\n\x1a\nxxxx"))
	files, err := f.attachments.AttachFiles(f.conv)
	if err != nil || len(files) != 2 || files[0].Name != "lease.pdf" || files[0].ContentType != "application/pdf" ||
		files[0].Size != 14 || files[1].ContentType != "image/png" {
		t.Fatalf("attach: %+v, %v", files, err)
	}
	if got := f.draft(t); len(got) != 2 || got[1].Name != "photo.png" {
		t.Fatalf("the thread's draft files = %+v", got)
	}
	if len(f.outbox(f.conv)) != 0 || f.serverFiles(t) != before {
		t.Fatal("attached files were sent before Send")
	}
	f.pick() // cancelled
	if files, err := f.attachments.AttachFiles(f.conv); err != nil || len(files) != 2 {
		t.Errorf("a cancelled dialog changed the draft: %+v, %v", files, err)
	}
	f.chat.SetDraft(f.conv, "The signed lease")
	o, err := f.chat.Send(f.conv, "  The signed lease and a photo \n")
	if err != nil || len(o.Attachments) != 2 || o.Text != "The signed lease and a photo" {
		t.Fatalf("send: %+v, %v", o, err)
	}
	if th, _ := f.chat.Thread(f.conv, 0); len(th.DraftFiles) != 0 || th.Draft != "" {
		t.Errorf("the draft was kept after Send: %+v %q", th.DraftFiles, th.Draft)
	}
	last := f.delivered(t)
	if last.Text != "The signed lease and a photo" || len(last.Files) != 2 || last.Files[0].Name != "lease.pdf" || last.Files[1].ContentType != "image/png" {
		t.Errorf("message = %+v", last)
	}
}

func TestAttachFilesWithoutACaption(t *testing.T) {
	t.Parallel()
	f := newAttachFixture(t)
	f.pick(f.write(t, "receipt.txt", "paid"))
	if _, err := f.attachments.AttachFiles(f.conv); err != nil {
		t.Fatal(err)
	}
	if _, err := f.chat.Send(f.conv, " \n "); err != nil {
		t.Fatal(err)
	}
	if last := f.delivered(t); last.Text != "" || len(last.Files) != 1 || last.Files[0].Name != "receipt.txt" {
		t.Errorf("message = %+v", last)
	}
	if _, err := f.chat.Send(f.conv, " "); backend.ErrorCode(err) != backend.EINVALID {
		t.Errorf("an empty message with no files: %v", err)
	}
}

func TestAttachRemovedFilesAreNotSent(t *testing.T) {
	t.Parallel()
	f := newAttachFixture(t)
	f.pick(f.write(t, "wrong.pdf", "%PDF-1.4 wrong"), f.write(t, "right.pdf", "%PDF-1.4 right"))
	files, err := f.attachments.AttachFiles(f.conv)
	if err != nil {
		t.Fatal(err)
	}
	if files, err = f.attachments.Remove(f.conv, files[0].ID); err != nil || len(files) != 1 || files[0].Name != "right.pdf" {
		t.Fatalf("remove: %+v, %v", files, err)
	}
	if files, err := f.attachments.Remove(f.conv, 999999); err != nil || len(files) != 1 {
		t.Errorf("removing a file that is not there: %+v, %v", files, err)
	}
	if _, err := os.Stat(filepath.Join(f.dir, "wrong.pdf")); err != nil {
		t.Error("removing an attachment touched the landlord's own file")
	}
	f.chat.Send(f.conv, "")
	if last := f.delivered(t); len(last.Files) != 1 || last.Files[0].Name != "right.pdf" {
		t.Errorf("message = %+v", last)
	}
}

func TestAttachDropOnTheOpenConversation(t *testing.T) {
	t.Parallel()
	f := newAttachFixture(t)
	before := f.serverFiles(t)
	drop := FileDropHandler(f.attachments)
	drop(10, 10, []string{f.write(t, "notice.txt", "water off")})
	if refused := f.events.attachErrors(); len(refused) != 1 || refused[0] != (Problem{Code: backend.EINVALID, Message: "Open a conversation, then drop the files on it."}) {
		t.Fatalf("a drop with no conversation open: error events %+v, want one invalid_input", refused)
	}
	f.chat.SetViewing(f.conv, true)
	drop(10, 10, []string{f.write(t, "notice.txt", "water off"), f.write(t, "meter.jpg", "\xff\xd8\xff\xe0 jpeg")})
	if got := f.draft(t); len(got) != 2 || got[0].Name != "notice.txt" || got[1].ContentType != "image/jpeg" {
		t.Fatalf("dropped files in the draft: %+v", got)
	}
	f.chat.Send(f.conv, "Water is off on Tuesday")
	if last := f.delivered(t); last.Text != "Water is off on Tuesday" || len(last.Files) != 2 || f.serverFiles(t) != before+2 {
		t.Errorf("the dropped files were not shared with the message: %+v", last)
	}
}

// Refused attachments change nothing: each case leaves the draft and the
// outbox empty, so the cases do not depend on each other.
func TestAttachRefusals(t *testing.T) {
	t.Parallel()
	f := newAttachFixture(t)
	var tooMany []string
	for i := range backend.MaxFilesPerMessage + 1 {
		tooMany = append(tooMany, f.write(t, fmt.Sprintf("page%d.txt", i), "page"))
	}
	for _, c := range []struct {
		name  string
		conv  int64
		paths []string
		code  string
	}{
		{"ErrTooLarge", f.conv, []string{f.write(t, "ok.txt", "fine"), f.sparse(t, "video.mov", backend.DefaultMaxUploadBytes+1)}, backend.ETOOLARGE},
		{"ErrDirectory", f.conv, []string{f.dir}, backend.EINVALID},
		{"ErrEmpty", f.conv, []string{f.write(t, "empty.txt", "")}, backend.EINVALID},
		{"ErrMissing", f.conv, []string{filepath.Join(f.dir, "gone.txt")}, backend.EINVALID},
		{"ErrTooMany", f.conv, tooMany, backend.ETOOLARGE},
		{"ErrNoSuchConversation", 404404, tooMany[:1], backend.ENOTFOUND},
	} {
		t.Run(c.name, func(t *testing.T) {
			f.pick(c.paths...)
			if _, err := f.attachments.AttachFiles(c.conv); backend.ErrorCode(err) != c.code {
				t.Errorf("%v, want %s", err, c.code)
			}
			if got := f.draft(t); len(got) != 0 {
				t.Errorf("refused attachments were kept: %+v", got)
			}
			if out := f.outbox(f.conv); len(out) != 0 {
				t.Errorf("refused attachments were queued: %+v", out)
			}
		})
	}
}

// The largest upload is the server's, learned at sign-in: a server that
// takes 1 MB files has the app refuse a bigger one, with that number.
func TestAttachOverTheServersLimitIsRefusedWithItsNumber(t *testing.T) {
	t.Parallel()
	small, err := filestore.Open(filepath.Join(t.TempDir(), "files"), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	f := newAttachFixture(t, httpapi.WithFiles(small))
	f.pick(f.sparse(t, "scan.pdf", 3<<19))
	_, err = f.attachments.AttachFiles(f.conv)
	if backend.ErrorCode(err) != backend.ETOOLARGE || backend.ErrorMessage(err) != "scan.pdf is 1.5 MB; files can be at most 1 MB." {
		t.Errorf("a 1.5 MB file for a 1 MB server: %v", err)
	}
	big := strings.Repeat("AAAA", 400_000) // 1.2 MB once decoded
	if _, err := f.attachments.AttachDroppedBytes(f.conv, "big.bin", big); backend.ErrorMessage(err) != "Files can be at most 1 MB." {
		t.Errorf("1.2 MB dropped on the page for a 1 MB server: %v", err)
	}
	f.pick(f.sparse(t, "small.pdf", 1<<20))
	if _, err := f.attachments.AttachFiles(f.conv); err != nil {
		t.Errorf("a file of exactly the server's limit: %v", err)
	}
}

func TestAttachToAClosedConversationIsRefused(t *testing.T) {
	t.Parallel()
	f := newAttachFixture(t)
	// The demo's past tenant: no member can read new messages.
	var closed backend.Conversation
	for _, c := range f.list {
		if c.ReadOnly {
			closed = c
		}
	}
	if closed.ID == 0 || !strings.Contains(closed.ReadOnlyReason, "lease ended") {
		t.Fatalf("no closed conversation in the demo: %+v", f.list)
	}
	f.pick(f.write(t, "late.txt", "late"))
	if _, err := f.attachments.AttachFiles(closed.ID); backend.ErrorCode(err) != backend.ETENANTNOTACTIVE || backend.ErrorMessage(err) != closed.ReadOnlyReason {
		t.Errorf("attach to a closed conversation: %v", err)
	}
	if _, err := f.chat.Send(closed.ID, "Anyone there?"); backend.ErrorCode(err) != backend.ETENANTNOTACTIVE {
		t.Errorf("send to a closed conversation: %v", err)
	}
	if out := f.outbox(closed.ID); len(out) != 0 {
		t.Errorf("a refused send was queued: %+v", out)
	}
	if th, _ := f.chat.Thread(closed.ID, 0); len(th.DraftFiles) != 0 {
		t.Errorf("a refused attachment was kept: %+v", th.DraftFiles)
	}
}

func TestAttachFileGoneBeforeSendIsRefused(t *testing.T) {
	t.Parallel()
	f := newAttachFixture(t)
	p := f.write(t, "moved.pdf", "%PDF-1.4 moved")
	f.pick(p)
	if _, err := f.attachments.AttachFiles(f.conv); err != nil {
		t.Fatal(err)
	}
	os.Remove(p)
	if _, err := f.chat.Send(f.conv, "here it is"); backend.ErrorCode(err) != backend.EINVALID ||
		backend.ErrorMessage(err) != "moved.pdf is no longer there. Remove it and attach it again." {
		t.Errorf("send with a vanished file: %v", err)
	}
	if out := f.outbox(f.conv); len(out) != 0 || len(f.draft(t)) != 1 {
		t.Errorf("a refused send changed the outbox or the draft: %+v", out)
	}
}

func TestAttachPastedImageAndDroppedBytes(t *testing.T) {
	t.Parallel()
	f := newAttachFixture(t)
	before := f.serverFiles(t)
	incoming := filepath.Join(f.accounts.dataDir, "incoming")
	png := "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
	files, err := f.attachments.AttachPastedImage(f.conv, "", png)
	if err != nil || len(files) != 1 || files[0].Name != "Pasted image.png" || files[0].ContentType != "image/png" {
		t.Fatalf("paste: %+v, %v", files, err)
	}
	if thumb, err := f.attachments.DraftThumbnail(f.conv, files[0].ID); err != nil || thumb != "data:image/png;base64,"+png {
		t.Errorf("the tray's thumbnail = %.40q, %v", thumb, err)
	}
	if _, err := f.attachments.AttachPastedImage(f.conv, "x.png", "PGh0bWw+PHNjcmlwdD4="); backend.ErrorCode(err) != backend.EINVALID { // <html><script>
		t.Errorf("pasted HTML: %v", err)
	}
	if _, err := f.attachments.AttachPastedImage(f.conv, "x.png", "%%%not base64"); backend.ErrorCode(err) != backend.EINVALID {
		t.Errorf("garbage: %v", err)
	}
	// A file dropped where the page receives it (not its path) may be any type.
	files, err = f.attachments.AttachDroppedBytes(f.conv, "../../notes.txt", "bWVldGluZyBhdCAxMA==")
	if err != nil || len(files) != 2 || files[1].Name != "notes.txt" {
		t.Fatalf("dropped bytes: %+v, %v", files, err)
	}
	if thumb, _ := f.attachments.DraftThumbnail(f.conv, files[1].ID); thumb != "" {
		t.Errorf("a text file got a thumbnail: %.40q", thumb)
	}
	// A removed paste leaves nothing behind; the rest is sent, then deleted.
	f.attachments.AttachPastedImage(f.conv, "", png)
	files, _ = f.attachments.Remove(f.conv, f.draft(t)[2].ID)
	if left, _ := os.ReadDir(incoming); len(left) != 2 || len(files) != 2 {
		t.Errorf("after a removal: %d copies kept, %d draft files", len(left), len(files))
	}
	f.chat.Send(f.conv, "")
	if last := f.delivered(t); len(last.Files) != 2 || f.serverFiles(t) != before+2 {
		t.Errorf("the pasted and dropped files were not shared: %+v", last)
	}
	wait.For(t, "the app's copies are deleted once sent", func() bool {
		left, _ := os.ReadDir(incoming)
		return len(left) == 0
	})
}

func TestAttachUploadProgressThenCancel(t *testing.T) {
	t.Parallel()
	f := newAttachFixture(t)
	big := f.write(t, "scan.pdf", "%PDF-1.4\n"+string(make([]byte, 8<<20)))
	cancelled := make(chan struct{})
	var once sync.Once
	f.events.watchProgress(func(p engine.UploadProgress) {
		if p.Sent == 0 {
			return // cancel mid-upload, not before it
		}
		once.Do(func() {
			if err := f.chat.Cancel(p.LocalID); err != nil {
				t.Error(err)
			}
			close(cancelled)
		})
	})
	before := f.serverFiles(t)
	f.pick(big)
	if _, err := f.attachments.AttachFiles(f.conv); err != nil {
		t.Fatal(err)
	}
	if _, err := f.chat.Send(f.conv, "a big scan"); err != nil {
		t.Fatal(err)
	}
	<-cancelled
	wait.For(t, "the outbox is empty", func() bool { return len(f.outbox(f.conv)) == 0 })
	got := f.events.uploads()
	if len(got) < 2 || got[0].Name != "scan.pdf" || got[0].Total != 8<<20+9 || got[0].Sent != 0 || got[1].Sent <= 0 {
		t.Errorf("progress = %+v", got)
	}
	msgs, _ := f.landlord.Messages(context.Background(), f.conv, backend.MessagePage{})
	if msgs[len(msgs)-1].Text == "a big scan" || f.serverFiles(t) != before {
		t.Error("a cancelled message was sent")
	}
}

func TestAttachInterruptedUploadGoesOnWhereItStopped(t *testing.T) {
	t.Parallel()
	f := newAttachFixture(t)
	body := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("inspection photos and notes\n"), 400_000)...) // ~11 MB
	big := f.write(t, "inspection.pdf", string(body))
	stopped := make(chan struct{})
	var once sync.Once
	f.events.watchProgress(func(p engine.UploadProgress) {
		// The server confirmed the first chunk; cut the line in the second.
		if p.Sent > client.UploadChunkSize {
			once.Do(func() { f.srv.Stop(); close(stopped) })
		}
	})
	f.pick(big)
	if _, err := f.attachments.AttachFiles(f.conv); err != nil {
		t.Fatal(err)
	}
	if _, err := f.chat.Send(f.conv, "inspection report"); err != nil {
		t.Fatal(err)
	}
	<-stopped
	wait.For(t, "the failed try is noticed", func() bool {
		out := f.outbox(f.conv)
		return len(out) == 1 && out[0].Attempts > 0 && out[0].Attachments[0].UploadID != ""
	})
	f.events.watchProgress(nil) // from here on: the progress after the outage
	f.srv.Start()
	s, _ := f.accounts.active()
	s.engine.Kick()
	last := f.delivered(t)
	sum := sha256.Sum256(body)
	if last.Text != "inspection report" || len(last.Files) != 1 || last.Files[0].SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("message = %+v", last)
	}
	after := f.events.uploads()
	if len(after) == 0 || after[0].Sent < client.UploadChunkSize || after[len(after)-1].Sent != int64(len(body)) {
		t.Errorf("after the outage the upload restarted from %v, want from the %d bytes the server held", after[:min(len(after), 1)], client.UploadChunkSize)
	}
}

func TestAttachAnUploadedFileIsNeverUploadedAgain(t *testing.T) {
	t.Parallel()
	f := newAttachFixture(t)
	ctx := context.Background()
	before := f.serverFiles(t)
	first := f.write(t, "a.txt", "first")
	done, err := f.landlord.UploadFile(ctx, "a.txt", mustOpen(t, first))
	if err != nil {
		t.Fatal(err)
	}
	// As if the app died after uploading the first file of two.
	f.srv.Stop()
	s, _ := f.accounts.active()
	if err := s.cache.AddDraftFiles(ctx, f.conv, []cache.DraftFile{{Path: first, Name: "a.txt"}, {Path: f.write(t, "b.txt", "second"), Name: "b.txt"}}, 10); err != nil {
		t.Fatal(err)
	}
	o, err := s.cache.SendDraft(ctx, f.conv, "two files")
	if err != nil {
		t.Fatal(err)
	}
	s.cache.Uploaded(ctx, o.LocalID, 0, done.ID)
	f.srv.Start()
	s.engine.Kick()
	f.delivered(t)
	if got := f.serverFiles(t); got != before+2 {
		t.Errorf("files shared: %d → %d, want exactly the two", before, got)
	}
}

func mustOpen(t *testing.T, p string) *os.File {
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}
