package backend

import (
	"slices"
	"strings"
	"time"
)

// The account rules: what makes an organisation and a landlord-side user,
// when a session or an invite link still opens the door, and the sentences
// of their refusals.

// MinPasswordLength is the shortest password accepted for a landlord user;
// 72 bytes is the longest (bcrypt reads no further).
const MinPasswordLength = 10

// maxEmailLength is the longest e-mail address (RFC 5321's path limit).
const maxEmailLength = 254

// ValidateOrg checks a new organisation's name and IANA time zone and
// returns the name trimmed.
func ValidateOrg(name, tz string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", Errorf(EINVALID, "The organisation needs a name.")
	}
	if _, err := time.LoadLocation(tz); err != nil || tz == "" || tz == "Local" {
		return "", Errorf(EINVALID, "%q is not a time zone name such as America/Chicago.", tz)
	}
	return name, nil
}

// OrgFormats are how an organisation's money and dates are written: its
// currency (ISO 4217) and locale (one of TemplateLocales).
type OrgFormats struct {
	Currency string `json:"currency"`
	Locale   string `json:"locale"`
}

// Validate checks the currency code and the locale, and returns them as
// they are stored (the code in capitals).
func (f OrgFormats) Validate() (OrgFormats, error) {
	f.Currency = strings.ToUpper(strings.TrimSpace(f.Currency))
	if len(f.Currency) != 3 || strings.Trim(f.Currency, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		return f, Errorf(EINVALID, "%q is not a currency code such as USD or EUR.", f.Currency)
	}
	if !slices.Contains(TemplateLocales, f.Locale) {
		return f, Errorf(EINVALID, "%q is not a locale Doorstep writes: choose one of %s.", f.Locale, strings.Join(TemplateLocales, ", "))
	}
	return f, nil
}

// ValidateNewUser checks a new landlord-side user's e-mail address, name
// and password (the address and name as they will be stored, trimmed).
func ValidateNewUser(email, name, password string) error {
	email, name = strings.TrimSpace(email), strings.TrimSpace(name)
	if !strings.Contains(email, "@") || len(email) > maxEmailLength {
		return Errorf(EINVALID, "%q is not an e-mail address.", email)
	}
	if name == "" {
		return Errorf(EINVALID, "The user needs a name.")
	}
	if len(password) < MinPasswordLength || len(password) > 72 {
		return Errorf(EINVALID, "A password must be %d to 72 characters.", MinPasswordLength)
	}
	return nil
}

// Refusals of account changes that clash with what exists.
var ErrMainUserExists = Errorf(ECONFLICT, "This organisation already has a main user.")

// ErrEmailTaken refuses a second landlord-side user with email.
func ErrEmailTaken(email string) error {
	return Errorf(ECONFLICT, "There is already a user with the e-mail %s.", email)
}

// ErrNoMainAccount refuses what names a landlord's main account by an
// e-mail no main account has (a sub-user's included).
func ErrNoMainAccount(email string) error {
	return Errorf(ENOTFOUND, "No landlord's main account has the e-mail %s.", email)
}

// ErrNoOrg refuses what names an organisation that does not exist.
func ErrNoOrg(id int64) error { return Errorf(ENOTFOUND, "There is no organisation %d.", id) }

// Refusals at the door. Unknown, expired and revoked sessions are answered
// alike, and so are an unknown e-mail and a wrong password.
var (
	ErrBadCredentials = Errorf(EUNAUTHORIZED, "The e-mail or password is not right.")
	ErrNotSignedIn    = Errorf(EUNAUTHORIZED, "Please sign in again.")
	ErrInviteUsed     = Errorf(EUNAUTHORIZED, "This link has expired or was already used. Ask your landlord for a new one.")
)

// SessionEnded reports whether a session that expires at expires has ended
// at now, by the store's clock: revoked (signed out), or expired.
func SessionEnded(revoked bool, expires, now time.Time) bool {
	return revoked || SessionRef{ExpiresAt: expires}.Ended(now)
}

// InviteUsable reports whether an invite link that expires at expires still
// opens a session at now: once, before it expires.
func InviteUsable(used bool, expires, now time.Time) bool {
	return !used && now.Before(expires)
}

// TenantMatch is a tenant found by e-mail address.
type TenantMatch struct {
	OrgID, ID int64
	Name      string
	// Language is the language on the tenant's record ("" while not set).
	Language string
}

// Refusals of a search for a person without an e-mail address.
var (
	ErrNoTenantEmail  = Errorf(EINVALID, "Give the tenant's e-mail address.")
	ErrNoSignOutEmail = Errorf(EINVALID, "Give the e-mail address of the person to sign out.")
)

// PickTenantByEmail is the one tenant with email among matches (at most
// the first two, by organisation then id): none, or several (in one
// organisation or in more), is refused rather than guessed.
func PickTenantByEmail(email string, matches []TenantMatch) (TenantMatch, error) {
	switch {
	case len(matches) == 0:
		return TenantMatch{}, Errorf(ENOTFOUND, "No tenant has the e-mail address %s.", email)
	case len(matches) > 1 && matches[0].OrgID != matches[1].OrgID:
		return TenantMatch{}, Errorf(ECONFLICT, "Several organisations have a tenant with the e-mail address %s.", email)
	case len(matches) > 1:
		return TenantMatch{}, Errorf(ECONFLICT, "Several tenants (%s, %s) have the e-mail address %s.", matches[0].Name, matches[1].Name, email)
	}
	return matches[0], nil
}

// ErrNobodyWithEmail refuses to sign out an address no one has.
func ErrNobodyWithEmail(email string) error {
	return Errorf(ENOTFOUND, "No landlord user or tenant has the e-mail address %s.", email)
}
