package httpapi

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"doorstep/backend"
)

// maxJSONBody bounds a JSON request body. The largest legitimate one is a
// message of 10,000 characters (up to 4 bytes each) with its envelope.
const maxJSONBody = 64 << 10

// route registers one handler per method for a path pattern and answers
// other methods with a JSON method_not_allowed (the mux's own 405 is text).
func (s *Server) route(mux *http.ServeMux, pattern string, byMethod map[string]http.HandlerFunc) {
	allow := make([]string, 0, len(byMethod))
	for m := range byMethod {
		allow = append(allow, m)
	}
	allowed := strings.Join(sortStrings(allow), ", ")
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if h, ok := byMethod[r.Method]; ok {
			h(w, r)
			return
		}
		w.Header().Set("Allow", allowed)
		s.writeError(w, r, backend.Errorf(backend.EMETHOD, "Use %s for %s.", allowed, logPath(r)))
	})
}

func sortStrings(a []string) []string {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
	return a
}

// decodeJSON reads a request body into v. It refuses what is not JSON, more
// than maxJSONBody bytes, invalid UTF-8 and lone surrogate escapes (both of
// which encoding/json would quietly replace with U+FFFD), unknown fields,
// a key given twice in one object, and trailing data, each with a clear error.
func decodeJSON(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return backend.Errorf(backend.EINVALID, "Send the request body as application/json.")
		}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxJSONBody+1))
	if err != nil {
		return backend.Errorf(backend.EINVALID, "The request body could not be read.")
	}
	if len(body) > maxJSONBody {
		return backend.Errorf(backend.ETOOLARGE, "The request body is larger than %d KB.", maxJSONBody>>10)
	}
	if !utf8.Valid(body) {
		return backend.Errorf(backend.EINVALID, "The request body is not valid UTF-8.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.Is(err, io.EOF):
			return backend.Errorf(backend.EINVALID, "The request body is empty.")
		case errors.As(err, &typeErr):
			return backend.Errorf(backend.EINVALID, "The field %q has the wrong type.", typeErr.Field)
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			return backend.Errorf(backend.EINVALID, "The request has an unknown field %s.", strings.TrimPrefix(err.Error(), "json: unknown field "))
		default:
			return backend.Errorf(backend.EINVALID, "The request body is not valid JSON.")
		}
	}
	// Not dec.More(), which takes a stray "]" or "}" after the value for
	// the end of an enclosing array or object and so lets it through.
	if rest := body[dec.InputOffset():]; len(bytes.Trim(rest, " \t\r\n")) > 0 {
		return backend.Errorf(backend.EINVALID, "The request body holds something after its JSON value.")
	}
	if err := checkSurrogates(body); err != nil {
		return err
	}
	return checkDuplicateKeys(body)
}

// checkSurrogates refuses a \u escape of half a UTF-16 surrogate pair that
// has no other half ("\ud800", "\udc00", "\ud800\u0041"): encoding/json
// would store U+FFFD in its place, and what a person wrote must never be
// altered quietly. A whole pair ("\ud83d\ude00") is one character and
// stays. body is valid JSON already, so only strings hold backslashes.
func checkSurrogates(body []byte) error {
	refused := backend.Errorf(backend.EINVALID, `The request holds text that is not valid Unicode (an escape such as \ud800 without the other half of its pair).`)
	inString := false
	for i := 0; i < len(body); i++ {
		switch c := body[i]; {
		case c == '"':
			inString = !inString
		case c == '\\' && inString:
			i++ // the escaped character; a backslash escapes only one
			if i >= len(body) || body[i] != 'u' {
				continue
			}
			r := hex4(body[min(i+1, len(body)):])
			i += 4
			switch {
			case r >= 0xDC00 && r <= 0xDFFF:
				return refused // a low half with no high half before it
			case r >= 0xD800 && r <= 0xDBFF:
				next := body[min(i+1, len(body)):]
				if !bytes.HasPrefix(next, []byte(`\u`)) {
					return refused
				}
				if low := hex4(next[2:]); low < 0xDC00 || low > 0xDFFF {
					return refused
				}
				i += 6 // the low half
			}
		}
	}
	return nil
}

// hex4 reads the four hex digits of a \u escape, or -1 when b holds fewer.
func hex4(b []byte) rune {
	if len(b) < 4 {
		return -1
	}
	n, err := strconv.ParseUint(string(b[:4]), 16, 16)
	if err != nil {
		return -1
	}
	return rune(n)
}

