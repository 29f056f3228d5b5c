package evidence_test

import (
	"archive/zip"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"doorstep/backend"
	"doorstep/backend/evidence"
	"doorstep/internal/pdf"
)

// found is a problem as the tests look for it: where, and what.
type found struct {
	seq  int64
	file string
	what string
}

func problems(r evidence.Report) []found {
	var out []found
	for _, p := range r.Problems {
		out = append(out, found{p.Seq, p.File, p.What})
	}
	return out
}

func TestExportIsIntactAsAFolderAndAZip(t *testing.T) {
	f := newFixture(t)
	for _, name := range []string{"Maria Garcia", "Maria Garcia.zip"} {
		t.Run(name, func(t *testing.T) {
			dest := filepath.Join(t.TempDir(), name)
			sum := f.write(t, dest)
			if sum.Messages != 10 || sum.Conversations != 1 {
				t.Errorf("summary %+v", sum)
			}
			want := []string{"1 file was not on this computer and the server could not be reached: inspection.jpg."}
			if !slices.Equal(sum.Missing, want) {
				t.Errorf("missing = %q, want %q", sum.Missing, want)
			}
			r := f.check(t, dest)
			if !r.Intact || !r.Signed || !r.KeyTrusted {
				t.Fatalf("report: %+v", r)
			}
			// Five distinct files are in it (leak.png is shared twice),
			// the sixth was not on this computer.
			wantSummary := "Intact: 10 messages, 5 files, signed by server " + f.in.Server.Fingerprint + " on 2026-11-28 20:02 UTC."
			if r.Summary != wantSummary {
				t.Errorf("summary %q\n want %q", r.Summary, wantSummary)
			}
			if !slices.ContainsFunc(r.Notes, func(n string) bool { return strings.Contains(n, "inspection.jpg") }) {
				t.Errorf("the missing file is not in the notes: %q", r.Notes)
			}
		})
	}
}

func TestExportLayout(t *testing.T) {
	f := newFixture(t)
	dest := filepath.Join(t.TempDir(), "export")
	f.write(t, dest)
	var names []string
	filepath.WalkDir(dest, func(p string, d os.DirEntry, err error) error {
		if !d.IsDir() {
			rel, _ := filepath.Rel(dest, p)
			names = append(names, filepath.ToSlash(rel))
		}
		return nil
	})
	slices.Sort(names)
	// Names made safe and unique, without case ("Photo.JPG" would be the
	// same file as "photo.jpg" on Windows and macOS).
	want := []string{"HOW-TO-VERIFY.txt", "conversation.html", "conversation.pdf", "files/Leasefdp.exe", "files/Photo (2).JPG",
		"files/leak.png", "files/photo.jpg", "files/receipt.txt", "manifest.json", "messages.json"}
	if !slices.Equal(names, want) {
		t.Errorf("files:\n %q\nwant\n %q", names, want)
	}
	var m evidence.Manifest
	readJSON(t, filepath.Join(dest, evidence.ManifestName), &m)
	if len(m.Files) != len(want)-1 || m.Exporter != "Pat Morgan" || m.Server.Fingerprint == "" || m.Conversations[0].SignedHead == nil {
		t.Errorf("manifest: %+v", m)
	}
	var msgs evidence.Messages
	readJSON(t, filepath.Join(dest, evidence.MessagesName), &msgs)
	r := msgs.Messages[1]
	if r.Time != "2026-11-02T16:07:00.123456789Z" || r.ShownTime != "2026-11-02 10:07:00 -06:00" || r.Sender.Name != "Maria Garcia" || !r.Urgent ||
		r.Files[0].Path != "files/leak.png" || r.Hash == "" {
		t.Errorf("record: %+v", r)
	}
	if msgs.Messages[5].Files[0].Path != "" {
		t.Errorf("the missing file has a path: %+v", msgs.Messages[5].Files[0])
	}
	if _, err := evidence.Write(dest, f.in, pdf.Render); !errors.Is(err, evidence.ErrDestinationTaken) {
		t.Errorf("writing over an export: %v", err)
	}
}

