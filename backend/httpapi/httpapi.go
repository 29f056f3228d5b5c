// Package httpapi is the chat server's HTTP adapter: routing, JSON encoding,
// the mapping of error codes to HTTP statuses, and request logging.
package httpapi

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"doorstep/backend"
	"doorstep/backend/filestore"
	"doorstep/backend/hub"
)

// Limits of the HTTP server. They protect a small machine from slow or
// oversized clients; websocket connections get their own deadlines.
const (
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 120 * time.Second
)

// Server serves the Doorstep HTTP API.
type Server struct {
	store          backend.Store
	logger         *slog.Logger
	http           *http.Server
	hub            *hub.Hub
	files          filestore.Files // nil: uploads refused
	allowedOrigins map[string]bool // extra websocket origins, besides the server's own
	publicHosts    map[string]bool // names browsers reach the server by (hosts.go)
	storage        atomic.Pointer[storageHealth]
	limitsConfig   *Limits // nil: DefaultLimits
	limits         *limiters
	clock          func() time.Time // for the limits; nil: time.Now
	trustedProxies []netip.Prefix   // whose X-Forwarded-* headers are believed
	quietRequests  bool             // no per-request log lines (see WithAccessLog)
	observe        RequestObserver  // nil: none (see WithRequestObserver)

	// linkQueueing holds a token per "new link" request being looked up
	// (portallink.go); background counts the work left running after an
	// answer, which Shutdown waits for.
	linkQueueing chan struct{}
	background   sync.WaitGroup

	watchMu  sync.Mutex // guards watching
	watching bool       // whether checkSessions runs (see watchSessions)
}

// storageHealth is what the last write probe found (see ProbeStorage): for
// the database and the files directory, "" when it could write, else why
// not.
type storageHealth struct{ database, files string }

// Option configures a Server.
type Option func(*Server)

// WithHub sets the hub live events come from (wire the store's event sink
// to hub.Publish). Without it the server makes its own, which then receives
// only what is published to Hub() directly.
func WithHub(h *hub.Hub) Option { return func(s *Server) { s.hub = h } }

// WithAllowedOrigins lets browser pages from these origins (scheme://host[:port])
// open the events websocket, besides pages served by this server.
func WithAllowedOrigins(origins ...string) Option {
	return func(s *Server) {
		for _, o := range origins {
			s.allowedOrigins[strings.ToLower(strings.TrimRight(o, "/"))] = true
		}
	}
}

// NewServer returns a server backed by store, logging to logger.
func NewServer(store backend.Store, logger *slog.Logger, opts ...Option) *Server {
	s := &Server{store: store, logger: logger, allowedOrigins: map[string]bool{}, publicHosts: map[string]bool{},
		linkQueueing: make(chan struct{}, maxLinkQueueing)}
	for _, o := range opts {
		o(s)
	}
	if s.hub == nil {
		s.hub = hub.New()
	}
	s.limits = newLimiters(s.limitsConfigOrDefault())
	s.http = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxRequestHead - 4096, // see conn.go
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		ConnContext:       markTLS,
	}
	return s
}

// Handler returns the server's routes wrapped in its middleware.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", s.handleHealth)
	s.authRoutes(mux)
	s.chatRoutes(mux)
	s.attentionRoutes(mux)
	s.templateRoutes(mux)
	s.fileRoutes(mux)
	s.uploadRoutes(mux)
	s.notificationRoutes(mux)
	s.chainRoutes(mux)
	s.portalRoutes(mux)
	s.portalAppRoutes(mux)
	s.eventRoutes(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, backend.Errorf(backend.ENOTFOUND, "There is nothing at %s.", r.URL.Path))
	})
	return s.logRequests(secureHeaders(s.checkHosts(notePattern(mux))))
}

// Hub is where the server's websocket connections get their live events.
func (s *Server) Hub() *hub.Hub { return s.hub }

// Serve accepts connections on ln until Shutdown is called. The requests
// net/http refuses before any handler runs are answered in JSON as well
// (see conn.go).
func (s *Server) Serve(ln net.Listener) error {
	if err := s.http.Serve(jsonErrorListener{Listener: ln}); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown stops accepting connections and waits for requests in flight to
// finish, or for ctx to end; then for the lookups of new portal links
// still running after their answer (each bounded by linkQueueTimeout).
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.http.Shutdown(ctx)
	s.background.Wait() // bounded by linkQueueTimeout
	return err
}

