package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"doorstep/app/cache"
	"doorstep/backend"
	"doorstep/backend/demo"
	"doorstep/backend/evidence"
	"doorstep/backend/servertest"
	"doorstep/internal/wait"
)

// emitted records the events the services send the UI.
type emitted struct {
	mu     sync.Mutex
	events []any
}

func (e *emitted) emit(name string, data any) {
	if name == EventExportVerified {
		e.mu.Lock()
		e.events = append(e.events, data)
		e.mu.Unlock()
	}
}

func (e *emitted) outcomes() []VerifyOutcome {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []VerifyOutcome
	for _, ev := range e.events {
		out = append(out, ev.(VerifyOutcome))
	}
	return out
}

// TestExportThroughTheServer exports a conversation with files from a
// real server, online (signed now, every file downloaded) and then offline
// (the kept signature, a file that was never downloaded missing), and
// checks both as the desktop does: by the dialog, and by a drop on the
// window.
func TestExportThroughTheServer(t *testing.T) {
	t.Parallel()
	s := servertest.StartDemo(t)
	ctx := context.Background()
	landlord, _ := s.Landlord(t)
	list, _ := landlord.Conversations(ctx)
	conv := list[0]
	photo := pngBytes(t)
	lease := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("lease terms\n"), 300)...)
	up1, err := landlord.UploadFile(ctx, "leak.png", bytes.NewReader(photo))
	if err != nil {
		t.Fatal(err)
	}
	up2, err := landlord.UploadFile(ctx, "lease.pdf", bytes.NewReader(lease))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := landlord.SendMessage(ctx, conv.ID, backend.SendMessage{Key: "export-photo-1", Text: "The leak, and your lease", FileIDs: []int64{up1.ID, up2.ID}}); err != nil {
		t.Fatal(err)
	}
	sent, _ := landlord.Messages(ctx, conv.ID, backend.MessagePage{Limit: 1})
	last := sent[0]

	ev := &emitted{}
	a := NewAccountService(Config{ServerURL: s.URL}, &Lifecycle{}, &memKeys{m: map[string]string{}}, t.TempDir(), ev.emit, quiet)
	t.Cleanup(a.shutdown)
	if _, err := a.SignIn(s.URL, demo.LandlordEmail, demo.Password); err != nil {
		t.Fatal(err)
	}
	wait.For(t, "the conversation and its newest message are cached, with its hash", func() bool {
		convs, _ := NewConversationService(a).Conversations()
		th, _ := NewConversationService(a).Thread(conv.ID, 0)
		n := len(th.Messages)
		return slices.ContainsFunc(convs, func(c backend.Conversation) bool { return c.ID == conv.ID }) &&
			n > 0 && th.Messages[n-1].Seq == last.Seq && th.Messages[n-1].Hash == last.Hash
	})
	files := NewFileService(a)
	exports := NewExportService(a, files)
	var dests []string
	exports.SaveDialog = func(title, dir, name string) (string, error) {
		// The title says how to have a folder instead: the name offered
		// ends in .zip, and nothing else in the dialog tells.
		want := `Export conversation (for a folder instead of a .zip, remove ".zip" from the name)`
		if len(dests) == 2 {
			want = strings.Replace(want, "Export conversation", "Export all conversations", 1)
		}
		if title != want || !strings.HasSuffix(name, ".zip") {
			t.Errorf("dialog %q offering %q", title, name)
		}
		dest := filepath.Join(t.TempDir(), name)
		if len(dests)%2 == 1 {
			dest = strings.TrimSuffix(dest, ".zip") // a folder
		}
		dests = append(dests, dest)
		return dest, nil
	}

	online, err := exports.ExportConversation(conv.ID)
	if err != nil {
		t.Fatal(err)
	}
	if online.Messages != int(last.Seq) || online.Files != 2 || len(online.Notes) != 0 || !strings.HasPrefix(online.Sentence, "Exported ") {
		t.Errorf("online export: %+v", online)
	}
	exports.OpenDialog = func(string) (string, error) { return online.Path, nil }
	checked, err := exports.VerifyExport()
	if err != nil || checked.Report == nil {
		t.Fatalf("verify: %+v %v", checked, err)
	}
	key, _ := landlord.ServerKey(ctx)
	r := checked.Report
	if !r.Intact || !r.Signed || !r.KeyTrusted || r.Fingerprint != key.Fingerprint || r.Files != 2 {
		t.Errorf("the online export: %+v", r)
	}

	// Offline: the photo was downloaded by the export above and is kept;
	// the lease is forgotten, so it cannot be had.
	os.Remove(filepath.Join(a.dataDir, "downloads", up2.SHA256))
	s.Stop()
	offline, err := exports.ExportConversation(conv.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := "1 file was not on this computer and the server could not be reached: lease.pdf."
	if !slices.Contains(offline.Notes, want) || offline.Files != 1 || offline.Messages != int(last.Seq) {
		t.Errorf("offline export: %+v", offline)
	}
	if !slices.ContainsFunc(offline.Notes, func(n string) bool { return strings.Contains(n, "the newest signature this computer had") }) {
		t.Errorf("the kept signature is not said: %q", offline.Notes)
	}
	r = exports.verify(offline.Path).Report
	if r == nil || !r.Intact || !r.Signed || !slices.Contains(r.Notes, want) {
		t.Errorf("the offline export: %+v", r)
	}

	// Every conversation with the conversation's first tenant, offline too.
	all, err := exports.ExportTenant(conv.Members[0].ID)
	if err != nil || all.Conversations < 1 {
		t.Fatalf("tenant export: %+v %v", all, err)
	}
	if r := exports.verify(all.Path).Report; r == nil || !r.Intact || len(r.Conversations) != all.Conversations {
		t.Errorf("the tenant export: %+v", r)
	}

	// Dropped on the window: an export is checked, anything else attached.
	var attached [][]string
	drop := ExportDropHandler(exports, func(_, _ int, paths []string) { attached = append(attached, paths) })
	drop(0, 0, []string{online.Path})
	other := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(other, []byte("not an export"), 0o600)
	drop(0, 0, []string{other})
	drop(0, 0, []string{online.Path, other})
	wait.For(t, "the dropped export's check", func() bool { return len(ev.outcomes()) == 1 })
	if o := ev.outcomes()[0]; o.Report == nil || !o.Report.Intact || o.Name != filepath.Base(online.Path) {
		t.Errorf("dropped export: %+v", o)
	}
	if len(attached) != 2 || attached[0][0] != other || len(attached[1]) != 2 {
		t.Errorf("attached %q", attached)
	}

	// The same .zip handed over as bytes (a plain browser), then with one
	// message changed.
	hand := func(name string, body []byte) (DroppedFile, error) {
		id, err := exports.BeginDroppedFile(name)
		if err != nil {
			return DroppedFile{}, err
		}
		for len(body) > 0 {
			n := min(len(body), 7000)
			if err := exports.AppendDroppedFile(id, base64.StdEncoding.EncodeToString(body[:n])); err != nil {
				return DroppedFile{}, err
			}
			body = body[n:]
		}
		return exports.VerifyDroppedFile(id)
	}
	zipped, _ := os.ReadFile(online.Path)
	got, err := hand("export.zip", zipped)
	if err != nil || !got.Export || got.Outcome.Report == nil || !got.Outcome.Report.Intact {
		t.Errorf("dropped bytes: %+v %v", got, err)
	}
	got, err = hand("notes.txt", []byte("hello"))
	if err != nil || got.Export {
		t.Errorf("a plain file taken for an export: %+v %v", got, err)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(a.dataDir, ".dropped-export-*")); len(leftovers) != 0 {
		t.Errorf("dropped files left behind: %q", leftovers)
	}
	folder := offline.Path // the second export was written as a folder
	b, _ := os.ReadFile(filepath.Join(folder, evidence.MessagesName))
	os.WriteFile(filepath.Join(folder, evidence.MessagesName), bytes.Replace(b, []byte("The leak, and your lease"), []byte("The leak, and no lease"), 1), 0o644)
	tampered := exports.verify(folder).Report
	if tampered == nil || tampered.Intact || !slices.ContainsFunc(tampered.Problems, func(p evidence.Problem) bool {
		return p.Seq == last.Seq && p.What == backend.ChainChanged && p.Text == fmt.Sprintf("Message %d: %s", last.Seq, backend.ChainChanged)
	}) {
		t.Errorf("tampered: %+v", tampered)
	}
}

