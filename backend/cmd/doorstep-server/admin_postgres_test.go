package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/bcrypt"

	"doorstep/backend"
	"doorstep/backend/postgres"
	"doorstep/backend/signingkey"
	"doorstep/backend/sqlite"
	"doorstep/internal/pgtest"
)

// adminStep is one command of an operator's session: its arguments, and
// what to do with what it printed (nil: nothing).
type adminStep struct {
	args  []string
	after func(t *testing.T, db adminStore, stdout string)
}

// TestAdminCommandsOnPostgres: an operator's session with the data
// commands (add-landlord, org, import, portal-link, sign-out, demo), the
// store named only by DOORSTEP_STORE, prints and fails exactly as the same
// session on SQLite does (tokens aside), and does what it says: the link
// signs the tenant in, sign-out ends that session. Nothing is written to
// the data directory's SQLite.
func TestAdminCommandsOnPostgres(t *testing.T) {
	ctx := context.Background()
	csv := filepath.Join(t.TempDir(), "tenants.csv")
	os.WriteFile(csv, []byte("property,unit,tenant_name,tenant_email,lease_start,lease_end,rent\n"+
		"Quay House,1,Ann Lee,ann@example.com,2025-01-01,,900\nQuay House,2,Bo Kim,bo@example.com,2025-03-01,2027-02-28,950.50\n"), 0o600)
	badCSV := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(badCSV, []byte("property,unit,tenant_name,tenant_email,lease_start\nQuay House,3,Cy Doe,cy@example.com,2025-02-30\n"), 0o600)

	var tenantSession string // Ann's, from her portal link
	steps := []adminStep{
		{args: []string{"add-landlord", "-org", "Pat's Flats", "-tz", "Europe/Dublin", "-currency", "eur", "-locale", "en-GB", "-email", "pat@flats.test", "-name", "Pat"}},
		{args: []string{"add-landlord", "-sub-user", "-main", "PAT@flats.test", "-email", "sam@flats.test", "-name", "Sam"}},
		{args: []string{"add-landlord", "-sub-user", "-main", "sam@flats.test", "-email", "kim@flats.test", "-name", "Kim"}},
		{args: []string{"add-landlord", "-org", "Copy Flats", "-tz", "UTC", "-email", "pat@flats.test", "-name", "Pat"}},
		{args: []string{"org", "-main", "pat@flats.test", "-currency", "GBP", "-locale", "en-GB"}, after: func(t *testing.T, db adminStore, _ string) {
			s, err := db.SignIn(ctx, "pat@flats.test", "a long password")
			if err != nil {
				t.Fatal(err)
			}
			if me, err := db.Me(ctx, s.Token); err != nil || me.Currency != "GBP" || me.Locale != "en-GB" {
				t.Errorf("after org: %q %q, %v", me.Currency, me.Locale, err)
			}
		}},
		{args: []string{"org", "-main", "sam@flats.test", "-currency", "GBP", "-locale", "en-GB"}},
		{args: []string{"import", "-landlord", "pat@flats.test", csv}},
		{args: []string{"import", "-landlord", "pat@flats.test", csv}},
		{args: []string{"import", "-landlord", "pat@flats.test", badCSV}},
		{args: []string{"import", "-landlord", "nobody@flats.test", csv}},
		{args: []string{"portal-link", "-tenant", "ANN@example.com", "-public-url", "https://chat.example.org/"}, after: func(t *testing.T, db adminStore, stdout string) {
			token := strings.TrimPrefix(strings.TrimSpace(stdout), "https://chat.example.org/portal/i/")
			s, err := db.RedeemInvite(ctx, token)
			if err != nil || s.Me.Name != "Ann Lee" || s.Me.Kind != backend.KindTenant {
				t.Fatalf("the link signs in %+v, %v; want the tenant Ann Lee", s.Me, err)
			}
			tenantSession = s.Token
		}},
		{args: []string{"portal-link", "-tenant", "nobody@example.com"}},
		{args: []string{"sign-out", "-email", "ann@example.com"}, after: func(t *testing.T, db adminStore, _ string) {
			if _, err := db.Authenticate(ctx, tenantSession); backend.ErrorCode(err) != backend.EUNAUTHORIZED {
				t.Errorf("Ann's session after sign-out: %v; want it ended", err)
			}
		}},
		{args: []string{"sign-out", "-email", "pat@flats.test"}},
		{args: []string{"sign-out", "-email", "sam@flats.test"}},
		{args: []string{"sign-out", "-email", "nobody@flats.test"}},
		{args: []string{"demo"}},
	}

	sqliteDir := t.TempDir()
	onSQLite := runAdminSession(t, steps, map[string]string{"DOORSTEP_DATA_DIR": sqliteDir}, func(t *testing.T) adminStore {
		db, err := sqlite.Open(ctx, filepath.Join(sqliteDir, databaseFile), fastHashes())
		if err != nil {
			t.Fatal(err)
		}
		return db
	})
	dsn := pgtest.NewDatabase(t)
	pgDir := t.TempDir()
	onPostgres := runAdminSession(t, steps, map[string]string{"DOORSTEP_DATA_DIR": pgDir, "DOORSTEP_STORE": dsn}, func(t *testing.T) adminStore {
		db, err := postgres.Open(ctx, dsn, postgres.WithBcryptCost(bcrypt.MinCost))
		if err != nil {
			t.Fatal(err)
		}
		return db
	})

	for _, want := range []string{
		"added main account pat@flats.test",
		"added sub-user sam@flats.test",
		"No landlord's main account has the e-mail sam@flats.test.",
		"There is already a user with the e-mail pat@flats.test.",
		"the organisation of pat@flats.test now writes money in GBP and dates as en-GB",
		"imported 2 rows: 1 new properties, 2 new units, 2 new tenants, 2 new leases",
		"imported 2 rows: 0 new properties, 0 new units, 0 new tenants, 0 new leases",
		"nothing imported",
		"https://chat.example.org/portal/i/TOKEN",
		"Single-use link for Ann Lee, valid 7 days",
		"No tenant has the e-mail address nobody@example.com.",
		"Signed out Ann Lee (tenant, Pat's Flats): 1 session ended.",
		"Signed out Pat (landlord user, Pat's Flats): 1 session ended.",
		"Sam (landlord user, Pat's Flats) had no open session.",
		"No landlord user or tenant has the e-mail address nobody@flats.test.",
		"demo: the database already has data; nothing added",
	} {
		if !strings.Contains(onPostgres, want) {
			t.Errorf("the session on PostgreSQL lacks %q:\n%s", want, onPostgres)
		}
	}
	if onPostgres != onSQLite {
		t.Errorf("the same session prints differently on PostgreSQL:\n%s\non SQLite:\n%s", onPostgres, onSQLite)
	}
	if strings.Contains(onPostgres, dsn) {
		t.Error("a command printed the -store URL")
	}
	if _, err := os.Stat(filepath.Join(pgDir, databaseFile)); !os.IsNotExist(err) {
		t.Errorf("a SQLite database in the data directory of a PostgreSQL deployment (%v)", err)
	}

	t.Run("Key", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		if err := run(ctx, []string{"key", "-data", pgDir, "-store", dsn}, env(nil), &stdout, &stderr); err != nil {
			t.Fatal(err)
		}
		db, err := postgres.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		id, err := db.ServerID(ctx)
		if err != nil {
			t.Fatal(err)
		}
		key, err := signingkey.Load(pgDir)
		if err != nil {
			t.Fatal(err)
		}
		if want := "server id:   " + id + "\n"; !strings.HasPrefix(stdout.String(), want) ||
			!strings.Contains(stdout.String(), backend.KeyFingerprint(signingkey.Public(key))) {
			t.Errorf("key = %q; want PostgreSQL's server id %s and the key in the data directory", stdout.String(), id)
		}
	})
}

