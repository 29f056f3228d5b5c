package client_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"doorstep/backend"
	"doorstep/backend/httpapi"
)

// TestBrowserRequestsNeedThisServersHost: against DNS rebinding, the portal
// and every request authenticated by the session cookie are answered only
// for the names this server is reached by (its public URL's, the address
// the connection came to, localhost on loopback); another Host is refused
// before anything is read, spent or changed. Bearer-token requests, which a
// browser never makes on its own, are not affected.
func TestBrowserRequestsNeedThisServersHost(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	srv := httptest.NewServer(httpapi.NewServer(w.db, slog.New(slog.DiscardHandler), httpapi.WithPublicHosts("chat.example.org:443")).Handler())
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	conv := must[backend.Conversation](t)(w.landlord.StartConversation(ctx, backend.StartConversation{TenantID: w.tenant["Erin"]}))

	// do sends a request to the test server under the given Host, with the
	// given headers (a browser's cookies are given as a Cookie header: a
	// cookie jar would pick them by that Host).
	do := func(method, path, host string, body io.Reader, header map[string]string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, body)
		req.Host = host
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := browser(t).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(raw)
	}
	refused := func(t *testing.T, what string, resp *http.Response, body string, page bool) {
		t.Helper()
		ctype := resp.Header.Get("Content-Type")
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Doorstep does not answer at this address") ||
			page && !strings.HasPrefix(ctype, "text/html") || !page && !strings.Contains(body, `"code":"forbidden"`) {
			t.Errorf("%s: %d %s %.300s, want 403 forbidden as %s", what, resp.StatusCode, ctype, body, map[bool]string{true: "a page", false: "JSON"}[page])
		}
		if len(resp.Cookies()) != 0 {
			t.Errorf("%s: set cookies %v", what, resp.Cookies())
		}
	}

	token := must[string](t)(w.landlord.CreateTenantInvite(ctx, w.tenant["Erin"]))
	const evil = "evil.example"
	t.Run("ErrPortalUnderAnotherHost", func(t *testing.T) {
		for _, path := range []string{"/portal/", "/portal/c/1", "/portal", "/portal/i/" + token} {
			resp, body := do("GET", path, evil, nil, nil)
			refused(t, "GET "+path, resp, body, true)
		}
		for _, path := range []string{"/portal/assets/main.js", "/portal/assets/nothing.css"} {
			resp, body := do("GET", path, evil, nil, nil)
			refused(t, "GET "+path, resp, body, false)
		}
		// A rebound page is same-origin with itself: its Origin matches its Host.
		resp, body := do("POST", "/portal/i/"+token, evil+":"+port, nil, map[string]string{"Origin": "http://" + evil + ":" + port})
		refused(t, "pressing the invite button", resp, body, true)
	})

	// The invite still works, under the right host: the refusal spent nothing.
	var cookies, csrf string
	t.Run("TheLinkStillWorksUnderThisServersHost", func(t *testing.T) {
		resp, _ := do("POST", "/portal/i/"+token, "chat.example.org", nil, map[string]string{"Origin": "https://chat.example.org"})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST link: %d", resp.StatusCode)
		}
		for _, c := range resp.Cookies() {
			cookies += c.Name + "=" + c.Value + "; "
			if c.Name == httpapi.CSRFCookie {
				csrf = c.Value
			}
		}
	})
	withCookies := func(header map[string]string) map[string]string {
		h := map[string]string{"Cookie": cookies}
		for k, v := range header {
			h[k] = v
		}
		return h
	}

	t.Run("ErrCookieSessionUnderAnotherHost", func(t *testing.T) {
		resp, body := do("GET", "/api/v1/me", evil, nil, withCookies(nil))
		refused(t, "GET /api/v1/me", resp, body, false)
		resp, body = do("GET", "/api/v1/conversations", evil, nil, withCookies(nil))
		refused(t, "GET /api/v1/conversations", resp, body, false)
		send := `{"key":"rebound-0001","text":"sent from a rebound page"}`
		resp, body = do("POST", "/api/v1/conversations/"+itoa(conv.ID)+"/messages", evil, strings.NewReader(send),
			withCookies(map[string]string{"Content-Type": "application/json", "Origin": "http://" + evil, httpapi.CSRFHeader: csrf}))
		refused(t, "sending a message", resp, body, false)
		resp, body = do("POST", "/api/v1/auth/signout", evil, nil, withCookies(map[string]string{"Origin": "http://" + evil, httpapi.CSRFHeader: csrf}))
		refused(t, "signing out", resp, body, false)

		// The live events: refused before any upgrade.
		header := http.Header{"Origin": {"http://" + evil}, "Host": {evil}, "Cookie": {cookies}}
		_, wsResp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/api/v1/events", header)
		if err == nil || wsResp == nil || wsResp.StatusCode != http.StatusForbidden {
			t.Errorf("events under another host: %v %v, want 403", wsResp, err)
		}
		if msgs := must[[]backend.Message](t)(w.landlord.Messages(ctx, conv.ID, backend.MessagePage{})); len(msgs) != 0 {
			t.Errorf("a refused request stored %d messages", len(msgs))
		}
	})

	t.Run("TheNamesThisServerIsReachedBy", func(t *testing.T) {
		for _, host := range []string{"chat.example.org", "CHAT.Example.org.", "chat.example.org:8443", "127.0.0.1:" + port, "127.0.0.1", "localhost:" + port, "LOCALHOST"} {
			resp, body := do("GET", "/api/v1/me", host, nil, withCookies(nil))
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"kind":"tenant"`) {
				t.Errorf("GET /api/v1/me as %s: %d %.200s", host, resp.StatusCode, body)
			}
			if resp, _ := do("GET", "/portal/", host, nil, nil); resp.StatusCode != http.StatusOK {
				t.Errorf("GET /portal/ as %s: %d", host, resp.StatusCode)
			}
		}
		for _, host := range []string{"127.0.0.2:" + port, "[::1]:" + port, "chat.example.org.evil.example", "example.org", "localhost.evil.example"} {
			resp, body := do("GET", "/api/v1/me", host, nil, withCookies(nil))
			refused(t, "GET /api/v1/me as "+host, resp, body, false)
		}
		// The session is still there: nothing refused above ended it.
		if resp, _ := do("GET", "/api/v1/me", "chat.example.org", nil, withCookies(nil)); resp.StatusCode != http.StatusOK {
			t.Errorf("after the refusals, /api/v1/me = %d", resp.StatusCode)
		}
	})

	t.Run("BearerTokensAndAnonymousCallsAreNotAffected", func(t *testing.T) {
		resp, body := do("GET", "/api/v1/me", evil, nil, map[string]string{"Authorization": "Bearer " + w.landlord.Token()})
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"kind":"user"`) {
			t.Errorf("bearer token under another host: %d %.200s", resp.StatusCode, body)
		}
		if resp, _ := do("GET", "/healthz", evil, nil, nil); resp.StatusCode != http.StatusOK {
			t.Errorf("health under another host: %d", resp.StatusCode)
		}
		resp, body = do("POST", "/api/v1/auth/signin", evil, strings.NewReader(`{"email":"landlord@a.test","password":"correct horse battery"}`),
			map[string]string{"Content-Type": "application/json"})
		if resp.StatusCode != http.StatusOK {
			t.Errorf("sign-in under another host: %d %.200s", resp.StatusCode, body)
		}
	})
}