// TestTamperingIsPinpointed changes an export the ways a dispute might
// tempt someone to, each on a fresh copy, and checks that the check finds
// it and says where: which message by its number, which file by its name.
func TestTamperingIsPinpointed(t *testing.T) {
	f := newFixture(t)
	original := filepath.Join(t.TempDir(), "export")
	f.write(t, original)
	editMessages := func(dir string, edit func(*evidence.Messages)) {
		var m evidence.Messages
		readJSON(t, filepath.Join(dir, evidence.MessagesName), &m)
		edit(&m)
		writeJSON(t, filepath.Join(dir, evidence.MessagesName), m)
	}
	var mm evidence.Messages
	readJSON(t, filepath.Join(original, evidence.MessagesName), &mm)
	photo := mm.Messages[4].Files[0].SHA256 // files/photo.jpg's

	for _, tc := range []struct {
		name   string
		tamper func(dir string)
		want   []found
	}{
		{"one byte of a message's text", func(dir string) {
			b, _ := os.ReadFile(filepath.Join(dir, evidence.MessagesName))
			b = bytes.Replace(b, []byte("returned by the 15th"), []byte("returned by the 25th"), 1)
			os.WriteFile(filepath.Join(dir, evidence.MessagesName), b, 0o644)
		}, []found{{8, "", backend.ChainChanged}, {0, "messages.json", "This file was changed after the export: its SHA-256 is not the one the manifest records."}}},
		{"one byte of a message, the manifest made to agree", func(dir string) {
			editMessages(dir, func(m *evidence.Messages) { m.Messages[7].Text = "The deposit will be returned by the 25th." })
			relist(t, dir)
		}, []found{{8, "", backend.ChainChanged}}},
		{"one byte of a shared photo", func(dir string) {
			b, _ := os.ReadFile(filepath.Join(dir, "files/photo.jpg"))
			b[len(b)/2] ^= 1
			os.WriteFile(filepath.Join(dir, "files/photo.jpg"), b, 0o644)
		}, []found{{0, "files/photo.jpg", "This is not the file message 5 shared: its SHA-256 differs from the one the message records."}}},
		{"a photo replaced, the manifest made to agree", func(dir string) {
			os.WriteFile(filepath.Join(dir, "files/photo.jpg"), jpegImage(t, 40, 30, 99), 0o644)
			relist(t, dir)
		}, []found{{0, "files/photo.jpg", "This is not the file message 5 shared: its SHA-256 differs from the one the message records."}}},
		{"a photo and its hash in the message changed, the manifest made to agree", func(dir string) {
			other := jpegImage(t, 40, 30, 99)
			os.WriteFile(filepath.Join(dir, "files/photo.jpg"), other, 0o644)
			editMessages(dir, func(m *evidence.Messages) {
				for i, fl := range m.Messages[4].Files {
					if fl.SHA256 == photo {
						m.Messages[4].Files[i].SHA256 = sha(other)
						m.Messages[4].Files[i].Size = int64(len(other))
					}
				}
			})
			relist(t, dir)
		}, []found{{5, "", backend.ChainChanged}}},
		{"a message deleted", func(dir string) {
			editMessages(dir, func(m *evidence.Messages) { m.Messages = slices.Delete(m.Messages, 3, 4) })
			relist(t, dir)
		}, []found{{0, "manifest.json", "The manifest counts 10 messages up to message 10; messages.json holds 9 up to message 10."}, {4, "", backend.ChainMissing(4, 4)}}},
		{"the last message deleted", func(dir string) {
			editMessages(dir, func(m *evidence.Messages) { m.Messages = m.Messages[:9] })
			relist(t, dir)
		}, []found{{0, "manifest.json", "The manifest counts 10 messages up to message 10; messages.json holds 9 up to message 9."},
			{0, "manifest.json", "The chain's head in the manifest is not the hash recorded with the last message."},
			{10, "", backend.ChainShorterThanS}}},
		{"two messages swapped", func(dir string) {
			// What was said, by whom and when, in each other's place.
			editMessages(dir, func(m *evidence.Messages) {
				a, b := &m.Messages[6], &m.Messages[7]
				a.Sender, b.Sender = b.Sender, a.Sender
				a.Text, b.Text = b.Text, a.Text
				a.Time, b.Time = b.Time, a.Time
				a.ShownTime, b.ShownTime = b.ShownTime, a.ShownTime
			})
			relist(t, dir)
		}, []found{{7, "", backend.ChainChanged}, {8, "", backend.ChainChanged}}},
		{"two messages renumbered, each with its hash", func(dir string) {
			// The hashes move with the messages: the one after them no
			// longer follows the hash before it either.
			editMessages(dir, func(m *evidence.Messages) {
				m.Messages[6].Seq, m.Messages[7].Seq = m.Messages[7].Seq, m.Messages[6].Seq
			})
			relist(t, dir)
		}, []found{{7, "", backend.ChainChanged}, {8, "", backend.ChainChanged}, {9, "", backend.ChainChanged}}},
		{"a message's time shown otherwise", func(dir string) {
			editMessages(dir, func(m *evidence.Messages) { m.Messages[2].ShownTime = "2026-11-03 10:00:00 -06:00" })
			relist(t, dir)
		}, []found{{3, "", "This message's time as shown (2026-11-03 10:00:00 -06:00) is not the time it was sent."}}},
		{"the page redrawn to say something else, the manifest made to agree", func(dir string) {
			b, _ := os.ReadFile(filepath.Join(dir, evidence.HTMLName))
			os.WriteFile(filepath.Join(dir, evidence.HTMLName), bytes.Replace(b, []byte("15th"), []byte("25th"), 1), 0o644)
			relist(t, dir)
		}, []found{{0, "conversation.html", "This document does not show what messages.json and the manifest hold: it was changed, and the manifest with it."}}},
		{"the PDF changed, the manifest made to agree", func(dir string) {
			b, _ := os.ReadFile(filepath.Join(dir, evidence.PDFName))
			os.WriteFile(filepath.Join(dir, evidence.PDFName), append(b, "% appended\n"...), 0o644)
			relist(t, dir)
		}, []found{{0, "conversation.pdf", "This document does not show what messages.json and the manifest hold: it was changed, and the manifest with it."}}},
		{"a file deleted", func(dir string) {
			os.Remove(filepath.Join(dir, "files/receipt.txt"))
		}, []found{{0, "files/receipt.txt", "Message 4 shares this file, but it is not in the export."}}},
		{"a file added", func(dir string) {
			os.WriteFile(filepath.Join(dir, "files/extra.jpg"), []byte("x"), 0o644)
			os.WriteFile(filepath.Join(dir, ".DS_Store"), []byte("x"), 0o644) // the Finder's, not a change
		}, []found{{0, "files/extra.jpg", "This file was added after the export: the manifest does not list it."}}},
		{"a link to elsewhere in place of a file", func(dir string) {
			os.Remove(filepath.Join(dir, "files/receipt.txt"))
			os.Symlink("/etc/hostname", filepath.Join(dir, "files/receipt.txt"))
		}, []found{{0, "files/receipt.txt", "This is a link to somewhere else, not a file; it was not followed."}}},
		{"the signed head's seq moved back", func(dir string) {
			var m evidence.Manifest
			readJSON(t, filepath.Join(dir, evidence.ManifestName), &m)
			m.Conversations[0].SignedHead.Seq = 9
			writeJSON(t, filepath.Join(dir, evidence.ManifestName), m)
		}, []found{{0, "manifest.json", backend.ErrBadSignature.Message}, {9, "", backend.ChainHeadDiffers}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyDir(t, original)
			tc.tamper(dir)
			r := f.check(t, dir)
			if r.Intact {
				t.Fatalf("not found: %s", r.Summary)
			}
			if got := problems(r); !slices.Equal(got, tc.want) {
				t.Errorf("found\n %+v\nwant\n %+v", got, tc.want)
			}
			if !strings.HasPrefix(r.Summary, "Not intact: ") {
				t.Errorf("summary %q", r.Summary)
			}
		})
	}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// A forger changes a message, chains the history again, signs it with a
// key of their own and makes a whole new export of it: it holds together,
// so only the key tells. The check that knows the server's key says so;
// one that does not shows the forger's fingerprint, which is not the
// server's (HOW-TO-VERIFY.txt says to compare it).
func TestReSignedForgeryIsCaught(t *testing.T) {
	f := newFixture(t)
	_, forgerKey, _ := ed25519.GenerateKey(nil)
	c := &f.in.Conversations[0]
	// What the landlord's computer keeps of the conversation, as the
	// server recorded it.
	kept := map[int64]string{}
	for _, m := range c.Messages {
		kept[m.Seq] = m.Hash
	}
	c.Messages[7].Text = "The deposit will not be returned."
	c.Messages = chain(c.Messages)
	c.Signed = sign(forgerKey, 12, c.Messages, 10, exportedAt)
	realServer := f.in.Server
	f.in.Server = evidence.ServerFromKey("srv-7f3a", base64.StdEncoding.EncodeToString(forgerKey.Public().(ed25519.PublicKey)))
	dest := filepath.Join(t.TempDir(), "forged.zip")
	f.write(t, dest)

	r := f.check(t, dest)
	want := []found{{0, "manifest.json", backend.ErrOtherKey.Message}}
	if got := problems(r); r.Intact || !slices.Equal(got, want) {
		t.Errorf("with the server's key: %v, %+v", r.Intact, got)
	}
	// Checked where the history is kept (the desktop): the message
	// changed is named, and only it, though every hash after it was
	// rewritten to match.
	withKept := evidence.Verifier{Trusted: f.pub, TrustedServer: "srv-7f3a", PDF: pdf.Render,
		Kept: func(server string, conv, seq int64) (string, bool) {
			h, ok := kept[seq]
			return h, ok && server == "srv-7f3a" && conv == 12
		}}
	rk, err := withKept.Verify(dest)
	if err != nil {
		t.Fatal(err)
	}
	want = []found{{8, "", "This message is not the one this computer keeps of this conversation, as the server recorded it."}, {0, "manifest.json", backend.ErrOtherKey.Message}}
	if got := problems(rk); rk.Intact || !slices.Equal(got, want) {
		t.Errorf("checked against the kept copy: %+v", got)
	}
	// The real export checked against the same copy is intact.
	g := newFixture(t)
	genuine := filepath.Join(t.TempDir(), "real.zip")
	g.write(t, genuine)
	withKept.Trusted = g.pub
	if r := verifyWith(t, withKept, genuine); !r.Intact {
		t.Errorf("the real export against the kept copy: %+v", problems(r))
	}
	alone, err := evidence.Verifier{PDF: pdf.Render}.Verify(dest)
	if err != nil {
		t.Fatal(err)
	}
	if !alone.Intact || alone.Fingerprint == realServer.Fingerprint || !strings.Contains(alone.Summary, alone.Fingerprint) || alone.KeyTrusted {
		t.Errorf("without it: %+v", alone)
	}
	// Signed by the real key but carrying the forger's key in the
	// manifest: the signature does not match the key it claims.
	f2 := newFixture(t)
	f2.in.Server = f.in.Server
	dest2 := filepath.Join(t.TempDir(), "mixed")
	f2.write(t, dest2)
	r2, _ := evidence.Verifier{PDF: pdf.Render}.Verify(dest2)
	if got := problems(r2); !slices.Contains(got, found{0, "manifest.json", "The signature was made with a key that is not the manifest's server key."}) {
		t.Errorf("a signature under another key than the manifest's: %+v", got)
	}
}

func verifyWith(t *testing.T, v evidence.Verifier, path string) evidence.Report {
	t.Helper()
	r, err := v.Verify(path)
	if err != nil {
		t.Fatalf("verify %s: %v", path, err)
	}
	return r
}

func TestHostileArchives(t *testing.T) {
	f := newFixture(t)
	good := filepath.Join(t.TempDir(), "good.zip")
	f.write(t, good)
	outside := filepath.Join(filepath.Dir(t.TempDir()), "evil.txt")

	t.Run("zip slip", func(t *testing.T) {
		bad := rezip(t, good, nil, map[string][]byte{"../evil.txt": []byte("x"), "/etc/evil": []byte("x"), `files\..\..\evil.txt`: []byte("x")})
		r := f.check(t, bad)
		for _, name := range []string{"../evil.txt", "/etc/evil", `files\..\..\evil.txt`} {
			if !slices.Contains(problems(r), found{0, name, "This name could point outside the export; it was not opened."}) {
				t.Errorf("%s not reported: %+v", name, problems(r))
			}
		}
		if _, err := os.Stat(outside); err == nil {
			t.Error("a file was written outside the export")
		}
	})
	t.Run("a manifest listing paths outside", func(t *testing.T) {
		bad := rezip(t, good, func(name string, b []byte) []byte {
			if name == evidence.ManifestName {
				return bytes.Replace(b, []byte(`"path": "files/receipt.txt"`), []byte(`"path": "../../../../etc/passwd"`), 1)
			}
			return b
		}, nil)
		r := f.check(t, bad)
		if !slices.Contains(problems(r), found{0, "../../../../etc/passwd", "This name could point outside the export; it was not opened."}) {
			t.Errorf("%+v", problems(r))
		}
	})
	t.Run("a size beyond reason", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "bomb.zip")
		out, _ := os.Create(path)
		zw := zip.NewWriter(out)
		w, _ := zw.CreateRaw(&zip.FileHeader{Name: "files/bomb.bin", Method: zip.Store, UncompressedSize64: 1 << 40, CompressedSize64: 4, CRC32: 0})
		w.Write([]byte("tiny"))
		w, _ = zw.Create(evidence.ManifestName)
		w.Write([]byte(`{"format":"doorstep.export.v1","conversations":[],"files":[]}`))
		zw.Close()
		out.Close()
		r := f.check(t, path)
		if !slices.Contains(problems(r), found{0, "files/bomb.bin", "This file claims a size far beyond any export's; it was not read."}) {
			t.Errorf("%+v", problems(r))
		}
	})
	t.Run("not an export", func(t *testing.T) {
		plain := filepath.Join(t.TempDir(), "notes.txt")
		os.WriteFile(plain, []byte("hello"), 0o644)
		for _, p := range []string{plain, t.TempDir(), filepath.Join(t.TempDir(), "gone")} {
			_, err := evidence.Verifier{}.Verify(p)
			if code := backend.ErrorCode(err); code != backend.EINVALID && code != backend.ENOTFOUND {
				t.Errorf("%s: %v", p, err)
			}
		}
	})
	t.Run("a manifest too large to read", func(t *testing.T) {
		dir := t.TempDir()
		big, _ := os.Create(filepath.Join(dir, evidence.ManifestName))
		big.Truncate(32<<20 + 1)
		big.Close()
		_, err := evidence.Verifier{}.Verify(dir)
		if backend.ErrorCode(err) != backend.ETOOLARGE {
			t.Errorf("%v", err)
		}
	})
	t.Run("a folder zipped by hand", func(t *testing.T) {
		// Zipping the folder (Explorer, Finder) puts it under a top folder
		// and may add the Finder's own files: still the same export.
		bad := rezip(t, good, func(name string, b []byte) []byte { return nil }, nil)
		os.Remove(bad)
		zr, _ := zip.OpenReader(good)
		out, _ := os.Create(bad)
		zw := zip.NewWriter(out)
		for _, zf := range zr.File {
			w, _ := zw.Create("Maria Garcia/" + zf.Name)
			rc, _ := zf.Open()
			var b bytes.Buffer
			b.ReadFrom(rc)
			w.Write(b.Bytes())
		}
		w, _ := zw.Create("__MACOSX/Maria Garcia/._manifest.json")
		w.Write([]byte("x"))
		zw.Close()
		out.Close()
		zr.Close()
		if r := f.check(t, bad); !r.Intact {
			t.Errorf("%s", r.Summary)
		}
	})
}

