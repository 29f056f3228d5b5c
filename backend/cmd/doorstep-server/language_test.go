package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"doorstep/backend"
	"doorstep/backend/client"
	"doorstep/backend/demo"
	"doorstep/internal/wait"
)

// A tenant's language comes from the imported directory and decides what
// they read: the e-mail and text message in the dev mailbox, the portal's
// page, its catalogue and the API's error sentences. Until it is set, the
// browser's Accept-Language decides.
func TestTenantLanguage(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := run(ctx, []string{"demo", "-data", dir}, env(nil), io.Discard, io.Discard, fastHashes()); err != nil {
		t.Fatal(err)
	}
	importCSV := func(text string) (string, error) {
		file := filepath.Join(t.TempDir(), "tenants.csv")
		if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		var out syncBuffer
		err := run(ctx, []string{"import", "-data", dir, "-landlord", demo.LandlordEmail, file}, env(nil), &out, &out, fastHashes())
		return out.String(), err
	}
	const header = "property,unit,tenant_name,tenant_email,tenant_phone,lease_start,language\n"

	_, err := importCSV(header + "Oak Terrace,G,Rosa Diaz,rosa.diaz@example.com,(312) 555-0199,2025-01-01,Español\n" +
		"Oak Terrace,H,Tom Hale,tom.hale@example.com,,2025-01-01,Klingon\n")
	if err == nil || !strings.Contains(err.Error(), `line 3: language "Klingon" is not one Doorstep speaks: write en (English) or es (Spanish)`) {
		t.Fatalf("a file with an unknown language: %v; want line 3 refused with a sentence", err)
	}
	if out, err := importCSV(header + "Oak Terrace,G,Rosa Diaz,rosa.diaz@example.com,(312) 555-0199,2025-01-01,Español\n" +
		"Oak Terrace,H,Tom Hale,tom.hale@example.com,,2025-01-01,english\n"); err != nil || !strings.Contains(out, "2 new tenants") {
		t.Fatalf("import: %q, %v", out, err)
	}

	url, _ := serveData(t, dir, "-public-url", "https://chat.example.org/")
	landlord := signInDemo(t, url)
	tenantID := func(name string) int64 {
		d, err := landlord.Directory(ctx, name)
		if err != nil || len(d.Tenants) != 1 {
			t.Fatalf("directory for %s: %+v, %v", name, d, err)
		}
		return d.Tenants[0].ID
	}
	rosa := tenantID("Rosa Diaz")
	if rec, err := landlord.TenantRecord(ctx, rosa); err != nil || rec.Language != "es" {
		t.Fatalf("Rosa's record: %+v, %v; want language es", rec, err)
	}
	if rec, err := landlord.TenantRecord(ctx, tenantID("Zoe Adams")); err != nil || rec.Language != "" {
		t.Fatalf("Zoe's record: %+v, %v; want no language", rec, err)
	}

	t.Run("SpanishEmailAndSMS", func(t *testing.T) {
		if _, err := landlord.StartConversation(ctx, backend.StartConversation{TenantID: rosa}); err != nil {
			t.Fatal(err)
		}
		var listing string
		wait.For(t, "Rosa's e-mail and text message in the mailbox", func() bool {
			var out syncBuffer
			if err := run(ctx, []string{"mailbox", "-data", dir}, env(nil), &out, &out, fastHashes()); err != nil {
				t.Fatal(err)
			}
			listing = out.String()
			return strings.Contains(listing, "rosa.diaz@example.com") && strings.Contains(listing, "+13125550199")
		})
		for _, want := range []string{
			"Subject: Pat Morgan inició un chat con usted",
			"Hola, Rosa Diaz:",
			"Pat Morgan, de Maple Street Rentals, inició un chat con usted en Doorstep.",
			"Léalo y responda aquí:",
			"Pat Morgan (Maple Street Rentals) inició un chat con usted en Doorstep. Lea y responda: https://chat.example.org/portal/i/",
			"?lang=es — funciona una vez, hasta el ",
		} {
			if !strings.Contains(listing, want) {
				t.Errorf("the mailbox lacks %q:\n%s", want, listing)
			}
		}
		if !strings.Contains(listing, " de 20") || strings.Contains(listing, "Hello Rosa") {
			t.Errorf("Rosa's messages are not all Spanish, with a Spanish date:\n%s", listing)
		}
	})

	session := func(id int64) string {
		tok, err := landlord.CreateTenantInvite(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		anon, _ := client.New(url)
		s, err := anon.RedeemInvite(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		return s.Token
	}
	get := func(path, token, acceptLanguage string) (int, string) {
		req, _ := http.NewRequest("GET", url+path, nil)
		if token != "" {
			req.AddCookie(&http.Cookie{Name: "doorstep_session", Value: token})
		}
		if acceptLanguage != "" {
			req.Header.Set("Accept-Language", acceptLanguage)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	rosaSession, zoeSession := session(rosa), session(tenantID("Zoe Adams"))

	t.Run("Catalogue", func(t *testing.T) {
		for _, c := range []struct {
			who, token, accept, want, signOut string
		}{
			{"Rosa (es), an English browser", rosaSession, "en-US,en;q=0.9", "es", "Cerrar sesión"},
			{"Zoe (not set), a Mexican browser", zoeSession, "es-MX,es;q=0.9", "es", "Cerrar sesión"},
			{"Zoe (not set), an English browser", zoeSession, "en-US", "en", "Sign out"},
			{"nobody, a Mexican browser", "", "es-MX", "es", "Cerrar sesión"},
			{"nobody, a French browser", "", "fr-FR", "en", "Sign out"},
			{"nobody, no header", "", "", "en", "Sign out"},
		} {
			status, body := get("/portal/catalogue", c.token, c.accept)
			var cat struct {
				Language string            `json:"language"`
				Messages map[string]string `json:"messages"`
			}
			if err := json.Unmarshal([]byte(body), &cat); err != nil || status != 200 {
				t.Fatalf("%s: %d %s", c.who, status, body)
			}
			if cat.Language != c.want || cat.Messages["portal.signOut"] != c.signOut {
				t.Errorf("%s: language %q, portal.signOut %q; want %s, %q", c.who, cat.Language, cat.Messages["portal.signOut"], c.want, c.signOut)
			}
		}
	})

	t.Run("PortalPageAndErrors", func(t *testing.T) {
		_, page := get("/portal/", rosaSession, "en-US")
		for _, want := range []string{`<html lang="es">`, ">Cerrar sesión<", ">Cargando sus mensajes…<", `<script type="application/json" id="catalogue">`} {
			if !strings.Contains(page, want) {
				t.Errorf("Rosa's portal page lacks %q", want)
			}
		}
		if _, page := get("/portal/", zoeSession, "en-US"); !strings.Contains(page, `<html lang="en">`) || !strings.Contains(page, ">Sign out<") {
			t.Errorf("Zoe's page with an English browser is not English")
		}
		status, body := get("/api/v1/conversations/999999", rosaSession, "")
		if status != 404 || !strings.Contains(body, "Esa conversación no existe.") {
			t.Errorf("Rosa asking for no conversation: %d %s; want the Spanish sentence", status, body)
		}
		if _, body := get("/api/v1/conversations/999999", zoeSession, ""); !strings.Contains(body, "There is no such conversation.") {
			t.Errorf("Zoe asking for no conversation: %s; want the English sentence", body)
		}
	})

	t.Run("TheLinkNamesItsLanguage", func(t *testing.T) {
		// Rosa's link says es: its page is Spanish in an English browser,
		// and so is the new-link form it leads to.
		_, page := get("/portal/i/not-a-token?lang=es", "", "en-US")
		if !strings.Contains(page, `<html lang="es">`) || !strings.Contains(page, "Abrir mis mensajes") {
			t.Errorf("the invite page of a Spanish link:\n%s", page)
		}
		_, page = get("/portal/link?lang=es", "", "en-US")
		if !strings.Contains(page, `action="/portal/link?lang=es"`) || !strings.Contains(page, "Enviarme un nuevo enlace") {
			t.Errorf("the new-link page of a Spanish link:\n%s", page)
		}
		// A link the landlord makes by hand names the language too; Zoe's,
		// with none on her record, follows her browser.
		for who, want := range map[string]string{"rosa.diaz@example.com": "?lang=es", "zoe.adams@example.com": ""} {
			var out bytes.Buffer
			if err := run(ctx, []string{"portal-link", "-tenant", who, "-data", dir, "-public-url", "https://chat.example.org/"}, env(nil), &out, io.Discard, fastHashes()); err != nil {
				t.Fatalf("portal-link %s: %v", who, err)
			}
			link := strings.TrimSpace(out.String())
			if !strings.HasPrefix(link, "https://chat.example.org/portal/i/") || !strings.HasSuffix(link, want) || want == "" && strings.Contains(link, "?") {
				t.Errorf("the link for %s: %s, want it to end %q", who, link, want)
			}
		}
	})

	t.Run("TheTenantPicksTheirOwn", func(t *testing.T) {
		put := func(token, body string) (int, string) {
			req, _ := http.NewRequest("PUT", url+"/api/v1/me/language", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept-Language", "en-US")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		zoe := tenantID("Zoe Adams")
		language := func() string {
			t.Helper()
			rec, err := landlord.TenantRecord(ctx, zoe)
			if err != nil {
				t.Fatal(err)
			}
			return rec.Language
		}
		if status, body := put(zoeSession, `{"language":"es"}`); status != 200 || !strings.Contains(body, `"language":"es"`) || !strings.Contains(body, "Cerrar sesión") {
			t.Fatalf("Zoe picking Spanish: %d %s", status, body)
		}
		if got := language(); got != "es" {
			t.Errorf("Zoe's record says %q after she picked Spanish", got)
		}
		if _, page := get("/portal/", zoeSession, "en-US"); !strings.Contains(page, `<html lang="es">`) {
			t.Error("Zoe's portal is not Spanish in an English browser after she picked Spanish")
		}

		for _, c := range []struct{ who, token, body, code, sentence string }{
			{"a language Doorstep does not speak", zoeSession, `{"language":"fr"}`, "invalid_input", "is not one Doorstep speaks"},
			{"a malformed body", zoeSession, `{"language":`, "invalid_input", "not valid JSON"},
			{"the landlord", landlord.Token(), `{"language":"en"}`, "forbidden", "Only a tenant picks their own language"},
		} {
			status, body := put(c.token, c.body)
			if status < 400 || !strings.Contains(body, `"code":"`+c.code+`"`) || !strings.Contains(body, c.sentence) {
				t.Errorf("%s: %d %s; want %s with %q", c.who, status, body, c.code, c.sentence)
			}
		}
		if got := language(); got != "es" {
			t.Errorf("Zoe's record says %q after refused requests, want still es", got)
		}

		if status, body := put(zoeSession, `{"language":""}`); status != 200 || !strings.Contains(body, `"language":"en"`) {
			t.Fatalf("Zoe going back to her browser's language: %d %s", status, body)
		}
		if got := language(); got != "" {
			t.Errorf("Zoe's record says %q after she went back to her browser's", got)
		}
	})

	t.Run("ServerPagesFollowTheBrowser", func(t *testing.T) {
		_, page := get("/portal/i/not-a-token", "", "es-MX")
		if !strings.Contains(page, `<html lang="es">`) || !strings.Contains(page, "Abrir mis mensajes") {
			t.Errorf("the invite page for a Mexican browser:\n%s", page)
		}
		_, page = get("/portal/link", "", "es")
		if !strings.Contains(page, "Enviarme un nuevo enlace") || !strings.Contains(page, "prefers-color-scheme: dark") {
			t.Errorf("the new-link page for a Spanish browser:\n%s", page)
		}
		if _, page = get("/portal/link", "", "en-GB"); !strings.Contains(page, "Send me a new link") {
			t.Errorf("the new-link page for an English browser:\n%s", page)
		}
	})
}
