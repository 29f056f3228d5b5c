package storetest

import (
	"testing"

	"doorstep/backend"
)

// testAccounts: organisations and users are checked before they are made,
// an e-mail address names one landlord-side user, and an organisation has
// one main user.
func testAccounts(t *testing.T, w *world) {
	w.run(t, "ErrInvalidOrganisation", func(t *testing.T) {
		for _, c := range []struct{ name, tz string }{{" ", "UTC"}, {"Flats", ""}, {"Flats", "Local"}, {"Flats", "Mars/Olympus"}} {
			_, err := w.s.CreateOrg(w.ctx, c.name, c.tz)
			wantCode(t, err, backend.EINVALID)
		}
	})

	w.run(t, "ErrInvalidUser", func(t *testing.T) {
		for _, c := range []struct{ email, name, password string }{
			{"not-an-address", "Kim", password},
			{"kim@new.test", " ", password},
			{"kim@new.test", "Kim", "short"},
		} {
			_, err := w.s.CreateLandlord(w.ctx, "New Flats", "UTC", c.email, c.name, c.password)
			wantCode(t, err, backend.EINVALID)
		}
	})

	w.run(t, "ErrEmailTaken", func(t *testing.T) {
		_, err := w.s.CreateUser(w.ctx, w.orgB, "LANDLORD@a.test", "Copy", password, false)
		wantRefusal(t, err, backend.ECONFLICT, "There is already a user with the e-mail LANDLORD@a.test.")
		_, err = w.s.CreateLandlord(w.ctx, "Copy Flats", "UTC", "landlord@a.test", "Copy", password)
		wantCode(t, err, backend.ECONFLICT)
	})

	w.run(t, "OrgFormats", func(t *testing.T) {
		org, err := w.s.CreateLandlord(w.ctx, "Rue des Lilas", "Europe/Paris", "gerant@lilas.test", "Camille", password)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.s.SetOrgFormats(w.ctx, org, backend.OrgFormats{Currency: " cad ", Locale: "fr-CA"}); err != nil {
			t.Fatal(err)
		}
		for _, bad := range []backend.OrgFormats{{Currency: "DOLLARS", Locale: "fr-CA"}, {Currency: "EUR", Locale: "xx-YY"}, {Currency: "E1R", Locale: "en-GB"}} {
			wantCode(t, w.s.SetOrgFormats(w.ctx, org, bad), backend.EINVALID)
		}
		wantCode(t, w.s.SetOrgFormats(w.ctx, 999_999, backend.OrgFormats{Currency: "EUR", Locale: "en-GB"}), backend.ENOTFOUND)
		me, err := w.s.Me(w.ctx, w.signIn("gerant@lilas.test").Token)
		if err != nil || me.Currency != "CAD" || me.Locale != "fr-CA" {
			t.Errorf("after setting the formats (and refusing bad ones): %q %q %v", me.Currency, me.Locale, err)
		}
	})

	w.run(t, "ErrSecondMainUser", func(t *testing.T) {
		_, err := w.s.CreateUser(w.ctx, w.orgA, "second@a.test", "Second", password, true)
		wantRefusal(t, err, backend.ECONFLICT, "This organisation already has a main user.")
	})

	w.run(t, "ErrNoSuchOrganisation", func(t *testing.T) {
		_, err := w.s.CreateUser(w.ctx, 999_999, "nobody@x.test", "Nobody", password, false)
		wantRefusal(t, err, backend.ENOTFOUND, "There is no organisation 999999.")
	})

	w.run(t, "SubUserSignsInButIsNoMainUser", func(t *testing.T) {
		if w.subUser.Kind != backend.KindUser || w.subUser.IsMain || w.subUser.OrgID != w.orgA {
			t.Errorf("sub-user = %+v", w.subUser)
		}
		if !w.landlord.IsMain || w.landlord.Name != "Pat Landlord" {
			t.Errorf("main user = %+v", w.landlord)
		}
	})

	w.run(t, "OrgOfMainUser", func(t *testing.T) {
		for _, email := range []string{"landlord@a.test", " LANDLORD@A.test "} {
			if org, err := w.s.OrgOfMainUser(w.ctx, email); err != nil || org != w.orgA {
				t.Errorf("%q: org %d, %v; want %d", email, org, err, w.orgA)
			}
		}
		if org, err := w.s.OrgOfMainUser(w.ctx, "landlord@b.test"); err != nil || org != w.orgB {
			t.Errorf("org B's main user: org %d, %v; want %d", org, err, w.orgB)
		}
		_, err := w.s.OrgOfMainUser(w.ctx, "deputy@a.test")
		wantRefusal(t, err, backend.ENOTFOUND, "No landlord's main account has the e-mail deputy@a.test.")
		_, err = w.s.OrgOfMainUser(w.ctx, "alice@tenant.test")
		wantRefusal(t, err, backend.ENOTFOUND, "No landlord's main account has the e-mail alice@tenant.test.")
	})

	w.run(t, "TenantByEmail", func(t *testing.T) {
		if err := w.s.SetTenantLanguage(w.ctx, w.tenants["Alice"], backend.LanguageSpanish); err != nil {
			t.Fatal(err)
		}
		m, err := w.s.TenantByEmail(w.ctx, " ALICE@tenant.test ")
		if err != nil || m != (backend.TenantMatch{OrgID: w.orgA, ID: w.tenants["Alice"], Name: "Alice", Language: backend.LanguageSpanish}) {
			t.Errorf("Alice = %+v %v", m, err)
		}
		_, err = w.s.TenantByEmail(w.ctx, "nobody@tenant.test")
		wantRefusal(t, err, backend.ENOTFOUND, "No tenant has the e-mail address nobody@tenant.test.")
		_, err = w.s.TenantByEmail(w.ctx, " ")
		wantCode(t, err, backend.EINVALID)

		if _, _, err := w.s.AddLease(w.ctx, w.orgA, Lease{Property: "Elm Court", Unit: "1A", Start: "2025-01-01",
			Tenants: []Tenant{{Name: "Bobby", Email: "bob@tenant.test"}}}); err != nil {
			t.Fatal(err)
		}
		_, err = w.s.TenantByEmail(w.ctx, "bob@tenant.test")
		wantRefusal(t, err, backend.ECONFLICT, "Several tenants (Bob, Bobby) have the e-mail address bob@tenant.test.")

		if _, _, err := w.s.AddLease(w.ctx, w.orgB, Lease{Property: "Linden", Unit: "L2", Start: "2025-01-01",
			Tenants: []Tenant{{Name: "Carol", Email: "carol@tenant.test"}}}); err != nil {
			t.Fatal(err)
		}
		_, err = w.s.TenantByEmail(w.ctx, "carol@tenant.test")
		wantRefusal(t, err, backend.ECONFLICT, "Several organisations have a tenant with the e-mail address carol@tenant.test.")
	})
}