func TestHTMLRunsNothingAndEscapesEverything(t *testing.T) {
	f := newFixture(t)
	dest := filepath.Join(t.TempDir(), "export")
	f.write(t, dest)
	b, _ := os.ReadFile(filepath.Join(dest, evidence.HTMLName))
	page := string(b)
	if strings.Contains(strings.ToLower(page), "<script") {
		t.Error("a script element")
	}
	if m := regexp.MustCompile(`(?i)<[^>]*\son[a-z]+\s*=`).FindString(page); m != "" {
		t.Errorf("an event attribute: %s", m)
	}
	for _, want := range []string{
		`<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; img-src data:; style-src &#39;sha256-`,
		`&lt;script&gt;alert(1)&lt;/script&gt; &#34; onmouseover=&#34;alert(2)&#34; &lt;img src=x onerror=alert(3)&gt;`,
		`<p class="text" dir="auto">Привет! שלום, the deposit (1,250) is paid 👍</p>`,
		"invoice\uFFFDgpj.exe",               // the override shown, not obeyed
		`<a href="files/Leasefdp.exe"><bdi>`, // the name made safe
		`<img src="data:image/png;base64,`,
		`<a href="files/Photo%20%282%29.JPG">`,
		`inspection.jpg</bdi> <span class="missing">(not in this export)</span>`,
		`data-field="fingerprint">` + f.in.Server.Fingerprint,
		"Maple Court · 2B, 2025-01-01 to 2026-12-31 (12 Maple St)",
		"@media print",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
}

// The PDF is read back with poppler's pdftotext, as a reader's program
// would, and drawn to PNG with pdftoppm for people to look at
// (test-output/export/).
func TestPDFReadsBack(t *testing.T) {
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("pdftotext is not installed (poppler-utils; scripts/deps.sh test installs it)")
	}
	f := newFixture(t)
	dest := filepath.Join(t.TempDir(), "export")
	f.write(t, dest)
	out, err := exec.Command(pdftotext, "-layout", filepath.Join(dest, evidence.PDFName), "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	msgs := f.in.Conversations[0].Messages
	head := msgs[len(msgs)-1].Hash
	for _, want := range []string{
		"Maria Garcia", "Page 1 of 3", "Page 3 of 3", "Maple Street Rentals", "Leak in the café! Water under the sink.",
		"Marked urgent", "Привет!", "[U+1F44D]", f.in.Server.Fingerprint, "inspection.jpg", "Not in this export.",
		"SHA-256 " + f.in.Conversations[0].Messages[3].Files[0].SHA256, "invoice\uFFFDgpj.exe",
		"#9 · 2026-11-02 14:26:00 -06:00 · Maria Garcia (Tenant)",
		// The header: the lease's term, who exported it when, the chain head.
		"Lease: Maple Court · 2B, 2025-01-01 to 2026-12-31 (12 Maple St)",
		"Exported by", "Pat Morgan, on " + exportedAt.UTC().Format("2006-01-02 15:04:05 UTC"),
		"message 10: " + head,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF lacks %q", want)
		}
	}
	// Every page after the first names the history it shows and its place.
	pages := strings.Split(strings.TrimRight(text, "\f"), "\f")
	if len(pages) != 3 {
		t.Fatalf("%d pages", len(pages))
	}
	for i, page := range pages[1:] {
		top := strings.TrimSpace(strings.SplitN(strings.TrimLeft(page, "\n"), "\n", 2)[0])
		for _, want := range []string{"Maria Garcia · exported ", "chain head: message 10, " + head[:16] + "…", fmt.Sprintf("Page %d of 3", i+2)} {
			if !strings.Contains(top, want) {
				t.Errorf("page %d's header %q lacks %q", i+2, top, want)
			}
		}
	}
	if pdftoppm, err := exec.LookPath("pdftoppm"); err == nil {
		shots := filepath.Join("..", "..", "test-output", "export")
		os.MkdirAll(shots, 0o755)
		if out, err := exec.Command(pdftoppm, "-png", "-r", "70", filepath.Join(dest, evidence.PDFName), filepath.Join(shots, "conversation-pdf")).CombinedOutput(); err != nil {
			t.Fatalf("pdftoppm: %v %s", err, out)
		}
		if _, err := os.Stat(filepath.Join(shots, "conversation-pdf-1.png")); err != nil {
			t.Error(err)
		}
	}
}

