package main

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/bcrypt"

	"doorstep/backend"
	"doorstep/backend/postgres"
	"doorstep/backend/signingkey"
	"doorstep/internal/pgtest"
	"doorstep/internal/wait"
)

// pgChain is a PostgreSQL database grown as makeChainData grows SQLite's
// (James Okafor's chat of 8 messages, signed up to 3, 6 and 8), the data
// directory holding its signing key, and a connection to change it
// behind the server's back.
type pgChain struct {
	chainData
	dsn string
	raw *pgx.Conn
}

func makePostgresChain(t *testing.T) pgChain {
	t.Helper()
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	key, _, err := signingkey.LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	db, err := postgres.Open(ctx, dsn, postgres.WithBcryptCost(bcrypt.MinCost), postgres.WithSigningKey(key))
	if err != nil {
		t.Fatal(err)
	}
	d := growChainHistory(t, db, db.Files(0))
	db.Close()
	d.dir = dir
	raw, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close(context.Background()) })
	return pgChain{chainData: d, dsn: dsn, raw: raw}
}

func (c pgChain) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	if _, err := c.raw.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// TestVerifyChainTamperOnPostgres: the tampering TestVerifyChain catches
// on SQLite, done to PostgreSQL's rows, is caught and pinpointed by seq
// the same way.
func TestVerifyChainTamperOnPostgres(t *testing.T) {
	for _, c := range []struct {
		name   string
		tamper func(t *testing.T, c pgChain)
		want   func(at func(int64, string) string) []string
	}{
		{"AMessageDeleted", func(t *testing.T, c pgChain) {
			c.exec(t, "DELETE FROM message_files WHERE message_id = (SELECT id FROM messages WHERE conversation_id = $1 AND seq = 5)", c.conv)
			c.exec(t, "DELETE FROM messages WHERE conversation_id = $1 AND seq = 5", c.conv)
		}, func(at func(int64, string) string) []string {
			return []string{at(5, backend.ChainMissing(5, 5)), at(6, backend.ChainHeadDiffers), at(6, backend.ChainChangedBetween(3, 6)), at(8, backend.ChainHeadDiffers)}
		}},
		{"TwoMessagesSwapped", func(t *testing.T, c pgChain) {
			// UPDATE … FROM reads the rows as they were before it.
			c.exec(t, `UPDATE messages m SET text = o.text FROM messages o
				WHERE m.conversation_id = $1 AND o.conversation_id = $1 AND ((m.seq = 7 AND o.seq = 8) OR (m.seq = 8 AND o.seq = 7))`, c.conv)
		}, func(at func(int64, string) string) []string {
			return []string{at(7, backend.ChainChanged), at(8, backend.ChainChanged), at(8, backend.ChainHeadDiffers), at(8, backend.ChainChangedBetween(6, 8))}
		}},
		{"ASignatureRemadeWithAnotherKey", func(t *testing.T, c pgChain) {
			resignWithAnotherKeyOnPostgres(t, c, 6)
		}, func(at func(int64, string) string) []string {
			return []string{at(6, backend.ErrOtherKey.Message)}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := makePostgresChain(t)
			if problems, out, err := verifyChainWith(t, "-data", d.dir, "-store", d.dsn); err != nil || problems != nil {
				t.Fatalf("before tampering: %v\n%s", err, out)
			}
			c.tamper(t, d)
			want := c.want(func(seq int64, what string) string {
				return backend.ChainProblem{ConversationID: d.conv, Seq: seq, Problem: what}.String()
			})
			problems, out, err := verifyChainWith(t, "-data", d.dir, "-store", d.dsn)
			if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%d problems", len(want))) {
				t.Errorf("err = %v; want the problems counted", err)
			}
			if !slices.Equal(problems, want) {
				t.Errorf("found:\n%s\nwant:\n%s\n(output: %s)", strings.Join(problems, "\n"), strings.Join(want, "\n"), out)
			}
		})
	}
}

// resignWithAnotherKeyOnPostgres replaces the signature of the head at
// seq with one of the same statement made with a key of the forger's.
func resignWithAnotherKeyOnPostgres(t *testing.T, c pgChain, seq int64) {
	t.Helper()
	ctx := context.Background()
	st := backend.HeadStatement{ConversationID: c.conv, Seq: seq}
	var ns int16
	if err := c.raw.QueryRow(ctx, "SELECT server_id, head, signed_at, signed_ns FROM chain_signatures WHERE conversation_id = $1 AND seq = $2", c.conv, seq).
		Scan(&st.ServerID, &st.Head, &st.SignedAt, &ns); err != nil {
		t.Fatal(err)
	}
	st.SignedAt = st.SignedAt.Add(time.Duration(ns))
	_, forger, _ := ed25519.GenerateKey(nil)
	s := backend.SignHead(st, forger)
	if err := s.Verify(nil); err != nil {
		t.Fatalf("the forged signature does not even hold on its own: %v", err)
	}
	c.exec(t, "UPDATE chain_signatures SET public_key = $1, signature = $2, key_id = $3 WHERE conversation_id = $4 AND seq = $5",
		s.PublicKey, s.Signature, backend.KeyFingerprint(forger.Public().(ed25519.PublicKey)), c.conv, seq)
}

