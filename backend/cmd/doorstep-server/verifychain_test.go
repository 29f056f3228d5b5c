package main

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"doorstep/backend"
	"doorstep/backend/demo"
	"doorstep/backend/filestore"
	"doorstep/backend/signingkey"
	"doorstep/backend/sqlite"
)

// chainData is a data directory with a history worth checking: the demo,
// and James Okafor's chat grown to 8 messages (a real file on message 5),
// signed up to messages 3, 6 and 8.
type chainData struct {
	dir      string
	conv     int64 // James Okafor's chat
	fileName string
}

func makeChainData(t *testing.T) chainData {
	t.Helper()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	key, _, err := signingkey.LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(dir, databaseFile), fastHashes(), sqlite.WithSigningKey(key))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	store, err := filestore.Open(filepath.Join(dir, filesDirName), 0)
	if err != nil {
		t.Fatal(err)
	}
	d := growChainHistory(t, db, store)
	d.dir = dir
	return d
}

// chainStore is what growChainHistory needs of a store.
type chainStore interface {
	demo.Store
	backend.FileRecords
	backend.ChainStore
	backend.ChainSigning
}

// growChainHistory seeds the demo into db, grows James Okafor's chat to 8
// messages (a real file, saved in files, on message 5) and signs it up to
// messages 3, 6 and 8.
func growChainHistory(t *testing.T, db chainStore, files filestore.Files) chainData {
	t.Helper()
	ctx := context.Background()
	if _, err := demo.Seed(ctx, db, time.Now()); err != nil {
		t.Fatal(err)
	}
	sess, err := db.SignIn(ctx, demo.LandlordEmail, demo.Password)
	if err != nil {
		t.Fatal(err)
	}
	landlord := sess.Me.Principal
	convs, err := db.Conversations(ctx, landlord)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(convs, func(c backend.Conversation) bool { return c.Title == "James Okafor" })
	if i < 0 || convs[i].LastSeq != 3 {
		t.Fatalf("no demo chat with James Okafor of 3 messages in %+v", convs)
	}
	d := chainData{conv: convs[i].ID}
	sign := func() {
		if _, problems, err := db.SignChangedHeads(ctx); err != nil || problems != nil {
			t.Fatalf("signing: %v %v", problems, err)
		}
	}
	send := func(text string, files ...int64) {
		if _, err := db.SendMessage(ctx, landlord, d.conv, backend.SendMessage{Key: fmt.Sprintf("chain-%d", time.Now().UnixNano()), Text: text, FileIDs: files}); err != nil {
			t.Fatal(err)
		}
	}
	sign() // every demo chat; James's up to 3
	saved, err := files.Save(strings.NewReader("Inspection report: the sink drains slowly.\n"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := db.CreateFile(ctx, landlord, backend.NewFile{Name: "inspection.txt", Size: saved.Size, SHA256: saved.SHA256,
		ContentType: saved.ContentType, StorageName: saved.StorageName})
	if err != nil {
		t.Fatal(err)
	}
	d.fileName = saved.StorageName
	send("The plumber came.")
	send("Here is his report.", f.ID)
	send("He comes back Friday.")
	sign() // up to 6
	send("Friday is confirmed.")
	send("Done: the sink drains.")
	if _, err := db.SignChainHead(ctx, landlord, d.conv); err != nil { // up to 8
		t.Fatal(err)
	}
	return d
}

// copyDir copies a data directory, for one tamper each.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "data")
	err := filepath.WalkDir(src, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if e.IsDir() {
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
	return dst
}

// execSQL changes a database file behind the server's back, as anyone
// with the file and sqlite3 could.
func execSQL(t *testing.T, dir string, stmts ...string) {
	t.Helper()
	raw, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, databaseFile))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, s := range stmts {
		if _, err := raw.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// verifyChain runs `doorstep-server verify-chain` on dir and returns the
// problems it printed and its error.
func verifyChain(t *testing.T, dir string) ([]string, string, error) {
	t.Helper()
	return verifyChainWith(t, "-data", dir)
}

// verifyChainWith runs `doorstep-server verify-chain` with args and
// returns the problems it printed, all it printed, and its error.
func verifyChainWith(t *testing.T, args ...string) ([]string, string, error) {
	t.Helper()
	var stdout, stderr syncBuffer
	err := run(context.Background(), append([]string{"verify-chain"}, args...), env(nil), &stdout, &stderr)
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		if strings.HasPrefix(l, "conversation ") {
			lines = append(lines, l)
		}
	}
	return lines, stdout.String() + stderr.String(), err
}

func TestVerifyChain(t *testing.T) {
	d := makeChainData(t)
	at := func(seq int64, what string) string {
		return backend.ChainProblem{ConversationID: d.conv, Seq: seq, Problem: what}.String()
	}
	msg := func(seq int64) string {
		return fmt.Sprintf("(SELECT id FROM messages WHERE conversation_id = %d AND seq = %d)", d.conv, seq)
	}

	t.Run("IntactVerifiesClean", func(t *testing.T) {
		problems, out, err := verifyChain(t, d.dir)
		if err != nil || problems != nil {
			t.Fatalf("intact data: %v\n%s", err, out)
		}
		key, _ := signingkey.Load(d.dir)
		for _, want := range []string{": ok: ", "messages", "signatures", backend.KeyFingerprint(signingkey.Public(key))} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})

	for _, c := range []struct {
		name   string
		tamper func(t *testing.T, dir string)
		want   []string
	}{
		{"OneByteOfAText", func(t *testing.T, dir string) {
			execSQL(t, dir, fmt.Sprintf("UPDATE messages SET text = 'X' || substr(text, 2) WHERE id = %s", msg(4)))
		}, []string{at(4, backend.ChainChanged), at(6, backend.ChainHeadDiffers), at(6, backend.ChainChangedBetween(3, 6)), at(8, backend.ChainHeadDiffers)}},

		{"OneByteOfAStoredFile", func(t *testing.T, dir string) {
			p := filepath.Join(dir, filesDirName, d.fileName)
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			b[0] ^= 0x20
			os.WriteFile(p, b, 0o600)
		}, []string{at(5, backend.ChainFileChanged)}},

		{"AStoredFileRemoved", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, filesDirName, d.fileName))
		}, []string{at(5, backend.ChainFileMissing)}},

		{"AMessageDeleted", func(t *testing.T, dir string) {
			execSQL(t, dir, "DELETE FROM message_files WHERE message_id = "+msg(5), "DELETE FROM messages WHERE id = "+msg(5))
		}, []string{at(5, backend.ChainMissing(5, 5)), at(6, backend.ChainHeadDiffers), at(6, backend.ChainChangedBetween(3, 6)), at(8, backend.ChainHeadDiffers)}},

		{"TheNewestMessageDeleted", func(t *testing.T, dir string) {
			execSQL(t, dir, "DELETE FROM messages WHERE id = "+msg(8))
		}, []string{at(8, backend.ChainMissing(8, 8)), at(8, backend.ChainShorterThanS), at(8, backend.ChainChangedBetween(6, 8))}},

		{"TwoMessagesSwapped", func(t *testing.T, dir string) {
			// Both read first: one UPDATE would see the first change
			// in its second row.
			execSQL(t, dir, "CREATE TABLE swap AS SELECT id, text FROM messages WHERE id IN ("+msg(7)+", "+msg(8)+")",
				"UPDATE messages SET text = (SELECT s.text FROM swap s WHERE s.id <> messages.id) WHERE id IN (SELECT id FROM swap)",
				"DROP TABLE swap")
		}, []string{at(7, backend.ChainChanged), at(8, backend.ChainChanged), at(8, backend.ChainHeadDiffers), at(8, backend.ChainChangedBetween(6, 8))}},

		// A forger who records fresh hashes for the changed message and
		// every one after it passes the message-by-message check; the
		// signature up to 8 catches it, and the one up to 6, which still
		// holds, narrows it down to 7 or 8.
		{"HashesRewrittenByAForger", func(t *testing.T, dir string) {
			execSQL(t, dir, "UPDATE messages SET text = 'Friday is cancelled.' WHERE id = "+msg(7))
			forgeHashes(t, dir, d.conv)
		}, []string{at(8, backend.ChainHeadDiffers), at(8, backend.ChainChangedBetween(6, 8))}},

		{"ASignatureRemadeWithAnotherKey", func(t *testing.T, dir string) {
			resignWithAnotherKey(t, dir, d.conv, 6)
		}, []string{at(6, backend.ErrOtherKey.Message)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := copyDir(t, d.dir)
			c.tamper(t, dir)
			problems, out, err := verifyChain(t, dir)
			if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%d problems", len(c.want))) {
				t.Errorf("err = %v; want the problems counted", err)
			}
			if !slices.Equal(problems, c.want) {
				t.Errorf("found:\n%s\nwant:\n%s\n(output: %s)", strings.Join(problems, "\n"), strings.Join(c.want, "\n"), out)
			}
		})
	}
}

