package client_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"

	"doorstep/backend"
)

var pngBytes = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{1}, 3000)...)

func TestFiles(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	group := must[backend.Conversation](t)(w.landlord.StartConversation(ctx, backend.StartConversation{UnitID: w.unit["1A"]}))
	direct := must[backend.Conversation](t)(w.landlord.StartConversation(ctx, backend.StartConversation{TenantID: w.tenant["Erin"]}))
	alice, erin := w.asTenant("Alice"), w.asTenant("Erin")

	share := func(by interface {
		UploadFile(context.Context, string, io.Reader) (backend.File, error)
		SendMessage(context.Context, int64, backend.SendMessage) (backend.Message, error)
	}, conv int64, name string, data []byte) backend.File {
		t.Helper()
		f, err := by.UploadFile(ctx, name, bytes.NewReader(data))
		if err != nil {
			t.Fatalf("upload %s: %v", name, err)
		}
		if _, err := by.SendMessage(ctx, conv, backend.SendMessage{Key: key(), Text: "", FileIDs: []int64{f.ID}}); err != nil {
			t.Fatalf("share %s: %v", name, err)
		}
		return f
	}

	lease := []byte("%PDF-1.4\nthe lease\n")
	pdf := share(w.landlord, group.ID, "Lease 2026.pdf", lease)
	png := share(alice, group.ID, "leak.png", pngBytes)
	html := share(w.landlord, direct.ID, "notice.html", []byte("<html><script>alert(1)</script></html>"))

	t.Run("MembersDownloadExactBytes", func(t *testing.T) {
		var buf bytes.Buffer
		name, ctype, err := alice.DownloadFile(ctx, pdf.ID, &buf)
		if err != nil || !bytes.Equal(buf.Bytes(), lease) || name != "Lease 2026.pdf" || ctype != "application/octet-stream" {
			t.Fatalf("download = %q %q %v (%d bytes)", name, ctype, err, buf.Len())
		}
		if pdf.ContentType != "application/pdf" || pdf.Size != int64(len(lease)) {
			t.Errorf("record = %+v", pdf)
		}
	})

	t.Run("HeadersKeepContentInert", func(t *testing.T) {
		get := func(id int64) *http.Response {
			req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/files/%d", w.url, id), nil)
			req.Header.Set("Authorization", "Bearer "+w.landlord.Token())
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp
		}
		h := get(html.ID).Header
		if !strings.HasPrefix(h.Get("Content-Disposition"), "attachment;") || h.Get("Content-Type") != "application/octet-stream" ||
			h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("HTML served with %v", h)
		}
		h = get(png.ID).Header
		if !strings.HasPrefix(h.Get("Content-Disposition"), "inline;") || h.Get("Content-Type") != "image/png" || h.Get("ETag") != `"`+png.SHA256+`"` {
			t.Errorf("PNG served with %v", h)
		}
	})

	t.Run("HostileNamesAreSanitised", func(t *testing.T) {
		for in, want := range map[string]string{"../../etc/passwd": "passwd", `C:\Windows\evil.exe`: "evil.exe", "CON.txt": "_CON.txt", "invoice\u202Efdp.exe": "invoicefdp.exe"} {
			f := must[backend.File](t)(w.landlord.UploadFile(ctx, in, strings.NewReader("x")))
			if f.Name != want {
				t.Errorf("%q stored as %q, want %q", in, f.Name, want)
			}
		}
		entries, _ := os.ReadDir(w.filesDir)
		for _, e := range entries {
			if len(e.Name()) != 32 {
				t.Errorf("a file on disk is named %q, not a server-made name", e.Name())
			}
		}
	})

	t.Run("ErrNotFoundForOutsiders", func(t *testing.T) {
		_, _, err := erin.DownloadFile(ctx, pdf.ID, io.Discard)
		wantCode(t, err, backend.ENOTFOUND)
		_, _, err = w.other.DownloadFile(ctx, pdf.ID, io.Discard)
		wantCode(t, err, backend.ENOTFOUND)
		_, _, err = w.asTenant("Zed").DownloadFile(ctx, pdf.ID, io.Discard)
		wantCode(t, err, backend.ENOTFOUND)
		_, err = erin.ConversationFiles(ctx, group.ID)
		wantCode(t, err, backend.ENOTAMEMBER)
		// An uploaded but unshared file is the uploader's alone.
		private := must[backend.File](t)(alice.UploadFile(ctx, "draft.txt", strings.NewReader("draft")))
		_, _, err = w.asTenant("Bob").DownloadFile(ctx, private.ID, io.Discard)
		wantCode(t, err, backend.ENOTFOUND)
		// Nor can it be attached by someone else.
		_, err = w.asTenant("Bob").SendMessage(ctx, group.ID, backend.SendMessage{Key: key(), Text: "look", FileIDs: []int64{private.ID}})
		wantCode(t, err, backend.ENOTFOUND)
	})

	t.Run("ErrMainUserOnly", func(t *testing.T) {
		_, err := w.subUser.UploadFile(ctx, "x.txt", strings.NewReader("x"))
		wantCode(t, err, backend.EMAINUSERONLY)
		_, _, err = w.subUser.DownloadFile(ctx, pdf.ID, io.Discard)
		wantCode(t, err, backend.EMAINUSERONLY)
	})

	t.Run("ErrTooLargeLeavesNothing", func(t *testing.T) {
		before, _ := os.ReadDir(w.filesDir)
		_, err := w.landlord.UploadFile(ctx, "big.bin", bytes.NewReader(make([]byte, 1<<20+1)))
		wantCode(t, err, backend.ETOOLARGE)
		after, _ := os.ReadDir(w.filesDir)
		if len(after) != len(before) {
			t.Errorf("files on disk: %d → %d", len(before), len(after))
		}
		exactly := must[backend.File](t)(w.landlord.UploadFile(ctx, "exact.bin", bytes.NewReader(make([]byte, 1<<20))))
		if exactly.Size != 1<<20 {
			t.Errorf("a file of exactly the limit: %+v", exactly)
		}
	})

	// A reverse proxy (nginx) sends the whole body before it reads the
	// answer: the refusal must reach it, not a connection reset (which it
	// turns into 502), whether the size is known first or found on the way.
	t.Run("ErrTooLargeReachesAClientThatSendsEverythingFirst", func(t *testing.T) {
		for _, chunked := range []bool{false, true} {
			var body bytes.Buffer
			mw := multipart.NewWriter(&body)
			part, _ := mw.CreateFormFile("file", "big.bin")
			part.Write(make([]byte, 24<<20)) // more than the sockets buffer on the way
			mw.Close()
			conn, err := net.Dial("tcp", strings.TrimPrefix(w.url, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			head := "POST /api/v1/files HTTP/1.1\r\nHost: " + strings.TrimPrefix(w.url, "http://") +
				"\r\nAuthorization: Bearer " + w.landlord.Token() + "\r\nContent-Type: " + mw.FormDataContentType() + "\r\n"
			payload := body.Bytes()
			if chunked {
				head += "Transfer-Encoding: chunked\r\n\r\n"
				payload = append(fmt.Appendf(nil, "%x\r\n", len(payload)), append(payload, "\r\n0\r\n\r\n"...)...)
			} else {
				head += fmt.Sprintf("Content-Length: %d\r\n\r\n", len(payload))
			}
			if _, err := conn.Write(append([]byte(head), payload...)); err != nil {
				t.Fatalf("chunked %v: sending the whole body: %v (the server reset the connection before reading it)", chunked, err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("chunked %v: reading the answer: %v", chunked, err)
			}
			answer, _ := io.ReadAll(resp.Body)
			conn.Close()
			if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(answer), backend.ETOOLARGE) {
				t.Errorf("chunked %v: %d %s, want 413 too_large", chunked, resp.StatusCode, answer)
			}
		}
	})

	t.Run("ErrNotMultipart", func(t *testing.T) {
		req, _ := http.NewRequest("POST", w.url+"/api/v1/files", strings.NewReader("raw bytes"))
		req.Header.Set("Authorization", "Bearer "+w.landlord.Token())
		req.Header.Set("Content-Type", "application/octet-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(string(body), backend.EINVALID) {
			t.Errorf("status %d %s", resp.StatusCode, body)
		}
	})

	t.Run("ViewFilesNewestFirst", func(t *testing.T) {
		list := must[[]backend.SharedFile](t)(alice.ConversationFiles(ctx, group.ID))
		if len(list) != 2 || list[0].ID != png.ID || list[1].ID != pdf.ID || list[0].SharedBy.Name != "Alice" || list[1].Seq >= list[0].Seq {
			t.Errorf("View Files = %+v", list)
		}
	})

	t.Run("LeaseEndStopsSharing", func(t *testing.T) {
		w.setDate("2027-01-02")
		w.landlord = w.signIn("landlord@a.test")
		alice = w.asTenant("Alice")
		later := must[backend.File](t)(w.landlord.UploadFile(ctx, "after.pdf", strings.NewReader("%PDF-1.4 later")))
		_, err := w.landlord.SendMessage(ctx, group.ID, backend.SendMessage{Key: key(), FileIDs: []int64{later.ID}})
		wantCode(t, err, backend.ETENANTNOTACTIVE) // no one of the unit could receive it
		_, err = alice.UploadFile(ctx, "x.txt", strings.NewReader("x"))
		wantCode(t, err, backend.ETENANTNOTACTIVE)
		_, _, err = alice.DownloadFile(ctx, later.ID, io.Discard)
		wantCode(t, err, backend.ENOTFOUND)
		if _, _, err := alice.DownloadFile(ctx, pdf.ID, io.Discard); err != nil {
			t.Errorf("a file from before the lease ended: %v", err)
		}
	})
}