// ProbeStorage tries a small durable write to the database and to the files
// directory and keeps the outcome: /healthz then reports a store that
// cannot write, with 503 and the reason, until a later probe succeeds. A
// read alone would keep saying "ok" on a full disk. The server's periodic
// jobs call it; it returns the failures it found.
func (s *Server) ProbeStorage(ctx context.Context) error {
	var now storageHealth
	dbErr := s.store.ProbeWrite(ctx)
	if dbErr != nil {
		now.database = backend.StorageReason("the database", dbErr)
	}
	var filesErr error
	if s.files != nil {
		if filesErr = s.files.ProbeWrite(); filesErr != nil {
			now.files = backend.StorageReason("the files directory", filesErr)
		}
	}
	if ctx.Err() != nil {
		return ctx.Err() // shutting down: what the probe saw says nothing
	}
	// Log changes only, so a disk that stays full is not a line a probe.
	before := s.storage.Swap(&now)
	if before == nil {
		before = &storageHealth{}
	}
	for _, c := range []struct {
		was, is string
		err     error
	}{{before.database, now.database, dbErr}, {before.files, now.files, filesErr}} {
		switch {
		case c.is != "" && c.is != c.was:
			s.logger.Error("storage cannot write", "reason", c.is, "err", c.err)
		case c.is == "" && c.was != "":
			s.logger.Info("storage can write again", "was", c.was)
		}
	}
	return errors.Join(dbErr, filesErr)
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		s.writeError(w, r, backend.Errorf(backend.EMETHOD, "Use GET for %s.", r.URL.Path))
		return
	}
	h := backend.Health{Status: "ok", Service: backend.ServiceName, Version: backend.Version, Database: "ok",
		Limits: backend.Limits{MaxFilesPerMessage: backend.MaxFilesPerMessage, MaxMessageRunes: backend.MaxMessageRunes}}
	if s.files != nil {
		h.Files, h.Limits.MaxUploadBytes = "ok", s.files.MaxSize()
	}
	if probed := s.storage.Load(); probed != nil {
		h.Database, h.Files = cmp.Or(probed.database, h.Database), cmp.Or(probed.files, h.Files)
	}
	id, err := s.store.ServerID(r.Context())
	if err == nil {
		err = s.store.Ping(r.Context())
	}
	if err != nil {
		s.logger.Error("health check: database", "err", err)
		h.Database = "the database cannot be read"
	}
	h.ServerID = id
	status := http.StatusOK
	if h.Database != "ok" || (h.Files != "ok" && h.Files != "") {
		h.Status, status = "unavailable", http.StatusServiceUnavailable
	}
	s.writeJSON(w, r, status, h)
}

// statusByCode maps every error code to its HTTP status. A code missing here
// is a bug and is answered as 500.
var statusByCode = map[string]int{
	backend.EUNAUTHORIZED:         http.StatusUnauthorized,
	backend.EFORBIDDEN:            http.StatusForbidden,
	backend.EMAINUSERONLY:         http.StatusForbidden,
	backend.ETENANTCANNOTINITIATE: http.StatusForbidden,
	backend.ETENANTNOTACTIVE:      http.StatusForbidden,
	backend.ENOTAMEMBER:           http.StatusForbidden,
	backend.ECONFLICT:             http.StatusConflict,
	backend.EINVALID:              http.StatusBadRequest,
	backend.ENOTFOUND:             http.StatusNotFound,
	backend.EMETHOD:               http.StatusMethodNotAllowed,
	backend.ETOOLARGE:             http.StatusRequestEntityTooLarge,
	backend.EUNAVAILABLE:          http.StatusServiceUnavailable,
	backend.ERATELIMITED:          http.StatusTooManyRequests,
	backend.EINTERNAL:             http.StatusInternalServerError,
}

// StatusFor returns the HTTP status for an error code.
func StatusFor(code string) int {
	if st, ok := statusByCode[code]; ok {
		return st
	}
	return http.StatusInternalServerError
}

// errorBody is the JSON shape of every error answer.
type errorBody struct {
	Error backend.Error `json:"error"`
}

// writeError answers with err's code and message. Errors that are not an
// *backend.Error are logged and answered with a generic sentence; storage
// trouble is logged too, since the sentence people get hides its detail.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := backend.ErrorCode(err)
	var storage *backend.StorageError
	switch {
	case code == backend.EINTERNAL:
		s.logger.Error("request failed", "method", r.Method, "path", logPath(r), "err", err)
	case errors.As(err, &storage):
		s.logger.Warn("storage trouble", "method", r.Method, "path", logPath(r), "trouble", storage.Trouble, "err", err)
	}
	body := backend.Error{Code: code, Message: s.tenantSentence(r, backend.ErrorMessage(err)), RetryAfter: backend.RetryAfter(err)}
	if body.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(body.RetryAfter))
	}
	s.writeJSON(w, r, StatusFor(code), errorBody{body})
}

func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	if err := json.NewEncoder(w).Encode(v); err != nil {
		s.logger.Warn("write response", "path", logPath(r), "err", err)
	}
}

// secureHeaders sets headers every answer carries: no MIME sniffing, no
// caching of API answers, no framing.
func secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

// statusRecorder remembers the status a handler wrote, for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (rec *statusRecorder) WriteHeader(status int) {
	rec.status = status
	rec.ResponseWriter.WriteHeader(status)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (rec *statusRecorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

// Hijack hands the connection to the websocket upgrader, which asks for an
// http.Hijacker directly.
func (rec *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	rec.status = http.StatusSwitchingProtocols
	return http.NewResponseController(rec.ResponseWriter).Hijack()
}

// WithAccessLog turns the per-request log line on (the default) or off.
// Errors and warnings are logged either way.
func WithAccessLog(on bool) Option { return func(s *Server) { s.quietRequests = !on } }

// logRequests works out where each request comes from (for the limits and
// the log), logs one line per request unless turned off, and tells the
// request observer, if any.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := s.clientOf(r)
		ctx := context.WithValue(r.Context(), clientKey{}, c)
		if s.quietRequests && s.observe == nil {
			next.ServeHTTP(w, r.WithContext(ctx))
			return
		}
		route := new(string)
		r = r.WithContext(context.WithValue(ctx, routeKey{}, route))
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		took := time.Since(start)
		if s.observe != nil {
			s.observe(r.Method, *route, rec.status, took)
		}
		if !s.quietRequests {
			s.logger.Info("request", "method", r.Method, "path", logPath(r), "status", rec.status,
				"duration", took.Round(time.Microsecond), "client", c, "user_agent", r.UserAgent())
		}
	})
}
