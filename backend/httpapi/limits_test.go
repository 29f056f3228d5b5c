package httpapi_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"doorstep/backend"
	"doorstep/backend/client"
	"doorstep/backend/filestore"
	"doorstep/backend/httpapi"
	"doorstep/backend/sqlite"
)

// clock is the limits' clock in these tests: it moves only when told, so
// a lock-out ends exactly when the test says, with no sleeping.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// logBuffer is a log sink safe for the server's goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *logBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// lines returns the log lines holding every one of words.
func (l *logBuffer) lines(words ...string) []string {
	var out []string
	for line := range strings.Lines(l.String()) {
		all := true
		for _, w := range words {
			all = all && strings.Contains(line, w)
		}
		if all {
			out = append(out, strings.TrimSpace(line))
		}
	}
	return out
}

// limitWorld is a real server on loopback over a real SQLite file, with
// the limits' clock in the test's hands. The test plays a reverse proxy on
// loopback (trusted), so X-Forwarded-For picks each request's address.
type limitWorld struct {
	t     *testing.T
	db    *sqlite.DB
	url   string
	clock *clock
	logs  *logBuffer
}

const password = "correct horse battery"

func newLimitWorld(t *testing.T, opts ...httpapi.Option) *limitWorld {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "doorstep.db"), sqlite.WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	files, err := filestore.Open(filepath.Join(t.TempDir(), "files"), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	w := &limitWorld{t: t, db: db, clock: &clock{t: time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)}, logs: &logBuffer{}}
	opts = append([]httpapi.Option{
		httpapi.WithClock(w.clock.Now),
		httpapi.WithTrustedProxies(netip.MustParsePrefix("127.0.0.0/8")),
		httpapi.WithFiles(files),
	}, opts...)
	ts := httptest.NewServer(httpapi.NewServer(db, slog.New(slog.NewTextHandler(w.logs, nil)), opts...).Handler())
	t.Cleanup(ts.Close)
	w.url = ts.URL
	return w
}

// landlord adds a landlord account (its own organisation).
func (w *limitWorld) landlord(email string) {
	w.t.Helper()
	addLandlord(w.t, w.db, email)
}

// users adds n landlord accounts user0@… to user<n-1>@…: guesses at
// accounts that exist are checked at the tests' low bcrypt cost, where an
// unknown e-mail costs a full-cost check (against a dummy hash).
func (w *limitWorld) users(n int) {
	w.t.Helper()
	for i := range n {
		addLandlord(w.t, w.db, fmt.Sprintf("user%d@example.org", i))
	}
}

func addLandlord(t *testing.T, db *sqlite.DB, email string) {
	t.Helper()
	if _, err := db.CreateLandlord(context.Background(), "Org of "+email, "UTC", email, "Landlord", password); err != nil {
		t.Fatal(err)
	}
}

// forwardedFor is a transport that says, as a proxy would, which address
// the request came from.
type forwardedFor string

func (f forwardedFor) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", string(f))
	return http.DefaultTransport.RoundTrip(r)
}

