package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"doorstep/backend"
	"doorstep/backend/backup"
	"doorstep/backend/filestore"
	"doorstep/backend/signingkey"
	"doorstep/backend/sqlite"
)

// filesDirName is where the file store keeps uploads inside the data
// directory, and a backup keeps them too.
const filesDirName = backup.FilesDir

// backupCmd writes a backup of a data directory into a new or empty
// directory, while a server may be running on it and writing.
//
// Order: the database first, then the files its copy refers to. A stored
// file is on disk, synced and renamed into place, before the row that
// refers to it is committed (filestore.Save, then the store's CreateFile),
// and no file with a row is ever deleted; so every file the snapshot names
// is already on disk when the snapshot is taken, and still there when it
// is copied. Copying the files first would miss those whose rows commit in
// between.
//
// Not copied: unfinished resumable uploads (files/partial). No message
// refers to them, their bytes change while they are copied, and they
// expire within two days anyway; after a restore a client asking to go on
// with one is told there is no such upload and starts it again. Files
// whose row was never committed (an upload cut off between the two steps)
// are not copied either: nothing refers to them. Nor is the dev mailbox,
// which is for trying the server out.
//
// The signing key is copied: the signatures in the database can be checked
// only with it, and a restored server must go on signing with it.
func backupCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs, target, err := parseDataCommand("backup", args, getenv, stderr, nil)
	if err != nil {
		return err
	}
	if err := sqliteOnly("backup", target.Store); err != nil {
		return err
	}
	dir := target.Dir
	if fs.NArg() != 1 {
		return errors.New("usage: doorstep-server backup [-data dir] DEST (a new or empty directory)")
	}
	dest := fs.Arg(0)
	if dir, err = resolveDataDir(dir); err != nil {
		return err
	}
	dbPath := filepath.Join(dir, databaseFile)
	if _, err := os.Stat(dbPath); err != nil {
		return fmt.Errorf("no database at %s (set -data or DOORSTEP_DATA_DIR to the server's data directory)", dbPath)
	}
	start := time.Now()
	draft, err := backup.Create(dest)
	if err != nil {
		return err
	}
	committed := false
	defer func() {
		if !committed {
			draft.Abort()
		}
	}()
	db, err := sqlite.OpenReadOnly(ctx, dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	copyPath, err := draft.Path(backup.DatabaseName)
	if err != nil {
		return err
	}
	if err := db.Backup(ctx, copyPath); err != nil {
		return err
	}
	dbEntry, err := draft.Add(backup.DatabaseName)
	if err != nil {
		return err
	}
	copied, err := sqlite.InspectCopy(ctx, copyPath)
	if err != nil {
		return err
	}
	if len(copied.Integrity) > 0 {
		return fmt.Errorf("the database copy fails its integrity check (%s); the database in %s may be damaged; nothing was written", copied.Integrity[0], dir)
	}
	store, err := filestore.Open(filepath.Join(dir, filesDirName), 0)
	if err != nil {
		return err
	}
	var damaged []string
	var fileBytes int64
	for _, f := range copied.Files {
		e, err := copyStoredFile(store, draft, f.StorageName)
		if err != nil {
			damaged = append(damaged, fmt.Sprintf("%s/%s: %v", filesDirName, f.StorageName, err))
			continue
		}
		if e.Size != f.Size || e.SHA256 != f.SHA256 {
			damaged = append(damaged, fmt.Sprintf("%s: differs from what the database recorded of it", e.Path))
		}
		fileBytes += e.Size
	}
	key, err := copySigningKey(dir, draft)
	if err != nil {
		return err
	}
	m, err := draft.Commit(backup.Manifest{Created: start.UTC(), ServerVersion: backend.Version, SchemaVersion: copied.Schema})
	if err != nil {
		return err
	}
	committed = true
	fmt.Fprintf(stdout, "backup of %s written to %s in %s: database %s (schema %d), %d stored files (%s), %s, %d files in the manifest\n",
		dir, dest, time.Since(start).Round(time.Millisecond), megabytes(dbEntry.Size), copied.Schema, len(copied.Files), megabytes(fileBytes), key, len(m.Files))
	if len(damaged) > 0 {
		for _, d := range damaged {
			fmt.Fprintln(stderr, d)
		}
		return fmt.Errorf("the backup is written, but %d stored files in %s are missing or damaged (listed above); `doorstep-server verify %s` will report them", len(damaged), dir, dest)
	}
	return nil
}