// HOW-TO-VERIFY.txt's by-hand check of the chain, run as it is written.
func TestHowToVerifyScript(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed")
	}
	f := newFixture(t)
	dest := filepath.Join(t.TempDir(), "export")
	f.write(t, dest)
	howto, _ := os.ReadFile(filepath.Join(dest, evidence.HowToName))
	lines := strings.Split(strings.ReplaceAll(string(howto), "\r\n", "\n"), "\n")
	start := slices.IndexFunc(lines, func(l string) bool { return strings.TrimSpace(l) == "import hashlib, json, sys" })
	end := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, "Run it as:") })
	if start < 0 || end < 0 {
		t.Fatal("no script in HOW-TO-VERIFY.txt")
	}
	var script strings.Builder
	for _, l := range lines[start : end-1] {
		script.WriteString(strings.TrimPrefix(l, "     ") + "\n")
	}
	path := filepath.Join(t.TempDir(), "check.py")
	os.WriteFile(path, []byte(script.String()), 0o644)
	run := func() string {
		out, err := exec.Command(python, path, filepath.Join(dest, evidence.MessagesName)).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		return string(out)
	}
	if got := run(); strings.Contains(got, "DIFFERS") || strings.Count(got, "ok") != 10 {
		t.Errorf("intact:\n%s", got)
	}
	b, _ := os.ReadFile(filepath.Join(dest, evidence.MessagesName))
	os.WriteFile(filepath.Join(dest, evidence.MessagesName), bytes.Replace(b, []byte("Thank you."), []byte("Thank you!"), 1), 0o644)
	if got := run(); !strings.Contains(got, "6 ok\n7 DIFFERS") {
		t.Errorf("changed message 7:\n%s", got)
	}
}

