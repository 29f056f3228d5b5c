package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"doorstep/backend"
	"doorstep/backend/httpapi"
	"doorstep/backend/portal"
)

// lockedBuffer is a log sink safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// browser is a cookie-keeping HTTP client that does not follow redirects.
func browser(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func TestPortalSignInThroughTheLink(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	var logs lockedBuffer
	// The test plays the TLS proxy in front of the server, on loopback.
	loopback := netip.MustParsePrefix("127.0.0.0/8")
	srv := httptest.NewServer(httpapi.NewServer(w.db, slog.New(slog.NewTextHandler(&logs, nil)), httpapi.WithTrustedProxies(loopback)).Handler())
	defer srv.Close()
	conv := must[backend.Conversation](t)(w.landlord.StartConversation(ctx, backend.StartConversation{TenantID: w.tenant["Erin"]}))
	token := must[string](t)(w.landlord.CreateTenantInvite(ctx, w.tenant["Erin"]))
	link := srv.URL + "/portal/i/" + token
	b := browser(t)

	t.Run("OpeningTheLinkDoesNotSpendIt", func(t *testing.T) {
		for range 2 { // a mail scanner, then the tenant
			resp, err := b.Get(link)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(body), `<form method="post">`) {
				t.Fatalf("GET link: %d %s", resp.StatusCode, body)
			}
			if resp.Header.Get("Referrer-Policy") != "same-origin" || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
				t.Errorf("headers: %v", resp.Header)
			}
		}
	})

	t.Run("ErrPostedFromAnotherSite", func(t *testing.T) {
		req, _ := http.NewRequest("POST", link, nil)
		req.Header.Set("Origin", "https://evil.example")
		resp, err := browser(t).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || len(resp.Cookies()) != 0 {
			t.Errorf("cross-site POST: %d, cookies %v", resp.StatusCode, resp.Cookies())
		}
	})

	var csrf string
	t.Run("PressingTheButtonSignsInWithCookies", func(t *testing.T) {
		req, _ := http.NewRequest("POST", link, nil)
		req.Header.Set("Origin", srv.URL)
		req.Header.Set("X-Forwarded-Proto", "https") // as behind the TLS proxy
		resp, err := b.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/portal/" {
			t.Fatalf("POST link: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		cookies := map[string]*http.Cookie{}
		for _, c := range resp.Cookies() {
			cookies[c.Name] = c
		}
		sess, xsrf := cookies[httpapi.SessionCookie], cookies[httpapi.CSRFCookie]
		if sess == nil || !sess.HttpOnly || !sess.Secure || sess.SameSite != http.SameSiteLaxMode {
			t.Errorf("session cookie = %+v", sess)
		}
		if xsrf == nil || xsrf.HttpOnly || !xsrf.Secure || xsrf.SameSite != http.SameSiteStrictMode || len(xsrf.Value) != 64 {
			t.Errorf("CSRF cookie = %+v", xsrf)
		}
		if xsrf != nil {
			csrf = xsrf.Value
		}
		// The test server is plain HTTP: hand the jar the cookies without Secure.
		u, _ := url.Parse(srv.URL)
		for _, c := range []*http.Cookie{sess, xsrf} {
			if c != nil {
				b.Jar.SetCookies(u, []*http.Cookie{{Name: c.Name, Value: c.Value, Path: "/"}})
			}
		}
	})

	t.Run("ErrTheLinkWorksOnce", func(t *testing.T) {
		req, _ := http.NewRequest("POST", link, nil)
		resp, err := browser(t).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), "expired or was already used") {
			t.Errorf("second use: %d %s", resp.StatusCode, body)
		}
	})

	send := func(origin, header string) int {
		body := strings.NewReader(`{"key":"portal-` + header[:min(len(header), 8)] + `-0001","text":"Thanks, see you Tuesday"}`)
		req, _ := http.NewRequest("POST", srv.URL+"/api/v1/conversations/"+itoa(conv.ID)+"/messages", body)
		req.Header.Set("Content-Type", "application/json")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		if header != "-" {
			req.Header.Set(httpapi.CSRFHeader, header)
		}
		resp, err := b.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	t.Run("TheCookieSessionReadsAsTheTenant", func(t *testing.T) {
		resp, err := b.Get(srv.URL + "/api/v1/me")
		if err != nil {
			t.Fatal(err)
		}
		var me backend.Me
		json.NewDecoder(resp.Body).Decode(&me)
		resp.Body.Close()
		if resp.StatusCode != 200 || me.Kind != backend.KindTenant || me.ID != w.tenant["Erin"] {
			t.Errorf("me = %d %+v", resp.StatusCode, me)
		}
	})

	t.Run("ErrChangesNeedTheCSRFHeader", func(t *testing.T) {
		if st := send("", "-"); st != http.StatusForbidden {
			t.Errorf("no CSRF header: %d", st)
		}
		if st := send("", strings.Repeat("0", 64)); st != http.StatusForbidden {
			t.Errorf("wrong CSRF header: %d", st)
		}
		if st := send("https://evil.example", csrf); st != http.StatusForbidden {
			t.Errorf("right header from another site: %d", st)
		}
		if st := send(srv.URL, csrf); st != http.StatusCreated {
			t.Errorf("from the portal: %d", st)
		}
	})

	t.Run("SigningOutForgetsTheCookies", func(t *testing.T) {
		req, _ := http.NewRequest("POST", srv.URL+"/api/v1/auth/signout", nil)
		req.Header.Set("Origin", srv.URL)
		req.Header.Set(httpapi.CSRFHeader, csrf)
		resp, err := b.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		cleared := 0
		for _, c := range resp.Cookies() {
			if (c.Name == httpapi.SessionCookie || c.Name == httpapi.CSRFCookie) && c.MaxAge < 0 && c.Value == "" {
				cleared++
			}
		}
		if resp.StatusCode != http.StatusNoContent || cleared != 2 {
			t.Errorf("sign out: %d, %d cookies cleared: %v", resp.StatusCode, cleared, resp.Header.Values("Set-Cookie"))
		}
		me, err := b.Get(srv.URL + "/api/v1/me")
		if err != nil {
			t.Fatal(err)
		}
		me.Body.Close()
		if me.StatusCode != http.StatusUnauthorized {
			t.Errorf("after signing out, /me = %d", me.StatusCode)
		}
	})

	t.Run("TheTokenNeverReachesTheLog", func(t *testing.T) {
		if strings.Contains(logs.String(), token) {
			t.Error("the log holds the portal token")
		}
		if !strings.Contains(logs.String(), "path=/portal/i/…") {
			t.Errorf("the portal requests are not logged: %s", logs.String())
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// moduleImport finds a module's static imports of other modules
// (import … from './x.js', import './x.js', export … from './x.js'); the
// type-only import('./x.js') in JSDoc is not loaded and not matched.
var moduleImport = regexp.MustCompile(`(?m)^(?:import|export)\s(?:[^'";]*?\sfrom\s*)?['"](\.{1,2}/[^'"]+)['"]`)

// TestPortalPage: the portal is one document for the list and every
// conversation, plus its script and styles, all under a policy that runs
// nothing inline and talks to this server only.
func TestPortalPage(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	srv := httptest.NewServer(httpapi.NewServer(w.db, slog.New(slog.DiscardHandler)).Handler())
	defer srv.Close()
	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := browser(t).Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(body)
	}
	home, page := get("/portal/")
	if home.StatusCode != 200 || !strings.HasPrefix(home.Header.Get("Content-Type"), "text/html") || !strings.Contains(page, `<script type="module" src="/portal/assets/main.js">`) {
		t.Fatalf("/portal/: %d %s", home.StatusCode, home.Header.Get("Content-Type"))
	}
	csp := home.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("the page's policy lacks %q: %s", want, csp)
		}
	}
	if strings.Contains(csp, "unsafe") || strings.Contains(page, "<script>") || strings.Contains(page, " style=") {
		t.Errorf("inline script or style allowed or used: %s", csp)
	}
	if home.Header.Get("Referrer-Policy") != "same-origin" || home.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("headers: %v", home.Header)
	}
	// Any conversation's address gives the same document: the script reads
	// the path and asks the API, which decides what the tenant may see.
	if resp, body := get("/portal/c/99999"); resp.StatusCode != 200 || body != page {
		t.Errorf("/portal/c/99999: %d", resp.StatusCode)
	}
	for path, ctype := range map[string]string{"/portal/assets/portal.css": "text/css", "/portal/assets/icon.svg": "image/svg+xml"} {
		resp, body := get(path)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), ctype) || len(body) == 0 ||
			resp.Header.Get("Content-Security-Policy") == "" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: %d %q, %d bytes", path, resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
		}
	}
	// The script is ES modules: main.js imports the others by relative path.
	// Each one the browser would load is served as a script under the same
	// policy, and none puts received text into the page as markup.
	seen := map[string]bool{"main.js": true}
	for queue := []string{"main.js"}; len(queue) > 0; queue = queue[1:] {
		name := queue[0]
		resp, js := get("/portal/assets/" + name)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") || len(js) == 0 ||
			resp.Header.Get("Content-Security-Policy") == "" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: %d %q, %d bytes", name, resp.StatusCode, resp.Header.Get("Content-Type"), len(js))
		}
		for _, markup := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "createContextualFragment", "DOMParser"} {
			if strings.Contains(js, markup) {
				t.Errorf("%s writes markup (%s)", name, markup)
			}
		}
		for _, m := range moduleImport.FindAllStringSubmatch(js, -1) {
			// The asset route is flat: a module imports its siblings only.
			dep := path.Clean(m[1])
			if strings.Contains(dep, "/") {
				t.Errorf("%s imports %s, outside /portal/assets/", name, m[1])
			} else if !seen[dep] {
				seen[dep] = true
				queue = append(queue, dep)
			}
		}
	}
	// Every module the binary carries is one the page loads, and no test of
	// them is carried at all.
	embedded, err := fs.Glob(portal.Assets, "assets/*.js")
	if err != nil {
		t.Fatal(err)
	}
	var loaded []string
	for name := range seen {
		loaded = append(loaded, "assets/"+name)
	}
	slices.Sort(embedded)
	slices.Sort(loaded)
	if len(loaded) < 5 || !slices.Equal(embedded, loaded) {
		t.Errorf("modules embedded %v, loaded by the page %v", embedded, loaded)
	}
	for _, path := range []string{"/portal/assets/index.html", "/portal/assets/missing.js", "/portal/assets/..%2fportal.go", "/portal/c/1/files", "/portal/x"} {
		if resp, body := get(path); resp.StatusCode != 404 || !strings.Contains(body, `"not_found"`) {
			t.Errorf("%s: %d %s", path, resp.StatusCode, body)
		}
	}
	if resp, _ := get("/portal"); resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/portal/" {
		t.Errorf("/portal: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	req, _ := http.NewRequest("POST", srv.URL+"/portal/", nil)
	if resp, err := browser(t).Do(req); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /portal/: %v %v", resp.StatusCode, err)
	}
}