// portalToken is the random part of a portal link.
var portalToken = regexp.MustCompile(`/portal/i/[A-Za-z0-9_-]+`)

// runAdminSession runs steps, each through run with environ (and the
// password in DOORSTEP_PASSWORD), and returns what they printed and how
// they failed, tokens replaced by TOKEN. open opens the store the steps
// work on, for a step to look at what it did.
func runAdminSession(t *testing.T, steps []adminStep, environ map[string]string, open func(t *testing.T) adminStore) string {
	t.Helper()
	environ["DOORSTEP_PASSWORD"] = "a long password"
	var transcript strings.Builder
	for _, s := range steps {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), s.args, env(environ), &stdout, &stderr, fastHashes())
		fmt.Fprintf(&transcript, "$ %s\n%s%serr: %v\n", strings.Join(s.args[:1], " "), stdout.String(), stderr.String(), err)
		if s.after != nil {
			db := open(t)
			s.after(t, db, stdout.String())
			db.Close()
		}
	}
	return portalToken.ReplaceAllString(transcript.String(), "/portal/i/TOKEN")
}

// TestVerifyChainOnPostgres: verify-chain -store checks the histories kept
// in PostgreSQL and the files in its chunks, with the signing key of the
// data directory: clean, then a message's text changed through SQL, then a
// byte of a stored file's chunk, then a file's record gone, each pinpointed
// by conversation and seq and failing the command.
func TestVerifyChainOnPostgres(t *testing.T) {
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
	raw, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close(ctx)
	execSQL := func(t *testing.T, sql string, args ...any) {
		t.Helper()
		if _, err := raw.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	at := func(seq int64, what string) string {
		return backend.ChainProblem{ConversationID: d.conv, Seq: seq, Problem: what}.String()
	}
	clean := func(t *testing.T, args ...string) string {
		t.Helper()
		problems, out, err := verifyChainWith(t, append([]string{"-store", dsn}, args...)...)
		if err != nil || problems != nil {
			t.Fatalf("intact history: %v\n%s", err, out)
		}
		for _, want := range []string{"the PostgreSQL database (-store): ok: ", "messages", "1 files", "signatures"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, dsn) {
			t.Errorf("verify-chain printed the -store URL:\n%s", out)
		}
		return out
	}
	tampered := func(t *testing.T, want ...string) {
		t.Helper()
		problems, out, err := verifyChainWith(t, "-data", dir, "-store", dsn)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("the PostgreSQL database (-store): %d problems", len(want))) {
			t.Errorf("err = %v; want the problems counted", err)
		}
		if !slices.Equal(problems, want) {
			t.Errorf("found:\n%s\nwant:\n%s\n(output: %s)", strings.Join(problems, "\n"), strings.Join(want, "\n"), out)
		}
	}

	t.Run("IntactVerifiesClean", func(t *testing.T) {
		out := clean(t, "-data", dir)
		if !strings.Contains(out, backend.KeyFingerprint(signingkey.Public(key))) {
			t.Errorf("output lacks the key's fingerprint:\n%s", out)
		}
	})

	t.Run("WithoutTheKeyTheNoteSaysSo", func(t *testing.T) {
		keyless := t.TempDir()
		out := clean(t, "-data", keyless)
		if !strings.Contains(out, keyless+" holds no "+signingkey.FileName) {
			t.Errorf("output lacks the note on the missing key:\n%s", out)
		}
	})

	t.Run("AMessagesTextChanged", func(t *testing.T) {
		var text string
		if err := raw.QueryRow(ctx, "SELECT text FROM messages WHERE conversation_id = $1 AND seq = 4", d.conv).Scan(&text); err != nil {
			t.Fatal(err)
		}
		execSQL(t, "UPDATE messages SET text = 'X' || substr(text, 2) WHERE conversation_id = $1 AND seq = 4", d.conv)
		tampered(t, at(4, backend.ChainChanged), at(6, backend.ChainHeadDiffers), at(6, backend.ChainChangedBetween(3, 6)), at(8, backend.ChainHeadDiffers))
		execSQL(t, "UPDATE messages SET text = $2 WHERE conversation_id = $1 AND seq = 4", d.conv, text)
		clean(t, "-data", dir)
	})

	t.Run("AByteOfAStoredFilesChunkChanged", func(t *testing.T) {
		const flip = "UPDATE file_chunks SET data = set_byte(data, 0, get_byte(data, 0) # 32) WHERE name = $1 AND n = 0"
		execSQL(t, flip, d.fileName)
		tampered(t, at(5, backend.ChainFileChanged))
		execSQL(t, flip, d.fileName)
		clean(t, "-data", dir)
	})

	t.Run("AStoredFileGone", func(t *testing.T) {
		execSQL(t, "DELETE FROM file_blobs WHERE storage_name = $1", d.fileName)
		tampered(t, at(5, backend.ChainFileMissing))
	})

	t.Run("ErrOlderSchema", func(t *testing.T) {
		var version int
		if err := raw.QueryRow(ctx, "DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations) RETURNING version").Scan(&version); err != nil {
			t.Fatal(err)
		}
		_, out, err := verifyChainWith(t, "-data", dir, "-store", dsn)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("at schema %d, older than", version-1)) {
			t.Errorf("err = %v (output %s); want a database the nodes have not upgraded yet refused", err, out)
		}
		if v, _, err := postgres.SchemaAt(ctx, dsn); err != nil || v != version-1 {
			t.Errorf("schema %d (%v) after verify-chain; want it left at %d", v, err, version-1)
		}
	})

	t.Run("ErrNoDoorstepDatabase", func(t *testing.T) {
		empty := pgtest.NewDatabase(t)
		for _, cmd := range [][]string{{"verify-chain"}, {"org", "-main", "pat@flats.test", "-currency", "EUR", "-locale", "en-GB"}, {"sign-out", "-email", "pat@flats.test"}} {
			var stdout, stderr bytes.Buffer
			err := run(ctx, append(cmd, "-data", dir, "-store", empty), env(nil), &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), "holds no Doorstep data") || strings.Contains(err.Error(), empty) {
				t.Errorf("%s on an empty database: %v; want it refused, without the URL", cmd[0], err)
			}
		}
		if v, _, err := postgres.SchemaAt(ctx, empty); err != nil || v != 0 {
			t.Errorf("the empty database is at schema %d (%v) after the refusals; want no tables made", v, err)
		}
	})
}

