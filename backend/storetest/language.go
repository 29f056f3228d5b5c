package storetest

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"doorstep/backend"
)

// testTenantLanguage: an imported file sets a tenant's language (en/es, or
// the language's name); the directory, the tenant record, the tenant's own
// session and their queued notifications carry it; a row without one
// leaves it as it was; an unknown one imports nothing and says which line.
func testTenantLanguage(t *testing.T, w *world) {
	row := func(line, name, email, language string) backend.DirectoryRow {
		return backend.DirectoryRow{Line: line, Property: "Elm Court", Address: "1 Elm Court", Unit: "1A",
			TenantName: name, TenantEmail: email, TenantPhone: "555-0100", LeaseStart: "2025-01-01", LeaseEnd: "2026-12-31",
			TenantLanguage: language}
	}
	language := func(name string) string {
		t.Helper()
		dir := must[backend.Directory](t)(w.s.Directory(w.ctx, w.landlord, name))
		if len(dir.Tenants) != 1 {
			t.Fatalf("directory for %q: %+v", name, dir.Tenants)
		}
		rec := must[backend.TenantRecord](t)(w.s.TenantRecord(w.ctx, w.landlord, dir.Tenants[0].ID))
		if rec.Language != dir.Tenants[0].Language {
			t.Errorf("%s: the record says %q, the directory %q", name, rec.Language, dir.Tenants[0].Language)
		}
		return rec.Language
	}

	w.run(t, "NotSetUntilAFileSaysSo", func(t *testing.T) {
		if got := language("alice"); got != "" {
			t.Errorf("Alice's language = %q, want not set", got)
		}
	})

	w.run(t, "ImportSetsItByCodeOrName", func(t *testing.T) {
		must[backend.ImportResult](t)(w.s.ImportDirectory(w.ctx, w.orgA, []backend.DirectoryRow{
			row("line 2", "Alice", "alice@tenant.test", "Español"),
			row("line 3", "Bob", "bob@tenant.test", " english "),
			row("line 4", "Rosa", "rosa@tenant.test", "es"),
		}))
		for name, want := range map[string]string{"alice": "es", "bob": "en", "rosa": "es"} {
			if got := language(name); got != want {
				t.Errorf("%s's language = %q, want %q", name, got, want)
			}
		}
	})

	w.run(t, "ARowWithoutOneKeepsIt", func(t *testing.T) {
		must[backend.ImportResult](t)(w.s.ImportDirectory(w.ctx, w.orgA, []backend.DirectoryRow{row("line 2", "Alice", "alice@tenant.test", "")}))
		if got := language("alice"); got != "es" {
			t.Errorf("Alice's language after a row without one = %q, want still es", got)
		}
	})

	w.run(t, "AnUnknownOneImportsNothing", func(t *testing.T) {
		_, err := w.s.ImportDirectory(w.ctx, w.orgA, []backend.DirectoryRow{
			row("line 2", "Bob", "bob@tenant.test", "es"),
			row("line 3", "Uma", "uma@tenant.test", "Klingon"),
		})
		var problems backend.ImportErrors
		if !errors.As(err, &problems) || len(problems) != 1 ||
			!strings.HasPrefix(problems[0], `line 3: language "Klingon" is not one Doorstep speaks`) {
			t.Fatalf("import with a bad language: %v", err)
		}
		if got := language("bob"); got != "en" {
			t.Errorf("Bob's language = %q after a refused file, want still en", got)
		}
	})

	w.run(t, "TheTenantPicksTheirOwn", func(t *testing.T) {
		alice := w.tenantSession("Alice")
		sessionSays := func() string {
			t.Helper()
			return must[backend.Me](t)(w.s.Me(w.ctx, alice.Token)).Language
		}
		if err := w.s.SetTenantLanguage(w.ctx, alice.Me.ID, backend.LanguageEnglish); err != nil {
			t.Fatal(err)
		}
		if got, now := language("alice"), sessionSays(); got != "en" || now != "en" {
			t.Errorf("after picking English, the record says %q and the open session %q", got, now)
		}
		if err := w.s.SetTenantLanguage(w.ctx, alice.Me.ID, ""); err != nil {
			t.Fatal(err)
		}
		if got := language("alice"); got != "" {
			t.Errorf("Alice's language after going back to the browser's = %q", got)
		}
		if err := w.s.SetTenantLanguage(w.ctx, 1<<40, "es"); backend.ErrorCode(err) != backend.ENOTFOUND {
			t.Errorf("an unknown tenant's language: %v, want not found", err)
		}
		if err := w.s.SetTenantLanguage(w.ctx, alice.Me.ID, "fr"); err == nil {
			t.Error("the store kept a language Doorstep does not speak")
		}
		if got := language("alice"); got != "" {
			t.Errorf("Alice's language after a refused one = %q", got)
		}
		if err := w.s.SetTenantLanguage(w.ctx, alice.Me.ID, backend.LanguageSpanish); err != nil {
			t.Fatal(err)
		}
	})

	w.run(t, "TheTenantAndTheirNotificationsCarryIt", func(t *testing.T) {
		if me := w.tenantSession("Alice").Me; me.Language != "es" {
			t.Errorf("Alice's session says language %q, want es", me.Language)
		}
		if me := w.signIn("landlord@a.test").Me; me.Language != "" {
			t.Errorf("the landlord's session says language %q, want none", me.Language)
		}
		w.start(backend.StartConversation{TenantID: w.tenants["Alice"]})
		due := must[[]backend.PendingNotification](t)(w.s.DueNotifications(w.ctx, w.clock(), 10))
		i := slices.IndexFunc(due, func(n backend.PendingNotification) bool { return n.Tenant.Name == "Alice" })
		if i < 0 || due[i].TenantLanguage != "es" {
			t.Errorf("Alice's queued notifications: %+v, want language es", due)
		}
	})
}
