// Package signingkey keeps the server's ed25519 signing key in its data
// directory: one file, signing.key, PEM-encoded PKCS #8, readable by the
// server's user alone, made once and then only ever read. The key signs the
// heads of conversations' hash chains (backend/chain.go), so a lost or
// replaced key leaves every earlier signature without the key it was made
// with: a file that is there but cannot be used is refused, never quietly
// replaced.
package signingkey

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"doorstep/backend"
)

// FileName is the key's file in the data directory (and in a backup).
const FileName = "signing.key"

// pemType is the PEM block the key is written in.
const pemType = "PRIVATE KEY"

// Path is where the key of the data directory dir is.
func Path(dir string) string { return filepath.Join(dir, FileName) }

// Load reads the key of the data directory dir. With no key there it
// returns an error wrapping fs.ErrNotExist; a file that cannot be read or
// holds no ed25519 key is backend.ErrSigningKeyUnusable.
func Load(dir string) (ed25519.PrivateKey, error) {
	path := Path(dir)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w (%v)", path, backend.ErrSigningKeyUnusable, err)
	}
	key, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return key, nil
}

// Parse reads a key as Encode writes it.
func Parse(b []byte) (ed25519.PrivateKey, error) {
	block, rest := pem.Decode(b)
	if block == nil || block.Type != pemType || len(bytes.TrimSpace(rest)) > 0 {
		return nil, backend.ErrSigningKeyUnusable
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, backend.ErrSigningKeyUnusable
	}
	key, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, backend.ErrSigningKeyUnusable
	}
	return key, nil
}

// Encode is the key as its file holds it.
func Encode(key ed25519.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemType, Bytes: der}), nil
}

// LoadOrCreate reads the key of the data directory dir, or, when there is
// none, makes one and writes it there (created true). Two processes doing
// so at once end up with the same key: the file appears whole or not at
// all, and only the first is kept.
func LoadOrCreate(dir string) (key ed25519.PrivateKey, created bool, err error) {
	key, err = Load(dir)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, false, err
	}
	_, key, err = ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, false, err
	}
	body, err := Encode(key)
	if err != nil {
		return nil, false, err
	}
	tmp, err := os.CreateTemp(dir, "."+FileName+"-*")
	if err != nil {
		return nil, false, fmt.Errorf("signing key: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(body)
	if err == nil {
		err = tmp.Chmod(0o600) // CreateTemp makes it 0600 already; said here so it stays so
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, false, fmt.Errorf("signing key: %w", err)
	}
	// A link, unlike a rename, never replaces a key another process wrote
	// meanwhile.
	if err := os.Link(tmp.Name(), Path(dir)); errors.Is(err, fs.ErrExist) {
		key, err = Load(dir)
		return key, false, err
	} else if err != nil {
		return nil, false, fmt.Errorf("signing key: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return key, true, nil
}

// Public is the public half of key.
func Public(key ed25519.PrivateKey) ed25519.PublicKey { return key.Public().(ed25519.PublicKey) }
