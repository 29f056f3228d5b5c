package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"doorstep/backend"
	"doorstep/backend/backup"
	"doorstep/backend/client"
	"doorstep/backend/demo"
	"doorstep/backend/signingkey"
	"doorstep/backend/sqlite"
	"doorstep/internal/wait"
)

// serveData starts `doorstep-server serve` over dataDir on a free loopback
// port and returns its URL and a function that stops it and waits until it
// has.
func serveData(t *testing.T, dataDir string, flags ...string) (string, func()) {
	t.Helper()
	urlFile := filepath.Join(t.TempDir(), "url")
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		args := append([]string{"serve", "-addr", "127.0.0.1:0", "-data", dataDir, "-url-file", urlFile}, flags...)
		errc <- run(ctx, args, env(nil), io.Discard, io.Discard, fastHashes())
	}()
	url := waitForFile(t, urlFile, errc)
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("server: %v", err)
		}
	}
	t.Cleanup(stop)
	return url, stop
}

// signInDemo signs the demo landlord in.
func signInDemo(t *testing.T, url string) *client.Client {
	t.Helper()
	anon, _ := client.New(url)
	s, err := anon.SignIn(context.Background(), demo.LandlordEmail, demo.Password)
	if err != nil {
		t.Fatal(err)
	}
	return anon.WithSession(s.Token)
}

