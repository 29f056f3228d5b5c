package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"doorstep/backend/sqlite"
)

func TestDataCommands(t *testing.T) {
	ctx := context.Background()
	sqlite.BcryptCost = bcrypt.MinCost
	dir := t.TempDir()
	runCmd := func(stdin string, envs map[string]string, args ...string) (string, error) {
		var out bytes.Buffer
		err := (func() error {
			if args[0] == "add-landlord" {
				return addLandlordCmd(ctx, args[1:], env(envs), strings.NewReader(stdin), &out, io.Discard)
			}
			return run(ctx, args, env(envs), &out, io.Discard)
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