// On PostgreSQL too, a message changed after it was signed, in a
// conversation quiet since, is refused a signature with 409 and found by
// the audit, logged with its conversation and seq.
func TestChangeToASignedQuietHistoryIsCaughtOnPostgres(t *testing.T) {
	d := makePostgresChain(t)
	d.exec(t, "UPDATE messages SET text = 'The plumber never came.' WHERE conversation_id = $1 AND seq = 4", d.conv)
	url, log, _ := startServe(t, d.dir, "-store", d.dsn, "-sign-every", "0", "-audit-every", "1s")

	wantSigningRefused(t, url, d.conv, 4)

	const audit = "chain: the audit found a history that no longer holds"
	wait.For(t, "the audit logged the changed message", func() bool { return strings.Contains(log.String(), audit) })
	if line := logLine(log.String(), audit); !strings.Contains(line, fmt.Sprintf("conversation=%d seq=4", d.conv)) {
		t.Errorf("log line %q does not name conversation %d, message 4", line, d.conv)
	}
}

// Two nodes starting at once on one database with different new keys:
// the first to record its key runs, the other refuses, naming both
// fingerprints; a later node with the first's key (copied, as
// docs/deploy.md says) starts.
func TestNodesWithDifferentSigningKeysOnPostgres(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	db, err := postgres.Open(ctx, dsn) // the schema, as a first node's start makes it
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	type node struct{ dir, urlFile string }
	type stop struct {
		node int
		err  error
	}
	runCtx, cancel := context.WithCancel(ctx)
	stops := make(chan stop, 2)
	nodes := make([]node, 2)
	printed := make([]*syncBuffer, 2)
	for i := range nodes {
		nodes[i] = node{dir: filepath.Join(t.TempDir(), fmt.Sprintf("node%d", i)), urlFile: filepath.Join(t.TempDir(), "url")}
		printed[i] = &syncBuffer{}
		go func() {
			err := run(runCtx, []string{"serve", "-addr", "127.0.0.1:0", "-url-file", nodes[i].urlFile, "-data", nodes[i].dir, "-store", dsn},
				env(nil), printed[i], printed[i])
			stops <- stop{i, err}
		}()
	}
	var stopped []stop
	t.Cleanup(func() {
		cancel()
		for range len(nodes) - len(stopped) {
			select {
			case <-stops:
			case <-time.After(15 * time.Second):
				t.Error("a node did not stop")
				return
			}
		}
	})
	// The refused node stops; the other listens.
	wait.For(t, "one node refused and the other listens", func() bool {
		select {
		case s := <-stops:
			stopped = append(stopped, s)
		default:
		}
		if len(stopped) != 1 {
			return len(stopped) > 1
		}
		_, err := os.Stat(nodes[1-stopped[0].node].urlFile)
		return err == nil
	})
	if len(stopped) != 1 {
		t.Fatalf("both nodes stopped: %v", stopped)
	}
	refused, running := nodes[stopped[0].node], nodes[1-stopped[0].node]
	err = stopped[0].err
	fingerprint := func(n node) string {
		key, err := signingkey.Load(n.dir)
		if err != nil {
			t.Fatal(err)
		}
		return backend.KeyFingerprint(signingkey.Public(key))
	}
	wantKeyRefused(t, err, printed[stopped[0].node].String(), fingerprint(running), fingerprint(refused))
	var recorded string
	raw, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close(ctx)
	if err := raw.QueryRow(ctx, "SELECT value FROM meta WHERE key = 'signing_key'").Scan(&recorded); err != nil || recorded != fingerprint(running) {
		t.Errorf("the database records %q (%v); want the running node's key %q", recorded, err, fingerprint(running))
	}

	// With the key copied from the running node, a third node starts.
	third := filepath.Join(t.TempDir(), "node2")
	pem, err := os.ReadFile(signingkey.Path(running.dir))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(third, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(signingkey.Path(third), pem, 0o600); err != nil {
		t.Fatal(err)
	}
	startServe(t, third, "-store", dsn)

	// The refused node, told to, records its key in place of the other.
	startServe(t, refused.dir, "-store", dsn, "-new-signing-key")
	if err := raw.QueryRow(ctx, "SELECT value FROM meta WHERE key = 'signing_key'").Scan(&recorded); err != nil || recorded != fingerprint(refused) {
		t.Errorf("after -new-signing-key the database records %q (%v); want %q", recorded, err, fingerprint(refused))
	}
}
