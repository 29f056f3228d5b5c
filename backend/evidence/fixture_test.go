package evidence_test

import (
	"archive/zip"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"doorstep/backend"
	"doorstep/backend/evidence"
	"doorstep/internal/pdf"
)

// The conversation the tests export: a landlord and Maria Garcia, with
// text in several scripts, text that would be markup, an urgent message,
// photos (two with one name), a file whose name hides its extension, and
// a photo that was not on this computer.

var (
	exportedAt = time.Date(2026, 11, 28, 20, 2, 5, 0, time.UTC)
	chicago    = mustZone("America/Chicago")
	landlord   = backend.Sender{Kind: backend.KindUser, ID: 1, Name: "Pat Morgan"}
	maria      = backend.Sender{Kind: backend.KindTenant, ID: 3, Name: "Maria Garcia"}
)

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.FixedZone("CST", -6*3600)
	}
	return loc
}

// fixture is an export's input with the server's key, and where its files are.
type fixture struct {
	in      evidence.Input
	pub     ed25519.PublicKey
	key     ed25519.PrivateKey
	dir     string
	missing string // the name of the file left out
}

// sharedFile writes body as a local file and returns it as a message shares it.
func (f *fixture) sharedFile(t testing.TB, name, contentType string, body []byte) backend.File {
	t.Helper()
	sum := sha256.Sum256(body)
	h := hex.EncodeToString(sum[:])
	path := filepath.Join(f.dir, h)
	if err := os.WriteFile(path, body, 0o600); err != nil {
		t.Fatal(err)
	}
	c := &f.in.Conversations[0]
	if c.Files == nil {
		c.Files = map[string]string{}
	}
	c.Files[h] = path
	return backend.File{Name: name, Size: int64(len(body)), SHA256: h, ContentType: contentType}
}

