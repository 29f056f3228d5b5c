package httpapi

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"html/template"
	"net/http"
	"time"

	"doorstep/backend"
	"doorstep/backend/i18n"
)

// The "new link" form: a tenant without a way in types the e-mail address
// or phone number on file and is sent a fresh single-use link through the
// notification outbox. Whoever asks, for whichever address, gets the same
// page at once: the lookup and the queueing happen after the answer, so
// neither the page nor its timing tells who is a tenant.

// linkPath is where the form lives and posts to.
const linkPath = "/portal/link"

// LinkFormCookie holds the form's anti-forgery value, which the page also
// puts in the form: a post from another site has the cookie (or not) but
// cannot read it to fill in the field.
const LinkFormCookie = "doorstep_link_form"

// linkFormTTL is how long a form page stays usable.
const linkFormTTL = time.Hour

// linkQueueTimeout bounds the lookup and queueing behind one request.
const linkQueueTimeout = 30 * time.Second

// maxLinkQueueing bounds the requests looked up at once; past it a
// request queues nothing (and is logged), so a flood of distinct
// addresses cannot pile up work behind the answers.
const maxLinkQueueing = 8

func (s *Server) linkRoutes(mux *http.ServeMux) {
	s.route(mux, linkPath, map[string]http.HandlerFunc{
		"GET":  s.handleLinkPage,
		"POST": s.handleLinkRequest,
	})
}

// linkPageData is what the invite and "new link" pages show.
type linkPageData struct {
	Error  string // an error in red (the invite page: why the link did not work)
	Answer string // the answer to a request
	Form   string // the form's anti-forgery value; "" shows no form
	Lang   string // the language the page is in (set by writePortalPage)
}

// linkFormTemplate is the form, on both pages.
const linkFormTemplate = `{{define "linkform"}}{{if .Form}}<section class="newlink">
<h2>{{t .Lang "page.link.title"}}</h2>
<p class="small">{{t .Lang "page.link.prompt"}}</p>
<form method="post" action="/portal/link?lang={{.Lang}}">
<input type="hidden" name="form" value="{{.Form}}">
<label for="contact">{{t .Lang "page.link.label"}}</label>
<input id="contact" name="contact" type="text" inputmode="email" autocomplete="email" maxlength="254" required>
<button type="submit">{{t .Lang "page.link.button"}}</button>
</form>
</section>{{end}}{{end}}`

// newLinkForm makes a form's anti-forgery value and sets its cookie.
func newLinkForm(w http.ResponseWriter, r *http.Request) string {
	var b [24]byte
	rand.Read(b[:])
	v := hex.EncodeToString(b[:])
	http.SetCookie(w, &http.Cookie{Name: LinkFormCookie, Value: v, Path: linkPath, MaxAge: int(linkFormTTL / time.Second),
		HttpOnly: true, Secure: secureRequest(r), SameSite: http.SameSiteStrictMode})
	return v
}

// linkFormGenuine reports whether a posted form came from this server's
// page: same origin, and the field matches the cookie.
func (s *Server) linkFormGenuine(r *http.Request) bool {
	if s.checkOrigin(r) != nil {
		return false
	}
	c, err := r.Cookie(LinkFormCookie)
	field := r.PostFormValue("form")
	return err == nil && c.Value != "" && subtle.ConstantTimeCompare([]byte(c.Value), []byte(field)) == 1
}

func (s *Server) handleLinkPage(w http.ResponseWriter, r *http.Request) {
	s.writeLinkPage(w, r, http.StatusOK, linkPageData{})
}

// writeLinkPage answers with the "new link" page, with a fresh form, in
// the browser's language (nobody is signed in here).
func (s *Server) writeLinkPage(w http.ResponseWriter, r *http.Request, status int, d linkPageData) {
	d.Form = newLinkForm(w, r)
	s.writePortalPage(w, "link", status, pageLanguage(r), d)
}

// handleLinkRequest answers every genuine form the same way, at once, and
// then, unless a limit says no, queues links for the address in the
// background.
func (s *Server) handleLinkRequest(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if !s.linkFormGenuine(r) {
		s.writeLinkPage(w, r, http.StatusForbidden, linkPageData{Error: i18n.Text(pageLanguage(r), "page.link.formExpired")})
		return
	}
	contact := r.PostFormValue("contact")
	client := s.client(r)
	// The input is never echoed: the same sentence for everyone.
	s.writeLinkPage(w, r, http.StatusOK, linkPageData{Answer: i18n.Text(pageLanguage(r), "page.link.answer")})
	if why := s.limitLinkRequest(client, contact); why != "" {
		s.logger.Warn("new portal link not sent: rate limited", "limit", why, "client", client)
		return
	}
	select {
	case s.linkQueueing <- struct{}{}:
	default:
		s.logger.Warn("new portal link not sent: too many requests at once", "client", client)
		return
	}
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		defer func() { <-s.linkQueueing }()
		ctx, cancel := context.WithTimeout(context.Background(), linkQueueTimeout)
		defer cancel()
		n, err := s.store.QueueSignInLinks(ctx, contact)
		if err != nil {
			s.logger.Error("new portal link", "client", client, "err", err)
			return
		}
		s.logger.Info("new portal link asked for", "client", client, "queued", n)
	}()
}