// TestExportOfflineSaysTenantRecordMissing: offline, on a device that
// never had a group member's record, the export says so (the screen's
// notes, the manifest, HOW-TO-VERIFY.txt) rather than show no lease for
// them in silence; the other members' leases come from the directory kept.
func TestExportOfflineSaysTenantRecordMissing(t *testing.T) {
	t.Parallel()
	s := servertest.StartDemo(t)
	a := withTemplatesSynced(t, s.URL)
	group := conversationTitled(t, a, "Maple Court · 2B")
	forget(t, a, "Emily Chen")
	s.Stop()
	wait.For(t, "offline", func() bool { st, _ := a.State(); return st.Sync.State == "offline" })

	exports := NewExportService(a, NewFileService(a))
	exports.SaveDialog = func(_, _, name string) (string, error) {
		return filepath.Join(t.TempDir(), strings.TrimSuffix(name, ".zip")), nil
	}
	got, err := exports.ExportConversation(group.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := "Maple Court · 2B: the tenant record of Emily Chen was not on this computer and could not be had from the server, so the documents do not show their property, unit and lease."
	if !slices.Contains(got.Notes, want) {
		t.Errorf("the screen's notes %q lack %q", got.Notes, want)
	}
	var m evidence.Manifest
	b, _ := os.ReadFile(filepath.Join(got.Path, evidence.ManifestName))
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tn := range m.Conversations[0].Tenants {
		names = append(names, tn.Name)
		if len(tn.Leases) == 0 {
			t.Errorf("%s has no lease in the export", tn.Name)
		}
	}
	slices.Sort(names)
	if !slices.Contains(m.Missing, want) || !slices.Equal(names, []string{"Daniel Park", "Sofia Rossi"}) {
		t.Errorf("manifest: missing %q, tenants %q", m.Missing, names)
	}
	howto, _ := os.ReadFile(filepath.Join(got.Path, evidence.HowToName))
	if !strings.Contains(string(howto), want) {
		t.Errorf("HOW-TO-VERIFY.txt does not say it")
	}
	if r := exports.verify(got.Path).Report; r == nil || !r.Intact || !slices.Contains(r.Notes, want) {
		t.Errorf("check: %+v", r)
	}
}

// pngBytes is a small real PNG photo.
func pngBytes(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := range 48 {
		for x := range 64 {
			img.Set(x, y, color.RGBA{R: uint8(x * 4), G: 90, B: uint8(y * 5), A: 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestKeptHashes: a check of an export compares its messages with the
// hashes this computer keeps, for its own server's conversations only.
func TestKeptHashes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cc, err := cache.Open(ctx, filepath.Join(t.TempDir(), "cache.db"), "test")
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	cc.AdoptServer(ctx, "srv-1")
	m := backend.Message{ID: 1, ConversationID: 5, Seq: 1, Sender: backend.Sender{Kind: backend.KindTenant, ID: 7, Name: "Alice"}, Text: "hi", Key: "kept-0001", Hash: "ab12"}
	bare := m
	bare.ID, bare.Seq, bare.Key, bare.Hash = 2, 2, "kept-0002", ""
	if err := cc.PutMessages(ctx, []backend.Message{m, bare}); err != nil {
		t.Fatal(err)
	}
	kept := keptHashes(ctx, cc)
	if h, ok := kept("srv-1", 5, 1); !ok || h != "ab12" {
		t.Errorf("kept hash of message 1: %q %v", h, ok)
	}
	if _, ok := kept("srv-1", 5, 2); ok {
		t.Error("a message kept without its hash was given one")
	}
	if _, ok := kept("srv-2", 5, 1); ok {
		t.Error("another server's export was compared with this one's messages")
	}
	if _, ok := kept("srv-1", 6, 1); ok {
		t.Error("a conversation not kept here was compared")
	}
}