func TestDocumentsAreTheSameEachTime(t *testing.T) {
	f := newFixture(t)
	a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	f.write(t, a)
	f.write(t, b)
	for _, name := range []string{evidence.HTMLName, evidence.PDFName, evidence.MessagesName, evidence.HowToName, evidence.ManifestName} {
		x, _ := os.ReadFile(filepath.Join(a, name))
		y, _ := os.ReadFile(filepath.Join(b, name))
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two exports of the same history", name)
		}
	}
}

// An export made offline: the newest signature this computer kept covers
// the first messages only, one conversation has no signature at all, and
// messages that were not here are declared missing. It is intact, says so,
// and says what is not signed.
func TestSignaturesKeptFromEarlierAndNone(t *testing.T) {
	f := newFixture(t)
	c := &f.in.Conversations[0]
	c.Signed, c.Signature = sign(f.key, 12, c.Messages, 7, exportedAt.Add(-48*time.Hour)), evidence.SignedEarlier
	dest := filepath.Join(t.TempDir(), "kept")
	f.write(t, dest)
	r := f.check(t, dest)
	if !r.Intact || r.Signed {
		t.Fatalf("%+v", r)
	}
	if want := "Intact: 10 messages, 5 files, signed by server " + f.in.Server.Fingerprint + " on 2026-11-26 20:02 UTC, except what the notes say."; r.Summary != want {
		t.Errorf("summary %q", r.Summary)
	}
	if !slices.Contains(r.Notes, "Messages 8 to 10 came after the newest signature: they are checked one against the next, not against the server's signature.") {
		t.Errorf("notes %q", r.Notes)
	}
	// A change in the part the old signature covers is still found.
	dir := copyDir(t, dest)
	var m evidence.Messages
	readJSON(t, filepath.Join(dir, evidence.MessagesName), &m)
	m.Messages[1].Urgent = false
	writeJSON(t, filepath.Join(dir, evidence.MessagesName), m)
	relist(t, dir)
	if got := problems(f.check(t, dir)); !slices.Equal(got, []found{{2, "", backend.ChainChanged}}) {
		t.Errorf("%+v", got)
	}

	g := newFixture(t)
	gc := &g.in.Conversations[0]
	gc.Signed, gc.Signature = nil, evidence.NotSigned
	gc.Messages = gc.Messages[3:] // 1 to 3 were never here
	gc.MissingMessages = []evidence.SeqRange{{From: 1, To: 3}}
	dest = filepath.Join(t.TempDir(), "unsigned.zip")
	sum := g.write(t, dest)
	if !slices.Contains(sum.Missing, "Maria Garcia: messages 1 to 3 were not on this computer and the server could not be reached.") {
		t.Errorf("missing %q", sum.Missing)
	}
	r = g.check(t, dest)
	if !r.Intact || r.Signed || !strings.HasPrefix(r.Summary, "Intact, but not signed: 7 messages, ") {
		t.Errorf("%s %+v", r.Summary, r.Problems)
	}
}