// copyStoredFile copies one stored file into the backup.
func copyStoredFile(store *filestore.Store, draft *backup.Draft, storageName string) (backup.Entry, error) {
	f, err := store.Open(storageName)
	if err != nil {
		return backup.Entry{}, err
	}
	defer f.Close()
	return draft.Copy(filesDirName+"/"+storageName, f)
}

// copySigningKey copies the data directory's signing key into the backup,
// if it has one, and says which it was (never the key itself).
func copySigningKey(dir string, draft *backup.Draft) (string, error) {
	key, err := signingkey.Load(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return "no signing key", nil
	}
	if err != nil {
		return "", err
	}
	f, err := os.Open(signingkey.Path(dir))
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := draft.Copy(signingkey.FileName, f); err != nil {
		return "", err
	}
	return "the signing key (fingerprint " + backend.KeyFingerprint(signingkey.Public(key)) + ")", nil
}

// sqliteOnly refuses a command that works on the files of SQLite's data
// directory (backup, restore, verify of a backup) for a deployment on
// PostgreSQL (store, from -store or DOORSTEP_STORE), whose database has
// nothing in that directory to copy.
func sqliteOnly(cmd, store string) error {
	if store == "" {
		return nil
	}
	return fmt.Errorf("%s works on SQLite's data directory only; with the data in PostgreSQL (-store or DOORSTEP_STORE), "+
		"back up the database with pg_dump and restore it with pg_restore (uploaded files are in it too), "+
		"and keep a copy of signing.key from the data directory with every backup", cmd)
}

// megabytes writes a size for people.
func megabytes(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/(1<<20)) }

// verifyCmd checks a backup and prints what is wrong with it.
func verifyCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var store string
	fs := flag.NewFlagSet("doorstep-server verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&store, "store", "", "refused: backups of PostgreSQL are made and checked with its own tools, its histories with verify-chain -store")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// A backup named on the command line is SQLite's whatever the
	// environment says the server runs on: DOORSTEP_STORE, set for the
	// server, refuses only a verify with nothing else to check.
	if store == "" && fs.NArg() == 0 {
		store = getenv("DOORSTEP_STORE")
	}
	if store != "" {
		return fmt.Errorf("%w; to check the histories in a PostgreSQL database against their chains and signatures, run doorstep-server verify-chain -store URL -data DIR (DIR holding the servers' signing.key)", sqliteOnly("verify", store))
	}
	if fs.NArg() != 1 {
		return errors.New("usage: doorstep-server verify DIR (a backup made by doorstep-server backup)")
	}
	src := fs.Arg(0)
	m, problems, err := verifyBackup(ctx, src)
	if err != nil {
		return err
	}
	// A sound copy is also checked against its hash chains: a history
	// changed before the backup was made shows here too.
	chains := "from before the hash chain"
	if len(problems) == 0 && m.SchemaVersion >= chainSchema {
		var chainProblems []string
		var summary string
		if chainProblems, _, summary, err = checkChains(ctx, dataTarget{Dir: src}); err != nil {
			return err
		}
		problems = append(problems, chainProblems...)
		chains = "every history matches its chain and signatures (" + summary + ")"
	}
	for _, p := range problems {
		fmt.Fprintln(stdout, p)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s: %d problems (listed above)", src, len(problems))
	}
	var size int64
	for _, e := range m.Files {
		size += e.Size
	}
	fmt.Fprintf(stdout, "%s: ok: made %s by doorstep-server %s, schema %d, %d files (%s), every one as the manifest says; the database copy passes its integrity check and holds every file it refers to; %s; %s\n",
		src, m.Created.Local().Format("2006-01-02 15:04:05"), m.ServerVersion, m.SchemaVersion, len(m.Files), megabytes(size), backupKey(src), chains)
	return nil
}

