package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"doorstep/backend"
	"doorstep/backend/client"
	"doorstep/backend/filestore"
	"doorstep/backend/httpapi"
	"doorstep/backend/sqlite"
)

// newTestServer starts the real handler on loopback over a real SQLite file.
func newTestServer(t *testing.T) (*httptest.Server, *sqlite.DB) {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "doorstep.db"), sqlite.WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	ts := httptest.NewServer(httpapi.NewServer(db, logger).Handler())
	t.Cleanup(ts.Close)
	return ts, db
}

func decode[T any](t *testing.T, resp *http.Response) T {
	t.Helper()
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type = %q, want JSON", ct)
	}
	var v T
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

type errorBody struct {
	Error backend.Error `json:"error"`
}

func TestHealth(t *testing.T) {
	t.Parallel()
	t.Run("OK", func(t *testing.T) {
		ts, db := newTestServer(t)
		resp, err := http.Get(ts.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status = %d", resp.StatusCode)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Error("missing X-Content-Type-Options: nosniff")
		}
		h := decode[backend.Health](t, resp)
		wantID, _ := db.ServerID(context.Background())
		if h.Status != "ok" || h.Service != backend.ServiceName || h.Version != backend.Version ||
			h.Database != "ok" || h.ServerID != wantID {
			t.Errorf("health = %+v, want ok from %s %s with server id %s", h, backend.ServiceName, backend.Version, wantID)
		}
		if want := (backend.Limits{MaxFilesPerMessage: backend.MaxFilesPerMessage, MaxMessageRunes: backend.MaxMessageRunes}); h.Limits != want {
			t.Errorf("limits of a server that keeps no files = %+v, want %+v", h.Limits, want)
		}
	})

	t.Run("LimitsSayTheLargestUpload", func(t *testing.T) {
		db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "doorstep.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		files, err := filestore.Open(filepath.Join(t.TempDir(), "files"), 3<<20)
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(httpapi.NewServer(db, slog.New(slog.NewTextHandler(io.Discard, nil)), httpapi.WithFiles(files)).Handler())
		t.Cleanup(ts.Close)
		resp, err := http.Get(ts.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		if h := decode[backend.Health](t, resp); h.Limits.MaxUploadBytes != 3<<20 || h.Limits.MaxFilesPerMessage != backend.MaxFilesPerMessage {
			t.Errorf("limits = %+v, want the files store's 3 MB", h.Limits)
		}
	})

	t.Run("UnavailableWhenDatabaseIsGone", func(t *testing.T) {
		ts, db := newTestServer(t)
		db.Close()
		resp, err := http.Get(ts.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("status = %d, want 503", resp.StatusCode)
		}
		h := decode[backend.Health](t, resp)
		if h.Status != "unavailable" || h.Database == "ok" {
			t.Errorf("health = %+v, want unavailable database", h)
		}
		if strings.Contains(h.Database, "sql") {
			t.Errorf("health leaks internals: %q", h.Database)
		}
	})

	t.Run("ErrMethodNotAllowed", func(t *testing.T) {
		ts, _ := newTestServer(t)
		resp, err := http.Post(ts.URL+"/healthz", "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
			t.Fatalf("status = %d Allow = %q", resp.StatusCode, resp.Header.Get("Allow"))
		}
		if e := decode[errorBody](t, resp); e.Error.Code != backend.EMETHOD {
			t.Errorf("code = %q, want %q", e.Error.Code, backend.EMETHOD)
		}
	})
}

func TestUnknownPath(t *testing.T) {
	t.Parallel()
	ts, _ := newTestServer(t)
	resp, err := http.Get(ts.URL + "/api/v1/no-such-thing")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("status = %d, want 404", resp.StatusCode)
	}
	e := decode[errorBody](t, resp)
	if e.Error.Code != backend.ENOTFOUND || e.Error.Message == "" {
		t.Errorf("error = %+v", e.Error)
	}
}

// serveReal serves a server over a fresh database through its own
// http.Server (Serve), where the connection-level limits apply, and
// returns its host:port.
func serveReal(t *testing.T, opts ...httpapi.Option) string {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "doorstep.db"), sqlite.WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return serveRealDB(t, db, opts...)
}