// demoTenant opens a session for a demo tenant through an invite, after
// the landlord has started a chat with them.
func demoTenant(t *testing.T, landlord *client.Client, name string) *client.Client {
	t.Helper()
	ctx := context.Background()
	dir, err := landlord.Directory(ctx, name)
	if err != nil || len(dir.Tenants) == 0 {
		t.Fatalf("tenant %s: %+v, %v", name, dir, err)
	}
	if _, err := landlord.StartConversation(ctx, backend.StartConversation{TenantID: dir.Tenants[0].ID}); err != nil {
		t.Fatal(err)
	}
	tok, err := landlord.CreateTenantInvite(ctx, dir.Tenants[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	anon, _ := client.New(landlord.BaseURL())
	s, err := anon.RedeemInvite(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	return anon.WithSession(s.Token)
}

// writableConversations are the conversations c may send in (the demo has
// one with a past tenant, which is read-only).
func writableConversations(t testing.TB, c *client.Client) []int64 {
	t.Helper()
	ctx := context.Background()
	convs, err := c.Conversations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, conv := range convs {
		_, err := c.SendMessage(ctx, conv.ID, backend.SendMessage{Key: fmt.Sprintf("probe-%d-%d", conv.ID, time.Now().UnixNano()), Text: "probe"})
		if err == nil {
			ids = append(ids, conv.ID)
		}
	}
	if len(ids) == 0 {
		t.Fatal("no conversation takes a message")
	}
	return ids
}

// allMessages pages through a conversation from its start.
func allMessages(t *testing.T, c *client.Client, convID int64) []backend.Message {
	t.Helper()
	var all []backend.Message
	after := int64(0)
	for {
		page, err := c.Messages(context.Background(), convID, backend.MessagePage{After: &after, Limit: backend.MaxPageSize})
		if err != nil {
			t.Fatalf("messages of %d: %v", convID, err)
		}
		all = append(all, page...)
		if len(page) < backend.MaxPageSize {
			return all
		}
		after = page[len(page)-1].Seq
	}
}

// randomBytes is n bytes no compression or deduplication can fake.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// runBackupChild runs one doorstep-server command line in a process of its
// own (this test binary, entering test name in child mode), as an operator
// runs `backup` beside the server process. It returns what the command
// printed.
func runBackupChild(t *testing.T, test string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$")
	cmd.Env = append(os.Environ(), childArgs+"="+strings.Join(args, "\n"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// inChild runs the command line of a child started by runBackupChild and
// reports whether this process is that child.
func inChild(t *testing.T) bool {
	args := os.Getenv(childArgs)
	if args == "" {
		return false
	}
	if err := run(context.Background(), strings.Split(args, "\n"), os.Getenv, os.Stdout, os.Stderr); err != nil {
		t.Fatal(err)
	}
	return true
}

// acked is a message the server acknowledged, with what its files hold.
type acked struct {
	msg   backend.Message
	files map[int64][]byte
}

// TestBackupUnderLoad: clients keep sending messages, some with files,
// while `doorstep-server backup` runs in another process. Every message
// acknowledged before the backup began is in it; the backup verifies; a
// server started on its restore serves those messages with their files
// byte for byte, over a database that passes its integrity check.
func TestBackupUnderLoad(t *testing.T) {
	if inChild(t) {
		return
	}
	if testing.Short() {
		t.Skip("runs a server under load and a backup process")
	}
	ctx := context.Background()
	dataDir := filepath.Join(t.TempDir(), "data")
	url, stopServer := serveData(t, dataDir, "-demo", "-create-rate", "off")
	landlord := signInDemo(t, url)
	maria := demoTenant(t, landlord, "Maria Garcia")
	landlordConvs := writableConversations(t, landlord)
	mariaConvs := writableConversations(t, maria)

	var mu sync.Mutex
	var sent []acked
	record := func(m backend.Message, files map[int64][]byte) {
		mu.Lock()
		sent = append(sent, acked{m, files})
		mu.Unlock()
	}
	ackedSoFar := func() int { mu.Lock(); defer mu.Unlock(); return len(sent) }

	// Files already there make the backup take a while, so the senders
	// have time to write while it runs.
	for i := range 8 {
		content := randomBytes(1 << 20)
		f, err := landlord.UploadFile(ctx, fmt.Sprintf("photo-%d.bin", i), bytes.NewReader(content))
		if err != nil {
			t.Fatal(err)
		}
		m, err := landlord.SendMessage(ctx, landlordConvs[0], backend.SendMessage{Key: fmt.Sprintf("preload-%04d", i), Text: "preload", FileIDs: []int64{f.ID}})
		if err != nil {
			t.Fatal(err)
		}
		record(m, map[int64][]byte{f.ID: content})
	}

	stop := make(chan struct{})
	var senders sync.WaitGroup
	var sendErrs []error
	fail := func(err error) { mu.Lock(); sendErrs = append(sendErrs, err); mu.Unlock() }
	sender := func(name string, c *client.Client, convs []int64, withFiles bool) {
		defer senders.Done()
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			req := backend.SendMessage{Key: fmt.Sprintf("%s-%06d", name, n), Text: fmt.Sprintf("%s says %d", name, n)}
			files := map[int64][]byte{}
			if withFiles {
				content := randomBytes(64<<10 + n)
				f, err := c.UploadFile(ctx, fmt.Sprintf("%s-%d.bin", name, n), bytes.NewReader(content))
				if err != nil {
					fail(fmt.Errorf("%s upload %d: %w", name, n, err))
					return
				}
				req.FileIDs = []int64{f.ID}
				files[f.ID] = content
			}
			m, err := c.SendMessage(ctx, convs[n%len(convs)], req)
			if err != nil {
				fail(fmt.Errorf("%s send %d: %w", name, n, err))
				return
			}
			record(m, files)
		}
	}
	senders.Add(5)
	go sender("landlord-a", landlord, landlordConvs, false)
	go sender("landlord-b", landlord, landlordConvs, false)
	go sender("landlord-files", landlord, landlordConvs, true)
	go sender("maria", maria, mariaConvs, false)
	go sender("maria-files", maria, mariaConvs, true)
	wait.For(t, "the senders are under way", func() bool { return ackedSoFar() >= 60 })

	before := ackedSoFar() // every one of these must be in the backup
	dest := filepath.Join(t.TempDir(), "backup")
	start := time.Now()
	out, err := runBackupChild(t, "TestBackupUnderLoad", "backup", "-data", dataDir, dest)
	took := time.Since(start)
	during := ackedSoFar() - before
	close(stop)
	senders.Wait()
	if err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	if len(sendErrs) > 0 {
		t.Fatalf("sending failed during the backup: %v", sendErrs)
	}
	t.Logf("backup took %s (process included); %d sends acknowledged before it began, %d while it ran\n%s", took.Round(time.Millisecond), before, during, out)
	stopServer()

	var verified bytes.Buffer
	if err := run(ctx, []string{"verify", dest}, env(nil), &verified, io.Discard); err != nil {
		t.Fatalf("verify: %v\n%s", err, verified.String())
	}

	restored := filepath.Join(t.TempDir(), "restored")
	if err := run(ctx, []string{"restore", "-data", restored, dest}, env(nil), io.Discard, io.Discard); err != nil {
		t.Fatalf("restore: %v", err)
	}
	url, stopRestored := serveData(t, restored)
	landlord = signInDemo(t, url)
	byID := map[int64]backend.Message{}
	for _, conv := range slices.Concat(landlordConvs, mariaConvs) {
		for _, m := range allMessages(t, landlord, conv) {
			byID[m.ID] = m
		}
	}
	mu.Lock()
	defer mu.Unlock()
	inBackupOfDuring := 0
	for i, a := range sent {
		got, ok := byID[a.msg.ID]
		if !ok {
			if i < before {
				t.Errorf("message %d (%q), acknowledged before the backup began, is not in it", a.msg.ID, a.msg.Text)
			}
			continue
		}
		if i >= before {
			inBackupOfDuring++
		}
		if got.Text != a.msg.Text || got.Key != a.msg.Key || len(got.Files) != len(a.files) {
			t.Errorf("message %d restored as %+v, sent as %+v", a.msg.ID, got, a.msg)
			continue
		}
		for _, f := range got.Files {
			var b bytes.Buffer
			if _, _, err := landlord.DownloadFile(ctx, f.ID, &b); err != nil {
				t.Errorf("file %d of message %d: %v", f.ID, a.msg.ID, err)
			} else if !bytes.Equal(b.Bytes(), a.files[f.ID]) {
				t.Errorf("file %d of message %d: %d bytes served, not the %d sent", f.ID, a.msg.ID, b.Len(), len(a.files[f.ID]))
			}
		}
	}
	t.Logf("of the %d sends acknowledged while the backup ran, %d made it into the backup", during, inBackupOfDuring)
	stopRestored()
	if got := integrityCheck(t, filepath.Join(restored, databaseFile)); got != "ok" {
		t.Errorf("integrity_check of the restored database: %s", got)
	}
	// The restored history is not the one clients synced after the backup:
	// it gets a server id of its own, so they start over from it.
	was, now := serverIDOf(t, filepath.Join(dataDir, databaseFile)), serverIDOf(t, filepath.Join(restored, databaseFile))
	if was == "" || now == "" || was == now {
		t.Errorf("server id before the backup %q, after the restore %q: want a new one", was, now)
	}
}

// serverIDOf reads a database file's server id.
func serverIDOf(t *testing.T, path string) string {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var id string
	if err := db.QueryRow("SELECT value FROM meta WHERE key = 'server_id'").Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// integrityCheck runs PRAGMA integrity_check on a database file.
func integrityCheck(t *testing.T, path string) string {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil {
		return err.Error()
	}
	return res
}

// copyTree copies the directory src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// reseal records the current content of rel in the backup's manifest, as a
// manifest written after the damage would: then only the deeper checks can
// tell.
func reseal(t *testing.T, dir, rel string, change func(*backup.Manifest)) {
	t.Helper()
	m, err := backup.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, rel))
	sum := sha256.Sum256(b)
	for i := range m.Files {
		if m.Files[i].Path == rel {
			m.Files[i].Size, m.Files[i].SHA256 = int64(len(b)), hex.EncodeToString(sum[:])
		}
	}
	if change != nil {
		change(&m)
	}
	body, _ := json.Marshal(m)
	if err := os.WriteFile(filepath.Join(dir, backup.ManifestName), body, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestBackupVerifyRestore: what verify catches, and what backup and restore
// refuse, each leaving everything as it was.
func TestBackupVerifyRestore(t *testing.T) {
	ctx := context.Background()
	dataDir := filepath.Join(t.TempDir(), "data")
	url, _ := serveData(t, dataDir, "-demo")
	landlord := signInDemo(t, url)
	conv := writableConversations(t, landlord)[0]
	content := randomBytes(200 << 10)
	f, err := landlord.UploadFile(ctx, "lease.pdf", bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := landlord.SendMessage(ctx, conv, backend.SendMessage{Key: "with-a-file", Text: "the lease", FileIDs: []int64{f.ID}}); err != nil {
		t.Fatal(err)
	}
	// An unfinished upload is not part of the backup.
	if _, err := landlord.BeginUpload(ctx, backend.NewUpload{Name: "half.bin", Size: 10, SHA256: strings.Repeat("0", 64)}); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(t.TempDir(), "backup")
	var out bytes.Buffer
	if err := run(ctx, []string{"backup", "-data", dataDir, good}, env(nil), &out, io.Discard); err != nil {
		t.Fatalf("backup: %v", err)
	}
	if !strings.Contains(out.String(), "1 stored files") {
		t.Errorf("backup printed %q", out.String())
	}
	m, err := backup.Read(good)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	var stored string
	for _, e := range m.Files {
		paths = append(paths, e.Path)
		if strings.HasPrefix(e.Path, "files/") {
			stored = e.Path
		}
	}
	if len(paths) != 3 || paths[0] != "doorstep.db" || stored == "" || paths[2] != signingkey.FileName {
		t.Fatalf("manifest lists %q, want the database, the one stored file and the signing key", paths)
	}
	keyFile, _ := os.ReadFile(signingkey.Path(dataDir))
	if copied, _ := os.ReadFile(filepath.Join(good, signingkey.FileName)); len(keyFile) == 0 || !bytes.Equal(copied, keyFile) {
		t.Errorf("the backup's signing key differs from the server's")
	}
	serverKey, err := landlord.ServerKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m.SchemaVersion != sqlite.SchemaVersion() || m.ServerVersion != backend.Version || time.Since(m.Created) > time.Hour {
		t.Errorf("manifest = %+v", m)
	}

	verify := func(dir string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, []string{"verify", dir}, env(nil), &out, io.Discard)
		return out.String(), err
	}
	damaged := func(t *testing.T, damage func(dir string)) string {
		dir := filepath.Join(t.TempDir(), "backup")
		copyTree(t, good, dir)
		damage(dir)
		return dir
	}

	t.Run("Verifies", func(t *testing.T) {
		out, err := verify(good)
		if err != nil || !strings.Contains(out, ": ok: ") || !strings.Contains(out, "signing key fingerprint "+serverKey.Fingerprint) ||
			!strings.Contains(out, "every history matches its chain and signatures") {
			t.Errorf("verify: %q, %v", out, err)
		}
		// It names the key by its fingerprint and never shows the key.
		key, _ := signingkey.Load(good)
		block, _ := pem.Decode(keyFile)
		for _, secret := range []string{string(block.Bytes), base64.StdEncoding.EncodeToString(block.Bytes), base64.StdEncoding.EncodeToString(key.Seed()),
			hex.EncodeToString(key.Seed()), base64.StdEncoding.EncodeToString(key)} {
			if strings.Contains(out, secret) {
				t.Errorf("verify printed the private key: %q", out)
			}
		}
		if strings.Contains(out, "PRIVATE KEY") {
			t.Errorf("verify printed the key file: %q", out)
		}
	})

	t.Run("ChainOfTheBackupVerifies", func(t *testing.T) {
		var out bytes.Buffer
		if err := run(ctx, []string{"verify-chain", "-data", good}, env(nil), &out, io.Discard); err != nil || !strings.Contains(out.String(), ": ok: ") {
			t.Errorf("verify-chain of the backup: %q, %v", out.String(), err)
		}
	})

	for name, tc := range map[string]struct {
		damage func(dir string)
		want   string
	}{
		"ErrChangedByte": {func(dir string) {
			p := filepath.Join(dir, stored)
			b, _ := os.ReadFile(p)
			b[len(b)/2] ^= 1
			os.WriteFile(p, b, 0o600)
		}, stored + ": its content differs from the manifest's checksum"},
		"ErrMissingFile": {func(dir string) { os.Remove(filepath.Join(dir, stored)) }, stored + ": missing"},
		"ErrExtraFile": {func(dir string) { os.WriteFile(filepath.Join(dir, "files", "notes.txt"), []byte("x"), 0o600) },
			"files/notes.txt: an extra file the manifest does not list"},
		"ErrFileLeftOutOfManifest": {func(dir string) {
			os.Remove(filepath.Join(dir, stored))
			reseal(t, dir, stored, func(m *backup.Manifest) {
				m.Files = slices.DeleteFunc(m.Files, func(e backup.Entry) bool { return e.Path == stored })
			})
		}, stored + ": the database refers to it but the backup does not hold it"},
		"ErrDamagedSigningKey": {func(dir string) {
			os.WriteFile(filepath.Join(dir, signingkey.FileName), []byte("-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n"), 0o600)
			reseal(t, dir, signingkey.FileName, nil)
		}, "signing.key: not a signing key the server can use"},
		"ErrCorruptDatabase": {func(dir string) {
			p := filepath.Join(dir, backup.DatabaseName)
			b, _ := os.ReadFile(p)
			for i := 4096; i < len(b); i += 7 {
				b[i] ^= 0x5a
			}
			os.WriteFile(p, b, 0o600)
			reseal(t, dir, backup.DatabaseName, nil) // the manifest agrees: only the database check can tell
		}, "doorstep.db: "},
		// A message changed in the database before the backup was made (the
		// manifest agrees with the copy): the chain tells, and where.
		"ErrHistoryChanged": {func(dir string) {
			p := filepath.Join(dir, backup.DatabaseName)
			db, err := sql.Open("sqlite3", "file:"+p)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec("UPDATE messages SET text = text || '!' WHERE seq = 1 AND conversation_id = (SELECT min(conversation_id) FROM messages)"); err != nil {
				t.Fatal(err)
			}
			db.Close()
			reseal(t, dir, backup.DatabaseName, nil)
		}, "message 1: " + backend.ChainChanged},
	} {
		t.Run(name, func(t *testing.T) {
			out, err := verify(damaged(t, tc.damage))
			if err == nil || !strings.Contains(out, tc.want) {
				t.Errorf("verify: %q, %v; want an error and %q", out, err, tc.want)
			}
		})
	}

	t.Run("ErrBackupIntoNonEmptyDirectory", func(t *testing.T) {
		dest := t.TempDir()
		os.WriteFile(filepath.Join(dest, "older-backup.tar"), []byte("keep"), 0o600)
		err := run(ctx, []string{"backup", "-data", dataDir, dest}, env(nil), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "is not empty") {
			t.Fatalf("err = %v", err)
		}
		entries, _ := os.ReadDir(dest)
		siblings, _ := os.ReadDir(filepath.Dir(dest))
		if len(entries) != 1 || len(siblings) != 1 {
			t.Errorf("something was written: %v in it, %v beside it", entries, siblings)
		}
	})

	t.Run("ErrRestoreIntoNonEmptyDirectory", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "doorstep.db"), []byte("someone's data"), 0o600)
		err := run(ctx, []string{"restore", "-data", dir, good}, env(nil), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "is not empty") || !strings.Contains(err.Error(), "nothing was changed") {
			t.Fatalf("err = %v", err)
		}
		entries, _ := os.ReadDir(dir)
		if b, _ := os.ReadFile(filepath.Join(dir, "doorstep.db")); len(entries) != 1 || string(b) != "someone's data" {
			t.Errorf("the data directory changed: %v, %q", entries, b)
		}
	})

	t.Run("ErrRestoreDamagedBackup", func(t *testing.T) {
		src := damaged(t, func(dir string) { os.Remove(filepath.Join(dir, stored)) })
		dir := filepath.Join(t.TempDir(), "data")
		err := run(ctx, []string{"restore", "-data", dir, src}, env(nil), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "does not verify") {
			t.Fatalf("err = %v", err)
		}
		if entries, _ := os.ReadDir(filepath.Dir(dir)); len(entries) != 0 {
			t.Errorf("a refused restore wrote %v", entries)
		}
	})

	t.Run("ErrRestoreNewerSchema", func(t *testing.T) {
		src := damaged(t, func(dir string) {
			raw, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, backup.DatabaseName))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := raw.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', 'x')"); err != nil {
				t.Fatal(err)
			}
			raw.Close()
			reseal(t, dir, backup.DatabaseName, func(m *backup.Manifest) { m.SchemaVersion, m.ServerVersion = 9999, "9.9.9" })
		})
		dir := filepath.Join(t.TempDir(), "data")
		err := run(ctx, []string{"restore", "-data", dir, src}, env(nil), io.Discard, io.Discard)
		want := fmt.Sprintf("made by doorstep-server 9.9.9 at schema 9999, newer than this doorstep-server %s knows (schema %d)", backend.Version, sqlite.SchemaVersion())
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "nothing was restored") {
			t.Fatalf("err = %v, want %q", err, want)
		}
		if _, err := os.Stat(dir); err == nil {
			t.Error("a refused restore made the data directory")
		}
	})

	t.Run("RestoredServerServesTheFile", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data")
		if err := run(ctx, []string{"restore", "-data", dir, good}, env(nil), io.Discard, io.Discard); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, "files", "partial")); err == nil {
			t.Error("the unfinished upload was restored")
		}
		if fi, err := os.Stat(signingkey.Path(dir)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("restored signing key: %v, %v; want it, mode 0600", fi, err)
		}
		url, _ := serveData(t, dir)
		restored := signInDemo(t, url)
		var b bytes.Buffer
		if _, _, err := restored.DownloadFile(ctx, f.ID, &b); err != nil || !bytes.Equal(b.Bytes(), content) {
			t.Errorf("file after restore: %d bytes, %v; want the %d uploaded", b.Len(), err, len(content))
		}
		// The restored server signs with the key it had.
		if k, err := restored.ServerKey(ctx); err != nil || k.Fingerprint != serverKey.Fingerprint {
			t.Errorf("restored server's key: %+v, %v; want fingerprint %s", k, err, serverKey.Fingerprint)
		}
		pub, _ := backend.ParsePublicKey(serverKey.PublicKey)
		if s, err := restored.ChainHead(ctx, conv); err != nil || s.Verify(pub) != nil {
			t.Errorf("signing after restore: %+v, %v", s, err)
		}
	})
}

