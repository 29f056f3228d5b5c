package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"doorstep/backend"
)

// DirectoryRow is one tenant on one lease of one unit of one property, as a
// CSV line gives it. Rows with the same LeaseRef are co-tenants on one lease;
// a row without LeaseRef is a lease of its own.
type DirectoryRow struct {
	Line                                 string // where it came from, for errors ("line 7")
	Property, Address, Unit              string
	TenantName, TenantEmail, TenantPhone string
	LeaseStart, LeaseEnd                 string // YYYY-MM-DD; LeaseEnd may be empty
	RentCents, DepositCents              int64
	LeaseRef                             string
}

// ImportResult counts what an import created.
type ImportResult struct {
	Properties, Units, Tenants, Leases int
}

// maxField bounds every text field of an imported row.
const maxField = 200

// ImportErrors lists every bad row of an import; nothing was written.
type ImportErrors []string

func (e ImportErrors) Error() string {
	return fmt.Sprintf("%d problem(s) in the file:\n%s", len(e), strings.Join(e, "\n"))
}

// checkRow returns the problems of one row.
func checkRow(r DirectoryRow) []string {
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
		switch {
		case f.required && strings.TrimSpace(f.value) == "":
			bad("%s is empty", f.name)
		case !utf8.ValidString(f.value):
			bad("%s is not valid UTF-8 text", f.name)
		case utf8.RuneCountInString(f.value) > maxField:
			bad("%s is longer than %d characters", f.name, maxField)
		case strings.IndexFunc(f.value, unicode.IsControl) >= 0:
			bad("%s holds control characters", f.name)
		}
	}
	if e := strings.TrimSpace(r.TenantEmail); e != "" {
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e {
			bad("tenant_email %q is not an e-mail address", e)
		}
	}
	start, okStart := parseDate(r.LeaseStart)
	if !okStart {
		bad("lease_start %q is not a date (YYYY-MM-DD)", r.LeaseStart)
	}
	if r.LeaseEnd != "" {
		end, ok := parseDate(r.LeaseEnd)
		switch {
		case !ok:
			bad("lease_end %q is not a date (YYYY-MM-DD)", r.LeaseEnd)
		case okStart && end.Before(start):
			bad("lease_end %s is before lease_start %s", r.LeaseEnd, r.LeaseStart)
		}
	}
	if r.RentCents < 0 || r.DepositCents < 0 {
		bad("rent and deposit cannot be negative")
	}
	return errs
}

// parseDate accepts real dates in YYYY-MM-DD only (2024-02-30 is refused).
func parseDate(s string) (time.Time, bool) {
	t, err := time.Parse(backend.DateLayout, s)
	return t, err == nil && t.Format(backend.DateLayout) == s
}

