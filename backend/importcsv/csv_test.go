package importcsv_test

import (
	"errors"
	"strings"
	"testing"

	"doorstep/backend"
	"doorstep/backend/importcsv"
)

const good = "\ufeffProperty,Address,Unit,Tenant_Name,Tenant_Email,Tenant_Phone,Lease_Start,Lease_End,Rent,Deposit,Lease_Ref\n" +
	"Elm Court,12 Elm St,1A,Alice Doe,alice@example.com,555-0101,2025-01-01,2026-12-31,\"1,250.00\",1250,L1\n" +
	"Elm Court,12 Elm St,1A,Bob Doe,bob@example.com,555-0102,2025-01-01,2026-12-31,1250.00,1250,L1\n" +
	"Elm Court,12 Elm St,2B,\"Carol \"\"CJ\"\" Smith\",,,2024-05-01,,980.5,,\n"

func TestParse(t *testing.T) {
	t.Parallel()
	rows, err := importcsv.Parse(strings.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("%d rows", len(rows))
	}
	if r := rows[0]; r.Line != "line 2" || r.Property != "Elm Court" || r.RentCents != 125000 || r.LeaseRef != "L1" {
		t.Errorf("row 1 = %+v", r)
	}
	if r := rows[2]; r.TenantName != `Carol "CJ" Smith` || r.RentCents != 98050 || r.LeaseEnd != "" || r.Line != "line 4" {
		t.Errorf("row 3 = %+v", r)
	}

	for name, tc := range map[string]struct{ csv, want string }{
		"ErrEmpty":           {"", "empty"},
		"ErrUnknownColumn":   {"property,unit,tenant_name,lease_start,pets\n", `unknown column "pets"`},
		"ErrMissingColumn":   {"property,unit,tenant_name\n", `required column "lease_start" is missing`},
		"ErrNoRows":          {"property,unit,tenant_name,lease_start\n", "no rows"},
		"ErrBadMoney":        {"property,unit,tenant_name,lease_start,rent\nP,U,T,2025-01-01,12.345\n", `line 2: rent "12.345"`},
		"ErrNegativeMoney":   {"property,unit,tenant_name,lease_start,deposit\nP,U,T,2025-01-01,-5\n", `line 2: deposit "-5"`},
		"ErrFieldCount":      {"property,unit,tenant_name,lease_start\nP,U,T\n", "line 2: 3 fields"},
		"ErrBrokenQuote":     {"property,unit,tenant_name,lease_start\nP,U,\"T,2025-01-01\n", "line 2"},
		"ErrDuplicateColumn": {"property,unit,unit,tenant_name,lease_start\n", `"unit" appears twice`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := importcsv.Parse(strings.NewReader(tc.csv))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
	t.Run("ErrTooLarge", func(t *testing.T) {
		_, err := importcsv.Parse(strings.NewReader(strings.Repeat("x", importcsv.MaxBytes+1)))
		if backend.ErrorCode(err) != backend.ETOOLARGE {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("ErrTooManyRows", func(t *testing.T) {
		in := "property,unit,tenant_name,lease_start\n" + strings.Repeat("P,U,T,2025-01-01\n", importcsv.MaxRows+1)
		_, err := importcsv.Parse(strings.NewReader(in))
		if backend.ErrorCode(err) != backend.ETOOLARGE {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("AllRowErrorsAtOnce", func(t *testing.T) {
		_, err := importcsv.Parse(strings.NewReader("property,unit,tenant_name,lease_start,rent\nP,U,A,2025-01-01,x\nP,U,B,2025-01-01,ok\nP,U,C,2025-01-01,1\nP,U,D,2025-01-01,y\n"))
		var list backend.ImportErrors
		if !errors.As(err, &list) || len(list) != 3 {
			t.Fatalf("err = %v, want three problems (lines 2, 3, 5)", err)
		}
	})
}

func TestParseMoney(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{"": 0, "0": 0, "1250": 125000, "1250.5": 125050, "1,250.00": 125000, "$99.99": 9999} {
		if got, ok := importcsv.ParseMoney(in); !ok || got != want {
			t.Errorf("ParseMoney(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, bad := range []string{"-1", "1.234", "12a", ".5", "1.", "1e3", "99999999999999"} {
		if _, ok := importcsv.ParseMoney(bad); ok {
			t.Errorf("ParseMoney(%q) accepted", bad)
		}
	}
}

// FuzzParse: any input gives rows or an error, never a panic, and accepted
// rows carry a line number and non-negative money.
func FuzzParse(f *testing.F) {
	f.Add(good)
	f.Add("property,unit,tenant_name,lease_start\n\"unterminated")
	f.Add("property,unit,tenant_name,lease_start,rent\nP,U,T,2025-01-01,1.5\n")
	f.Fuzz(func(t *testing.T, in string) {
		rows, err := importcsv.Parse(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, r := range rows {
			if !strings.HasPrefix(r.Line, "line ") || r.RentCents < 0 || r.DepositCents < 0 {
				t.Fatalf("accepted row %+v", r)
			}
		}
	})
}

// The optional language column is read as written; the domain turns a
// known name into its code and reports an unknown one by its line.
func TestParseLanguageColumn(t *testing.T) {
	t.Parallel()
	rows, err := importcsv.Parse(strings.NewReader("property,unit,tenant_name,lease_start,Language\n" +
		"P,U,Ana,2025-01-01,Español\nP,U,Ben,2025-01-01,\nP,U,Cy,2025-01-01,Klingon\n"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		rows[i].TrimSpace()
	}
	if rows[0].TenantLanguage != "es" || rows[1].TenantLanguage != "" {
		t.Errorf("languages = %q, %q; want es and not set", rows[0].TenantLanguage, rows[1].TenantLanguage)
	}
	err = backend.CheckDirectoryRows(rows)
	var problems backend.ImportErrors
	if !errors.As(err, &problems) || len(problems) != 1 || !strings.HasPrefix(problems[0], `line 4: language "Klingon" is not one Doorstep speaks`) {
		t.Errorf("problems = %v; want line 4's language refused", err)
	}
}
