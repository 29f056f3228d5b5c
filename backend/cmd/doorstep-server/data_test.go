package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"doorstep/backend"
	"doorstep/backend/sqlite"
)

func TestDataCommands(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	runCmd := func(stdin string, envs map[string]string, args ...string) (string, error) {
		var out bytes.Buffer
		err := (func() error {
			if args[0] == "add-landlord" {
				return addLandlordCmd(ctx, args[1:], env(envs), strings.NewReader(stdin), &out, io.Discard, fastHashes())
			}
			return run(ctx, args, env(envs), &out, io.Discard, fastHashes())
		})()
		return out.String(), err
	}

	t.Run("AddLandlordThenImport", func(t *testing.T) {
		out, err := runCmd("a long password\n", nil, "add-landlord", "-data", dir, "-org", "Pat's Flats", "-tz", "Europe/Dublin", "-email", "pat@flats.test", "-name", "Pat")
		if err != nil || !strings.Contains(out, "added main account pat@flats.test") {
			t.Fatalf("add-landlord: %q, %v", out, err)
		}
		if _, err := runCmd("", map[string]string{"DOORSTEP_PASSWORD": "another password"}, "add-landlord", "-data", dir, "-sub-user", "-main", "pat@flats.test", "-email", "sam@flats.test", "-name", "Sam"); err != nil {
			t.Fatalf("add sub-user: %v", err)
		}
		csv := filepath.Join(t.TempDir(), "tenants.csv")
		os.WriteFile(csv, []byte("property,unit,tenant_name,tenant_email,lease_start,lease_end,rent\n"+
			"Quay House,1,Ann Lee,ann@example.com,2025-01-01,,900\nQuay House,2,Bo Kim,bo@example.com,2025-03-01,2027-02-28,950.50\n"), 0o600)
		out, err = runCmd("", nil, "import", "-data", dir, "-landlord", "pat@flats.test", csv)
		if err != nil || !strings.Contains(out, "2 new tenants, 2 new leases") {
			t.Fatalf("import: %q, %v", out, err)
		}
		out, err = runCmd("", nil, "import", "-data", dir, "-landlord", "pat@flats.test", csv)
		if err != nil || !strings.Contains(out, "0 new properties, 0 new units, 0 new tenants, 0 new leases") {
			t.Fatalf("re-import: %q, %v", out, err)
		}
	})

	t.Run("OrgFormats", func(t *testing.T) {
		d := t.TempDir()
		if _, err := runCmd("a long password\n", nil, "add-landlord", "-data", d, "-org", "Calle Mayor", "-tz", "Europe/Madrid",
			"-currency", "eur", "-locale", "es-ES", "-email", "ana@mayor.test", "-name", "Ana"); err != nil {
			t.Fatal(err)
		}
		formats := func() (string, string) {
			db, err := sqlite.Open(ctx, filepath.Join(d, databaseFile))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			s, err := db.SignIn(ctx, "ana@mayor.test", "a long password")
			if err != nil {
				t.Fatal(err)
			}
			me, err := db.Me(ctx, s.Token)
			if err != nil {
				t.Fatal(err)
			}
			return me.Currency, me.Locale
		}
		if c, l := formats(); c != "EUR" || l != "es-ES" {
			t.Errorf("a new organisation's formats: %s %s", c, l)
		}
		if out, err := runCmd("", nil, "org", "-data", d, "-main", "ana@mayor.test", "-currency", "GBP", "-locale", "en-GB"); err != nil ||
			!strings.Contains(out, "writes money in GBP and dates as en-GB") {
			t.Fatalf("org: %q, %v", out, err)
		}
		if _, err := runCmd("", nil, "org", "-data", d, "-main", "ana@mayor.test", "-currency", "GBP", "-locale", "klingon"); backend.ErrorCode(err) != backend.EINVALID {
			t.Errorf("an unknown locale: %v", err)
		}
		if _, err := runCmd("a long password\n", nil, "add-landlord", "-data", d, "-org", "X", "-tz", "UTC", "-currency", "dollars",
			"-email", "x@x.test", "-name", "X"); backend.ErrorCode(err) != backend.EINVALID {
			t.Errorf("a bad currency on a new organisation: %v", err)
		}
		if c, l := formats(); c != "GBP" || l != "en-GB" {
			t.Errorf("after org and a refused change: %s %s", c, l)
		}
	})

	t.Run("ErrBadFileImportsNothing", func(t *testing.T) {
		csv := filepath.Join(t.TempDir(), "bad.csv")
		os.WriteFile(csv, []byte("property,unit,tenant_name,lease_start\nQuay House,3,Cy,2025-13-01\nQuay House,4,,2025-01-01\n"), 0o600)
		_, err := runCmd("", nil, "import", "-data", dir, "-landlord", "pat@flats.test", csv)
		if err == nil || !strings.Contains(err.Error(), "line 2: lease_start") || !strings.Contains(err.Error(), "line 3: tenant_name is empty") ||
			!strings.Contains(err.Error(), "nothing imported") {
			t.Fatalf("err = %v", err)
		}
	})

	t.Run("ErrUnknownLandlord", func(t *testing.T) {
		csv := filepath.Join(t.TempDir(), "ok.csv")
		os.WriteFile(csv, []byte("property,unit,tenant_name,lease_start\nP,1,T,2025-01-01\n"), 0o600)
		if _, err := runCmd("", nil, "import", "-data", dir, "-landlord", "sam@flats.test", csv); err == nil {
			t.Error("import into a sub-user's e-mail was accepted")
		}
	})

	t.Run("ErrAddLandlordLeavesNoOrphanOrg", func(t *testing.T) {
		d := t.TempDir()
		if _, err := runCmd("short\n", nil, "add-landlord", "-data", d, "-org", "X", "-tz", "UTC", "-email", "x@x.test", "-name", "X"); err == nil {
			t.Fatal("a short password was accepted")
		}
		// The refused add left no organisation behind, so the demo seeds.
		if out, err := runCmd("", nil, "demo", "-data", d); err != nil || !strings.Contains(out, "sign in as") {
			t.Fatalf("demo after a refused add-landlord: %q, %v", out, err)
		}
		out, _ := runCmd("", nil, "demo", "-data", d)
		if !strings.Contains(out, "already has data") {
			t.Errorf("second demo: %q", out)
		}
	})

	t.Run("DemoOnServe", func(t *testing.T) {
		d := t.TempDir()
		cfg, err := parseServeConfig([]string{"-demo", "-data", d, "-addr", "127.0.0.1:0"}, env(nil), io.Discard)
		if err != nil || !cfg.Demo {
			t.Fatalf("cfg = %+v, %v", cfg, err)
		}
	})
}