// forgeHashes records, as a forger would, the hashes the conversation's
// messages have now, from the first on, and its head.
func forgeHashes(t *testing.T, dir string, convID int64) {
	t.Helper()
	raw, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, databaseFile))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.Query(`SELECT m.id, m.seq, coalesce(m.sender_user_id, 0), coalesce(m.sender_tenant_id, 0), m.text, m.created_at, m.urgent,
		coalesce((SELECT json_group_array(f.sha256 || ' ' || f.size || ' ' || f.name ORDER BY mf.position) FROM message_files mf JOIN files f ON f.id = mf.file_id WHERE mf.message_id = m.id), '[]')
		FROM messages m WHERE m.conversation_id = ? ORDER BY m.seq`, convID)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		id   int64
		hash []byte
	}
	var out []row
	var prev []byte
	for rows.Next() {
		var m backend.Message
		var id, user, tenant int64
		var created, files string
		if err := rows.Scan(&id, &m.Seq, &user, &tenant, &m.Text, &created, &m.Urgent, &files); err != nil {
			t.Fatal(err)
		}
		m.ConversationID = convID
		m.Sender = backend.Sender{Kind: backend.KindUser, ID: user}
		if user == 0 {
			m.Sender = backend.Sender{Kind: backend.KindTenant, ID: tenant}
		}
		m.CreatedAt, _ = time.Parse(time.RFC3339Nano, created)
		var fs []string
		if err := json.Unmarshal([]byte(files), &fs); err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			var file backend.File
			fmt.Sscanf(f, "%s %d", &file.SHA256, &file.Size)
			file.Name = strings.SplitN(f, " ", 3)[2]
			m.Files = append(m.Files, file)
		}
		prev = backend.ChainHash(prev, m)
		out = append(out, row{id, prev})
	}
	rows.Close()
	for _, r := range out {
		if _, err := raw.Exec("UPDATE messages SET chain_hash = ? WHERE id = ?", r.hash, r.id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := raw.Exec("UPDATE conversations SET chain_head = ? WHERE id = ?", prev, convID); err != nil {
		t.Fatal(err)
	}
}

// resignWithAnotherKey replaces the signature of convID's head at seq with
// one of the same statement made with a key of the forger's.
func resignWithAnotherKey(t *testing.T, dir string, convID, seq int64) {
	t.Helper()
	raw, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, databaseFile))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var st backend.HeadStatement
	var at string
	if err := raw.QueryRow("SELECT server_id, head, signed_at FROM chain_signatures WHERE conversation_id = ? AND seq = ?", convID, seq).
		Scan(&st.ServerID, &st.Head, &at); err != nil {
		t.Fatal(err)
	}
	st.ConversationID, st.Seq = convID, seq
	st.SignedAt, _ = time.Parse(time.RFC3339Nano, at)
	_, forger, _ := ed25519.GenerateKey(nil)
	s := backend.SignHead(st, forger)
	if err := s.Verify(nil); err != nil {
		t.Fatalf("the forged signature does not even hold on its own: %v", err)
	}
	if _, err := raw.Exec("UPDATE chain_signatures SET public_key = ?, signature = ?, key_id = ? WHERE conversation_id = ? AND seq = ?",
		s.PublicKey, s.Signature, backend.KeyFingerprint(forger.Public().(ed25519.PublicKey)), convID, seq); err != nil {
		t.Fatal(err)
	}
}
