package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"doorstep/backend"
	"doorstep/backend/client"
	"doorstep/backend/signingkey"
)

// startServe runs `serve` on dataDir with extra arguments until the test
// ends, and returns its URL.
func startServe(t *testing.T, dataDir string, args ...string) (string, *syncBuffer) {
	t.Helper()
	urlFile := filepath.Join(t.TempDir(), "url")
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, append([]string{"serve", "-addr", "127.0.0.1:0", "-url-file", urlFile, "-data", dataDir}, args...),
			env(nil), &stdout, &stderr, fastHashes())
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-errc:
		case <-time.After(15 * time.Second):
			t.Error("server did not stop")
		}
	})
	return waitForFile(t, urlFile, errc), &stderr
}

// The server makes its signing key on its first start and uses it from
// then on; `key` and GET /api/v1/server-key show the same one.
func TestSigningKeyIsMadeOnceAndShown(t *testing.T) {
	ctx := context.Background()
	dataDir := filepath.Join(t.TempDir(), "data")
	url, stderr := startServe(t, dataDir)
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