// from is a Go client whose requests come from addr.
func (w *limitWorld) from(addr string) *client.Client {
	c, err := client.New(w.url, client.WithHTTPClient(&http.Client{Transport: forwardedFor(addr), Timeout: 10 * time.Second}))
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

func (w *limitWorld) signIn(addr, email, pw string) error {
	_, err := w.from(addr).SignIn(context.Background(), email, pw)
	return err
}

// wantLimited checks that err is a rate_limited answer, with a sentence
// holding want and a RetryAfter of retryAfter seconds (0: any).
func wantLimited(t *testing.T, err error, want string, retryAfter int) {
	t.Helper()
	var e *backend.Error
	if !errors.As(err, &e) || e.Code != backend.ERATELIMITED {
		t.Fatalf("err = %v, want rate_limited", err)
	}
	if !strings.Contains(e.Message, want) {
		t.Errorf("message = %q, want it to say %q", e.Message, want)
	}
	if e.RetryAfter <= 0 || (retryAfter > 0 && e.RetryAfter != retryAfter) {
		t.Errorf("RetryAfter = %d, want %d", e.RetryAfter, retryAfter)
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := backend.ErrorCode(err); got != code {
		t.Fatalf("err = %v, want %q", err, code)
	}
}

func TestSignInLockout(t *testing.T) {
	t.Parallel()
	const victim = "victim@example.org"
	const attacker = "203.0.113.9"

	t.Run("BurstOfWrongPasswordsLocksEvenTheRightOne", func(t *testing.T) {
		w := newLimitWorld(t)
		w.landlord(victim)
		for i := range 4 {
			wantCode(t, w.signIn(attacker, victim, fmt.Sprint("guess-", i)), backend.EUNAUTHORIZED)
		}
		// The fifth failure locks the account, and says so at once.
		wantLimited(t, w.signIn(attacker, victim, "guess-4"), "Too many failed sign-in attempts for this account. Try again in 1 minute.", 60)

		// The raw answer: 429, Retry-After, the code and the sentence.
		resp, err := http.Post(w.url+"/api/v1/auth/signin", "application/json",
			strings.NewReader(`{"email":"victim@example.org","password":"`+password+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		e := decode[errorBody](t, resp)
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "60" ||
			e.Error.Code != backend.ERATELIMITED || e.Error.RetryAfter != 60 {
			t.Errorf("right password during the lock-out: %d Retry-After %q %+v", resp.StatusCode, resp.Header.Get("Retry-After"), e.Error)
		}

		w.clock.Advance(59 * time.Second)
		wantLimited(t, w.signIn(attacker, victim, password), "for this account", 1)
		w.clock.Advance(time.Second)
		if err := w.signIn(attacker, victim, password); err != nil {
			t.Fatalf("right password after the lock-out: %v", err)
		}
	})

	t.Run("LockOutsGrowUpToTheCap", func(t *testing.T) {
		w := newLimitWorld(t)
		w.landlord(victim)
		for _, want := range []int{60, 120, 240, 480, 900, 900} {
			for i := range 4 {
				wantCode(t, w.signIn(attacker, victim, fmt.Sprint("guess-", i)), backend.EUNAUTHORIZED)
			}
			wantLimited(t, w.signIn(attacker, victim, "guess-4"), "for this account", want)
			w.clock.Advance(time.Duration(want) * time.Second)
		}
	})

	t.Run("SuccessResetsTheAccountsCount", func(t *testing.T) {
		w := newLimitWorld(t)
		w.landlord(victim)
		for range 3 {
			for i := range 4 {
				wantCode(t, w.signIn(attacker, victim, fmt.Sprint("typo-", i)), backend.EUNAUTHORIZED)
			}
			if err := w.signIn(attacker, victim, password); err != nil {
				t.Fatalf("right password after 4 typos: %v", err)
			}
		}
	})

	t.Run("AnyCaseIsOneAccount", func(t *testing.T) {
		w := newLimitWorld(t)
		w.landlord(victim)
		for i, e := range []string{"Victim@Example.org", "VICTIM@EXAMPLE.ORG", " victim@example.org", "victim@EXAMPLE.org"} {
			wantCode(t, w.signIn(attacker, e, fmt.Sprint("guess-", i)), backend.EUNAUTHORIZED)
		}
		wantLimited(t, w.signIn(attacker, victim, "guess-4"), "for this account", 60)
	})

	t.Run("OtherAccountsAndAddressesAreUnaffected", func(t *testing.T) {
		w := newLimitWorld(t)
		w.landlord(victim)
		w.landlord("other@example.org")
		for i := range 5 {
			w.signIn(attacker, victim, fmt.Sprint("guess-", i))
		}
		// The locked account is locked from everywhere new to it…
		wantLimited(t, w.signIn("198.51.100.20", victim, password), "for this account", 60)
		// …but the same address signs in to another account, and so does
		// another address.
		if err := w.signIn(attacker, "other@example.org", password); err != nil {
			t.Errorf("another account from the same address: %v", err)
		}
		if err := w.signIn("198.51.100.20", "other@example.org", password); err != nil {
			t.Errorf("another account from another address: %v", err)
		}
	})

	t.Run("TheLandlordsOwnAddressIsNotLockedOut", func(t *testing.T) {
		w := newLimitWorld(t)
		w.landlord(victim)
		const home = "192.0.2.44"
		if err := w.signIn(home, victim, password); err != nil {
			t.Fatal(err)
		}
		for i := range 5 {
			w.signIn(attacker, victim, fmt.Sprint("guess-", i))
		}
		wantLimited(t, w.signIn(attacker, victim, password), "for this account", 60)
		if err := w.signIn(home, victim, password); err != nil {
			t.Errorf("from the address the landlord signed in from before: %v", err)
		}
		// The landlord getting in does not lift the lock-out for others,
		// nor its place in the doubling.
		wantLimited(t, w.signIn(attacker, victim, password), "for this account", 60)
		w.clock.Advance(time.Minute)
		for i := range 4 {
			wantCode(t, w.signIn(attacker, victim, fmt.Sprint("guess-", i)), backend.EUNAUTHORIZED)
		}
		wantLimited(t, w.signIn(attacker, victim, "guess-4"), "for this account", 120)
	})

	t.Run("ParallelGuessesGetNoMoreChecks", func(t *testing.T) {
		w := newLimitWorld(t)
		w.landlord(victim)
		var mu sync.Mutex
		codes := map[string]int{}
		var wg sync.WaitGroup
		for i := range 40 {
			wg.Go(func() {
				err := w.signIn(fmt.Sprint("198.51.100.", i), victim, fmt.Sprint("guess-", i))
				mu.Lock()
				codes[backend.ErrorCode(err)]++
				mu.Unlock()
			})
		}
		wg.Wait()
		// Four wrong passwords are answered as such, the fifth locks; all
		// others are refused without a password check.
		if codes[backend.EUNAUTHORIZED] > 4 || codes[backend.EUNAUTHORIZED]+codes[backend.ERATELIMITED] != 40 {
			t.Errorf("answers: %v; want at most 4 unauthorized, the rest rate_limited", codes)
		}
	})
}

func TestSignInAddressLimits(t *testing.T) {
	t.Parallel()
	const attacker = "203.0.113.77"

	t.Run("OneAddressTryingManyAccountsIsLocked", func(t *testing.T) {
		w := newLimitWorld(t)
		w.landlord("real@example.org")
		w.users(20)
		for i := range 19 {
			wantCode(t, w.signIn(attacker, fmt.Sprintf("user%d@example.org", i), "Summer2026!"), backend.EUNAUTHORIZED)
		}
		wantLimited(t, w.signIn(attacker, "user19@example.org", "Summer2026!"), "Too many failed sign-in attempts from your network. Try again in 1 minute.", 60)
		// Locked for any account, even with the right password.
		wantLimited(t, w.signIn(attacker, "real@example.org", password), "from your network", 60)
		// Another address is unaffected.
		if err := w.signIn("198.51.100.3", "real@example.org", password); err != nil {
			t.Errorf("another address: %v", err)
		}
		w.clock.Advance(time.Minute)
		if err := w.signIn(attacker, "real@example.org", password); err != nil {
			t.Errorf("after the lock-out: %v", err)
		}
	})

	t.Run("SuccessDoesNotResetTheAddress", func(t *testing.T) {
		w := newLimitWorld(t)
		w.landlord("mine@example.org")
		w.users(20)
		for i := range 19 {
			w.signIn(attacker, fmt.Sprintf("user%d@example.org", i), "Summer2026!")
			if i%4 == 3 { // the attacker's own account, between guesses
				if err := w.signIn(attacker, "mine@example.org", password); err != nil {
					t.Fatal(err)
				}
			}
		}
		wantLimited(t, w.signIn(attacker, "user19@example.org", "Summer2026!"), "from your network", 60)
	})

	t.Run("AttemptsPerAddressAreRated", func(t *testing.T) {
		w := newLimitWorld(t)
		w.landlord("busy@example.org")
		for i := range 30 {
			if err := w.signIn(attacker, "busy@example.org", password); err != nil {
				t.Fatalf("sign-in %d: %v", i+1, err)
			}
		}
		// 30 a minute: the next one in 2 seconds.
		wantLimited(t, w.signIn(attacker, "busy@example.org", password), "Too many sign-in attempts from your network. Try again in 2 seconds.", 2)
		if err := w.signIn("198.51.100.4", "busy@example.org", password); err != nil {
			t.Errorf("another address: %v", err)
		}
		w.clock.Advance(2 * time.Second)
		if err := w.signIn(attacker, "busy@example.org", password); err != nil {
			t.Errorf("2 seconds later: %v", err)
		}
	})

	t.Run("IPv6CountsByItsSlash64", func(t *testing.T) {
		w := newLimitWorld(t)
		w.users(20)
		for i := range 19 {
			w.signIn(fmt.Sprintf("2001:db8:1:2::%x", i+1), fmt.Sprintf("user%d@example.org", i), "Summer2026!")
		}
		wantLimited(t, w.signIn("2001:db8:1:2:ffff::1", "user19@example.org", "Summer2026!"), "from your network", 60)
		wantCode(t, w.signIn("2001:db8:1:3::1", "user19@example.org", "Summer2026!"), backend.EUNAUTHORIZED)
	})
}

func TestRedeemLimits(t *testing.T) {
	t.Parallel()
	w := newLimitWorld(t)
	w.landlord("landlord@example.org")
	ctx := context.Background()
	org, err := w.db.OrgOfMainUser(ctx, "landlord@example.org")
	if err != nil {
		t.Fatal(err)
	}
	// A tenant to invite, straight into the database.
	tenant := seedTenant(t, w.db, org)
	invite := func() string {
		tok, err := w.db.CreateTenantInvite(ctx, org, tenant)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	const guesser = "203.0.113.50"

	t.Run("InviteGuessingIsThrottled", func(t *testing.T) {
		c := w.from(guesser)
		// 10 a minute, a failure counting 5: two guesses use it up.
		for range 2 {
			_, err := c.RedeemInvite(ctx, "guessed-token-"+strconv.Itoa(int(w.clock.Now().UnixNano())))
			wantCode(t, err, backend.EUNAUTHORIZED)
		}
		_, err := c.RedeemInvite(ctx, invite())
		wantLimited(t, err, "Too many sign-in links were tried from your network. Try again in 6 seconds.", 6)
		// Tenants elsewhere are unaffected.
		if _, err := w.from("198.51.100.8").RedeemInvite(ctx, invite()); err != nil {
			t.Errorf("a tenant at another address: %v", err)
		}
		w.clock.Advance(6 * time.Second)
		if _, err := c.RedeemInvite(ctx, invite()); err != nil {
			t.Errorf("after waiting: %v", err)
		}
		w.clock.Advance(time.Hour)
	})

	t.Run("PortalLinkGuessingIsThrottled", func(t *testing.T) {
		post := func(addr, token string) (*http.Response, string) {
			req, _ := http.NewRequest("POST", w.url+"/portal/i/"+token, nil)
			req.Header.Set("X-Forwarded-For", addr)
			resp, err := browser().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return resp, string(body)
		}
		for i := range 2 {
			if resp, _ := post(guesser, fmt.Sprint("guess-", i)); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("guess %d: %d", i, resp.StatusCode)
			}
		}
		resp, body := post(guesser, invite())
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "6" ||
			!strings.Contains(body, "Too many sign-in links were tried from your network. Try again in 6 seconds.") {
			t.Errorf("a third try: %d Retry-After %q\n%s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
		if resp, _ := post("198.51.100.9", invite()); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("a tenant at another address: %d", resp.StatusCode)
		}
	})
}

// browser is an HTTP client that does not follow redirects.
func browser() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func TestCreateLimits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("UploadsPerPerson", func(t *testing.T) {
		w := newLimitWorld(t, httpapi.WithLimits(limitsWith(func(l *httpapi.Limits) { l.CreateRate = httpapi.Rate{N: 3, Per: time.Minute} })))
		w.landlord("a@example.org")
		w.landlord("b@example.org")
		a := signedIn(t, w.from("192.0.2.1"), "a@example.org")
		for i := range 3 {
			if i%2 == 0 {
				if _, err := a.UploadFile(ctx, "lease.pdf", strings.NewReader("%PDF-1.4")); err != nil {
					t.Fatal(err)
				}
			} else if _, err := a.BeginUpload(ctx, anUpload); err != nil {
				t.Fatal(err)
			}
		}
		_, err := a.UploadFile(ctx, "one-more.pdf", strings.NewReader("%PDF-1.4"))
		wantLimited(t, err, "Too many files were sent in a short time. Try again in 20 seconds.", 20)
		_, err = a.BeginUpload(ctx, anUpload)
		wantLimited(t, err, "Too many files were sent", 20)
		// Another landlord at the same address is unaffected.
		b := signedIn(t, w.from("192.0.2.1"), "b@example.org")
		if _, err := b.UploadFile(ctx, "b.pdf", strings.NewReader("%PDF-1.4")); err != nil {
			t.Errorf("another person: %v", err)
		}
		w.clock.Advance(20 * time.Second)
		if _, err := a.UploadFile(ctx, "later.pdf", strings.NewReader("%PDF-1.4")); err != nil {
			t.Errorf("20 seconds later: %v", err)
		}
	})

	t.Run("UploadsPerAddress", func(t *testing.T) {
		w := newLimitWorld(t, httpapi.WithLimits(limitsWith(func(l *httpapi.Limits) { l.CreateRate = httpapi.Rate{N: 2, Per: time.Minute} })))
		// Five people behind one address: it gets 4 × 2 uploads a minute.
		var people []*client.Client
		for i := range 5 {
			email := fmt.Sprintf("p%d@example.org", i)
			w.landlord(email)
			people = append(people, signedIn(t, w.from("192.0.2.99"), email))
		}
		for i, p := range people[:4] {
			for range 2 {
				if _, err := p.BeginUpload(ctx, anUpload); err != nil {
					t.Fatalf("person %d: %v", i, err)
				}
			}
		}
		_, err := people[4].BeginUpload(ctx, anUpload)
		wantLimited(t, err, "Too many files were sent", 0)
		// The same person from another address is fine.
		w.landlord("elsewhere@example.org")
		other := signedIn(t, w.from("198.51.100.99"), "p4@example.org")
		if _, err := other.BeginUpload(ctx, anUpload); err != nil {
			t.Errorf("from another address: %v", err)
		}
	})

	t.Run("PortalLinksPerLandlord", func(t *testing.T) {
		w := newLimitWorld(t, httpapi.WithLimits(limitsWith(func(l *httpapi.Limits) { l.CreateRate = httpapi.Rate{N: 2, Per: time.Minute} })))
		w.landlord("l@example.org")
		org, _ := w.db.OrgOfMainUser(ctx, "l@example.org")
		tenant := seedTenant(t, w.db, org)
		l := signedIn(t, w.from("192.0.2.5"), "l@example.org")
		for range 2 {
			if _, err := l.CreateTenantInvite(ctx, tenant); err != nil {
				t.Fatal(err)
			}
		}
		_, err := l.CreateTenantInvite(ctx, tenant)
		wantLimited(t, err, "Too many portal links were made in a short time. Try again in 30 seconds.", 30)
	})
}

func TestEventsLimit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newLimitWorld(t, httpapi.WithLimits(limitsWith(func(l *httpapi.Limits) { l.EventsRate = httpapi.Rate{N: 3, Per: time.Minute} })))
	w.landlord("l@example.org")
	one := signedIn(t, w.from("192.0.2.5"), "l@example.org")
	for i := range 3 {
		s, err := one.Events(ctx, client.Live)
		if err != nil {
			t.Fatalf("connect %d: %v", i+1, err)
		}
		s.Close()
	}
	_, err := one.Events(ctx, client.Live)
	wantLimited(t, err, "The live connection was opened too often in a short time. Try again in 20 seconds.", 20)
	// Another session of the same landlord is its own.
	two := signedIn(t, w.from("192.0.2.5"), "l@example.org")
	s, err := two.Events(ctx, client.Live)
	if err != nil {
		t.Fatalf("another session: %v", err)
	}
	s.Close()
	w.clock.Advance(20 * time.Second)
	if s, err = one.Events(ctx, client.Live); err != nil {
		t.Fatalf("20 seconds later: %v", err)
	}
	s.Close()
}

func TestClientAddress(t *testing.T) {
	t.Parallel()
	t.Run("ForwardedForIgnoredFromAnUntrustedPeer", func(t *testing.T) {
		// The peer (loopback) is not a trusted proxy here.
		w := newLimitWorld(t)
		db, _ := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "d.db"), sqlite.WithBcryptCost(bcrypt.MinCost))
		defer db.Close()
		for i := range 20 {
			addLandlord(t, db, fmt.Sprintf("u%d@example.org", i))
		}
		ts := httptest.NewServer(httpapi.NewServer(db, slog.New(slog.NewTextHandler(w.logs, nil)), httpapi.WithClock(w.clock.Now)).Handler())
		defer ts.Close()
		c := func(addr string) *client.Client {
			c, _ := client.New(ts.URL, client.WithHTTPClient(&http.Client{Transport: forwardedFor(addr)}))
			return c
		}
		// A fresh made-up address for every guess does not help: the
		// guesses all count for the connection's address.
		for i := range 19 {
			_, err := c(fmt.Sprint("198.51.100.", i)).SignIn(context.Background(), fmt.Sprintf("u%d@example.org", i), "x")
			wantCode(t, err, backend.EUNAUTHORIZED)
		}
		_, err := c("198.51.100.200").SignIn(context.Background(), "u19@example.org", "x")
		wantLimited(t, err, "from your network", 60)
		if lines := w.logs.lines("msg=request", "client=198.51.100."); len(lines) > 0 {
			t.Errorf("the log believed X-Forwarded-For from an untrusted peer: %s", lines[0])
		}
		if len(w.logs.lines("msg=request", "client=127.0.0.1")) == 0 {
			t.Errorf("the log does not show the peer's address: %s", w.logs)
		}
	})

	t.Run("ForwardedForFromATrustedProxy", func(t *testing.T) {
		w := newLimitWorld(t, httpapi.WithTrustedProxies(netip.MustParsePrefix("10.0.0.0/8")))
		for _, tc := range []struct{ xff, want string }{
			{"203.0.113.5", "203.0.113.5"},
			// The right-most address that is not a trusted proxy; what the
			// client wrote further left is not believed.
			{"198.51.100.1, 203.0.113.6, 10.1.2.3", "203.0.113.6"},
			{"[2001:db8::7]:4711", "2001:db8::7"},
			{"::ffff:203.0.113.8", "203.0.113.8"},
			// Garbage where an address should be: the last trusted hop.
			{"203.0.113.9, not-an-address, 10.9.9.9", "10.9.9.9"},
			// Nothing but proxies: the left-most.
			{"10.0.0.1, 10.0.0.2", "10.0.0.1"},
		} {
			req, _ := http.NewRequest("GET", w.url+"/healthz", nil)
			req.Header.Set("X-Forwarded-For", tc.xff)
			req.Header.Set("User-Agent", "case "+tc.xff)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			lines := w.logs.lines("msg=request", `user_agent="case `+tc.xff+`"`)
			if len(lines) != 1 || !strings.Contains(lines[0], " client="+tc.want+" ") {
				t.Errorf("X-Forwarded-For %q: log %q, want client=%s", tc.xff, lines, tc.want)
			}
		}
	})

	t.Run("ForwardedProtoOnlyFromATrustedProxy", func(t *testing.T) {
		ctx := context.Background()
		for _, tc := range []struct {
			name       string
			trusted    string
			wantSecure bool
		}{
			{"Untrusted", "none", false},
			{"Trusted", "127.0.0.1", true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				prefixes, err := httpapi.ParseTrustedProxies(tc.trusted)
				if err != nil {
					t.Fatal(err)
				}
				db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "d.db"), sqlite.WithBcryptCost(bcrypt.MinCost))
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				db.CreateLandlord(ctx, "Org", "UTC", "l@example.org", "L", password)
				org, _ := db.OrgOfMainUser(ctx, "l@example.org")
				tok, err := db.CreateTenantInvite(ctx, org, seedTenant(t, db, org))
				if err != nil {
					t.Fatal(err)
				}
				ts := httptest.NewServer(httpapi.NewServer(db, slog.New(slog.DiscardHandler), httpapi.WithTrustedProxies(prefixes...)).Handler())
				defer ts.Close()
				req, _ := http.NewRequest("POST", ts.URL+"/portal/i/"+tok, nil)
				req.Header.Set("X-Forwarded-Proto", "https")
				resp, err := browser().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) != 2 {
					t.Fatalf("redeem: %d, cookies %v", resp.StatusCode, resp.Cookies())
				}
				for _, c := range resp.Cookies() {
					if c.Secure != tc.wantSecure {
						t.Errorf("cookie %s Secure = %v, want %v", c.Name, c.Secure, tc.wantSecure)
					}
				}
			})
		}
	})
}

