package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"doorstep/backend"
	"doorstep/backend/datadir"
	"doorstep/backend/demo"
	"doorstep/backend/httpapi"
	"doorstep/backend/importcsv"
	"doorstep/backend/postgres"
	"doorstep/backend/sqlite"
)

// dataFlag adds the -data flag every command that opens the database has.
func dataFlag(fs *flag.FlagSet, dir *string, getenv func(string) string) {
	fs.StringVar(dir, "data", getenv("DOORSTEP_DATA_DIR"), "data `directory` (env DOORSTEP_DATA_DIR; default: the user's data directory)")
}

// resolveDataDir returns dir, or the user's data directory when dir is empty.
func resolveDataDir(dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	dir, err := datadir.Path(dataDirName)
	if err != nil {
		return "", fmt.Errorf("finding a data directory (set -data): %w", err)
	}
	return dir, nil
}

// openData opens (creating if needed) the database in the data directory.
func openData(ctx context.Context, dir string, opts ...sqlite.Option) (*sqlite.DB, error) {
	dir, err := resolveDataDir(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	return sqlite.Open(ctx, filepath.Join(dir, databaseFile), opts...)
}

// dataTarget is where a command finds the data: the data directory, and
// the PostgreSQL database of a deployment that keeps its data there.
type dataTarget struct {
	Dir   string // -data: SQLite's database, the signing key, uploaded files beside SQLite
	Store string // -store: a postgres:// URL; empty: SQLite in Dir
}

// where names the database for people: the data directory, or PostgreSQL
// (never its URL: it may hold a password).
func (t dataTarget) where() string {
	if t.Store != "" {
		return "the PostgreSQL database (-store)"
	}
	return t.Dir
}

// parseDataCommand parses the flags of a command that works on the data:
// -data and -store (each with its environment variable, as serve takes
// them), and define's.
func parseDataCommand(name string, args []string, getenv func(string) string, stderr io.Writer, define func(*flag.FlagSet)) (*flag.FlagSet, dataTarget, error) {
	var t dataTarget
	fs := flag.NewFlagSet("doorstep-server "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataFlag(fs, &t.Dir, getenv)
	fs.StringVar(&t.Store, "store", getenv("DOORSTEP_STORE"), "a postgres:// `URL`: the data is in PostgreSQL there, as serve -store keeps it, rather than SQLite in the data directory (env DOORSTEP_STORE)")
	if define != nil {
		define(fs)
	}
	if err := fs.Parse(args); err != nil {
		return fs, t, err
	}
	return fs, t, checkStoreURL(t.Store)
}

// adminStore is what the operator's commands need of a store, SQLite's or
// PostgreSQL's.
type adminStore interface {
	demo.Store
	ServerID(ctx context.Context) (string, error)
	Close() error
}

var (
	_ adminStore = (*sqlite.DB)(nil)
	_ adminStore = (*postgres.DB)(nil)
)

// openAdmin opens the store t names for an operator's command: PostgreSQL
// at t.Store, or SQLite in the data directory (sqlite options apply to
// that). With existing, only a database that is there: a mistyped -data,
// or a -store URL naming a database the server never ran on, gets no
// tables made; otherwise it is made, or brought up to date, as serve would.
func openAdmin(ctx context.Context, t dataTarget, existing bool, opts ...sqlite.Option) (adminStore, error) {
	if t.Store == "" {
		open := openData
		if existing {
			open = openExisting
		}
		db, err := open(ctx, t.Dir, opts...)
		if err != nil {
			return nil, err
		}
		return db, nil
	}
	if existing {
		if err := requireSchema(ctx, t.Store, false); err != nil {
			return nil, err
		}
	}
	db, err := postgres.Open(ctx, t.Store)
	if err != nil {
		return nil, err
	}
	return db, nil
}

// requireSchema refuses a PostgreSQL database without the server's
// schema and, for a command that must change nothing (current), one at an
// older schema, which opening it would bring up to date.
func requireSchema(ctx context.Context, store string, current bool) error {
	version, known, err := postgres.SchemaAt(ctx, store)
	switch {
	case err != nil:
		return err
	case version == 0:
		return errors.New("the PostgreSQL database (-store) holds no Doorstep data: check the URL; `doorstep-server serve -store …` makes the tables on its first start")
	case current && version < known:
		return fmt.Errorf("the PostgreSQL database (-store) is at schema %d, older than this doorstep-server %s's %d, and this command changes nothing: run it with the doorstep-server version the nodes run",
			version, backend.Version, known)
	}
	return nil
}

// importCmd imports a CSV of properties, units, tenants and leases into the
// organisation of a landlord's main account.
func importCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, opts ...sqlite.Option) error {
	var landlord string
	fs, target, err := parseDataCommand("import", args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&landlord, "landlord", "", "e-mail of the landlord's main account to import into (required)")
	})
	if err != nil {
		return err
	}
	if landlord == "" || fs.NArg() != 1 {
		return errors.New("usage: doorstep-server import -landlord EMAIL [-data dir | -store postgres://…] FILE.csv")
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	rows, err := importcsv.Parse(f)
	if err != nil {
		return fmt.Errorf("%s: nothing imported: %w", fs.Arg(0), err)
	}
	db, err := openAdmin(ctx, target, false, opts...)
	if err != nil {
		return err
	}
	defer db.Close()
	org, err := db.OrgOfMainUser(ctx, landlord)
	if err != nil {
		return err
	}
	res, err := db.ImportDirectory(ctx, org, rows)
	if err != nil {
		return fmt.Errorf("%s: nothing imported: %w", fs.Arg(0), err)
	}
	fmt.Fprintf(stdout, "imported %d rows: %d new properties, %d new units, %d new tenants, %d new leases\n",
		len(rows), res.Properties, res.Units, res.Tenants, res.Leases)
	return nil
}

