package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"path/filepath"
	"strings"

	"doorstep/backend"
	"doorstep/backend/demo"
	"doorstep/backend/filestore"
	"doorstep/backend/postgres"
	"doorstep/backend/sqlite"
)

// The server's store: SQLite in the data directory (the default: one
// command, nothing to set up), or PostgreSQL with -store postgres://…,
// where several server nodes can share one database. The data directory
// keeps the rest either way (the signing key, files, the dev mailbox).

// serverStore is what serve needs of a store.
type serverStore interface {
	backend.Store
	backend.NotificationQueue
	backend.Maintenance
	backend.CommitHooks
	backend.ChainSigning
	backend.SigningKeyRecord
	demo.Store
	// QueuedNotifications is the depth of the outbox, for metrics.
	QueuedNotifications(ctx context.Context) (int, error)
	Close() error
}

var (
	_ serverStore = (*sqlite.DB)(nil)
	_ serverStore = (*postgres.DB)(nil)
	// Nodes sharing PostgreSQL run each periodic job's round on one node.
	_ exclusiveJobs = (*postgres.DB)(nil)
)

// checkStoreURL accepts an empty -store (SQLite) or a PostgreSQL URL. The
// value is not repeated in the error: it may hold a password.
func checkStoreURL(v string) error {
	if v == "" || strings.HasPrefix(v, "postgres://") || strings.HasPrefix(v, "postgresql://") {
		return nil
	}
	return errors.New("-store: want a postgres:// or postgresql:// URL, or nothing for SQLite in the data directory")
}

// openStore opens the store cfg names, with the server's signing key.
func openStore(ctx context.Context, cfg serveConfig, key ed25519.PrivateKey, metered *metricsDoor) (serverStore, error) {
	if cfg.Store == "" {
		opts := append([]sqlite.Option{sqlite.WithSigningKey(key)}, cfg.store...)
		db, err := openData(ctx, cfg.DataDir, append(opts, metered.storeOptions()...)...)
		if err != nil {
			return nil, err
		}
		return db, nil
	}
	db, err := postgres.Open(ctx, cfg.Store, postgres.WithSigningKey(key))
	if err != nil {
		return nil, err
	}
	return db, nil
}

// openFiles opens where uploaded files are kept: the data directory beside
// SQLite, or the PostgreSQL database itself, which every node sharing it
// reads (see backend/postgres/blobs.go for why there).
func openFiles(cfg serveConfig, db serverStore) (filestore.Files, error) {
	if pg, ok := db.(*postgres.DB); ok {
		return pg.Files(cfg.MaxUploadMB << 20), nil
	}
	disk, err := filestore.Open(filepath.Join(cfg.DataDir, "files"), cfg.MaxUploadMB<<20)
	if err != nil {
		return nil, err
	}
	return disk, nil
}

// holdsSignatures reports whether the store (SQLite in dir, or PostgreSQL
// at the -store URL) holds head signatures, before it is opened.
func holdsSignatures(ctx context.Context, dir, store string) (bool, error) {
	if store == "" {
		return sqlite.HoldsSignatures(ctx, filepath.Join(dir, databaseFile))
	}
	return postgres.HoldsSignatures(ctx, store)
}
