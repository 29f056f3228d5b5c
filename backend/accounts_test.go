package backend_test

import (
	"strings"
	"testing"
	"time"

	"doorstep/backend"
)

func TestValidateOrg(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, tz string
		want     string // the name kept, or the refusal
	}{
		{"  Maple Street Rentals ", "America/Chicago", "Maple Street Rentals"},
		{"Flats", "UTC", "Flats"},
		{" ", "UTC", "The organisation needs a name."},
		{"Flats", "", `"" is not a time zone name such as America/Chicago.`},
		{"Flats", "Local", `"Local" is not a time zone name such as America/Chicago.`},
		{"Flats", "Mars/Olympus", `"Mars/Olympus" is not a time zone name such as America/Chicago.`},
	} {
		name, err := backend.ValidateOrg(c.name, c.tz)
		if got := name + backend.ErrorMessage(err); got != c.want || err != nil && backend.ErrorCode(err) != backend.EINVALID {
			t.Errorf("ValidateOrg(%q, %q) = %q, %v; want %q", c.name, c.tz, name, err, c.want)
		}
	}
}

func TestValidateNewUser(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		email, name, password string
		want                  string // "" for valid
	}{
		{" kim@example.org ", " Kim ", "correct horse", ""},
		{"kim.example.org", "Kim", "correct horse", `"kim.example.org" is not an e-mail address.`},
		{strings.Repeat("k", 250) + "@x.org", "Kim", "correct horse", "is not an e-mail address."},
		{"kim@example.org", "  ", "correct horse", "The user needs a name."},
		{"kim@example.org", "Kim", "too short", "A password must be 10 to 72 characters."},
		{"kim@example.org", "Kim", strings.Repeat("p", 73), "A password must be 10 to 72 characters."},
		{"kim@example.org", "Kim", strings.Repeat("p", 72), ""},
	} {
		err := backend.ValidateNewUser(c.email, c.name, c.password)
		if c.want == "" && err != nil || c.want != "" && (backend.ErrorCode(err) != backend.EINVALID || !strings.HasSuffix(backend.ErrorMessage(err), c.want)) {
			t.Errorf("ValidateNewUser(%q, %q, %d characters) = %v, want %q", c.email, c.name, len(c.password), err, c.want)
		}
	}
}

func TestSessionAndInviteLifetimes(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name    string
		revoked bool
		expires time.Time
		ended   bool
	}{
		{"Live", false, now.Add(time.Second), false},
		{"ExpiresNow", false, now, true},
		{"Expired", false, now.Add(-time.Hour), true},
		{"SignedOut", true, now.Add(time.Hour), true},
		{"NoExpiry", false, time.Time{}, true},
	} {
		if got := backend.SessionEnded(c.revoked, c.expires, now); got != c.ended {
			t.Errorf("session %s: ended %v, want %v", c.name, got, c.ended)
		}
		if got := backend.InviteUsable(c.revoked, c.expires, now); got != !c.ended {
			t.Errorf("invite %s: usable %v, want %v", c.name, got, !c.ended)
		}
	}
}

func TestPickTenantByEmail(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name    string
		matches []backend.TenantMatch
		want    string // the name picked, or the refusal
	}{
		{"One", []backend.TenantMatch{{OrgID: 1, ID: 4, Name: "Alice"}}, "Alice"},
		{"None", nil, "No tenant has the e-mail address a@x.test."},
		{"TwoInOneOrganisation", []backend.TenantMatch{{OrgID: 1, ID: 4, Name: "Alice"}, {OrgID: 1, ID: 9, Name: "Alicia"}},
			"Several tenants (Alice, Alicia) have the e-mail address a@x.test."},
		{"TwoOrganisations", []backend.TenantMatch{{OrgID: 1, ID: 4, Name: "Alice"}, {OrgID: 2, ID: 9, Name: "Alice"}},
			"Several organisations have a tenant with the e-mail address a@x.test."},
	} {
		m, err := backend.PickTenantByEmail("a@x.test", c.matches)
		if got := m.Name + backend.ErrorMessage(err); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
