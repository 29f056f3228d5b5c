//go:build linux

package client_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"doorstep/backend"
	"doorstep/backend/client"
)

// mountTmpfs mounts a small tmpfs on a new directory, for a server whose
// disk is to fill up, and unmounts it when the test ends. Where that cannot
// be done (not root, no tmpfs) the test is skipped, saying so.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if os.Geteuid() != 0 {
		t.Skip("skipped: mounting a small tmpfs to fill up needs root (the tests run as root in CI)")
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size+",mode=0700"); err != nil {
		t.Skipf("skipped: cannot mount a tmpfs here (%v); the full-disk test needs one", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
			syscall.Unmount(dir, syscall.MNT_DETACH)
		}
	})
	return dir
}

// fillDisk writes a file in dir until the file system is full and returns
// its path: removing it frees the space again.
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return path
		}
	}
}

// answer is an HTTP answer as a client sees it on the wire.
type answer struct {
	status     int
	retryAfter string
	body       []byte
}

func (a answer) err() backend.Error {
	var e struct {
		Error backend.Error `json:"error"`
	}
	json.Unmarshal(a.body, &e)
	return e.Error
}

// call makes one request as c (its session, if any) and returns the answer.
func call(t *testing.T, c *client.Client, method, path, contentType string, body []byte, header ...string) answer {
	t.Helper()
	req, err := http.NewRequest(method, c.BaseURL()+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.Token() != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token())
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), body: b}
}

func callJSON(t *testing.T, c *client.Client, method, path string, v any) answer {
	t.Helper()
	b, _ := json.Marshal(v)
	return call(t, c, method, path, "application/json", b)
}

// multipartBody is a POST /api/v1/files body carrying data as "file".
func multipartBody(name string, data []byte) (string, []byte) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	part, _ := mw.CreateFormFile("file", name)
	part.Write(data)
	mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

// wantUnavailable checks an answer is the server's trouble, said as such:
// 503 unavailable with Retry-After and a sentence naming the trouble; never
// 500 (a bug) or 400 (the client's fault).
func wantUnavailable(t *testing.T, what string, a answer, sentence string) {
	t.Helper()
	e := a.err()
	secs, _ := strconv.Atoi(a.retryAfter)
	if a.status != http.StatusServiceUnavailable || e.Code != backend.EUNAVAILABLE || secs < 1 || !strings.Contains(e.Message, sentence) {
		t.Errorf("%s: HTTP %d, Retry-After %q, %s; want 503 unavailable with Retry-After and a sentence containing %q",
			what, a.status, a.retryAfter, a.body, sentence)
	}
}

// health reads /healthz.
func health(t *testing.T, w *world) (int, backend.Health) {
	t.Helper()
	a := call(t, w.anon(), http.MethodGet, "/healthz", "", nil)
	var h backend.Health
	if err := json.Unmarshal(a.body, &h); err != nil {
		t.Fatalf("/healthz: %v: %s", err, a.body)
	}
	return a.status, h
}

// names lists the files under dir (relative paths), the filler aside.
func names(t *testing.T, dir string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, path)
			out[rel] = true
		}
		return nil
	})
	return out
}

