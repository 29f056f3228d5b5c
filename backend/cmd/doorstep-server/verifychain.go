package main

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"doorstep/backend"
	"doorstep/backend/filestore"
	"doorstep/backend/postgres"
	"doorstep/backend/signingkey"
	"doorstep/backend/sqlite"
)

// chainSchema is the first schema that records the chain.
const chainSchema = 6

// verifyChainCmd checks the tamper-evident history of a data directory (or
// of a backup, which is laid out like one), or of the PostgreSQL database
// of -store: every conversation's chain recomputed from the database and
// the stored files, against the hashes recorded and every signature the
// server made, with the server's key from signing.key in the data
// directory (each node has a copy). It prints each problem with its
// conversation and message and fails if there is any. It only reads, so it
// can run beside the server: what it checks is the database as of one
// moment.
func verifyChainCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs, target, err := parseDataCommand("verify-chain", args, getenv, stderr, nil)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return errors.New("usage: doorstep-server verify-chain [-data dir] [-store postgres://…] (a data directory or a backup; with -store, the PostgreSQL database, checked with the signing key in -data)")
	}
	if target.Dir, err = resolveDataDir(target.Dir); err != nil {
		return err
	}
	problems, keyNote, summary, err := checkChains(ctx, target)
	if err != nil {
		return err
	}
	for _, p := range problems {
		fmt.Fprintln(stdout, p)
	}
	fmt.Fprintln(stderr, keyNote)
	if n := len(problems); n > 0 {
		return fmt.Errorf("%s: %d problems (listed above); %s", target.where(), n, summary)
	}
	fmt.Fprintf(stdout, "%s: ok: every conversation's history matches its chain and every signature: %s\n", target.where(), summary)
	return nil
}

// trustedKey is the public key the signatures must be made with: the one
// in dir's signing.key. Without one there, each signature is checked with
// the key it carries, and the note says so.
func trustedKey(dir string) (ed25519.PublicKey, string, error) {
	key, err := signingkey.Load(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Sprintf("%s holds no %s: each signature was checked against the key it carries, not against this server's", dir, signingkey.FileName), nil
	}
	if err != nil {
		return nil, "", err
	}
	pub := signingkey.Public(key)
	return pub, fmt.Sprintf("signatures checked against the server's key, fingerprint %s", backend.KeyFingerprint(pub)), nil
}

// fileChecker compares each file stored in filesDir with what the
// database recorded of it.
func fileChecker(filesDir string) backend.FileCheck {
	var store *filestore.Store
	if _, err := os.Stat(filesDir); err == nil {
		store, _ = filestore.Open(filesDir, 0)
	}
	return func(storageName string, size int64, sum string) string {
		if store == nil {
			return backend.ChainFileMissing
		}
		f, err := store.Open(storageName)
		if err != nil {
			return backend.ChainFileMissing
		}
		defer f.Close()
		h := sha256.New()
		n, err := io.Copy(h, f)
		if err != nil || n != size || hex.EncodeToString(h.Sum(nil)) != sum {
			return backend.ChainFileChanged
		}
		return ""
	}
}

// chainAuditor is a store whose every conversation's chain can be
// checked against its stored files and signatures.
type chainAuditor interface {
	VerifyChains(ctx context.Context, trusted ed25519.PublicKey) (backend.ChainReport, error)
}

// chainVerifier is a chainAuditor opened for one check.
type chainVerifier interface {
	chainAuditor
	Close() error
}

// sqliteChains is the SQLite database of a data directory (or backup),
// opened only to read, with the files beside it.
type sqliteChains struct {
	db       *sqlite.DB
	filesDir string
}

func (s sqliteChains) VerifyChains(ctx context.Context, trusted ed25519.PublicKey) (backend.ChainReport, error) {
	return s.db.VerifyChains(ctx, trusted, fileChecker(s.filesDir))
}

func (s sqliteChains) Close() error { return s.db.Close() }

// openChains opens the database t names to check its chains, changing
// nothing: SQLite read-only, and PostgreSQL only when its schema is the
// one this program knows (opening brings an older one up to date).
func openChains(ctx context.Context, t dataTarget) (chainVerifier, error) {
	if t.Store != "" {
		if err := requireSchema(ctx, t.Store, true); err != nil {
			return nil, err
		}
		db, err := postgres.Open(ctx, t.Store)
		if err != nil {
			return nil, err
		}
		return db, nil
	}
	path := filepath.Join(t.Dir, databaseFile)
	db, err := sqlite.OpenReadOnly(ctx, path)
	if err != nil {
		return nil, err
	}
	if v, err := db.Schema(ctx); err != nil {
		db.Close()
		return nil, err
	} else if v < chainSchema {
		db.Close()
		return nil, fmt.Errorf("%s is at schema %d, from before the hash chain: start this doorstep-server on it once, which records the chain, then verify", path, v)
	}
	return sqliteChains{db: db, filesDir: filepath.Join(t.Dir, filesDirName)}, nil
}

// checkChains checks every conversation of the store t names (a data
// directory, a backup, or PostgreSQL) against its chain, its stored files
// and every signature, with the key in t.Dir: the problems found, a note
// on the key the signatures were checked with, and a summary of what was
// checked.
func checkChains(ctx context.Context, t dataTarget) (problems []string, keyNote, summary string, err error) {
	start := time.Now()
	db, err := openChains(ctx, t)
	if err != nil {
		return nil, "", "", err
	}
	defer db.Close()
	trusted, keyNote, err := trustedKey(t.Dir)
	if err != nil {
		return nil, "", "", err
	}
	report, err := db.VerifyChains(ctx, trusted)
	if err != nil {
		return nil, "", "", err
	}
	for _, p := range report.Problems {
		problems = append(problems, fmt.Sprint(p))
	}
	summary = fmt.Sprintf("%d conversations, %d messages, %d files, %d signatures checked in %s",
		report.Conversations, report.Messages, report.Files, report.Signatures, time.Since(start).Round(time.Millisecond))
	return problems, keyNote, summary, nil
}