// demoCmd seeds the demo landlord into an empty database.
func demoCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, opts ...sqlite.Option) error {
	_, target, err := parseDataCommand("demo", args, getenv, stderr, nil)
	if err != nil {
		return err
	}
	db, err := openAdmin(ctx, target, false, opts...)
	if err != nil {
		return err
	}
	defer db.Close()
	return seedDemo(ctx, db, stdout)
}

func seedDemo(ctx context.Context, db demo.Store, stdout io.Writer) error {
	creds, err := demo.Seed(ctx, db, time.Now())
	if err != nil {
		return err
	}
	if !creds.Seeded {
		fmt.Fprintln(stdout, "demo: the database already has data; nothing added")
		return nil
	}
	fmt.Fprintf(stdout, "demo: sign in as %s (main account) or %s (sub-user), password %q\n", creds.Email, creds.SubUserEmail, creds.Password)
	return nil
}

// addLandlordCmd creates an organisation with its main user, or adds a
// sub-user to an existing organisation. The password comes from
// DOORSTEP_PASSWORD or the first line of standard input, never a flag (flags
// show up in process lists).
func addLandlordCmd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer, opts ...sqlite.Option) error {
	var org, tz, email, name, mainEmail string
	var sub bool
	formats := backend.OrgFormats{Currency: "USD", Locale: "en-US"}
	_, target, err := parseDataCommand("add-landlord", args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&org, "org", "", "organisation name (new main account)")
		fs.StringVar(&tz, "tz", "", "IANA time zone of the organisation, e.g. America/Chicago (new main account)")
		fs.StringVar(&formats.Currency, "currency", formats.Currency, "currency of rents and deposits, ISO 4217 (new main account)")
		fs.StringVar(&formats.Locale, "locale", formats.Locale, "how dates and money are written: "+strings.Join(backend.TemplateLocales, ", ")+" (new main account)")
		fs.StringVar(&email, "email", "", "the user's e-mail (required)")
		fs.StringVar(&name, "name", "", "the user's name (required)")
		fs.BoolVar(&sub, "sub-user", false, "add a sub-user to the organisation of -main")
		fs.StringVar(&mainEmail, "main", "", "with -sub-user: e-mail of the organisation's main account")
	})
	if err != nil {
		return err
	}
	password := getenv("DOORSTEP_PASSWORD")
	if password == "" {
		fmt.Fprint(stderr, "password: ")
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && line == "" {
			return errors.New("no password: set DOORSTEP_PASSWORD or type it on standard input")
		}
		password = strings.TrimRight(line, "\r\n")
	}
	db, err := openAdmin(ctx, target, false, opts...)
	if err != nil {
		return err
	}
	defer db.Close()
	if sub {
		orgID, err := db.OrgOfMainUser(ctx, mainEmail)
		if err != nil {
			return err
		}
		if _, err := db.CreateUser(ctx, orgID, email, name, password, false); err != nil {
			return err
		}
	} else {
		if _, err := formats.Validate(); err != nil {
			return err
		}
		orgID, err := db.CreateLandlord(ctx, org, tz, email, name, password)
		if err != nil {
			return err
		}
		if err := db.SetOrgFormats(ctx, orgID, formats); err != nil {
			return err
		}
	}
	kind := "main account"
	if sub {
		kind = "sub-user"
	}
	fmt.Fprintf(stdout, "added %s %s\n", kind, email)
	return nil
}

// orgCmd sets how the organisation of a main account writes money and
// dates: its currency and locale (message templates fill them in).
func orgCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, opts ...sqlite.Option) error {
	var mainEmail string
	var formats backend.OrgFormats
	fs, target, err := parseDataCommand("org", args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&mainEmail, "main", "", "e-mail of the organisation's main account (required)")
		fs.StringVar(&formats.Currency, "currency", "", "currency of rents and deposits, ISO 4217, e.g. EUR (required)")
		fs.StringVar(&formats.Locale, "locale", "", "how dates and money are written: "+strings.Join(backend.TemplateLocales, ", ")+" (required)")
	})
	if err != nil {
		return err
	}
	if mainEmail == "" || formats.Currency == "" || formats.Locale == "" || fs.NArg() > 0 {
		return errors.New("usage: doorstep-server org -main EMAIL -currency CODE -locale TAG [-data dir | -store postgres://…]")
	}
	db, err := openAdmin(ctx, target, true, opts...)
	if err != nil {
		return err
	}
	defer db.Close()
	orgID, err := db.OrgOfMainUser(ctx, mainEmail)
	if err != nil {
		return err
	}
	if err := db.SetOrgFormats(ctx, orgID, formats); err != nil {
		return err
	}
	f, _ := formats.Validate()
	fmt.Fprintf(stdout, "the organisation of %s now writes money in %s and dates as %s; signed-in apps see it at their next sign-in\n", mainEmail, f.Currency, f.Locale)
	return nil
}

