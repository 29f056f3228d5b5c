package httpapi

import (
	"bytes"
	"encoding/json"
	"html"
	"net/http"
	"regexp"

	"doorstep/backend"
	"doorstep/backend/i18n"
)

// The portal speaks the tenant's language: their record's once set, until
// then their browser's (i18n.Choose). The page carries its catalogue, so
// its script has every sentence before it draws anything, offline too;
// GET /portal/catalogue gives the same to whoever asks.

// catalogueBody is the answer of GET /portal/catalogue, and what the page
// carries in its <script id="catalogue">.
type catalogueBody struct {
	// Language is the one chosen ("en", "es").
	Language string `json:"language"`
	// Locale is the BCP 47 tag the page formats dates and numbers in (Intl).
	Locale string `json:"locale"`
	// Messages are the portal's sentences by id.
	Messages i18n.Catalogue `json:"messages"`
}

// portalLanguage is the language a portal request is answered in: the
// signed-in tenant's, else the browser's. A landlord's session, a missing
// or ended one, all count as not set.
func (s *Server) portalLanguage(r *http.Request) string {
	record := ""
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		if me, err := s.store.Me(r.Context(), c.Value); err == nil && me.Kind == backend.KindTenant {
			record = me.Language
		}
	}
	return i18n.Choose(record, r.Header.Get("Accept-Language"))
}

// pageLanguage is the language of the pages made on the server, where
// nobody is signed in: the link in a notification names the tenant's
// (?lang=es, when their record has one), and the forms keep it; else the
// browser's.
func pageLanguage(r *http.Request) string {
	return i18n.Choose(r.URL.Query().Get("lang"), r.Header.Get("Accept-Language"))
}

func catalogueFor(lang string) catalogueBody {
	return catalogueBody{Language: lang, Locale: lang, Messages: i18n.Portal(lang)}
}

func (s *Server) handleCatalogue(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Vary", "Accept-Language, Cookie")
	s.writeJSON(w, r, http.StatusOK, catalogueFor(s.portalLanguage(r)))
}

// LanguageRequest is the body of PUT /api/v1/me/language: a tenant picks
// the language they read Doorstep in ("en", "es"), or none ("") to follow
// their browser again.
type LanguageRequest struct {
	Language string `json:"language"`
}

// handleSetLanguage keeps a tenant's own choice of language on their
// record, so the portal, the e-mails and the text messages follow it, and
// answers with the portal's catalogue in the language now chosen.
func (s *Server) handleSetLanguage(w http.ResponseWriter, r *http.Request) {
	var req LanguageRequest
	if err := decodeJSON(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	p := principal(r.Context())
	lang, err := backend.ChooseOwnLanguage(p, req.Language)
	if err == nil {
		err = s.store.SetTenantLanguage(r.Context(), p.ID, lang)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Vary", "Accept-Language, Cookie")
	s.writeJSON(w, r, http.StatusOK, catalogueFor(i18n.Choose(lang, r.Header.Get("Accept-Language"))))
}

// translatable is an element of the page whose text is a catalogue id's:
// data-i18n="id" on an element whose content is plain text.
var translatable = regexp.MustCompile(`(<[a-z]+[^>]*\sdata-i18n="([a-zA-Z.]+)"[^>]*>)([^<]*)(<)`)

// localizedPage is index.html in lang: its html lang, the text of every
// data-i18n element, and the catalogue for the script, before </head>.
func localizedPage(page []byte, lang string) []byte {
	c := catalogueFor(lang)
	page = bytes.Replace(page, []byte(`<html lang="en">`), []byte(`<html lang="`+lang+`">`), 1)
	page = translatable.ReplaceAllFunc(page, func(m []byte) []byte {
		parts := translatable.FindSubmatch(m)
		text, ok := c.Messages[string(parts[2])]
		if !ok {
			return m
		}
		return bytes.Join([][]byte{parts[1], []byte(html.EscapeString(text)), parts[4]}, nil)
	})
	// json.Marshal escapes <, > and &, so nothing in it can close the script.
	data, _ := json.Marshal(c)
	script := append(append([]byte(`<script type="application/json" id="catalogue">`), data...), []byte("</script>\n</head>")...)
	return bytes.Replace(page, []byte("</head>"), script, 1)
}

// tenantSentence is an API error's sentence as the portal shows it: in the
// tenant's language when the request comes from the portal (its session
// cookie, no Authorization header) and the catalogue has the sentence.
func (s *Server) tenantSentence(r *http.Request, english string) string {
	if r.Header.Get("Authorization") != "" {
		return english
	}
	if _, err := r.Cookie(SessionCookie); err != nil {
		return english
	}
	return i18n.Sentence(s.portalLanguage(r), english)
}