// portal-link prints a working single-use portal link for a tenant found by
// e-mail, while the database is open elsewhere (as a running server has it).
func TestPortalLink(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := run(ctx, []string{"demo", "-data", dir}, env(nil), io.Discard, io.Discard, fastHashes()); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(dir, databaseFile), fastHashes())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	portalLink := func(envs map[string]string, args ...string) (stdout, stderr string, err error) {
		var out, errOut bytes.Buffer
		err = run(ctx, append([]string{"portal-link"}, args...), env(envs), &out, &errOut, fastHashes())
		return out.String(), errOut.String(), err
	}

	out, msg, err := portalLink(nil, "-data", dir, "-tenant", "Maria.Garcia@Example.com", "-public-url", "https://chat.example.org/")
	if err != nil {
		t.Fatal(err)
	}
	prefix := "https://chat.example.org/portal/i/"
	link := strings.TrimSuffix(out, "\n")
	if !strings.HasPrefix(link, prefix) || len(link) == len(prefix) || strings.ContainsAny(link, "\n ") {
		t.Fatalf("stdout = %q; want one line %s<token>", out, prefix)
	}
	if !strings.Contains(msg, "Single-use link for Maria Garcia, valid 7 days") {
		t.Errorf("stderr = %q", msg)
	}
	sess, err := db.RedeemInvite(ctx, strings.TrimPrefix(link, prefix))
	if err != nil {
		t.Fatalf("redeeming the link: %v", err)
	}
	if sess.Me.Kind != backend.KindTenant || sess.Me.Name != "Maria Garcia" {
		t.Errorf("the link signs in %+v; want the tenant Maria Garcia", sess.Me)
	}
	if _, err := db.RedeemInvite(ctx, strings.TrimPrefix(link, prefix)); backend.ErrorCode(err) != backend.EUNAUTHORIZED {
		t.Errorf("second use of the link: %v; want it refused", err)
	}

	t.Run("URLFromEnvironment", func(t *testing.T) {
		for _, c := range []struct {
			env  map[string]string
			want string
		}{
			{map[string]string{"DOORSTEP_PUBLIC_URL": "https://doorstep.example.net/chat", "DOORSTEP_ADDR": "127.0.0.1:9000"}, "https://doorstep.example.net/chat/portal/i/"},
			{map[string]string{"DOORSTEP_ADDR": "127.0.0.1:9000"}, "http://127.0.0.1:9000/portal/i/"},
			{nil, "http://127.0.0.1:8765/portal/i/"},
		} {
			envs := map[string]string{"DOORSTEP_DATA_DIR": dir}
			for k, v := range c.env {
				envs[k] = v
			}
			out, _, err := portalLink(envs, "-tenant", "james.okafor@example.com")
			if err != nil || !strings.HasPrefix(out, c.want) {
				t.Errorf("env %v: %q, %v; want a link starting %s", c.env, out, err, c.want)
			}
		}
	})

	t.Run("ErrUnknownTenant", func(t *testing.T) {
		out, _, err := portalLink(nil, "-data", dir, "-tenant", "nobody@example.com")
		if err == nil || !strings.Contains(err.Error(), "No tenant has the e-mail address nobody@example.com") || out != "" {
			t.Errorf("stdout %q, err %v; want a not-found error and nothing printed", out, err)
		}
	})

	t.Run("ErrSeveralOrganisations", func(t *testing.T) {
		if err := addLandlordCmd(ctx, []string{"-data", dir, "-org", "Other Flats", "-tz", "UTC", "-email", "kim@other.test", "-name", "Kim"},
			env(map[string]string{"DOORSTEP_PASSWORD": "another password"}), strings.NewReader(""), io.Discard, io.Discard, fastHashes()); err != nil {
			t.Fatal(err)
		}
		csv := filepath.Join(t.TempDir(), "tenants.csv")
		os.WriteFile(csv, []byte("property,unit,tenant_name,tenant_email,lease_start\nDock House,1,Maria Garcia,maria.garcia@example.com,2025-01-01\n"), 0o600)
		if err := run(ctx, []string{"import", "-data", dir, "-landlord", "kim@other.test", csv}, env(nil), io.Discard, io.Discard, fastHashes()); err != nil {
			t.Fatal(err)
		}
		out, _, err := portalLink(nil, "-data", dir, "-tenant", "maria.garcia@example.com")
		if err == nil || !strings.Contains(err.Error(), "Several organisations") || out != "" {
			t.Errorf("stdout %q, err %v; want the shared e-mail refused", out, err)
		}
	})

	t.Run("ErrUsage", func(t *testing.T) {
		empty := t.TempDir()
		for _, args := range [][]string{
			{"-data", dir},
			{"-data", dir, "-tenant", "maria.garcia@example.com", "extra"},
			{"-data", dir, "-tenant", "james.okafor@example.com", "-public-url", "chat.example.org"},
			{"-data", empty, "-tenant", "james.okafor@example.com"},
		} {
			if out, _, err := portalLink(nil, args...); err == nil || out != "" {
				t.Errorf("portal-link %q: stdout %q, err %v; want an error", args, out, err)
			}
		}
		if _, err := os.Stat(filepath.Join(empty, databaseFile)); err == nil {
			t.Error("portal-link made a database in an empty data directory")
		}
	})
}
