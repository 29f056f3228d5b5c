package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"doorstep/backend"
	"doorstep/backend/httpapi"
	"doorstep/backend/notify"
	"doorstep/internal/wait"
)

// linkPortal is a server of the world's database with its own limits,
// and the log it writes.
type linkPortal struct {
	url  string
	logs *lockedBuffer
}

func newLinkPortal(t *testing.T, w *world, perContact httpapi.Rate) linkPortal {
	t.Helper()
	logs := &lockedBuffer{}
	limits := httpapi.DefaultLimits()
	limits.LinkRequestRate = perContact
	srv := httptest.NewServer(httpapi.NewServer(w.db, slog.New(slog.NewTextHandler(logs, nil)), httpapi.WithLimits(limits)).Handler())
	t.Cleanup(srv.Close)
	return linkPortal{url: srv.URL, logs: logs}
}

var formValue = regexp.MustCompile(`name="form" value="([0-9a-f]+)"`)

// ask fills in the "new link" form as a browser does: it opens the page,
// then posts it with contact. It returns the answer's status and body.
func (p linkPortal) ask(t *testing.T, contact string) (int, string) {
	t.Helper()
	b := browser(t)
	resp, err := b.Get(p.url + "/portal/link")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := formValue.FindStringSubmatch(string(page))
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("GET /portal/link: %d %s", resp.StatusCode, page)
	}
	return p.post(t, b, p.url, url.Values{"form": {m[1]}, "contact": {contact}})
}

func (p linkPortal) post(t *testing.T, b *http.Client, origin string, form url.Values) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", p.url+"/portal/link", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", origin)
	resp, err := b.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// Each page carries a fresh form value: the rest must be the same.
	return resp.StatusCode, formValue.ReplaceAllString(string(body), "")
}

// waitLookups waits until n requests were looked up (or refused by a
// limit) in the background.
func (p linkPortal) waitLookups(t *testing.T, n int) {
	t.Helper()
	wait.For(t, "the new-link lookups", func() bool {
		s := p.logs.String()
		return strings.Count(s, "new portal link asked for")+strings.Count(s, "new portal link not sent") >= n
	})
}

// signInLinks are the queued "new link" notifications, by recipient.
func signInLinks(t *testing.T, w *world) map[string][]backend.PendingNotification {
	t.Helper()
	due, err := w.db.DueNotifications(context.Background(), w.clock().Add(time.Hour), 1000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]backend.PendingNotification{}
	for _, n := range due {
		if n.Kind == backend.NotifySignInLink {
			out[n.Recipient] = append(out[n.Recipient], n)
		}
	}
	return out
}

