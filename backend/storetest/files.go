package storetest

import (
	"fmt"
	"testing"

	"doorstep/backend"
)

// upload records a file uploaded by p, or fails the test.
func (w *world) upload(p backend.Principal, name string) backend.File {
	w.t.Helper()
	f, err := w.s.CreateFile(w.ctx, p, backend.NewFile{Name: name, Size: int64(len(name)), SHA256: fmt.Sprintf("%064x", len(name)),
		ContentType: "text/plain; charset=utf-8", StorageName: fmt.Sprintf("stored-%s-%d", name, w.keys.Add(1))})
	if err != nil {
		w.t.Fatalf("upload %s: %v", name, err)
	}
	return f
}

// sendFiles sends text with files as p, or fails the test.
func (w *world) sendFiles(p backend.Principal, convID int64, text string, files ...backend.File) backend.Message {
	w.t.Helper()
	req := backend.SendMessage{Key: w.key(), Text: text}
	for _, f := range files {
		req.FileIDs = append(req.FileIDs, f.ID)
	}
	m, err := w.s.SendMessage(w.ctx, p, convID, req)
	if err != nil {
		w.t.Fatalf("send %q with files: %v", text, err)
	}
	return m
}

// testFiles: uploaded files are recorded with their uploader, travel with
// messages, and may be fetched by the landlord, their uploader and the
// members of a conversation they were shared in, by nobody else.
func testFiles(t *testing.T, w *world) {
	g := w.group("1A")
	alice, bob, erin := w.tenant("Alice"), w.tenant("Bob"), w.tenant("Erin")

	lease := w.upload(w.landlord, "lease.pdf")
	if lease.ID == 0 || lease.Uploader != (backend.Sender{Kind: backend.KindUser, ID: w.landlord.ID, Name: "Pat Landlord"}) ||
		!lease.CreatedAt.Equal(w.clock()) || lease.Name != "lease.pdf" {
		t.Fatalf("file = %+v", lease)
	}
	photo := w.upload(alice, "leak.jpg")

	w.run(t, "UploaderAndLandlordFetchBeforeSharing", func(t *testing.T) {
		f, storage, err := w.s.FileForDownload(w.ctx, alice, photo.ID)
		if err != nil || f.ID != photo.ID || storage == "" {
			t.Errorf("Alice fetching her upload: %+v %q %v", f, storage, err)
		}
		if _, _, err := w.s.FileForDownload(w.ctx, w.landlord, photo.ID); err != nil {
			t.Errorf("the landlord fetching Alice's upload: %v", err)
		}
		_, _, err = w.s.FileForDownload(w.ctx, bob, photo.ID)
		wantRefusal(t, err, backend.ENOTFOUND, "There is no such file.")
	})

	w.run(t, "ErrAttachingSomeoneElsesFile", func(t *testing.T) {
		_, err := w.s.SendMessage(w.ctx, bob, g.ID, backend.SendMessage{Key: w.key(), Text: "mine?", FileIDs: []int64{photo.ID}})
		wantRefusal(t, err, backend.ENOTFOUND, fmt.Sprintf("File %d is not one you uploaded.", photo.ID))
	})

	m := w.sendFiles(alice, g.ID, "the leak", photo)
	w.sendFiles(w.landlord, g.ID, "your lease", lease)

	w.run(t, "FilesTravelWithTheMessage", func(t *testing.T) {
		if len(m.Files) != 1 || m.Files[0].ID != photo.ID || m.Files[0].Uploader.Name != "Alice" {
			t.Errorf("sent message files = %+v", m.Files)
		}
		got := must[[]backend.Message](t)(w.s.Messages(w.ctx, bob, g.ID, backend.MessagePage{}))
		if len(got) != 2 || len(got[0].Files) != 1 || got[0].Files[0] != m.Files[0] {
			t.Errorf("read back: %+v, want the file as sent %+v", got, m.Files)
		}
	})

	w.run(t, "MembersFetchSharedFiles", func(t *testing.T) {
		for _, p := range []backend.Principal{bob, w.landlord} {
			if _, _, err := w.s.FileForDownload(w.ctx, p, photo.ID); err != nil {
				t.Errorf("%s fetching a file shared with them: %v", p.Name, err)
			}
		}
		for _, p := range []backend.Principal{erin, w.other, w.tenant("Zed")} {
			_, _, err := w.s.FileForDownload(w.ctx, p, photo.ID)
			wantCode(t, err, backend.ENOTFOUND)
		}
		_, _, err := w.s.FileForDownload(w.ctx, w.subUser, photo.ID)
		wantCode(t, err, backend.EMAINUSERONLY)
	})

	w.run(t, "ViewFilesNewestFirst", func(t *testing.T) {
		files := must[[]backend.SharedFile](t)(w.s.ConversationFiles(w.ctx, bob, g.ID))
		if len(files) != 2 || files[0].ID != lease.ID || files[1].ID != photo.ID || files[1].Seq != m.Seq ||
			files[1].MessageID != m.ID || files[1].SharedBy.Name != "Alice" || !files[1].SharedAt.Equal(m.CreatedAt) {
			t.Errorf("shared files = %+v", files)
		}
		_, err := w.s.ConversationFiles(w.ctx, erin, g.ID)
		wantCode(t, err, backend.ENOTAMEMBER)
		direct := w.start(backend.StartConversation{TenantID: w.tenants["Erin"]})
		if none := must[[]backend.SharedFile](t)(w.s.ConversationFiles(w.ctx, erin, direct.ID)); none == nil || len(none) != 0 {
			t.Errorf("files of a chat with none = %#v, want an empty list", none)
		}
	})

	w.run(t, "WhoMayUpload", func(t *testing.T) {
		for _, p := range []backend.Principal{w.landlord, alice, erin} {
			if err := w.s.CanUpload(w.ctx, p); err != nil {
				t.Errorf("%s may not upload: %v", p.Name, err)
			}
		}
		wantCode(t, w.s.CanUpload(w.ctx, w.subUser), backend.EMAINUSERONLY)
		_, err := w.s.CreateFile(w.ctx, w.subUser, backend.NewFile{Name: "x", StorageName: "x"})
		wantCode(t, err, backend.EMAINUSERONLY)
		// Carol's lease ended and she is in no chat.
		wantRefusal(t, w.s.CanUpload(w.ctx, w.tenant("Carol")), backend.ETENANTNOTACTIVE,
			"Your lease is no longer active, so you cannot share files.")
	})
}
