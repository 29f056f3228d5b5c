package httpapi

import (
	"net/http"
	"time"
)

// RequestObserver is told about every answered request: its method, the
// route pattern that served it ("/api/v1/conversations/{id}/messages", never
// the raw path, so ids do not make every request a new series; "" when no
// route was reached, as for a refused host), its status and how long it
// took. A websocket is told once it closes, with status 101. It runs on
// the request's goroutine and must not block.
type RequestObserver func(method, route string, status int, took time.Duration)

// WithRequestObserver sets the server's request observer (for metrics).
func WithRequestObserver(observe RequestObserver) Option {
	return func(s *Server) { s.observe = observe }
}

// routeKey holds, in a request's context, where notePattern leaves the
// route pattern for logRequests.
type routeKey struct{}

// notePattern wraps the mux, which sets Request.Pattern on the request it
// is handed: the middleware outside it sees its own copy of the request,
// so the pattern is passed back through the context.
func notePattern(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r)
		if route, ok := r.Context().Value(routeKey{}).(*string); ok {
			*route = r.Pattern
		}
	})
}
