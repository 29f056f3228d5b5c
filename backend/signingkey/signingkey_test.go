package signingkey_test

import (
	"crypto/ed25519"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"doorstep/backend"
	"doorstep/backend/signingkey"
)

func TestLoadOrCreate(t *testing.T) {
	dir := t.TempDir()
	if _, err := signingkey.Load(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("no key yet: err = %v, want not-exist", err)
	}
	key, created, err := signingkey.LoadOrCreate(dir)
	if err != nil || !created || len(key) != ed25519.PrivateKeySize {
		t.Fatalf("first start: %d-byte key, created %v, %v", len(key), created, err)
	}
	fi, err := os.Stat(signingkey.Path(dir))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v; want mode 0600", fi, err)
	}
	again, created, err := signingkey.LoadOrCreate(dir)
	if err != nil || created || !again.Equal(key) {
		t.Errorf("second start: created %v, same key %v, %v", created, again.Equal(key), err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the data directory holds %v; want the key alone", entries)
	}
}

// Two processes starting on a new data directory at once keep one key.
func TestConcurrentCreationKeepsOneKey(t *testing.T) {
	dir := t.TempDir()
	keys := make([]ed25519.PrivateKey, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			k, _, err := signingkey.LoadOrCreate(dir)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	for _, k := range keys[1:] {
		if !k.Equal(keys[0]) {
			t.Fatal("concurrent starts ended with different keys")
		}
	}
}

// A key file that cannot be used is refused with the sentence, and left
// as it is: never replaced by a new key.
func TestUnusableKeyIsRefusedNotReplaced(t *testing.T) {
	for name, content := range map[string][]byte{
		"Empty":      {},
		"NotPEM":     []byte("hello"),
		"Truncated":  nil, // filled below
		"AnotherKey": []byte("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n"),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if content == nil {
				key, _, err := signingkey.LoadOrCreate(t.TempDir())
				if err != nil {
					t.Fatal(err)
				}
				full, _ := signingkey.Encode(key)
				content = full[:len(full)/2]
			}
			os.WriteFile(filepath.Join(dir, signingkey.FileName), content, 0o600)
			_, created, err := signingkey.LoadOrCreate(dir)
			if !errors.Is(err, backend.ErrSigningKeyUnusable) || created {
				t.Errorf("err = %v, created %v; want ErrSigningKeyUnusable", err, created)
			}
			if after, _ := os.ReadFile(filepath.Join(dir, signingkey.FileName)); string(after) != string(content) {
				t.Error("the unusable key file was replaced")
			}
		})
	}
}