// TestBackupCommandsRefusePostgres: backup, restore and verify (of a
// backup) copy and check SQLite's data directory; for a deployment on
// PostgreSQL, by flag or environment (verify: by flag, as a backup it is
// named is SQLite's whatever the environment says), they refuse and say
// what to use instead, verify naming verify-chain -store, touching nothing
// and never repeating the URL.
func TestBackupCommandsRefusePostgres(t *testing.T) {
	ctx := context.Background()
	const url = "postgres://doorstep:s3cret@db.internal/doorstep"
	for _, c := range []struct {
		args    []string
		environ map[string]string
	}{
		{[]string{"backup", "-store", url, "DEST"}, nil},
		{[]string{"backup", "DEST"}, map[string]string{"DOORSTEP_STORE": url}},
		{[]string{"restore", "-store", url, "SRC"}, nil},
		{[]string{"restore", "SRC"}, map[string]string{"DOORSTEP_STORE": url}},
		{[]string{"verify", "-store", url, "SRC"}, nil},
		{[]string{"verify", "-store", url, "SRC"}, map[string]string{"DOORSTEP_STORE": url}},
	} {
		dataDir, other := t.TempDir(), filepath.Join(t.TempDir(), "new")
		args := slices.Clone(c.args)
		args[len(args)-1] = other
		environ := map[string]string{"DOORSTEP_DATA_DIR": dataDir}
		for k, v := range c.environ {
			environ[k] = v
		}
		var stdout, stderr bytes.Buffer
		err := run(ctx, args, env(environ), &stdout, &stderr)
		if err == nil {
			t.Errorf("%q with %v: no error; want a refusal", c.args, c.environ)
			continue
		}
		for _, want := range []string{args[0] + " works on SQLite's data directory only", "pg_dump", "pg_restore", "signing.key"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%q with %v: %v; want it to say %q", c.args, c.environ, err, want)
			}
		}
		if args[0] == "verify" && !strings.Contains(err.Error(), "verify-chain -store") {
			t.Errorf("%q: %v; want it to name verify-chain -store for checking a PostgreSQL database", c.args, err)
		}
		if strings.Contains(err.Error()+stdout.String()+stderr.String(), "s3cret") {
			t.Errorf("%q: the refusal repeats the URL's password", c.args)
		}
		if _, err := os.Stat(other); !os.IsNotExist(err) {
			t.Errorf("%q: made %s (%v)", c.args, other, err)
		}
		if entries, _ := os.ReadDir(dataDir); len(entries) > 0 {
			t.Errorf("%q: wrote into the data directory: %v", c.args, entries)
		}
	}

	t.Run("VerifyWithNothingToCheckNamesVerifyChain", func(t *testing.T) {
		err := run(ctx, []string{"verify"}, env(map[string]string{"DOORSTEP_STORE": url}), &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), "verify-chain -store") || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("err = %v; want a refusal naming verify-chain -store, without the URL", err)
		}
	})

	// A server's environment names its PostgreSQL store; a backup of an
	// SQLite data directory named on the command line is still checked.
	t.Run("VerifyOfABackupWhateverTheEnvironmentSays", func(t *testing.T) {
		dataDir := filepath.Join(t.TempDir(), "data")
		if err := run(ctx, []string{"demo", "-data", dataDir}, env(nil), &bytes.Buffer{}, &bytes.Buffer{}, fastHashes()); err != nil {
			t.Fatal(err)
		}
		dest := filepath.Join(t.TempDir(), "backup")
		if err := run(ctx, []string{"backup", "-data", dataDir, dest}, env(nil), &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		var stdout bytes.Buffer
		err := run(ctx, []string{"verify", dest}, env(map[string]string{"DOORSTEP_STORE": url}), &stdout, &bytes.Buffer{})
		if err != nil || !strings.Contains(stdout.String(), dest+": ok: ") {
			t.Errorf("verify %s with DOORSTEP_STORE set: %v\n%s; want the backup checked", dest, err, stdout.String())
		}
	})

	t.Run("ErrNotAPostgresURL", func(t *testing.T) {
		err := run(ctx, []string{"sign-out", "-email", "pat@flats.test", "-store", "mysql://doorstep:s3cret@db/doorstep"}, env(nil), &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), "postgres://") || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("err = %v; want another database's URL refused without repeating it", err)
		}
	})
}