// portalLinkCmd prints a fresh single-use link with which a tenant signs in
// to the web portal: the link the server puts in its notifications, for a
// landlord to hand over in person (and for `make run` to show the demo from
// a tenant's side). It works while a server runs on the same data directory.
func portalLinkCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, opts ...sqlite.Option) error {
	var email, publicURL string
	fs, target, err := parseDataCommand("portal-link", args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&email, "tenant", "", "e-mail of the tenant (required)")
		fs.StringVar(&publicURL, "public-url", defaultPublicURL(getenv),
			"the server's `URL` as tenants reach it, as given to serve (env DOORSTEP_PUBLIC_URL; default: where serve listens, from DOORSTEP_ADDR)")
	})
	if err != nil {
		return err
	}
	if email == "" || fs.NArg() > 0 {
		return errors.New("usage: doorstep-server portal-link -tenant EMAIL [-data dir | -store postgres://…] [-public-url URL]")
	}
	base, err := portalBaseURL(publicURL)
	if err != nil {
		return err
	}
	db, err := openAdmin(ctx, target, true, opts...)
	if err != nil {
		return err
	}
	defer db.Close()
	tenant, err := db.TenantByEmail(ctx, email)
	if err != nil {
		return err
	}
	token, err := db.CreateTenantInvite(ctx, tenant.OrgID, tenant.ID)
	if err != nil {
		return err
	}
	link := base + "/portal/i/" + token
	if tenant.Language != "" {
		link += "?lang=" + tenant.Language // its page speaks the tenant's language in any browser, as the e-mailed links do
	}
	fmt.Fprintln(stdout, link)
	fmt.Fprintf(stderr, "Single-use link for %s, valid %d days: it signs them in to the tenant portal.\n", tenant.Name, int(backend.InviteTTL/(24*time.Hour)))
	return nil
}

// signOutCmd ends every session of the landlord user or tenant with an
// e-mail address: for a lost phone, a stolen laptop, or someone who should no
// longer read along. It works while a server runs on the same data
// directory: that server closes their open connections within
// httpapi.SessionCheckPeriod.
func signOutCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, opts ...sqlite.Option) error {
	var email string
	fs, target, err := parseDataCommand("sign-out", args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&email, "email", "", "e-mail of the landlord user or tenant to sign out everywhere (required)")
	})
	if err != nil {
		return err
	}
	if email == "" || fs.NArg() > 0 {
		return errors.New("usage: doorstep-server sign-out -email ADDRESS [-data dir | -store postgres://…]")
	}
	db, err := openAdmin(ctx, target, true, opts...)
	if err != nil {
		return err
	}
	defer db.Close()
	people, err := db.SignOutEverywhere(ctx, email)
	if err != nil {
		return err
	}
	for _, p := range people {
		who := "landlord user"
		if p.Kind == backend.KindTenant {
			who = "tenant"
		}
		switch p.Sessions {
		case 0:
			fmt.Fprintf(stdout, "%s (%s, %s) had no open session.\n", p.Name, who, p.OrgName)
		case 1:
			fmt.Fprintf(stdout, "Signed out %s (%s, %s): 1 session ended.\n", p.Name, who, p.OrgName)
		default:
			fmt.Fprintf(stdout, "Signed out %s (%s, %s): %d sessions ended.\n", p.Name, who, p.OrgName, p.Sessions)
		}
	}
	fmt.Fprintf(stderr, "A running server closes their open connections within %s; signing in again works as before.\n", httpapi.SessionCheckPeriod)
	return nil
}

// openExisting opens the database of a data directory only if it exists:
// a mistyped -data makes no new one.
func openExisting(ctx context.Context, dir string, opts ...sqlite.Option) (*sqlite.DB, error) {
	dir, err := resolveDataDir(dir)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, databaseFile)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("no database at %s (set -data or DOORSTEP_DATA_DIR to the server's data directory)", path)
	}
	return sqlite.Open(ctx, path, opts...)
}

// defaultPublicURL is where tenants reach the server when no public URL is
// set: where `serve` listens, as the links in its notifications say.
func defaultPublicURL(getenv func(string) string) string {
	if u := getenv("DOORSTEP_PUBLIC_URL"); u != "" {
		return u
	}
	if a := getenv("DOORSTEP_ADDR"); a != "" {
		return "http://" + a
	}
	return "http://" + defaultAddr
}

// portalBaseURL checks a public URL and drops its trailing slashes.
func portalBaseURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("-public-url %q: want an http or https URL such as https://chat.example.org", s)
	}
	return strings.TrimRight(s, "/"), nil
}
