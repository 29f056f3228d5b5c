package client_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"doorstep/backend"
	"doorstep/backend/client"
	"doorstep/backend/httpapi"
	"doorstep/backend/sqlite"
)

// startServer runs the real server handler over a real database on loopback.
func startServer(t *testing.T) (*httptest.Server, *sqlite.DB) {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "doorstep.db"), sqlite.WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ts := httptest.NewServer(httpapi.NewServer(db, slog.New(slog.NewTextHandler(io.Discard, nil))).Handler())
	t.Cleanup(ts.Close)
	return ts, db
}

// closedAddress returns a loopback address nobody listens on.
func closedAddress(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

func TestHealth(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		ts, db := startServer(t)
		c, err := client.New(ts.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		if c.BaseURL() != ts.URL {
			t.Errorf("BaseURL = %q, want %q", c.BaseURL(), ts.URL)
		}
		h, err := c.Health(ctx)
		if err != nil {
			t.Fatal(err)
		}
		id, _ := db.ServerID(ctx)
		if h.Status != "ok" || h.ServerID != id || h.Version != backend.Version {
			t.Errorf("health = %+v", h)
		}
	})

	t.Run("ErrUnreachable", func(t *testing.T) {
		c, err := client.New(closedAddress(t))
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Health(ctx)
		if backend.ErrorCode(err) != backend.EUNREACHABLE {
			t.Fatalf("err = %v, want code %s", err, backend.EUNREACHABLE)
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("err = %v does not keep the network cause", err)
		}
		if msg := backend.ErrorMessage(err); !strings.Contains(msg, "cannot be reached") {
			t.Errorf("message = %q", msg)
		}
	})

	t.Run("ErrUnavailable", func(t *testing.T) {
		ts, db := startServer(t)
		db.Close()
		c, _ := client.New(ts.URL)
		if _, err := c.Health(ctx); backend.ErrorCode(err) != backend.EUNAVAILABLE {
			t.Fatalf("err = %v, want code %s", err, backend.EUNAVAILABLE)
		}
	})

	t.Run("ErrNotADoorstepServer", func(t *testing.T) {
		for name, h := range map[string]http.HandlerFunc{
			"OtherJSON": func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"status":"ok"}`) },
			"HTML":      func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<html>hello</html>") },
			"404":       http.NotFound,
		} {
			t.Run(name, func(t *testing.T) {
				other := httptest.NewServer(h)
				defer other.Close()
				c, _ := client.New(other.URL)
				if _, err := c.Health(ctx); backend.ErrorCode(err) != backend.EINVALID {
					t.Fatalf("err = %v, want code %s", err, backend.EINVALID)
				}
			})
		}
	})

	t.Run("ErrHugeAnswer", func(t *testing.T) {
		huge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"service":"`+strings.Repeat("x", 9<<20)+`"}`)
		}))
		defer huge.Close()
		c, _ := client.New(huge.URL)
		if _, err := c.Health(ctx); backend.ErrorCode(err) != backend.ETOOLARGE {
			t.Fatalf("err = %v, want code %s", err, backend.ETOOLARGE)
		}
	})
}

func TestParseServerURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"http://127.0.0.1:8765", "http://127.0.0.1:8765"},
		{"  https://chat.example.org/  ", "https://chat.example.org"},
		{"https://example.org/doorstep/", "https://example.org/doorstep"},
	} {
		u, err := client.ParseServerURL(tc.in)
		if err != nil || u.String() != tc.want {
			t.Errorf("ParseServerURL(%q) = %v, %v; want %q", tc.in, u, err, tc.want)
		}
	}
	for _, bad := range []string{"", "127.0.0.1:8765", "ftp://host", "javascript:alert(1)", "http://", "http://u:p@host", "http://host/?q=1", "http://host/#x", "http://[::1"} {
		t.Run("ErrInvalid", func(t *testing.T) {
			if _, err := client.ParseServerURL(bad); backend.ErrorCode(err) != backend.EINVALID {
				t.Errorf("ParseServerURL(%q): err = %v, want %s", bad, err, backend.EINVALID)
			}
		})
	}
}

// A proxy or a server in trouble may answer 429 without Doorstep's JSON:
// the client still gives rate_limited with the header's wait, and takes the
// header's wait when the JSON has none.
func TestRateLimitedAnswer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body, header string
		want               int
	}{
		{"PlainText", "slow down", "17", 17},
		{"JSONWithoutWait", `{"error":{"code":"rate_limited","message":"Too many attempts."}}`, "9", 9},
		{"JSONWait", `{"error":{"code":"rate_limited","message":"Too many attempts.","retry_after":40}}`, "40", 40},
		{"DateHeaderIgnored", "slow down", "Wed, 21 Oct 2026 07:28:00 GMT", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", tc.header)
				w.WriteHeader(http.StatusTooManyRequests)
				io.WriteString(w, tc.body)
			}))
			defer ts.Close()
			c, err := client.New(ts.URL)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.SignIn(context.Background(), "a@example.org", "password-123")
			if code := backend.ErrorCode(err); code != backend.ERATELIMITED {
				t.Fatalf("code = %q (%v), want rate_limited", code, err)
			}
			if got := backend.RetryAfter(err); got != tc.want {
				t.Errorf("RetryAfter = %d, want %d", got, tc.want)
			}
		})
	}
}
