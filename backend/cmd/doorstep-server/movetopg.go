package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"doorstep/backend"
	"doorstep/backend/filestore"
	"doorstep/backend/postgres"
	"doorstep/backend/signingkey"
	"doorstep/backend/sqlite"
)

// moveToPostgresCmd moves a SQLite server's data directory into an empty
// PostgreSQL database, for a server that outgrows one machine: every table
// and every uploaded file, with the same ids and the same server id, so
// that the nodes started on it with -store continue the same server
// (clients resume with `since`, signed in as before). The SQLite server
// must be stopped: the database is opened exclusively, which a running
// server prevents (see sqlite.MoveSource), and which in turn keeps a
// server from starting on it while the move reads. The database part and
// the files are one transaction in PostgreSQL (postgres.MoveIn): a move
// that fails or is interrupted leaves the database as empty as it was,
// and can be run again. Afterwards it runs verify-chain's check on the
// new database. The SQLite data directory is left as it was.
func moveToPostgresCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs, target, err := parseDataCommand("move-to-postgres", args, getenv, stderr, nil)
	if err != nil {
		return err
	}
	if target.Store == "" || fs.NArg() > 0 {
		return errors.New("usage: doorstep-server move-to-postgres [-data dir] -store postgres://… (or DOORSTEP_STORE): moves the stopped SQLite server of the data directory into that empty PostgreSQL database")
	}
	if target.Dir, err = resolveDataDir(target.Dir); err != nil {
		return err
	}
	dbPath := filepath.Join(target.Dir, databaseFile)
	if _, err := os.Stat(dbPath); err != nil {
		return fmt.Errorf("no SQLite database at %s (set -data or DOORSTEP_DATA_DIR to the SQLite server's data directory); nothing was moved", dbPath)
	}
	start := time.Now()
	src, err := sqlite.OpenMoveSource(ctx, dbPath)
	switch {
	case errors.Is(err, sqlite.ErrInUse):
		return fmt.Errorf("%s is in use: stop the doorstep-server running on it first (the move copies a database that no longer changes); nothing was moved", dbPath)
	case errors.Is(err, sqlite.ErrNotCurrent):
		return fmt.Errorf("%v: start this doorstep-server %s on it once (serve -data %s), which brings it up to date, stop it, and move again; nothing was moved",
			err, backend.Version, target.Dir)
	case err != nil:
		return err
	}
	defer src.Close()
	db, err := postgres.Open(ctx, target.Store)
	if err != nil {
		return err
	}
	defer db.Close()
	files, err := filestore.Open(filepath.Join(target.Dir, filesDirName), 0)
	if err != nil {
		return err
	}
	report, err := db.MoveIn(ctx, movingSQLite{src}, func(name string) (io.ReadCloser, error) { return files.Open(name) })
	var notEmpty *postgres.MoveTargetNotEmptyError
	var damaged *postgres.MovedFilesDamagedError
	switch {
	case errors.As(err, &notEmpty):
		return fmt.Errorf("the PostgreSQL database (-store) already holds Doorstep data (its table %s has rows): move-to-postgres fills only an empty database, so that nothing there is overwritten; nothing was moved (create a new, empty database for it)", notEmpty.Table)
	case errors.As(err, &damaged):
		for _, f := range damaged.Files {
			fmt.Fprintln(stderr, filesDirName+"/"+f)
		}
		return fmt.Errorf("%d uploaded files in %s are missing or no longer what the database recorded of them (listed above), and a history is moved only as it was stored: nothing was moved. Put those files back from a backup (`doorstep-server verify-chain -data %s` names the messages they belong to) and move again",
			len(damaged.Files), filepath.Join(target.Dir, filesDirName), target.Dir)
	case err != nil:
		return fmt.Errorf("the move stopped: %w. It is one transaction, so the PostgreSQL database holds nothing of it (should it say otherwise, drop the database and create it again, empty); run the move again", err)
	}
	// The SQLite database is not needed any more: let it go before the
	// check, which may take a while.
	src.Close()
	took := time.Since(start)
	printMoveReport(stdout, target.Dir, report, took)

	problems, keyNote, summary, err := checkChains(ctx, target)
	if err != nil {
		return fmt.Errorf("moved, but the check afterwards failed: %w; run `doorstep-server verify-chain -data %s -store …` before starting the nodes", err, target.Dir)
	}
	for _, p := range problems {
		fmt.Fprintln(stdout, p)
	}
	fmt.Fprintln(stdout, keyNote)
	if len(problems) > 0 {
		return fmt.Errorf("moved, but the check of every history against its chain, files and signatures found %d problems (listed above). "+
			"If `doorstep-server verify-chain -data %s` finds the same in the SQLite data directory, they came with the history as it was stored; "+
			"if not, the move went wrong: drop the PostgreSQL database, create it again, empty, and move again (%s)",
			len(problems), target.Dir, summary)
	}
	fmt.Fprintf(stdout, "checked as verify-chain does: every conversation's history matches its chain and every signature: %s\n", summary)
	fmt.Fprintln(stdout, nextSteps(target.Dir))
	return nil
}