func TestPortalNewLink(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	// Carol's lease ended on 2026-03-31; her chat dates from before.
	w.setDate("2026-03-01")
	must[backend.Conversation](t)(w.landlord.StartConversation(ctx, backend.StartConversation{TenantID: w.tenant["Carol"]}))
	w.setDate("2026-06-15")
	erinConv := must[backend.Conversation](t)(w.landlord.StartConversation(ctx, backend.StartConversation{TenantID: w.tenant["Erin"]}))
	must[backend.Conversation](t)(w.landlord.StartConversation(ctx, backend.StartConversation{TenantID: w.tenant["Alice"]}))
	p := newLinkPortal(t, w, httpapi.Rate{N: 2, Per: time.Hour})

	// A link Erin already used.
	oldLink := p.url + "/portal/i/" + must[string](t)(w.landlord.CreateTenantInvite(ctx, w.tenant["Erin"]))
	redeem := func(link string) (int, string) {
		req, _ := http.NewRequest("POST", link, nil)
		req.Header.Set("Origin", p.url)
		resp, err := browser(t).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(body)
	}
	if status, _ := redeem(oldLink); status != http.StatusSeeOther {
		t.Fatalf("first use of the old link: %d", status)
	}

	t.Run("TheUsedLinkPageOffersTheForm", func(t *testing.T) {
		status, body := redeem(oldLink)
		if status != http.StatusUnauthorized || !strings.Contains(body, `action="/portal/link?lang=en"`) || !strings.Contains(body, backend.SignInLinkTitle) {
			t.Errorf("used link: %d %s", status, body)
		}
	})

	lookups := 0
	t.Run("TheSameAnswerForAKnownAndAnUnknownAddress", func(t *testing.T) {
		s1, unknown := p.ask(t, "nobody@tenant.test")
		s2, known := p.ask(t, "  Erin@Tenant.test ")
		s3, script := p.ask(t, `<script>alert(1)</script>@tenant.test`)
		lookups += 3
		if s1 != 200 || s2 != 200 || s3 != 200 || unknown != known || script != known {
			t.Fatalf("answers differ:\n%d %s\n%d %s\n%d %s", s1, unknown, s2, known, s3, script)
		}
		if !strings.Contains(known, backend.SignInLinkAnswer) || strings.Contains(known, "Erin") || strings.Contains(known, "<script>alert") {
			t.Errorf("answer: %s", known)
		}
		p.waitLookups(t, lookups)
		links := signInLinks(t, w)
		if len(links) != 1 || len(links["erin@tenant.test"]) != 1 {
			t.Fatalf("queued: %+v", links)
		}
		n := links["erin@tenant.test"][0]
		if n.Channel != backend.ChannelEmail || n.Tenant.ID != w.tenant["Erin"] || n.ConversationID != erinConv.ID {
			t.Errorf("queued: %+v", n)
		}
	})

	t.Run("ATenantWhoseLeaseEndedGetsNothing", func(t *testing.T) {
		if s, body := p.ask(t, "carol@tenant.test"); s != 200 || !strings.Contains(body, backend.SignInLinkAnswer) {
			t.Errorf("answer: %d %s", s, body)
		}
		lookups++
		p.waitLookups(t, lookups)
		if links := signInLinks(t, w); len(links["carol@tenant.test"]) != 0 {
			t.Errorf("queued for Carol: %+v", links["carol@tenant.test"])
		}
	})

	t.Run("APhoneNumberGetsATextMessage", func(t *testing.T) {
		// Every tenant of the world has 555-0100: Erin and Alice have a chat
		// on an active lease, Carol's lease ended, the others have no chat.
		p.ask(t, "(555) 0100")
		lookups++
		p.waitLookups(t, lookups)
		var to []int64
		for _, n := range signInLinks(t, w)["555-0100"] {
			if n.Channel != backend.ChannelSMS {
				t.Errorf("channel %q", n.Channel)
			}
			to = append(to, n.Tenant.ID)
		}
		if len(to) != 2 || to[0] != w.tenant["Alice"] || to[1] != w.tenant["Erin"] {
			t.Errorf("texts to %v", to)
		}
	})

	t.Run("TheNewLinkSignsInAndTheOldOneStaysRefused", func(t *testing.T) {
		box, err := notify.OpenMailbox(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		worker := notify.NewWorker(w.db, box, box, p.url, slog.New(slog.NewTextHandler(io.Discard, nil)))
		worker.Now = w.clock
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { worker.Run(runCtx); close(done) }()
		defer func() { stop(); <-done }()
		var link string
		wait.For(t, "the new link in the dev mailbox", func() bool {
			entries, _ := box.List()
			for _, e := range entries {
				if e.To == "erin@tenant.test" {
					link = regexp.MustCompile(regexp.QuoteMeta(p.url) + `/portal/i/\S+`).FindString(e.Text)
				}
			}
			return link != ""
		})
		if status, _ := redeem(link); status != http.StatusSeeOther {
			t.Errorf("new link: %d", status)
		}
		if status, _ := redeem(oldLink); status != http.StatusUnauthorized {
			t.Errorf("old link: %d", status)
		}
	})

	t.Run("RateLimitedPerAddress", func(t *testing.T) {
		before := len(signInLinks(t, w)["alice@tenant.test"])
		var answers []string
		for range 3 { // the allowance is 2 an hour
			s, body := p.ask(t, "alice@tenant.test")
			answers = append(answers, strings.TrimSpace(body))
			if s != 200 || body == "" {
				t.Fatalf("answer: %d %s", s, body)
			}
		}
		lookups += 3
		p.waitLookups(t, lookups)
		if answers[2] != answers[0] {
			t.Errorf("the refused request was answered differently:\n%s\n%s", answers[0], answers[2])
		}
		if got := len(signInLinks(t, w)["alice@tenant.test"]) - before; got != 2 {
			t.Errorf("queued %d links for Alice, want 2", got)
		}
		if !strings.Contains(p.logs.String(), "limit=address") {
			t.Errorf("the refusal is not logged:\n%s", p.logs.String())
		}
	})

	t.Run("RateLimitedPerClient", func(t *testing.T) {
		q := newLinkPortal(t, w, httpapi.Rate{N: 1, Per: time.Hour}) // 4 an hour per client
		for i := range 4 {
			q.ask(t, "someone"+string(rune('a'+i))+"@elsewhere.test")
		}
		before := len(signInLinks(t, w)["erin@tenant.test"])
		if s, body := q.ask(t, "erin@tenant.test"); s != 200 || !strings.Contains(body, backend.SignInLinkAnswer) {
			t.Errorf("answer: %d %s", s, body)
		}
		q.waitLookups(t, 5)
		if !strings.Contains(q.logs.String(), "limit=client") {
			t.Errorf("the refusal is not logged:\n%s", q.logs.String())
		}
		if got := len(signInLinks(t, w)["erin@tenant.test"]); got != before {
			t.Errorf("a link was queued past the client's limit")
		}
	})

	t.Run("ErrFormNotFromThisServer", func(t *testing.T) {
		before := len(signInLinks(t, w)["erin@tenant.test"])
		b := browser(t)
		resp, err := b.Get(p.url + "/portal/link")
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		token := formValue.FindStringSubmatch(string(page))[1]
		for name, try := range map[string]struct {
			origin string
			form   url.Values
		}{
			"AnotherSite":    {"https://evil.example", url.Values{"form": {token}, "contact": {"erin@tenant.test"}}},
			"NoFormValue":    {p.url, url.Values{"contact": {"erin@tenant.test"}}},
			"WrongFormValue": {p.url, url.Values{"form": {strings.Repeat("0", 48)}, "contact": {"erin@tenant.test"}}},
		} {
			status, body := p.post(t, b, try.origin, try.form)
			if status != http.StatusForbidden || !strings.Contains(body, backend.SignInLinkFormExpired) {
				t.Errorf("%s: %d %s", name, status, body)
			}
		}
		// A refused form never starts a lookup, so nothing can be queued later.
		if got := len(signInLinks(t, w)["erin@tenant.test"]); got != before || strings.Count(p.logs.String(), "new portal link asked for") != lookups-1 {
			t.Errorf("a forged form queued a link")
		}
	})
}

// TestPortalSignOutEverywhere: "Sign out everywhere" in the portal ends
// every session of the tenant, this one and the other devices', whose
// sockets close at once with 4001; another tenant's session goes on.
func TestPortalSignOutEverywhere(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	must[backend.Conversation](t)(w.landlord.StartConversation(ctx, backend.StartConversation{TenantID: w.tenant["Erin"]}))
	must[backend.Conversation](t)(w.landlord.StartConversation(ctx, backend.StartConversation{TenantID: w.tenant["Alice"]}))
	token := must[string](t)(w.landlord.CreateTenantInvite(ctx, w.tenant["Erin"]))
	req, _ := http.NewRequest("POST", w.url+"/portal/i/"+token, nil)
	req.Header.Set("Origin", w.url)
	resp, err := browser(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cookies := map[string]string{}
	for _, c := range resp.Cookies() {
		cookies[c.Name] = c.Value
	}
	cookieHeader := httpapi.SessionCookie + "=" + cookies[httpapi.SessionCookie] + "; " + httpapi.CSRFCookie + "=" + cookies[httpapi.CSRFCookie]
	page, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(w.url, "http")+"/api/v1/events",
		http.Header{"Cookie": {cookieHeader}, "Origin": {w.url}})
	if err != nil {
		t.Fatal(err)
	}
	defer page.Close()
	otherDevice := w.asTenant("Erin")
	otherStream := liveStream(t, otherDevice)
	alice := w.asTenant("Alice")
	aliceStream := liveStream(t, alice)

	everywhere := func(csrf string) *http.Response {
		req, _ := http.NewRequest("POST", w.url+"/api/v1/auth/signout-everywhere", nil)
		req.Header.Set("Cookie", cookieHeader)
		req.Header.Set("Origin", w.url)
		req.Header.Set(httpapi.CSRFHeader, csrf)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	t.Run("ErrWithoutTheCSRFHeader", func(t *testing.T) {
		resp := everywhere("")
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("without the CSRF header: %d", resp.StatusCode)
		}
		must[backend.Me](t)(otherDevice.Me(ctx))
	})

	resp = everywhere(cookies[httpapi.CSRFCookie])
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != `{"ended":2}` {
		t.Fatalf("sign out everywhere: %d %s", resp.StatusCode, body)
	}
	page.SetReadDeadline(time.Now().Add(15 * time.Second))
	for {
		_, _, err := page.ReadMessage()
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			if ce.Code != 4001 {
				t.Errorf("this page's socket closed with %d %q, want 4001", ce.Code, ce.Text)
			}
			break
		}
		if err != nil {
			t.Fatalf("this page's socket ended without a close frame: %v", err)
		}
	}
	wantSessionEnded(t, waitClosed(t, otherStream))
	_, err = otherDevice.Me(ctx)
	if backend.ErrorCode(err) != backend.EUNAUTHORIZED {
		t.Errorf("the other device is still signed in: %v", err)
	}
	must[backend.Me](t)(alice.Me(ctx))
	aliceStream.Close()
}

