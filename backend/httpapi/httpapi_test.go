package httpapi_test

import (
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

	"doorstep/backend"
	"doorstep/backend/httpapi"
	"doorstep/backend/sqlite"
)

// newTestServer starts the real handler on loopback over a real SQLite file.
func newTestServer(t *testing.T) (*httptest.Server, *sqlite.DB) {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "doorstep.db"))
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

func TestHugeHeaderIsRefused(t *testing.T) {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "doorstep.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// The limit is on the real http.Server, so serve through it.
	srv := httpapi.NewServer(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Shutdown(context.Background())

	req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+"/healthz", nil)
	req.Header.Set("X-Padding", strings.Repeat("a", 1<<20))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("status = %d, want 431", resp.StatusCode)
	}
}

func TestEveryCodeHasAStatus(t *testing.T) {
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