// limitLinkRequest applies the limits on new links, per address asked for
// and per client address; it says which one refused ("" when none did).
// Each request counts, whether or not the address is on file.
func (s *Server) limitLinkRequest(c clientInfo, contact string) string {
	now := s.now()
	key := contact
	if _, normal, ok := backend.SignInContact(contact); ok {
		key = normal
	}
	byContact, _, why := s.limits.linksByContact.begin(now, accountKey(key), false)
	if why != allowed {
		return "address"
	}
	byAddress, _, why := s.limits.linksByAddress.begin(now, c.key(), false)
	if why != allowed {
		byContact.cancel(now)
		return "client"
	}
	byContact.end(now, neutral)
	byAddress.end(now, neutral)
	return ""
}

// portalPages are the portal's pages made on the server: the invite link's
// page and the "new link" page. Their only style is inline (no script).
var portalPages = template.Must(template.Must(template.New("pages").Funcs(template.FuncMap{"t": i18n.Text}).
	Parse(portalPageHead + linkFormTemplate)).Parse(`
{{define "invite"}}{{template "head" .}}
{{if .Error}}<p role="alert">{{.Error}}</p>
{{template "linkform" .}}
{{else}}<p>{{t .Lang "page.invite.intro"}}</p>
<form method="post"><button type="submit">{{t .Lang "page.invite.open"}}</button></form>
<p class="small">{{t .Lang "page.invite.once"}}</p>
{{end}}</main>
</body>
</html>
{{end}}
{{define "link"}}{{template "head" .}}
{{if .Error}}<p role="alert">{{.Error}}</p>{{end}}
{{if .Answer}}<p role="status" data-testid="link-answer">{{.Answer}}</p>{{end}}
{{template "linkform" .}}
</main>
</body>
</html>
{{end}}`))

// portalPageHead opens both pages. Their colours are the portal's
// (backend/portal/assets/palette.css), light and dark, with the pairs its
// contrast test checks: ink and muted on bg, on-blue on blue, red on bg,
// focus on bg; the field's border is muted (3:1 for a boundary).
const portalPageHead = `{{define "head"}}<!doctype html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Doorstep</title>
<style>
:root { color-scheme: light dark; --ink: #111827; --muted: #5b6472; --bg: #f7f8fa; --surface: #ffffff; --blue: #1d4ed8; --on-blue: #ffffff; --focus: #1d4ed8; --red: #b42318; }
@media (prefers-color-scheme: dark) {
:root { --ink: #e6e9ef; --muted: #a3acb9; --bg: #12161d; --surface: #1b212b; --blue: #8ab4ff; --on-blue: #0b1220; --focus: #8ab4ff; --red: #ff8a80; }
}
body { font-family: system-ui, sans-serif; margin: 0; background: var(--bg); color: var(--ink); }
main { max-width: 28rem; margin: 0 auto; padding: 2rem 1.25rem; }
h1 { color: var(--blue); font-size: 1.5rem; }
h2 { font-size: 1.15rem; margin-top: 2rem; }
button { font: inherit; font-size: 1.05rem; padding: 0.75rem 1.25rem; border: 0; border-radius: 8px; background: var(--blue); color: var(--on-blue); width: 100%; }
label { display: block; font-weight: 600; margin-bottom: 0.35rem; }
input[type=text] { font: inherit; box-sizing: border-box; width: 100%; padding: 0.6rem 0.75rem; border: 1px solid var(--muted); border-radius: 8px; margin-bottom: 0.75rem; background: var(--surface); color: var(--ink); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.small { color: var(--muted); font-size: 0.9rem; }
[role=alert] { color: var(--red); }
[role=status] { color: var(--ink); font-weight: 600; }
</style>
</head>
<body>
<main>
<h1>Doorstep</h1>{{end}}`

// writePortalPage answers with one of portalPages, in lang.
func (s *Server) writePortalPage(w http.ResponseWriter, name string, status int, lang string, d linkPageData) {
	d.Lang = lang
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	// The invite page's URL holds the token: it must not leave in a
	// Referer. Not "no-referrer", with which browsers send "Origin: null"
	// and the page's same-origin POSTs would be refused.
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := portalPages.ExecuteTemplate(w, name, d); err != nil {
		s.logger.Warn(name+" page", "err", err)
	}
}