// verifyBackup checks the backup in dir: every file against the manifest
// (missing, extra, another size or checksum), PRAGMA integrity_check on the
// database copy, and every file the copy refers to present and as the
// database recorded it. An error means dir is no backup at all.
func verifyBackup(ctx context.Context, dir string) (backup.Manifest, []string, error) {
	m, problems, err := backup.Check(dir)
	if err != nil {
		return m, nil, err
	}
	if m.SchemaVersion > sqlite.SchemaVersion() {
		return m, append(problems, newerBackup(dir, m)), nil
	}
	listed := map[string]backup.Entry{}
	for _, e := range m.Files {
		listed[e.Path] = e
	}
	if _, ok := listed[backup.DatabaseName]; !ok {
		return m, append(problems, fmt.Sprintf("%s: the manifest lists no database copy", backup.DatabaseName)), nil
	}
	copied, err := sqlite.InspectCopy(ctx, filepath.Join(dir, backup.DatabaseName))
	if err != nil {
		return m, append(problems, fmt.Sprintf("%s: cannot be read as a database: %v", backup.DatabaseName, err)), nil
	}
	const shown = 10 // integrity_check can list thousands of lines
	for i, line := range copied.Integrity {
		if i == shown {
			problems = append(problems, fmt.Sprintf("%s: integrity check: %d more", backup.DatabaseName, len(copied.Integrity)-shown))
			break
		}
		problems = append(problems, fmt.Sprintf("%s: integrity check: %s", backup.DatabaseName, line))
	}
	if copied.Schema != m.SchemaVersion {
		problems = append(problems, fmt.Sprintf("%s: at schema %d, the manifest says %d", backup.DatabaseName, copied.Schema, m.SchemaVersion))
	}
	if _, ok := listed[signingkey.FileName]; ok {
		if _, err := signingkey.Load(dir); err != nil {
			problems = append(problems, fmt.Sprintf("%s: not a signing key the server can use", signingkey.FileName))
		}
	}
	for _, f := range copied.Files {
		rel := filesDirName + "/" + f.StorageName
		e, ok := listed[rel]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s: the database refers to it but the backup does not hold it", rel))
		case e.Size != f.Size || e.SHA256 != f.SHA256:
			problems = append(problems, fmt.Sprintf("%s: differs from what the database recorded of it", rel))
		}
	}
	return m, problems, nil
}

// backupKey says which signing key a verified backup holds: its
// fingerprint, never the key.
func backupKey(dir string) string {
	key, err := signingkey.Load(dir)
	if err != nil {
		return "no signing key"
	}
	return "signing key fingerprint " + backend.KeyFingerprint(signingkey.Public(key))
}

// newerBackup is the refusal of a backup made at a schema this program
// does not know.
func newerBackup(dir string, m backup.Manifest) string {
	return fmt.Sprintf("%s was made by doorstep-server %s at schema %d, newer than this doorstep-server %s knows (schema %d): verify and restore it with doorstep-server %s or newer",
		dir, m.ServerVersion, m.SchemaVersion, backend.Version, sqlite.SchemaVersion(), m.ServerVersion)
}

// renewServerID gives a restored database a server id of its own. Its
// history went back to the backup, while desktop apps may have synced what
// came after: a new id tells them to start over from the restored history
// instead of mixing the two (they key their caches by it).
func renewServerID(ctx context.Context) func(dir string) error {
	return func(dir string) error {
		db, err := sqlite.Open(ctx, filepath.Join(dir, databaseFile))
		if err != nil {
			return err
		}
		_, err = db.RenewServerID(ctx)
		if cerr := db.Close(); err == nil {
			err = cerr
		}
		return err
	}
}

// restoreCmd restores a backup into a new or empty data directory, after
// verifying it. It never touches a data directory that holds anything.
func restoreCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs, target, err := parseDataCommand("restore", args, getenv, stderr, nil)
	if err != nil {
		return err
	}
	if err := sqliteOnly("restore", target.Store); err != nil {
		return err
	}
	dir := target.Dir
	if fs.NArg() != 1 {
		return errors.New("usage: doorstep-server restore [-data dir] SRC (a backup made by doorstep-server backup)")
	}
	src := fs.Arg(0)
	if dir, err = resolveDataDir(dir); err != nil {
		return err
	}
	if empty, err := backup.EmptyOrAbsent(dir); err != nil {
		return err
	} else if !empty {
		return fmt.Errorf("%s is not empty: restore goes only into a new or empty data directory, so nothing there is overwritten; nothing was changed (stop the server, move the directory aside, and restore again)", dir)
	}
	m, err := backup.Read(src)
	if err != nil {
		return err
	}
	if m.SchemaVersion > sqlite.SchemaVersion() {
		return fmt.Errorf("%s; nothing was restored", newerBackup(src, m))
	}
	m, problems, err := verifyBackup(ctx, src)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(stderr, p)
		}
		return fmt.Errorf("%s does not verify (%d problems, listed above); nothing was restored", src, len(problems))
	}
	if err := backup.Unpack(src, m, dir, renewServerID(ctx)); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	fmt.Fprintf(stdout, "restored the backup made %s by doorstep-server %s into %s; start the server on it with -data %s\n",
		m.Created.Local().Format("2006-01-02 15:04:05"), m.ServerVersion, dir, dir)
	return nil
}
