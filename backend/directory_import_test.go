package backend_test

import (
	"errors"
	"strings"
	"testing"

	"doorstep/backend"
)

// goodRow is a row that may be imported; cases change one thing in it.
func goodRow() backend.DirectoryRow {
	return backend.DirectoryRow{Line: "line 2", Property: "Elm Court", Address: "12 Elm St", Unit: "1A",
		TenantName: "Alice Doe", TenantEmail: "alice@example.com", TenantPhone: "555-0101",
		LeaseStart: "2025-01-01", LeaseEnd: "2026-12-31", RentCents: 125000, DepositCents: 125000, LeaseRef: "L1"}
}

func TestCheckDirectoryRows(t *testing.T) {
	t.Parallel()
	t.Run("GoodRowsPass", func(t *testing.T) {
		open := goodRow()
		open.LeaseEnd, open.TenantEmail, open.Address, open.LeaseRef = "", "", "", ""
		if err := backend.CheckDirectoryRows([]backend.DirectoryRow{goodRow(), open}); err != nil {
			t.Fatalf("err = %v", err)
		}
	})

	for name, tc := range map[string]struct {
		change func(*backend.DirectoryRow)
		want   string
	}{
		"ErrPropertyEmpty":   {func(r *backend.DirectoryRow) { r.Property = "  " }, "line 2: property is empty"},
		"ErrUnitEmpty":       {func(r *backend.DirectoryRow) { r.Unit = "" }, "line 2: unit is empty"},
		"ErrTenantNameEmpty": {func(r *backend.DirectoryRow) { r.TenantName = "" }, "line 2: tenant_name is empty"},
		"ErrNotUTF8":         {func(r *backend.DirectoryRow) { r.Address = "12 \xff St" }, "line 2: address is not valid UTF-8 text"},
		"ErrTooLong":         {func(r *backend.DirectoryRow) { r.TenantPhone = strings.Repeat("5", 201) }, "line 2: tenant_phone is longer than 200 characters"},
		"ErrControl":         {func(r *backend.DirectoryRow) { r.LeaseRef = "L\x07" }, "line 2: lease_ref holds control characters"},
		"ErrEmail":           {func(r *backend.DirectoryRow) { r.TenantEmail = "Alice <alice@example.com>" }, `line 2: tenant_email "Alice <alice@example.com>" is not an e-mail address`},
		"ErrStartNotADate":   {func(r *backend.DirectoryRow) { r.LeaseStart = "2024-02-30" }, `line 2: lease_start "2024-02-30" is not a date (YYYY-MM-DD)`},
		"ErrEndNotADate":     {func(r *backend.DirectoryRow) { r.LeaseEnd = "31/12/2026" }, `line 2: lease_end "31/12/2026" is not a date (YYYY-MM-DD)`},
		"ErrEndBeforeStart":  {func(r *backend.DirectoryRow) { r.LeaseEnd = "2024-12-31" }, "line 2: lease_end 2024-12-31 is before lease_start 2025-01-01"},
		"ErrNegativeMoney":   {func(r *backend.DirectoryRow) { r.DepositCents = -1 }, "line 2: rent and deposit cannot be negative"},
	} {
		t.Run(name, func(t *testing.T) {
			r := goodRow()
			tc.change(&r)
			var list backend.ImportErrors
			if err := backend.CheckDirectoryRows([]backend.DirectoryRow{r}); !errors.As(err, &list) || len(list) != 1 || list[0] != tc.want {
				t.Errorf("err = %v, want the one problem %q", err, tc.want)
			}
		})
	}

	t.Run("ErrLeaseRefDisagrees", func(t *testing.T) {
		a, b, c := goodRow(), goodRow(), goodRow()
		b.Line, b.TenantName, b.TenantEmail = "line 3", "Bob Doe", "bob@example.com"
		c.Line, c.Unit = "line 4", "2B"
		err := backend.CheckDirectoryRows([]backend.DirectoryRow{a, b, c})
		want := "line 4: lease_ref L1 is used for a different unit or dates elsewhere in the file"
		var list backend.ImportErrors
		if !errors.As(err, &list) || len(list) != 1 || list[0] != want {
			t.Errorf("err = %v, want the one problem %q (co-tenants on line 3 agree)", err, want)
		}
	})

	t.Run("EveryProblemInRowOrder", func(t *testing.T) {
		a, b := goodRow(), goodRow()
		a.Unit, a.RentCents = "", -5
		b.Line, b.LeaseStart, b.LeaseRef = "line 3", "soon", ""
		err := backend.CheckDirectoryRows([]backend.DirectoryRow{a, b})
		want := "3 problem(s) in the file:\nline 2: unit is empty\nline 2: rent and deposit cannot be negative\n" +
			`line 3: lease_start "soon" is not a date (YYYY-MM-DD)`
		if err == nil || err.Error() != want {
			t.Errorf("err = %v, want %q", err, want)
		}
	})
}

func TestDirectoryRowTrimSpace(t *testing.T) {
	t.Parallel()
	r := backend.DirectoryRow{Line: " line 2 ", Property: " Elm ", Address: "\t12 Elm St ", Unit: " 1A", TenantName: "Alice ",
		TenantEmail: " a@example.com ", TenantPhone: " 555 ", LeaseStart: " 2025-01-01", LeaseEnd: "2026-12-31 ", LeaseRef: " L1 "}
	r.TrimSpace()
	want := backend.DirectoryRow{Line: " line 2 ", Property: "Elm", Address: "12 Elm St", Unit: "1A", TenantName: "Alice",
		TenantEmail: "a@example.com", TenantPhone: "555", LeaseStart: "2025-01-01", LeaseEnd: "2026-12-31", LeaseRef: "L1"}
	if r != want {
		t.Errorf("TrimSpace gave %+v, want %+v", r, want)
	}
}

func TestParseLanguage(t *testing.T) {
	for in, want := range map[string]string{"": "", "en": "en", " ES ": "es", "English": "en", "spanish": "es", "Español": "es", "espanol": "es"} {
		if got, err := backend.ParseLanguage(in); err != nil || got != want {
			t.Errorf("ParseLanguage(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	_, err := backend.ParseLanguage("fr")
	if backend.ErrorCode(err) != backend.EINVALID || backend.ErrorMessage(err) != `The language "fr" is not one Doorstep speaks: write en (English) or es (Spanish), or leave it empty.` {
		t.Errorf("ParseLanguage(fr) = %v", err)
	}
}