// A member whose record was not on this computer: the export says so in
// its missing list (the manifest, HOW-TO-VERIFY.txt, the summary the
// screen shows) and in the documents, and a check carries it as a note.
func TestTenantRecordMissing(t *testing.T) {
	f := newFixture(t)
	c := &f.in.Conversations[0]
	c.Tenants, c.MissingTenants = nil, []backend.TenantRef{{ID: 3, Name: "Maria Garcia"}}
	dest := filepath.Join(t.TempDir(), "export")
	sum := f.write(t, dest)
	want := "Maria Garcia: the tenant record of Maria Garcia was not on this computer and could not be had from the server, so the documents do not show their property, unit and lease."
	if !slices.Contains(sum.Missing, want) || !slices.Contains(sum.Notes, want) {
		t.Errorf("missing %q\nnotes %q", sum.Missing, sum.Notes)
	}
	var m evidence.Manifest
	readJSON(t, filepath.Join(dest, evidence.ManifestName), &m)
	if !slices.Contains(m.Missing, want) || len(m.Conversations[0].MissingTenants) != 1 {
		t.Errorf("manifest missing %q, %+v", m.Missing, m.Conversations[0].MissingTenants)
	}
	for _, name := range []string{evidence.HowToName, evidence.HTMLName} {
		b, _ := os.ReadFile(filepath.Join(dest, name))
		if !strings.Contains(html.UnescapeString(string(b)), want) {
			t.Errorf("%s does not say the tenant record is missing", name)
		}
	}
	r := f.check(t, dest)
	if !r.Intact || !slices.Contains(r.Notes, want) {
		t.Errorf("%s %q %+v", r.Summary, r.Notes, r.Problems)
	}

	two := newFixture(t)
	two.in.Conversations[0].MissingTenants = []backend.TenantRef{{ID: 5, Name: "Ana Lima"}, {ID: 6, Name: "Ben Cole"}}
	sum = two.write(t, filepath.Join(t.TempDir(), "two.zip"))
	if want := "Maria Garcia: the tenant records of Ana Lima and Ben Cole were not on this computer and could not be had from the server, so the documents do not show their properties, units and leases."; !slices.Contains(sum.Missing, want) {
		t.Errorf("missing %q", sum.Missing)
	}
}

