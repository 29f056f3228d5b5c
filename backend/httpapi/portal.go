package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"

	"doorstep/backend"
	"doorstep/backend/i18n"
	"doorstep/backend/portal"
)

// The tenant portal's way in: the link in a notification opens a page with
// a button; only pressing it (a POST) spends the single-use token, so mail
// scanners and link previews that fetch the link cannot use it up. The
// session then lives in an HttpOnly cookie, with a CSRF cookie beside it.

// portalHome is where a tenant lands once signed in.
const portalHome = "/portal/"

func (s *Server) portalRoutes(mux *http.ServeMux) {
	s.route(mux, "/portal/i/{token}", map[string]http.HandlerFunc{
		"GET":  s.handleInvitePage,
		"POST": s.handleInviteRedeem,
	})
	// The page: one document for the list and every conversation (the
	// script reads the path), and what it loads.
	page := map[string]http.HandlerFunc{"GET": s.handlePortalPage, "HEAD": s.handlePortalPage}
	s.route(mux, "/portal/{$}", page)
	s.route(mux, "/portal/c/{id}", page)
	s.route(mux, "/portal/catalogue", map[string]http.HandlerFunc{"GET": s.handleCatalogue})
	s.route(mux, "/portal/assets/{name}", map[string]http.HandlerFunc{"GET": s.handlePortalAsset, "HEAD": s.handlePortalAsset})
	mux.Handle("/portal", http.RedirectHandler(portalHome, http.StatusMovedPermanently))
	s.linkRoutes(mux)
}

// portalCSP lets the portal's page run its own script and styles and talk to
// this server only; nothing inline, nothing from elsewhere. Images are the
// server's files, or previews of files being attached (blob:).
const portalCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; manifest-src 'self'; " +
	"form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

// portalTypes are the content types of the portal's assets, by extension.
var portalTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
}

// localizedPortalPages is the page in each language Doorstep speaks, made once: the
// page and the catalogues are built in and never change while it runs.
var localizedPortalPages = sync.OnceValues(func() (map[string][]byte, error) {
	body, err := fs.ReadFile(portal.Assets, "assets/index.html")
	if err != nil {
		return nil, err
	}
	pages := map[string][]byte{}
	for _, lang := range backend.Languages {
		pages[lang] = localizedPage(body, lang)
	}
	return pages, nil
})

// handlePortalPage answers with the page in the tenant's language, its
// catalogue inside.
func (s *Server) handlePortalPage(w http.ResponseWriter, r *http.Request) {
	pages, err := localizedPortalPages()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	page, ok := pages[s.portalLanguage(r)]
	if !ok {
		page = pages[backend.LanguageEnglish]
	}
	w.Header().Set("Vary", "Accept-Language, Cookie")
	s.writePortalBody(w, r, "index.html", page)
}

func (s *Server) handlePortalAsset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if name == "index.html" || !fs.ValidPath(name) {
		s.writeError(w, r, backend.Errorf(backend.ENOTFOUND, "There is nothing at %s.", r.URL.Path))
		return
	}
	s.writePortalFile(w, r, name)
}

func (s *Server) writePortalFile(w http.ResponseWriter, r *http.Request, name string) {
	body, err := fs.ReadFile(portal.Assets, "assets/"+name)
	if _, known := portalTypes[path.Ext(name)]; err != nil || !known {
		s.writeError(w, r, backend.Errorf(backend.ENOTFOUND, "There is nothing at %s.", r.URL.Path))
		return
	}
	s.writePortalBody(w, r, name, body)
}

// writePortalBody answers with body as the portal's file name.
func (s *Server) writePortalBody(w http.ResponseWriter, r *http.Request, name string, body []byte) {
	writeAppFile(w, r, portalTypes[path.Ext(name)], body)
}

// writeInvitePage answers with the invite page (errMsg empty: the button;
// else why the link did not work, and, when it was used or has expired,
// the form asking for a new one).
func (s *Server) writeInvitePage(w http.ResponseWriter, r *http.Request, status int, errMsg string) {
	lang := pageLanguage(r)
	d := linkPageData{Error: i18n.Sentence(lang, errMsg)}
	if errMsg != "" && status == http.StatusUnauthorized {
		d.Form = newLinkForm(w, r)
	}
	s.writePortalPage(w, "invite", status, lang, d)
}

func (s *Server) handleInvitePage(w http.ResponseWriter, r *http.Request) {
	s.writeInvitePage(w, r, http.StatusOK, "")
}

// handleInviteRedeem spends the token and signs the tenant in with cookies.
func (s *Server) handleInviteRedeem(w http.ResponseWriter, r *http.Request) {
	// A page elsewhere must not sign a browser into someone else's session.
	if err := s.checkOrigin(r); err != nil {
		lang := pageLanguage(r)
		s.writePortalPage(w, "invite", http.StatusForbidden, lang, linkPageData{Error: i18n.Text(lang, "page.invite.otherSite")})
		return
	}
	limit, err := s.beginRedeem(s.client(r))
	if err == nil {
		var sess backend.Session
		sess, err = s.store.RedeemInvite(r.Context(), r.PathValue("token"))
		s.endRedeem(limit, err)
		if err == nil {
			s.signInBrowser(w, r, sess)
			return
		}
	}
	if ra := backend.RetryAfter(err); ra > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(ra))
	}
	s.writeInvitePage(w, r, StatusFor(backend.ErrorCode(err)), backend.ErrorMessage(err))
}

// signInBrowser sets the session and CSRF cookies and sends the browser
// to the portal.
func (s *Server) signInBrowser(w http.ResponseWriter, r *http.Request, sess backend.Session) {
	s.recordDevice(r, sess)
	secure := secureRequest(r)
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: sess.Token, Path: "/", Expires: sess.ExpiresAt,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
	var csrf [32]byte
	rand.Read(csrf[:])
	http.SetCookie(w, &http.Cookie{Name: CSRFCookie, Value: hex.EncodeToString(csrf[:]), Path: "/", Expires: sess.ExpiresAt,
		Secure: secure, SameSite: http.SameSiteStrictMode}) // read by the portal's script, so not HttpOnly
	http.Redirect(w, r, portalHome, http.StatusSeeOther)
}

// logPath is a request's path as the log shows it: portal links lose their
// token, which is as good as a password until it is used.
func logPath(r *http.Request) string {
	if strings.HasPrefix(r.URL.Path, "/portal/i/") {
		return "/portal/i/…"
	}
	return r.URL.Path
}
