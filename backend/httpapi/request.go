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
// than maxJSONBody bytes, invalid UTF-8 (which encoding/json would quietly
// replace), unknown fields and trailing data, each with a clear error.
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
	if dec.More() {
		return backend.Errorf(backend.EINVALID, "The request body holds more than one JSON value.")
	}
	return nil
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