func serveRealDB(t *testing.T, db *sqlite.DB, opts ...httpapi.Option) string {
	t.Helper()
	srv := httpapi.NewServer(db, slog.New(slog.NewTextHandler(io.Discard, nil)), opts...)
	db.SetEventSink(srv.Hub().Publish)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Shutdown(context.Background())
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// rawExchange writes raw bytes on one connection and reads every answer
// until the server closes it.
func rawExchange(t *testing.T, addr, raw string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	go func() { io.WriteString(c, raw) }() // the server may answer before it has read everything
	out, _ := io.ReadAll(c)
	return string(out)
}

// TestHugeHeaderIsRefused: a request's line and headers may take 64 KB
// together; more is refused with 431 in the API's JSON error vocabulary
// (net/http's own answer is plain text), on a fresh connection or one
// that served requests before.
func TestHugeHeaderIsRefused(t *testing.T) {
	t.Parallel()
	addr := serveReal(t)
	get := func(padding int) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("GET", "http://"+addr+"/healthz", nil)
		req.Header.Set("X-Padding", strings.Repeat("a", padding))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	for _, padding := range []int{1 << 20, 65 << 10, 64 << 10} {
		resp := get(padding)
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("%d bytes of header: status %d, want 431", padding, resp.StatusCode)
		}
		if e := decode[errorBody](t, resp); e.Error.Code != backend.ETOOLARGE || !strings.Contains(e.Error.Message, "64 KB") {
			t.Errorf("%d bytes of header: error %+v, want too_large saying 64 KB", padding, e.Error)
		}
	}
	// Just under the limit, with what a client adds itself, is served.
	if resp := get(63 << 10); resp.StatusCode != http.StatusOK {
		t.Errorf("63 KB of header: status %d, want 200", resp.StatusCode)
	} else {
		resp.Body.Close()
	}
	// On a connection kept alive: the first request is answered as usual,
	// the oversized second one in JSON.
	out := rawExchange(t, addr, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"+
		"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: "+strings.Repeat("a", 70<<10)+"\r\n\r\n")
	first, second, _ := strings.Cut(out, "HTTP/1.1 431")
	if !strings.HasPrefix(first, "HTTP/1.1 200 OK") || !strings.Contains(second, "Content-Type: application/json") ||
		!strings.Contains(second, `{"error":{"code":"too_large"`) {
		t.Errorf("kept-alive connection got:\n%.600s", out)
	}
}

// TestServeThroughWrappedConnections: what the connection wrapper of Serve
// must not break works through it: a file download (sendfile, which needs
// the TCP connection's ReadFrom) and the events websocket (a hijacked
// connection).
func TestServeThroughWrappedConnections(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "doorstep.db"), sqlite.WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.CreateLandlord(ctx, "Maple Street Rentals", "America/Chicago", "landlord@a.test", "Landlord", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	files, err := filestore.Open(filepath.Join(dir, "files"), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	anon, _ := client.New("http://" + serveRealDB(t, db, httpapi.WithFiles(files)))
	sess, err := anon.SignIn(ctx, "landlord@a.test", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	c := anon.WithSession(sess.Token)
	content := bytes.Repeat([]byte("doorstep "), 100_000)
	f, err := c.UploadFile(ctx, "big.txt", bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if _, _, err := c.DownloadFile(ctx, f.ID, &got); err != nil || !bytes.Equal(got.Bytes(), content) {
		t.Errorf("download: %d bytes, %v; want the %d uploaded", got.Len(), err, len(content))
	}
	stream, err := c.Events(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	if ev, err := stream.Next(ctx); err != nil || ev.Type != backend.EventReady {
		t.Errorf("first event: %+v, %v; want ready", ev, err)
	}
}

// TestMalformedRequestIsAnswered: a request net/http cannot parse is
// refused before any handler runs, in JSON with invalid_input.
func TestMalformedRequestIsAnswered(t *testing.T) {
	t.Parallel()
	addr := serveReal(t)
	for raw, want := range map[string]string{
		"GET /healthz HTTP/1.1\r\n\r\n":                          "HTTP/1.1 400 Bad Request: missing required Host header\r\n",
		"GET /healthz HTTP/1.1\r\nHost: a b\r\n\r\n":             "HTTP/1.1 400 Bad Request: malformed Host header\r\n",
		"NONSENSE\r\n\r\n":                                       "HTTP/1.1 400 Bad Request\r\n",
		"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n": "HTTP/1.1 400 Bad Request\r\n",
	} {
		out := rawExchange(t, addr, raw)
		head, body, _ := strings.Cut(out, "\r\n\r\n")
		var e errorBody
		if !strings.HasPrefix(out, want) || !strings.Contains(head, "Content-Type: application/json") ||
			json.Unmarshal([]byte(body), &e) != nil || e.Error.Code != backend.EINVALID || e.Error.Message == "" {
			t.Errorf("%q: got\n%s\nwant %q and a JSON invalid_input", raw, out, want)
		}
	}
}

func TestEveryCodeHasAStatus(t *testing.T) {
	t.Parallel()
	for _, code := range backend.Codes {
		switch code {
		case backend.EINTERNAL:
			continue // 500 is its status
		case backend.EUNREACHABLE:
			continue // made by clients, never answered by the server
		}
		if httpapi.StatusFor(code) == http.StatusInternalServerError {
			t.Errorf("code %q maps to 500", code)
		}
	}
	if got := httpapi.StatusFor(backend.ERATELIMITED); got != http.StatusTooManyRequests {
		t.Errorf("rate_limited maps to %d, want 429", got)
	}
}