// TestFullDisk fills the disk under a real server (database and files on a
// 3 MB tmpfs) and checks what clients are told: every write answers 503
// unavailable with Retry-After and a sentence (never 500, never 400), a
// resend of a message already stored still succeeds, /healthz says what is
// wrong after one probe, and nothing is left behind; once space is freed,
// everything works again and nothing is lost or doubled. A read-only files
// directory is answered the same way.
func TestFullDisk(t *testing.T) {
	t.Parallel()
	dir := mountTmpfs(t, "3m")
	w := newWorldIn(t, dir)
	ctx := context.Background()
	group := must[backend.Conversation](t)(w.landlord.StartConversation(ctx, backend.StartConversation{UnitID: w.unit["1A"]}))
	alice := w.asTenant("Alice")
	stored := must[backend.Message](t)(w.landlord.SendMessage(ctx, group.ID, backend.SendMessage{Key: "stored-before-the-disk-filled", Text: "Rent is due on the 1st."}))
	scan := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("the signed lease, page after page\n"), 6_000)...) // ~200 KB
	resumable := must[backend.Upload](t)(w.landlord.BeginUpload(ctx, backend.NewUpload{Name: "lease.pdf", Size: int64(len(scan)), SHA256: sum(scan)}))
	resumable = must[backend.Upload](t)(w.landlord.AppendUpload(ctx, resumable.ID, 0, bytes.NewReader(scan[:50_000])))
	filesBefore := names(t, w.filesDir)

	filler := fillDisk(t, dir)
	const full = "disk is full"
	messages := fmt.Sprintf("/api/v1/conversations/%d/messages", group.ID)

	t.Run("WritesAnswerUnavailable", func(t *testing.T) {
		wantUnavailable(t, "landlord's send", callJSON(t, w.landlord, "POST", messages, backend.SendMessage{Key: "landlord-while-full", Text: "Is the heating back?"}), full)
		wantUnavailable(t, "tenant's send", callJSON(t, alice, "POST", messages, backend.SendMessage{Key: "alice-while-full", Text: "Yes, thanks!"}), full)
		wantUnavailable(t, "sign-in", callJSON(t, w.anon(), "POST", "/api/v1/auth/signin", map[string]string{"email": "landlord@a.test", "password": "correct horse battery"}), full)
		wantUnavailable(t, "upload announce", callJSON(t, w.landlord, "POST", "/api/v1/uploads", backend.NewUpload{Name: "photo.jpg", Size: 100_000, SHA256: sum([]byte("x"))}), full)
		ct, body := multipartBody("inspection.pdf", scan)
		wantUnavailable(t, "multipart upload", call(t, w.landlord, "POST", "/api/v1/files", ct, body), full)
		wantUnavailable(t, "resumable chunk", call(t, w.landlord, "PATCH", "/api/v1/uploads/"+resumable.ID, "application/offset+octet-stream", scan[50_000:],
			"Upload-Offset", "50000"), full)
	})

	t.Run("AResendOfAStoredMessageStillSucceeds", func(t *testing.T) {
		// Beside new sends, which fail: a resend must not share their fate.
		for round := range 5 {
			var wg sync.WaitGroup
			for i := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					k := fmt.Sprintf("new-while-full-%d-%d", round, i)
					wantUnavailable(t, k, callJSON(t, w.landlord, "POST", messages, backend.SendMessage{Key: k, Text: "Hello?"}), full)
				}()
			}
			a := callJSON(t, w.landlord, "POST", messages, backend.SendMessage{Key: stored.Key, Text: stored.Text})
			wg.Wait()
			var m backend.Message
			json.Unmarshal(a.body, &m)
			if (a.status != http.StatusOK && a.status != http.StatusCreated) || m.ID != stored.ID {
				t.Errorf("resend: HTTP %d %s; want message %d again", a.status, a.body, stored.ID)
			}
		}
		a := callJSON(t, w.landlord, "POST", messages, backend.SendMessage{Key: stored.Key, Text: "another text"})
		if a.status != http.StatusConflict {
			t.Errorf("same key, other text: HTTP %d %s; want 409 conflict", a.status, a.body)
		}
	})

	t.Run("HealthSaysWhyAfterOneProbe", func(t *testing.T) {
		if err := w.srv.ProbeStorage(ctx); err == nil {
			t.Error("the probe found nothing wrong")
		}
		status, h := health(t, w)
		if status != http.StatusServiceUnavailable || h.Status != "unavailable" ||
			h.Database != "the database cannot write: the disk is full" || h.Files != "the files directory cannot write: the disk is full" {
			t.Errorf("/healthz: HTTP %d %+v; want 503 saying the database and the files directory cannot write: the disk is full", status, h)
		}
	})

	t.Run("NothingLeftBehind", func(t *testing.T) {
		after := names(t, w.filesDir)
		for n := range after {
			if !filesBefore[n] {
				t.Errorf("%s was left behind", n)
			}
		}
	})

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}

	t.Run("EverythingWorksOnceSpaceIsFree", func(t *testing.T) {
		if err := w.srv.ProbeStorage(ctx); err != nil {
			t.Errorf("probe: %v", err)
		}
		if status, h := health(t, w); status != http.StatusOK || h.Database != "ok" || h.Files != "ok" {
			t.Errorf("/healthz: HTTP %d %+v; want ok", status, h)
		}
		must[backend.Message](t)(w.landlord.SendMessage(ctx, group.ID, backend.SendMessage{Key: "landlord-while-full", Text: "Is the heating back?"}))
		must[backend.Message](t)(alice.SendMessage(ctx, group.ID, backend.SendMessage{Key: "alice-while-full", Text: "Yes, thanks!"}))
		w.signIn("landlord@a.test")
		f := must[backend.File](t)(w.landlord.UploadFile(ctx, "inspection.pdf", bytes.NewReader(scan)))
		g := must[backend.File](t)(w.landlord.ContinueUpload(ctx, resumable.ID, bytes.NewReader(scan), nil))
		if f.SHA256 != sum(scan) || g.SHA256 != sum(scan) {
			t.Errorf("stored files: %s, %s; want %s", f.SHA256, g.SHA256, sum(scan))
		}
		up := must[backend.Upload](t)(w.landlord.BeginUpload(ctx, backend.NewUpload{Name: "photo.jpg", Size: 100_000, SHA256: sum([]byte("x"))}))
		if err := w.landlord.CancelUpload(ctx, up.ID); err != nil {
			t.Error(err)
		}
	})

	t.Run("AReadOnlyFilesDirectoryAnswersUnavailable", func(t *testing.T) {
		// The files directory becomes read-only (a bind mount of itself,
		// made read-only): EROFS for every write in it.
		if err := syscall.Mount(w.filesDir, w.filesDir, "", syscall.MS_BIND, ""); err != nil {
			t.Skipf("skipped: cannot bind-mount the files directory (%v)", err)
		}
		defer func() {
			if err := syscall.Unmount(w.filesDir, 0); err != nil {
				t.Errorf("unmount %s: %v", w.filesDir, err)
			}
			w.srv.ProbeStorage(ctx)
		}()
		if err := syscall.Mount("", w.filesDir, "", syscall.MS_REMOUNT|syscall.MS_BIND|syscall.MS_RDONLY, ""); err != nil {
			t.Skipf("skipped: cannot make the files directory read-only (%v)", err)
		}
		const readOnly = "does not accept writes"
		ct, body := multipartBody("inspection.pdf", scan)
		wantUnavailable(t, "multipart upload", call(t, w.landlord, "POST", "/api/v1/files", ct, body), readOnly)
		wantUnavailable(t, "upload announce", callJSON(t, w.landlord, "POST", "/api/v1/uploads", backend.NewUpload{Name: "photo.jpg", Size: 100_000, SHA256: sum([]byte("x"))}), readOnly)
		w.srv.ProbeStorage(ctx)
		if status, h := health(t, w); status != http.StatusServiceUnavailable || h.Database != "ok" ||
			h.Files != "the files directory cannot write: the storage is read-only" {
			t.Errorf("/healthz: HTTP %d %+v; want 503 saying the files directory cannot write: the storage is read-only", status, h)
		}
		// Messages do not need the files directory.
		must[backend.Message](t)(w.landlord.SendMessage(ctx, group.ID, backend.SendMessage{Key: "while-files-read-only", Text: "Noted."}))
	})

	t.Run("NothingLostNothingDoubled", func(t *testing.T) {
		raw, err := sql.Open("sqlite3", "file:"+w.path+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		for _, k := range []string{stored.Key, "landlord-while-full", "alice-while-full", "while-files-read-only"} {
			var n int
			raw.QueryRow("SELECT count(*) FROM messages WHERE idem_key = ?", k).Scan(&n)
			if n != 1 {
				t.Errorf("message %s stored %d times, want once", k, n)
			}
		}
		var files int
		raw.QueryRow("SELECT count(*) FROM files").Scan(&files)
		if files != 2 {
			t.Errorf("%d files recorded, want 2", files)
		}
		for n := range names(t, w.filesDir) {
			if strings.HasPrefix(filepath.Base(n), ".") {
				t.Errorf("%s was left behind", n)
			}
		}
	})
}
