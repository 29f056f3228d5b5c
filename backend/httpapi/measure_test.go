package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"doorstep/backend"
	"doorstep/backend/httpapi"
	"doorstep/backend/sqlite"
)

// countingStore counts the passwords the store checks.
type countingStore struct {
	*sqlite.DB
	checks *atomic.Int64
}

func (s countingStore) SignIn(ctx context.Context, email, password string) (backend.Session, error) {
	s.checks.Add(1)
	return s.DB.SignIn(ctx, email, password)
}

// TestMeasureSignInGuessing reports how many wrong passwords the server
// checks (rather than refusing them unchecked), for one account and
// for one address trying many accounts: for one minute of real time at the
// real bcrypt cost, with the limits off (as before they existed) and with
// the default limits; then for an hour of simulated time with the default
// limits. It measures and asserts nothing about timing. Run it with
//
//	DOORSTEP_MEASURE=1 go test -tags sqlite_fts5 -run TestMeasureSignInGuessing -v ./backend/httpapi
func TestMeasureSignInGuessing(t *testing.T) {
	t.Parallel()
	if os.Getenv("DOORSTEP_MEASURE") == "" {
		t.Skip("set DOORSTEP_MEASURE=1 to measure")
	}
	ctx := context.Background()
	loopback := httpapi.WithTrustedProxies(netip.MustParsePrefix("127.0.0.0/8"))
	start := func(t *testing.T, cost int, accounts int, opts ...httpapi.Option) (string, *atomic.Int64) {
		db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "doorstep.db"), sqlite.WithBcryptCost(cost))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		for i := range accounts {
			if _, err := db.CreateLandlord(ctx, "Org", "UTC", fmt.Sprintf("user%d@example.org", i), "User", password); err != nil {
				t.Fatal(err)
			}
		}
		checks := new(atomic.Int64)
		ts := httptest.NewServer(httpapi.NewServer(countingStore{db, checks}, slog.New(slog.NewTextHandler(io.Discard, nil)), append(opts, loopback)...).Handler())
		t.Cleanup(ts.Close)
		return ts.URL, checks
	}
	// try makes one wrong sign-in for email from addr.
	try := func(t *testing.T, url, addr, email string, i int) {
		req, _ := http.NewRequest("POST", url+"/api/v1/auth/signin", strings.NewReader(fmt.Sprintf(`{"email":%q,"password":"guess-%d"}`, email, i)))
		req.Header.Set("X-Forwarded-For", addr)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	const accounts = 200
	scenarios := []struct {
		name        string
		addr, email func(i int) string
	}{
		// One account, from addresses that change with every try (the worst
		// case: a guesser with many addresses).
		{"one account", func(i int) string { return fmt.Sprintf("198.51.%d.%d", i/250%250, i%250+1) }, func(int) string { return "user0@example.org" }},
		// One address, a different account each time.
		{"one address", func(int) string { return "203.0.113.1" }, func(i int) string { return fmt.Sprintf("user%d@example.org", i%accounts) }},
	}

	// A minute of real time, two guessers at once, real bcrypt cost.
	const window = time.Minute
	for _, limits := range []struct {
		name string
		l    httpapi.Limits
	}{{"no limits (as before)", httpapi.NoLimits()}, {"default limits", httpapi.DefaultLimits()}} {
		for _, sc := range scenarios {
			url, checked := start(t, bcrypt.DefaultCost, accounts, httpapi.WithLimits(limits.l))
			var n atomic.Int64
			deadline := time.Now().Add(window)
			var wg sync.WaitGroup
			for range 2 {
				wg.Go(func() {
					for time.Now().Before(deadline) {
						i := int(n.Add(1))
						try(t, url, sc.addr(i), sc.email(i), i)
					}
				})
			}
			wg.Wait()
			t.Logf("%s, %s: %d passwords checked of %d tries in %s of real time (bcrypt cost %d)",
				limits.name, sc.name, checked.Load(), n.Load(), window, bcrypt.DefaultCost)
		}
	}

	// An hour of simulated time with the default limits, 4 tries a second
	// (faster than any limit, so the limits alone decide).
	for _, sc := range scenarios {
		c := &clock{t: time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)}
		url, checked := start(t, bcrypt.MinCost, accounts, httpapi.WithClock(c.Now))
		var firstMinute int64
		for i := range 4 * 3600 {
			if i == 4*60 {
				firstMinute = checked.Load()
			}
			try(t, url, sc.addr(i), sc.email(i), i)
			c.Advance(250 * time.Millisecond)
		}
		t.Logf("default limits, %s: %d passwords checked in the first minute, %d in an hour (simulated)", sc.name, firstMinute, checked.Load())
	}
}