// ImportDirectory adds properties, units, tenants and leases to an
// organisation. Everything is checked first and written in one transaction:
// a file with any bad row imports nothing, and the error lists every bad row.
// Existing properties (by name), units (by name within the property), tenants
// (by e-mail, or by name and phone without one) and identical leases are
// reused, so importing the same file twice adds nothing.
func (db *DB) ImportDirectory(ctx context.Context, orgID int64, rows []DirectoryRow) (ImportResult, error) {
	var problems ImportErrors
	for i := range rows {
		r := &rows[i]
		for _, s := range []*string{&r.Property, &r.Address, &r.Unit, &r.TenantName, &r.TenantEmail, &r.TenantPhone, &r.LeaseStart, &r.LeaseEnd, &r.LeaseRef} {
			*s = strings.TrimSpace(*s)
		}
		problems = append(problems, checkRow(*r)...)
	}
	// Rows of one lease must agree on the lease.
	type leaseKey struct{ property, unit, start, end string }
	refs := map[string]leaseKey{}
	for _, r := range rows {
		if r.LeaseRef == "" {
			continue
		}
		k := leaseKey{strings.ToLower(r.Property), strings.ToLower(r.Unit), r.LeaseStart, r.LeaseEnd}
		if prev, ok := refs[r.LeaseRef]; ok && prev != k {
			problems = append(problems, fmt.Sprintf("%s: lease_ref %s is used for a different unit or dates elsewhere in the file", r.Line, r.LeaseRef))
		}
		refs[r.LeaseRef] = k
	}
	if len(problems) > 0 {
		return ImportResult{}, problems
	}

	var res ImportResult
	err := db.Update(ctx, func(tx *Tx) error {
		res = ImportResult{}
		var exists bool
		if err := tx.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM orgs WHERE id = ?)", orgID).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return backend.Errorf(backend.ENOTFOUND, "There is no organisation %d.", orgID)
		}
		leaseByRef := map[string]int64{}
		for _, r := range rows {
			propID, created, err := findOrCreate(ctx, tx,
				"SELECT id FROM properties WHERE org_id = ? AND name = ? COLLATE NOCASE", []any{orgID, r.Property},
				"INSERT INTO properties (org_id, name, address) VALUES (?, ?, ?) RETURNING id", []any{orgID, r.Property, r.Address})
			if err != nil {
				return fmt.Errorf("%s: property: %w", r.Line, err)
			}
			res.Properties += created
			unitID, created, err := findOrCreate(ctx, tx,
				"SELECT id FROM units WHERE property_id = ? AND name = ? COLLATE NOCASE", []any{propID, r.Unit},
				"INSERT INTO units (property_id, name) VALUES (?, ?) RETURNING id", []any{propID, r.Unit})
			if err != nil {
				return fmt.Errorf("%s: unit: %w", r.Line, err)
			}
			res.Units += created
			find, findArgs := "SELECT id FROM tenants WHERE org_id = ? AND email = ? COLLATE NOCASE", []any{orgID, r.TenantEmail}
			if r.TenantEmail == "" {
				find, findArgs = "SELECT id FROM tenants WHERE org_id = ? AND email = '' AND name = ? AND phone = ?", []any{orgID, r.TenantName, r.TenantPhone}
			}
			tenantID, created, err := findOrCreate(ctx, tx, find, findArgs,
				"INSERT INTO tenants (org_id, name, email, phone, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
				[]any{orgID, r.TenantName, r.TenantEmail, r.TenantPhone, formatTime(tx.Now())})
			if err != nil {
				return fmt.Errorf("%s: tenant: %w", r.Line, err)
			}
			res.Tenants += created

			leaseID, ok := leaseByRef[r.LeaseRef]
			if !ok || r.LeaseRef == "" {
				var end any
				if r.LeaseEnd != "" {
					end = r.LeaseEnd
				}
				// An identical lease of this tenant (a re-import) is reused.
				err := tx.QueryRowContext(ctx, `SELECT l.id FROM leases l JOIN lease_tenants lt ON lt.lease_id = l.id
					WHERE l.unit_id = ? AND l.start_date = ? AND l.end_date IS ? AND lt.tenant_id = ?`,
					unitID, r.LeaseStart, end, tenantID).Scan(&leaseID)
				if errors.Is(err, sql.ErrNoRows) {
					if err := tx.QueryRowContext(ctx, `INSERT INTO leases (unit_id, start_date, end_date, rent_cents, deposit_cents)
						VALUES (?, ?, ?, ?, ?) RETURNING id`, unitID, r.LeaseStart, end, r.RentCents, r.DepositCents).Scan(&leaseID); err != nil {
						return fmt.Errorf("%s: lease: %w", r.Line, err)
					}
					res.Leases++
				} else if err != nil {
					return fmt.Errorf("%s: lease: %w", r.Line, err)
				}
				if r.LeaseRef != "" {
					leaseByRef[r.LeaseRef] = leaseID
				}
			}
			if _, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO lease_tenants (lease_id, tenant_id) VALUES (?, ?)", leaseID, tenantID); err != nil {
				return fmt.Errorf("%s: lease tenant: %w", r.Line, err)
			}
		}
		return nil
	})
	return res, err
}

// findOrCreate returns the id the find query gives, or inserts a row; created
// is 1 when it inserted.
func findOrCreate(ctx context.Context, tx *Tx, find string, findArgs []any, insert string, insertArgs []any) (id int64, created int, err error) {
	err = tx.QueryRowContext(ctx, find, findArgs...).Scan(&id)
	if err == nil {
		return id, 0, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, 0, err
	}
	if err := tx.QueryRowContext(ctx, insert, insertArgs...).Scan(&id); err != nil {
		return 0, 0, err
	}
	return id, 1, nil
}

// OrgOfMainUser returns the organisation whose main user has this e-mail.
func (db *DB) OrgOfMainUser(ctx context.Context, email string) (int64, error) {
	var org int64
	err := db.db.QueryRowContext(ctx, "SELECT org_id FROM users WHERE email = ? AND is_main = 1", strings.TrimSpace(email)).Scan(&org)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, backend.Errorf(backend.ENOTFOUND, "No landlord's main account has the e-mail %s.", email)
	}
	return org, err
}

// HasOrgs reports whether the database holds any organisation yet.
func (db *DB) HasOrgs(ctx context.Context) (bool, error) {
	var ok bool
	err := db.db.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM orgs)").Scan(&ok)
	return ok, err
}