// Every conversation with a tenant, in one export: each in its folder,
// checked together, a change named with its conversation.
func TestSeveralConversations(t *testing.T) {
	f := newFixture(t)
	group := newFixture(t)
	gc := group.in.Conversations[0]
	gc.Conversation = backend.Conversation{ID: 30, Kind: backend.ConversationGroup, Title: "Maple Court · 2B", UnitID: 4,
		Members: []backend.TenantRef{{ID: 3, Name: "Maria Garcia"}, {ID: 5, Name: "Omar Haddad"}}}
	for i := range gc.Messages {
		gc.Messages[i].ConversationID = 30
	}
	gc.Messages = chain(gc.Messages)
	gc.Signed = sign(f.key, 30, gc.Messages, 10, exportedAt)
	f.in.Conversations = append(f.in.Conversations, gc)
	dest := filepath.Join(t.TempDir(), "Maria Garcia.zip")
	sum := f.write(t, dest)
	if sum.Conversations != 2 || sum.Messages != 20 {
		t.Errorf("%+v", sum)
	}
	r := f.check(t, dest)
	if !r.Intact || !strings.HasPrefix(r.Summary, "Intact: 2 conversations, 20 messages, 10 files, signed by server ") {
		t.Fatalf("%s %+v", r.Summary, r.Problems)
	}
	if r.Conversations[1].Folder != "02 Maple Court · 2B" {
		t.Errorf("folder %q", r.Conversations[1].Folder)
	}
	bad := rezip(t, dest, func(name string, b []byte) []byte {
		if name == "02 Maple Court · 2B/messages.json" {
			return bytes.Replace(b, []byte("Thank you."), []byte("No thanks."), 1)
		}
		return b
	}, nil)
	r = f.check(t, bad)
	want := []evidence.Problem{
		{Conversation: "Maple Court · 2B", Seq: 7, What: backend.ChainChanged, Text: "Maple Court · 2B, message 7: " + backend.ChainChanged},
		{File: "02 Maple Court · 2B/messages.json", What: "This file was changed after the export: its SHA-256 is not the one the manifest records.",
			Text: "02 Maple Court · 2B/messages.json: This file was changed after the export: its SHA-256 is not the one the manifest records."},
	}
	if !slices.Equal(r.Problems, want) {
		t.Errorf("%+v", r.Problems)
	}
}

func TestIsExportAndTheSummarySentence(t *testing.T) {
	f := newFixture(t)
	dir, zipped := filepath.Join(t.TempDir(), "Maria Garcia"), filepath.Join(t.TempDir(), "Maria Garcia.zip")
	sum := f.write(t, dir)
	f.write(t, zipped)
	if got := sum.Sentence(); got != "Exported 10 messages and 5 files to Maria Garcia." {
		t.Errorf("%q", got)
	}
	plain := filepath.Join(t.TempDir(), "photos.zip")
	zw, _ := os.Create(plain)
	w := zip.NewWriter(zw)
	fw, _ := w.Create("manifest.json")
	fw.Write([]byte(`{"format":"something else"}`))
	w.Close()
	zw.Close()
	for path, want := range map[string]bool{dir: true, zipped: true, filepath.Join(dir, evidence.ManifestName): true,
		filepath.Join(dir, evidence.HTMLName): false, plain: false, t.TempDir(): false} {
		if evidence.IsExport(path) != want {
			t.Errorf("IsExport(%s) = %v", path, !want)
		}
	}
}
