package backend

import (
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// DirectoryRow is one tenant on one lease of one unit of one property, as a
// line of an imported file gives it. Rows with the same LeaseRef are
// co-tenants on one lease; a row without LeaseRef is a lease of its own.
type DirectoryRow struct {
	Line                                 string // where it came from, for errors ("line 7")
	Property, Address, Unit              string
	TenantName, TenantEmail, TenantPhone string
	LeaseStart, LeaseEnd                 string // YYYY-MM-DD; LeaseEnd may be empty
	RentCents, DepositCents              int64
	LeaseRef                             string
	// TenantLanguage is the tenant's language as the file writes it ("es",
	// "Spanish", "Español"; see ParseLanguage); TrimSpace turns a known
	// one into its code. Empty leaves a tenant's language as it is.
	TenantLanguage string
}

// ImportResult counts what an import created.
type ImportResult struct {
	Properties, Units, Tenants, Leases int
}

// ImportErrors lists every problem of an import, one line each; nothing was
// written.
type ImportErrors []string

func (e ImportErrors) Error() string {
	return fmt.Sprintf("%d problem(s) in the file:\n%s", len(e), strings.Join(e, "\n"))
}

// maxImportField bounds every text field of an imported row, in characters.
const maxImportField = 200

// TrimSpace removes the spaces around every text field of r but Line, and
// writes a known language as its code ("Español" becomes "es"); an unknown
// one stays as it is, for CheckDirectoryRows to report.
func (r *DirectoryRow) TrimSpace() {
	for _, s := range []*string{&r.Property, &r.Address, &r.Unit, &r.TenantName, &r.TenantEmail, &r.TenantPhone,
		&r.LeaseStart, &r.LeaseEnd, &r.LeaseRef, &r.TenantLanguage} {
		*s = strings.TrimSpace(*s)
	}
	if code, err := ParseLanguage(r.TenantLanguage); err == nil {
		r.TenantLanguage = code
	}
}

// CheckDirectoryRows returns every problem of rows (trimmed, see TrimSpace)
// as ImportErrors, in the order of the rows, or nil when they may be
// imported: each row on its own (required fields, text, e-mail, dates,
// amounts), then the rows of one lease_ref agreeing on the lease.
func CheckDirectoryRows(rows []DirectoryRow) error {
	var problems ImportErrors
	for _, r := range rows {
		problems = append(problems, r.problems()...)
	}
	problems = append(problems, leaseRefConflicts(rows)...)
	if len(problems) > 0 {
		return problems
	}
	return nil
}

// problems returns what is wrong with r on its own.
func (r DirectoryRow) problems() []string {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, r.Line+": "+fmt.Sprintf(format, args...)) }
	for _, f := range []struct {
		name, value string
		required    bool
	}{
		{"property", r.Property, true}, {"address", r.Address, false}, {"unit", r.Unit, true},
		{"tenant_name", r.TenantName, true}, {"tenant_email", r.TenantEmail, false}, {"tenant_phone", r.TenantPhone, false},
		{"lease_ref", r.LeaseRef, false},
	} {
		if p := importFieldProblem(f.name, f.value, f.required); p != "" {
			bad("%s", p)
		}
	}
	if e := strings.TrimSpace(r.TenantEmail); e != "" {
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e {
			bad("tenant_email %q is not an e-mail address", e)
		}
	}
	start, okStart := parseImportDate(r.LeaseStart)
	if !okStart {
		bad("lease_start %q is not a date (YYYY-MM-DD)", r.LeaseStart)
	}
	if r.LeaseEnd != "" {
		end, ok := parseImportDate(r.LeaseEnd)
		switch {
		case !ok:
			bad("lease_end %q is not a date (YYYY-MM-DD)", r.LeaseEnd)
		case okStart && end.Before(start):
			bad("lease_end %s is before lease_start %s", r.LeaseEnd, r.LeaseStart)
		}
	}
	if _, err := ParseLanguage(r.TenantLanguage); err != nil {
		bad("%s", LanguageProblem(r.TenantLanguage))
	}
	if r.RentCents < 0 || r.DepositCents < 0 {
		bad("rent and deposit cannot be negative")
	}
	return errs
}

// importFieldProblem says what is wrong with one text field, or "".
func importFieldProblem(name, value string, required bool) string {
	switch {
	case required && strings.TrimSpace(value) == "":
		return name + " is empty"
	case !utf8.ValidString(value):
		return name + " is not valid UTF-8 text"
	case utf8.RuneCountInString(value) > maxImportField:
		return fmt.Sprintf("%s is longer than %d characters", name, maxImportField)
	case strings.IndexFunc(value, unicode.IsControl) >= 0:
		return name + " holds control characters"
	}
	return ""
}

// leaseRefConflicts lists the rows whose lease_ref names a lease that an
// earlier row gave another unit or other dates: rows of one lease must agree
// on the lease.
func leaseRefConflicts(rows []DirectoryRow) []string {
	type leaseKey struct{ property, unit, start, end string }
	var errs []string
	refs := map[string]leaseKey{}
	for _, r := range rows {
		if r.LeaseRef == "" {
			continue
		}
		k := leaseKey{strings.ToLower(r.Property), strings.ToLower(r.Unit), r.LeaseStart, r.LeaseEnd}
		if prev, ok := refs[r.LeaseRef]; ok && prev != k {
			errs = append(errs, fmt.Sprintf("%s: lease_ref %s is used for a different unit or dates elsewhere in the file", r.Line, r.LeaseRef))
		}
		refs[r.LeaseRef] = k
	}
	return errs
}

// parseImportDate accepts real dates in YYYY-MM-DD only (2024-02-30 is refused).
func parseImportDate(s string) (time.Time, bool) {
	t, err := time.Parse(DateLayout, s)
	return t, err == nil && t.Format(DateLayout) == s
}
