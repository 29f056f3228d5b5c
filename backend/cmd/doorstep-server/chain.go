package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"doorstep/backend"
	"doorstep/backend/signingkey"
	"doorstep/backend/sqlite"
)

// defaultSignEvery is how often the server signs the heads of the
// conversations that changed: a change made behind its back (to the
// database or the files) is caught within that time by the check before
// signing, and anything it signed is pinned down by a signature.
const defaultSignEvery = 10 * time.Minute

// openSigningKey reads the signing key of the data directory, making it on
// the server's first start; one that cannot be used stops the server
// (signingkey.Load says why), and so does a missing one while the database
// holds signatures made with it, unless newKey says to start over. store
// is the -store URL ("" for SQLite in dir): where the signatures are.
func openSigningKey(ctx context.Context, dir, store string, newKey bool, logger *slog.Logger) (ed25519.PrivateKey, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	if _, err := os.Stat(signingkey.Path(dir)); errors.Is(err, fs.ErrNotExist) && !newKey {
		signed, err := holdsSignatures(ctx, dir, store)
		if err != nil {
			return nil, err
		}
		if signed {
			return nil, backend.ErrSigningKeyMissing
		}
	}
	key, created, err := signingkey.LoadOrCreate(dir)
	if err != nil {
		return nil, err
	}
	fp := backend.KeyFingerprint(signingkey.Public(key))
	if created {
		logger.Info("made the server's signing key; back it up with the data (doorstep-server backup does)", "file", signingkey.Path(dir), "fingerprint", fp)
	} else {
		logger.Info("signing key", "file", signingkey.Path(dir), "fingerprint", fp)
	}
	return key, nil
}

// defaultAuditEvery is how often the server checks every conversation's
// whole history, as verify-chain does: the periodic signer and signing on
// request look at a conversation only when it changes or is exported, so
// an edit to a quiet conversation is caught by this. A round costs about
// 1.9 s per 100,000 messages, read from a snapshot beside the writes.
const defaultAuditEvery = 24 * time.Hour

// recordSigningKey makes sure every node sharing the database signs with
// one key: the first key a node starts with is recorded there, and a node
// whose key differs refuses to start (backend.CheckSigningKey), unless
// newKey says to record its key in place of the other.
func recordSigningKey(ctx context.Context, db backend.SigningKeyRecord, key ed25519.PrivateKey, newKey bool, logger *slog.Logger) error {
	mine := backend.KeyFingerprint(signingkey.Public(key))
	recorded, err := db.RecordSigningKey(ctx, mine, newKey)
	if err != nil {
		return err
	}
	if err := backend.CheckSigningKey(recorded, mine); err != nil {
		return err
	}
	if newKey {
		logger.Warn("chain: recorded this server's signing key as the one every server sharing the database signs with", "fingerprint", mine)
	}
	return nil
}

// auditedStore is db as the periodic audit checks it: SQLite with the
// files of the data directory, PostgreSQL with the files it holds.
func auditedStore(cfg serveConfig, db serverStore) chainAuditor {
	switch s := db.(type) {
	case *sqlite.DB:
		return sqliteChains{db: s, filesDir: filepath.Join(cfg.DataDir, filesDirName)}
	case chainAuditor:
		return s
	}
	return nil
}

// auditChains is the periodic audit's round: every conversation's whole
// chain checked as verify-chain does, each problem logged with its
// conversation and seq and counted with the periodic signer's (observe,
// when not nil). A round that fails is logged, and the next one tries
// again.
func auditChains(ctx context.Context, db chainAuditor, trusted ed25519.PublicKey, logger *slog.Logger, observe func(signed, problems int)) error {
	start := time.Now()
	report, err := db.VerifyChains(ctx, trusted)
	if err != nil {
		if ctx.Err() == nil {
			logger.Error("chain: auditing every history", "err", err)
		}
		return err
	}
	if observe != nil {
		observe(0, len(report.Problems))
	}
	for _, p := range report.Problems {
		logger.Error("chain: the audit found a history that no longer holds", "conversation", p.ConversationID, "seq", p.Seq, "problem", p.Problem)
	}
	logger.Info("chain: audited every history", "conversations", report.Conversations, "messages", report.Messages,
		"files", report.Files, "signatures", report.Signatures, "problems", len(report.Problems), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// signChangedHeads is the periodic signer's round: the conversations
// whose chain no longer holds are logged, each with where, and not signed.
// observe, when not nil, is told what the round did (the metrics).
func signChangedHeads(ctx context.Context, db backend.ChainSigning, logger *slog.Logger, observe func(signed, problems int)) error {
	n, problems, err := db.SignChangedHeads(ctx)
	if observe != nil {
		observe(n, len(problems))
	}
	for _, p := range problems {
		logger.Error("chain: not signing a history that no longer holds", "conversation", p.ConversationID, "seq", p.Seq, "problem", p.Problem)
	}
	switch {
	case err != nil && ctx.Err() == nil:
		logger.Error("chain: signing heads", "err", err)
	case n > 0:
		logger.Info("chain: signed heads", "conversations", n)
	}
	return err
}

// keyCmd prints the server's public signing key and its fingerprint, for
// its host to publish or to compare with what a desktop app shows. It
// makes the key when the server has none yet, as the server would.
func keyCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs, target, err := parseDataCommand("key", args, getenv, stderr, nil)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return errors.New("usage: doorstep-server key [-data dir] [-store postgres://…]")
	}
	db, err := openAdmin(ctx, target, true)
	if err != nil {
		return err
	}
	id, err := db.ServerID(ctx)
	db.Close()
	if err != nil {
		return err
	}
	dir, err := resolveDataDir(target.Dir)
	if err != nil {
		return err
	}
	key, created, err := signingkey.LoadOrCreate(dir)
	if err != nil {
		return err
	}
	if created {
		fmt.Fprintf(stderr, "There was no signing key yet: made one in %s. Back it up with the data.\n", signingkey.Path(dir))
	}
	k := backend.NewServerKey(id, signingkey.Public(key))
	fmt.Fprintf(stdout, "server id:   %s\npublic key:  %s\nfingerprint: %s\n", k.ServerID, k.PublicKey, k.Fingerprint)
	return nil
}