func TestAccessLog(t *testing.T) {
	t.Parallel()
	t.Run("OffWritesNoRequestLinesButErrorsAndWarnings", func(t *testing.T) {
		w := newLimitWorld(t, httpapi.WithAccessLog(false))
		w.landlord("l@example.org")
		for i := range 5 {
			w.signIn("203.0.113.1", "l@example.org", fmt.Sprint("guess-", i))
		}
		if err := w.signIn("198.51.100.1", "l@example.org", password); backend.ErrorCode(err) != backend.ERATELIMITED {
			t.Fatalf("err = %v", err)
		}
		w.db.Close() // from here on, the health check fails
		resp, err := http.Get(w.url + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if lines := w.logs.lines("msg=request"); len(lines) > 0 {
			t.Errorf("request lines with the access log off: %q", lines)
		}
		if len(w.logs.lines("level=WARN", "sign-in locked for an account")) != 1 {
			t.Errorf("the lock-out warning is missing: %s", w.logs)
		}
		if len(w.logs.lines("level=ERROR", "health check")) != 1 {
			t.Errorf("the error is missing: %s", w.logs)
		}
	})
	t.Run("OnWritesOneLinePerRequest", func(t *testing.T) {
		w := newLimitWorld(t, httpapi.WithAccessLog(true))
		for range 3 {
			resp, err := http.Get(w.url + "/healthz")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
		if lines := w.logs.lines("msg=request", "path=/healthz", "status=200", "client=127.0.0.1"); len(lines) != 3 {
			t.Errorf("request lines: %q", lines)
		}
	})
}

// TestNoSecretInTheLog: lock-out warnings and request lines never hold a
// password or a link's token; the e-mail of a locked account is written
// only when it is plainly an e-mail address, since the e-mail field may
// hold a password typed in the wrong place.
func TestNoSecretInTheLog(t *testing.T) {
	t.Parallel()
	w := newLimitWorld(t, httpapi.WithAccessLog(true))
	w.landlord("victim@example.org")
	var secrets []string
	for i := range 5 {
		pw := fmt.Sprintf("Secret-Password-%d", i)
		secrets = append(secrets, pw)
		w.signIn("203.0.113.1", "Victim@Example.org", pw)
	}
	// A password typed into the e-mail field, five times. (It is an
	// account here only so that each try is checked at the tests' bcrypt
	// cost.)
	const typedInTheWrongField = "MyDog@Home 2019!"
	w.landlord(typedInTheWrongField)
	for range 5 {
		w.signIn("203.0.113.2", typedInTheWrongField, "whatever")
	}
	// Guessed links, through the API and the portal.
	for i := range 3 {
		tok := fmt.Sprintf("guessed-link-token-%d", i)
		secrets = append(secrets, tok)
		w.from("203.0.113.3").RedeemInvite(context.Background(), tok)
		req, _ := http.NewRequest("POST", w.url+"/portal/i/"+tok, nil)
		req.Header.Set("X-Forwarded-For", "203.0.113.3")
		if resp, err := browser().Do(req); err == nil {
			resp.Body.Close()
		}
	}
	logs := w.logs.String()
	for _, s := range append(secrets, typedInTheWrongField, password) {
		if strings.Contains(logs, s) {
			t.Errorf("the log holds %q", s)
		}
	}
	locked := w.logs.lines("level=WARN", "sign-in locked for an account")
	if len(locked) != 2 {
		t.Fatalf("lock-out warnings: %q", locked)
	}
	if !strings.Contains(locked[0], "account=victim@example.org") || !strings.Contains(locked[0], "client=203.0.113.1") {
		t.Errorf("the first lock-out does not name the account and address: %s", locked[0])
	}
	if !strings.Contains(locked[1], `account="(not an e-mail address)"`) {
		t.Errorf("the second lock-out: %s", locked[1])
	}
	if len(w.logs.lines("msg=request", "path=/portal/i/…")) != 3 {
		t.Errorf("the portal link requests are not logged without their token: %s", logs)
	}
}

// limitsWith is DefaultLimits changed by f.
func limitsWith(f func(*httpapi.Limits)) httpapi.Limits {
	l := httpapi.DefaultLimits()
	f(&l)
	return l
}

// signedIn signs email in through c.
func signedIn(t *testing.T, c *client.Client, email string) *client.Client {
	t.Helper()
	sess, err := c.SignIn(context.Background(), email, password)
	if err != nil {
		t.Fatal(err)
	}
	return c.WithSession(sess.Token)
}

// seedTenant imports one tenant on an Active lease into org.
func seedTenant(t *testing.T, db *sqlite.DB, org int64) int64 {
	t.Helper()
	ctx := context.Background()
	email := fmt.Sprintf("tenant-%d@example.org", org)
	if _, err := db.ImportDirectory(ctx, org, []backend.DirectoryRow{{Line: "line 2", Property: "Elm Court", Address: "12 Elm St", Unit: "1A",
		TenantName: "Tess Tenant", TenantEmail: email, TenantPhone: "555-0100", LeaseStart: "2025-01-01"}}); err != nil {
		t.Fatal(err)
	}
	m, err := db.TenantByEmail(ctx, email)
	id := m.ID
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// anUpload announces a small resumable upload.
var anUpload = backend.NewUpload{Name: "photo.jpg", Size: 3, SHA256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}