// movingSQLite is the SQLite store's database as postgres.MoveIn reads
// it (the same methods; Rows returns the interface).
type movingSQLite struct{ *sqlite.MoveSource }

func (s movingSQLite) Rows(ctx context.Context, table string, columns []string) (postgres.MoveRows, error) {
	rows, err := s.MoveSource.Rows(ctx, table, columns)
	if err != nil {
		return nil, err
	}
	return rows, nil
}

// printMoveReport says what was moved: rows per table, files, bytes, and
// what was left behind.
func printMoveReport(w io.Writer, dir string, r postgres.MoveReport, took time.Duration) {
	var rows int64
	for _, n := range r.Rows {
		rows += n
	}
	fmt.Fprintf(w, "moved %s into the PostgreSQL database (-store) in %s, in one transaction: %d rows, %d files (%s)\n",
		dir, took.Round(time.Millisecond), rows, r.Files, megabytes(r.Bytes))
	for _, table := range r.Order {
		fmt.Fprintf(w, "  %-22s %d\n", table, r.Rows[table])
	}
	partials := unfinishedUploads(filepath.Join(dir, filesDirName))
	fmt.Fprintf(w, "not moved: %d unfinished uploads (%s/partial): clients asking to go on with one are told to start it again\n", partials, filesDirName)
	if stray := storedFiles(filepath.Join(dir, filesDirName)) - r.Files; stray > 0 {
		fmt.Fprintf(w, "not moved: %d files in %s that no record refers to (uploads cut off before they were recorded)\n", stray, filesDirName)
	}
	tables := make([]string, 0, len(r.NotMoved))
	for t := range r.NotMoved {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	fmt.Fprintf(w, "left as they are: %s\n", strings.Join(tables, ", "))
}

// unfinishedUploads counts the resumable uploads under way in a files
// directory (each has a .json of what was promised).
func unfinishedUploads(filesDir string) int {
	entries, _ := os.ReadDir(filepath.Join(filesDir, "partial"))
	n := 0
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") {
			n++
		}
	}
	return n
}

// storedFiles counts the stored files of a files directory.
func storedFiles(filesDir string) int64 {
	entries, _ := os.ReadDir(filesDir)
	var n int64
	for _, e := range entries {
		if e.Type().IsRegular() && filestore.ValidName(e.Name()) {
			n++
		}
	}
	return n
}

// nextSteps tells the operator what is left to do: the key to copy, the
// nodes to start, and the SQLite server not to start again.
func nextSteps(dir string) string {
	key := "this data directory holds no " + signingkey.FileName + " (the SQLite server never signed): the nodes make one on their first start, unless the database holds signatures"
	if k, err := signingkey.Load(dir); err == nil {
		key = fmt.Sprintf("copy %s (fingerprint %s) to the data directory of every node: they must sign with this key", signingkey.Path(dir), backend.KeyFingerprint(signingkey.Public(k)))
	}
	return "Next: " + key + "; then start the nodes with -store (or DOORSTEP_STORE) on this database (docs/deploy.md, Several nodes). " +
		"Do not start the SQLite server on " + dir + " again: it has the same server id, and desktop apps would take its history and the nodes' for one."
}