// checkDuplicateKeys refuses an object, at any depth, that names a key
// twice: encoding/json keeps the last one, so two programs reading the same
// body could act on different values. Keys are compared the way
// encoding/json matches them to fields (ignoring case: "text" and "Text"
// fill the same field). body is one valid JSON value already.
func checkDuplicateKeys(body []byte) error {
	type level struct {
		keys    map[string]bool // nil in an array
		wantKey bool            // in an object, the next string is a key
	}
	var stack []*level
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // valid already: only the end can come here
		}
		var top *level
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		inObject := top != nil && top.keys != nil
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				return nil
			}
			continue
		}
		if key, ok := tok.(string); ok && inObject && top.wantKey {
			folded := foldKey(key)
			if top.keys[folded] {
				return backend.Errorf(backend.EINVALID, "The request names the field %q more than once.", key)
			}
			top.keys[folded] = true
			top.wantKey = false
			continue
		}
		if inObject {
			top.wantKey = true // a value ends the pair (a nested one begins here)
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &level{keys: map[string]bool{}, wantKey: true})
		case json.Delim('['):
			stack = append(stack, &level{})
		}
		if len(stack) == 0 {
			return nil // a lone scalar
		}
	}
}

// foldKey maps s to one spelling of every string equal to it under
// Unicode simple case folding (strings.EqualFold, which encoding/json uses
// to match keys to fields): each character becomes the smallest of its
// case-folding orbit.
func foldKey(s string) string {
	return strings.Map(func(r rune) rune {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		return least
	}, s)
}

// pathID reads a positive integer path parameter.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, backend.Errorf(backend.ENOTFOUND, "There is nothing at %s.", r.URL.Path)
	}
	return id, nil
}

// queryInt reads an optional non-negative integer query parameter.
func queryInt(r *http.Request, name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, backend.Errorf(backend.EINVALID, "%s must be a non-negative whole number.", name)
	}
	return n, nil
}

type principalKey struct{}

// principal is who made the request; only valid inside s.authed handlers.
func principal(ctx context.Context) backend.Principal {
	p, _ := ctx.Value(principalKey{}).(backend.Principal)
	return p
}

// SessionCookie is the cookie that carries a session token in browsers (the
// tenant portal); API clients send "Authorization: Bearer <token>".
const SessionCookie = "doorstep_session"

// requestToken finds the session token of a request.
func requestToken(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(t)
		}
		return ""
	}
	if c, err := r.Cookie(SessionCookie); err == nil {
		return c.Value
	}
	return ""
}

// CSRFCookie holds a random value the portal's page echoes in CSRFHeader
// on every request that changes something. Another site can make a browser
// send the session cookie, but cannot read this cookie to set the header.
const (
	CSRFCookie = "doorstep_csrf"
	CSRFHeader = "X-Doorstep-CSRF"
)

// checkCSRF refuses a request that changes something on the strength of the
// session cookie alone: it needs the CSRF header matching the CSRF cookie,
// and, when the browser says where it comes from, this server's own origin.
// Requests with a bearer token (apps, not browsers) need neither.
func (s *Server) checkCSRF(r *http.Request) error {
	if r.Header.Get("Authorization") != "" {
		return nil
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	refused := backend.Errorf(backend.EFORBIDDEN, "This request did not come from the Doorstep portal page; reload the page and try again.")
	if err := s.checkOrigin(r); err != nil {
		return refused
	}
	c, err := r.Cookie(CSRFCookie)
	if err != nil || len(c.Value) < 32 || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.Header.Get(CSRFHeader))) != 1 {
		return refused
	}
	return nil
}

// chat wraps a chat endpoint's handler: a signed-in principal who is not a
// landlord sub-user (backend.Principal.MayChat), one rule for every method.
func (s *Server) chat(h http.HandlerFunc) http.HandlerFunc {
	return s.authed(func(w http.ResponseWriter, r *http.Request) {
		if err := principal(r.Context()).MayChat(); err != nil {
			s.writeError(w, r, err)
			return
		}
		h(w, r)
	})
}

// authed wraps a handler that needs a signed-in principal.
func (s *Server) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if requestToken(r) != "" && r.Header.Get("Authorization") == "" {
			if err := s.checkCSRF(r); err != nil {
				s.writeError(w, r, err)
				return
			}
		}
		p, err := s.store.Authenticate(r.Context(), requestToken(r))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	}
}
