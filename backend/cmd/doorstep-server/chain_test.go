package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"doorstep/backend"
	"doorstep/backend/client"
	"doorstep/backend/demo"
	"doorstep/backend/signingkey"
	"doorstep/internal/wait"
)

// startServe runs `serve` on dataDir with extra arguments until the test
// ends, and returns its URL, its log and what it printed.
func startServe(t *testing.T, dataDir string, args ...string) (url string, log, stdout *syncBuffer) {
	t.Helper()
	urlFile := filepath.Join(t.TempDir(), "url")
	ctx, cancel := context.WithCancel(context.Background())
	log, stdout = &syncBuffer{}, &syncBuffer{}
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, append([]string{"serve", "-addr", "127.0.0.1:0", "-url-file", urlFile, "-data", dataDir}, args...),
			env(nil), stdout, log, fastHashes())
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-errc:
		case <-time.After(15 * time.Second):
			t.Error("server did not stop")
		}
	})
	return waitForFile(t, urlFile, errc), log, stdout
}

// The server makes its signing key on its first start and uses it from
// then on; `key` and GET /api/v1/server-key show the same one.
func TestSigningKeyIsMadeOnceAndShown(t *testing.T) {
	ctx := context.Background()
	dataDir := filepath.Join(t.TempDir(), "data")
	url, stderr, _ := startServe(t, dataDir)
	c, err := client.New(url)
	if err != nil {
		t.Fatal(err)
	}
	served, err := c.ServerKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	key, err := signingkey.Load(dataDir)
	if err != nil {
		t.Fatalf("no key in the data directory: %v", err)
	}
	if served.Fingerprint != backend.KeyFingerprint(signingkey.Public(key)) {
		t.Errorf("served %+v; the file's key has fingerprint %s", served, backend.KeyFingerprint(signingkey.Public(key)))
	}
	if !strings.Contains(stderr.String(), "made the server's signing key") || !strings.Contains(stderr.String(), served.Fingerprint) {
		t.Errorf("the log does not tell of the new key: %q", stderr.String())
	}
	var out, errOut syncBuffer
	if err := run(ctx, []string{"key", "-data", dataDir}, env(nil), &out, &errOut, fastHashes()); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"server id:   " + served.ServerID, "public key:  " + served.PublicKey, "fingerprint: " + served.Fingerprint} {
		if !strings.Contains(out.String(), want+"\n") {
			t.Errorf("`key` printed %q; want %q", out.String(), want)
		}
	}
	if errOut.String() != "" {
		t.Errorf("`key` said %q about a key that was there", errOut.String())
	}
}