// TestServeRefusesNewerDatabase: a server never opens a database a newer
// version wrote; it says so and changes nothing.
func TestServeRefusesNewerDatabase(t *testing.T) {
	ctx := context.Background()
	dataDir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dataDir, databaseFile), fastHashes())
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	path := filepath.Join(dataDir, databaseFile)
	raw, _ := sql.Open("sqlite3", "file:"+path)
	if _, err := raw.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', 'x')"); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	err = run(ctx, []string{"serve", "-addr", "127.0.0.1:0", "-data", dataDir}, env(nil), io.Discard, io.Discard, fastHashes())
	want := fmt.Sprintf("the database is at schema 9999 but doorstep-server %s knows only up to %d; use a newer version or restore a backup", backend.Version, sqlite.SchemaVersion())
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("serve on a newer database: %v; want %q", err, want)
	}
	if got := integrityCheck(t, path); got != "ok" {
		t.Errorf("integrity: %s", got)
	}
	raw, _ = sql.Open("sqlite3", "file:"+path+"?mode=ro")
	defer raw.Close()
	var n int
	raw.QueryRow("SELECT count(*) FROM schema_migrations WHERE version > ?", sqlite.SchemaVersion()).Scan(&n)
	if n != 1 {
		t.Errorf("the refused database's schema record changed (%d rows above ours)", n)
	}

	t.Run("ErrBackupOfNewerDatabase", func(t *testing.T) {
		err := run(ctx, []string{"backup", "-data", dataDir, filepath.Join(t.TempDir(), "b")}, env(nil), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "schema 9999") {
			t.Errorf("backup of a newer database: %v", err)
		}
	})
}