func pngImage(t testing.TB, w, h int, tint uint8) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{R: tint, G: uint8(x * 255 / w), B: uint8(y * 255 / h), A: 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func jpegImage(t testing.TB, w, h int, tint uint8) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{R: uint8(x * 255 / w), G: tint, B: 120, A: 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// chain records each message's hash, as the server does when it stores it.
func chain(msgs []backend.Message) []backend.Message {
	var prev []byte
	for i := range msgs {
		prev = backend.ChainHash(prev, msgs[i])
		msgs[i].Hash = hex.EncodeToString(prev)
	}
	return msgs
}

// sign signs the head of msgs at seq with key, as the server does.
func sign(key ed25519.PrivateKey, convID int64, msgs []backend.Message, seq int64, at time.Time) *backend.SignedHead {
	head := ""
	for _, m := range msgs {
		if m.Seq == seq {
			head = m.Hash
		}
	}
	s := backend.SignHead(backend.HeadStatement{ServerID: "srv-7f3a", ConversationID: convID, Seq: seq, Head: head, SignedAt: at}, key)
	return &s
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	pub, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{pub: pub, key: key, dir: t.TempDir(), missing: "inspection.jpg"}
	conv := backend.Conversation{ID: 12, Kind: backend.ConversationDirect, Title: "Maria Garcia", TenantID: 3,
		Members: []backend.TenantRef{{ID: 3, Name: "Maria Garcia"}}, Place: "Maple Court · 2B"}
	f.in = evidence.Input{
		Organisation: "Maple Street Rentals", Exporter: "Pat Morgan", ExportedAt: exportedAt, Location: chicago,
		Server: evidence.ServerFromKey("srv-7f3a", base64.StdEncoding.EncodeToString(pub)),
		Conversations: []evidence.Conversation{{Conversation: conv, Signature: evidence.SignedNow,
			Tenants: []backend.TenantRecord{{ID: 3, Name: "Maria Garcia", Leases: []backend.Lease{{UnitID: 4, UnitName: "2B",
				PropertyName: "Maple Court", Address: "12 Maple St", Start: "2025-01-01", End: "2026-12-31"}}}},
			Missing: map[string]evidence.MissingReason{}}},
	}
	leak := f.sharedFile(t, "leak.png", "image/png", pngImage(t, 320, 200, 40))
	receipt := f.sharedFile(t, "receipt.txt", "text/plain", []byte("Deposit received: 1,250.00\n"))
	lease := f.sharedFile(t, "../../Lease\u202Efdp.exe", "application/pdf", []byte("%PDF-1.4 the lease"))
	photo1 := f.sharedFile(t, "photo.jpg", "image/jpeg", jpegImage(t, 400, 300, 30))
	photo2 := f.sharedFile(t, "Photo.JPG", "image/jpeg", jpegImage(t, 300, 400, 200))
	gone := backend.File{Name: f.missing, Size: 2048, SHA256: strings.Repeat("ab", 32), ContentType: "image/jpeg"}
	f.in.Conversations[0].Missing[gone.SHA256] = evidence.MissingOffline

	at := time.Date(2026, 11, 2, 15, 30, 0, 123456789, time.UTC)
	texts := []struct {
		from   backend.Sender
		text   string
		files  []backend.File
		urgent bool
	}{
		{landlord, "Hello Maria,\nthe inspection is on Monday at 10.", nil, false},
		{maria, "Leak in the café! Water under the sink.", []backend.File{leak}, true},
		{landlord, `<script>alert(1)</script> " onmouseover="alert(2)" <img src=x onerror=alert(3)>`, nil, false},
		{maria, "Привет! שלום, the deposit (1,250) is paid 👍", []backend.File{receipt, lease}, false},
		{maria, "Two photos of the wall", []backend.File{photo1, photo2}, false},
		{landlord, "Here is the inspection photo.", []backend.File{gone}, false},
		{maria, "Thank you.", nil, false},
		{landlord, "The deposit will be returned by the 15th.", nil, false},
		{maria, "Text with an override: invoice\u202Egpj.exe", nil, false},
		{landlord, "Photo again", []backend.File{leak}, false},
	}
	var msgs []backend.Message
	for i, m := range texts {
		msgs = append(msgs, backend.Message{ID: int64(100 + i), ConversationID: conv.ID, Seq: int64(i + 1), Sender: m.from,
			Text: m.text, Files: m.files, Urgent: m.urgent, CreatedAt: at.Add(time.Duration(i) * 37 * time.Minute)})
	}
	c := &f.in.Conversations[0]
	c.Messages = chain(msgs)
	c.Signed = sign(key, conv.ID, c.Messages, 10, exportedAt.Add(-time.Second))
	return f
}

// write exports f at dest and fails the test if it cannot.
func (f *fixture) write(t testing.TB, dest string) evidence.Summary {
	t.Helper()
	sum, err := evidence.Write(dest, f.in, pdf.Render)
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	return sum
}

// check verifies the export at path with the server's key known.
func (f *fixture) check(t testing.TB, path string) evidence.Report {
	t.Helper()
	r, err := evidence.Verifier{Trusted: f.pub, TrustedServer: "srv-7f3a", PDF: pdf.Render}.Verify(path)
	if err != nil {
		t.Fatalf("verify %s: %v", path, err)
	}
	return r
}

// copyDir copies an export folder, for a copy to tamper with.
func copyDir(t testing.TB, from string) string {
	t.Helper()
	to := filepath.Join(t.TempDir(), "copy")
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return to
}

func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func writeJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// relist makes the manifest agree with the files as they are now: what a
// forger does after changing one, so that only what is signed can tell.
func relist(t testing.TB, dir string) {
	t.Helper()
	var m evidence.Manifest
	readJSON(t, filepath.Join(dir, evidence.ManifestName), &m)
	for i, f := range m.Files {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
		if err != nil {
			continue
		}
		sum := sha256.Sum256(b)
		m.Files[i].SHA256, m.Files[i].Size = hex.EncodeToString(sum[:]), int64(len(b))
	}
	writeJSON(t, filepath.Join(dir, evidence.ManifestName), m)
}

// rezip copies the zip at from to a new zip, each entry's bytes through
// edit (nil drops the entry), then adds extra entries.
func rezip(t testing.TB, from string, edit func(name string, b []byte) []byte, extra map[string][]byte) string {
	t.Helper()
	zr, err := zip.OpenReader(from)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	to := filepath.Join(t.TempDir(), "tampered.zip")
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(out)
	put := func(name string, b []byte) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if edit != nil {
			b = edit(f.Name, b)
		}
		if b != nil {
			put(f.Name, b)
		}
	}
	for name, b := range extra {
		put(name, b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	out.Close()
	return to
}