// A key file that cannot be used stops the server with the sentence that
// says what to do, instead of a new key in its place.
func TestServerRefusesAnUnusableKey(t *testing.T) {
	dataDir := t.TempDir()
	bad := []byte("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
	if err := os.WriteFile(signingkey.Path(dataDir), bad, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stdout, stderr syncBuffer
	err := run(ctx, []string{"serve", "-addr", "127.0.0.1:0", "-data", dataDir}, env(nil), &stdout, &stderr, fastHashes())
	if !errors.Is(err, backend.ErrSigningKeyUnusable) || !strings.Contains(err.Error(), signingkey.Path(dataDir)) {
		t.Fatalf("err = %v; want the unusable key refused, naming its file", err)
	}
	if after, _ := os.ReadFile(signingkey.Path(dataDir)); string(after) != string(bad) {
		t.Error("the key file was replaced")
	}
	if _, err := os.Stat(filepath.Join(dataDir, databaseFile)); err == nil {
		t.Error("a database was made before the key was found unusable")
	}
}

// A key that went missing while the database holds signatures made with it
// stops the server, unless it is told to start over with a new key; a
// database with no signature yet just gets a key.
func TestServerRefusesToReplaceAMissingKey(t *testing.T) {
	ctx := context.Background()
	dataDir := filepath.Join(t.TempDir(), "data")
	url, _, _ := startServe(t, dataDir, "-demo")
	c, err := client.New(url)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := c.SignIn(ctx, demo.LandlordEmail, demo.Password)
	if err != nil {
		t.Fatal(err)
	}
	landlord := c.WithSession(sess.Token)
	convs, err := landlord.Conversations(ctx)
	if err != nil || len(convs) == 0 {
		t.Fatalf("conversations: %v", err)
	}
	if _, err := landlord.ChainHead(ctx, convs[0].ID); err != nil {
		t.Fatal(err)
	}
	old, _ := signingkey.Load(dataDir)

	// The same data, elsewhere, without its key (as a partial restore
	// would leave it).
	moved := t.TempDir()
	if err := os.CopyFS(moved, os.DirFS(dataDir)); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(signingkey.Path(moved)); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr syncBuffer
	err = run(ctx, []string{"serve", "-addr", "127.0.0.1:0", "-data", moved}, env(nil), &stdout, &stderr, fastHashes())
	if !errors.Is(err, backend.ErrSigningKeyMissing) {
		t.Fatalf("err = %v; want the missing key refused", err)
	}
	if _, err := os.Stat(signingkey.Path(moved)); err == nil {
		t.Fatal("a key was made in place of the missing one")
	}
	startServe(t, moved, "-new-signing-key")
	key, err := signingkey.Load(moved)
	if err != nil || key.Equal(old) {
		t.Errorf("with -new-signing-key: %v (same key: %v)", err, key.Equal(old))
	}
}

// The server started with -sign-every signs the conversations that changed
// on its own, and leaves out, with a log line saying where, one whose
// history was changed behind its back.
func TestPeriodicSigner(t *testing.T) {
	d := makeChainData(t)
	ctx := context.Background()
	signatures := func(dir string) (n int) {
		raw, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, databaseFile)+"?mode=ro&_busy_timeout=5000")
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		raw.QueryRow("SELECT count(*) FROM chain_signatures WHERE conversation_id = ?", d.conv).Scan(&n)
		return n
	}
	before := signatures(d.dir)
	// James writes twice; the second message is then changed in the file.
	execSQL(t, d.dir, fmt.Sprintf(`INSERT INTO messages (conversation_id, seq, sender_user_id, text, idem_key, created_at)
		SELECT conversation_id, 9, sender_user_id, 'an extra message', 'extra-9', created_at FROM messages WHERE conversation_id = %d AND seq = 8`, d.conv),
		fmt.Sprintf("UPDATE conversations SET last_seq = 9 WHERE id = %d", d.conv))
	url, log, stdout := startServe(t, d.dir, "-sign-every", "1s", "-metrics-addr", "127.0.0.1:0")
	wait.For(t, "the periodic signer found the changed history", func() bool {
		return strings.Contains(log.String(), "chain: not signing a history that no longer holds")
	})
	line := log.String()[strings.Index(log.String(), "chain: not signing"):]
	line = line[:strings.IndexByte(line, '\n')]
	if !strings.Contains(line, fmt.Sprintf("conversation=%d seq=9", d.conv)) {
		t.Errorf("log line %q does not name conversation %d, message 9", line, d.conv)
	}
	if n := signatures(d.dir); n != before {
		t.Errorf("%d signatures, want still %d: the broken history was signed", n, before)
	}

	// A good message in another conversation is signed on the next round.
	c, err := client.New(url)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := c.SignIn(ctx, demo.LandlordEmail, demo.Password)
	if err != nil {
		t.Fatal(err)
	}
	landlord := c.WithSession(sess.Token)
	convs, err := landlord.Conversations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	other := convs[slices.IndexFunc(convs, func(c backend.Conversation) bool { return c.ID != d.conv && c.Title == "Olivia Brown" })]
	sent, err := landlord.SendMessage(ctx, other.ID, backend.SendMessage{Key: "periodic-1", Text: "Renewal papers are on their way."})
	if err != nil {
		t.Fatal(err)
	}
	wait.For(t, "the periodic signer signed Olivia Brown's chat", func() bool {
		raw, err := sql.Open("sqlite3", "file:"+filepath.Join(d.dir, databaseFile)+"?mode=ro&_busy_timeout=5000")
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		var head string
		raw.QueryRow("SELECT head FROM chain_signatures WHERE conversation_id = ? AND seq = ?", other.ID, sent.Seq).Scan(&head)
		return head == sent.Hash
	})
	metricsURL := regexp.MustCompile(`metrics on (http://\S+/metrics)`).FindStringSubmatch(stdout.String())
	if metricsURL == nil {
		t.Fatalf("no metrics address in %q", stdout.String())
	}
	// Counted once the round that signed it is over.
	wait.For(t, "the metrics count the signed head and the problem", func() bool {
		families := scrape(t, metricsURL[1])
		return sample(families, "doorstep_chain_heads_signed_total") >= 1 && sample(families, "doorstep_chain_problems_total") >= 1
	})
}

func TestSignEveryFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want time.Duration
	}{
		{nil, nil, 10 * time.Minute},
		{nil, map[string]string{"DOORSTEP_SIGN_EVERY": "1h"}, time.Hour},
		{[]string{"-sign-every", "0"}, map[string]string{"DOORSTEP_SIGN_EVERY": "1h"}, 0},
	} {
		cfg, err := parseServeConfig(tc.args, env(tc.env), io.Discard)
		if err != nil || cfg.SignEvery != tc.want {
			t.Errorf("%v %v: %v, %v; want %v", tc.args, tc.env, cfg.SignEvery, err, tc.want)
		}
	}
	for _, bad := range []string{"soon", "-1m", "10ms"} {
		if _, err := parseServeConfig([]string{"-sign-every", bad}, env(nil), io.Discard); err == nil || !strings.Contains(err.Error(), "-sign-every") {
			t.Errorf("-sign-every %s: err = %v", bad, err)
		}
	}
}