// TestPortalListsWhereTheTenantIsSignedIn: the list of sessions marks the
// one asking, describes each device from the User-Agent it signed in
// with, and shows no one else's.
func TestPortalListsWhereTheTenantIsSignedIn(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	must[backend.Conversation](t)(w.landlord.StartConversation(ctx, backend.StartConversation{TenantID: w.tenant["Erin"]}))
	signIn := func(ua string) string {
		token := must[string](t)(w.landlord.CreateTenantInvite(ctx, w.tenant["Erin"]))
		req, _ := http.NewRequest("POST", w.url+"/portal/i/"+token, nil)
		req.Header.Set("Origin", w.url)
		req.Header.Set("User-Agent", ua)
		resp, err := browser(t).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for _, c := range resp.Cookies() {
			if c.Name == httpapi.SessionCookie {
				return c.Value
			}
		}
		t.Fatalf("no session cookie: %d", resp.StatusCode)
		return ""
	}
	phone := signIn("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")
	w.mu.Lock()
	w.now = w.now.Add(time.Hour)
	w.mu.Unlock()
	signIn("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0")
	w.asTenant("Alice") // someone else

	req, _ := http.NewRequest("GET", w.url+"/api/v1/sessions", nil)
	req.Header.Set("Cookie", httpapi.SessionCookie+"="+phone)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var list []backend.SessionInfo
	if resp.StatusCode != 200 || json.Unmarshal(body, &list) != nil {
		t.Fatalf("GET /api/v1/sessions: %d %s", resp.StatusCode, body)
	}
	if len(list) != 2 || list[0].Device != "Firefox on Windows" || list[0].Current ||
		list[1].Device != "Safari on iPhone" || !list[1].Current || !list[0].StartedAt.After(list[1].StartedAt) {
		t.Errorf("sessions: %s", body)
	}
	if strings.Contains(string(body), phone) || strings.Contains(string(body), `"id"`) {
		t.Errorf("the list gives away a session's token or key: %s", body)
	}
}
