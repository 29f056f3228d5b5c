// Package storetest is the contract suite of the server's store: the
// behaviour every implementation of backend's store contracts must show,
// written against those interfaces only, so the SQLite store and any later
// one (PostgreSQL) run the very same tests:
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) storetest.Store { return openTestStore(t) })
//	}
//
// Tests of one implementation's own machinery (SQLite's group commit, its
// storage errors, its migrations) stay with that implementation.
package storetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"doorstep/backend"
)

// Store is a store under test: every contract of backend, and the Setup the
// suite uses to set a scene.
type Store interface {
	backend.Store
	backend.Accounts
	backend.NotificationQueue
	backend.Maintenance
	backend.CommitHooks
	backend.ChainSigning
	backend.SigningKeyRecord
	Setup
}

// Setup is what the suite needs of a store beyond its contracts: a rental
// directory to chat about, and a clock it can move.
type Setup interface {
	// SetClock replaces the store's clock: lease status, timestamps and
	// expiries follow it from then on.
	SetClock(now func() time.Time)
	// AddLease adds a lease to orgID's directory, making its property, unit
	// (by name) and tenants (by name and e-mail) when they do not exist yet. It
	// returns the unit's id and the tenants' ids, in the lease's order.
	AddLease(ctx context.Context, orgID int64, l Lease) (unitID int64, tenantIDs []int64, err error)
	// ImportDirectory adds the rows of an imported file to orgID's
	// directory (backend.CheckDirectoryRows first; nothing on any problem).
	ImportDirectory(ctx context.Context, orgID int64, rows []backend.DirectoryRow) (backend.ImportResult, error)
}

// Lease is one lease of a unit, as AddLease takes it.
type Lease struct {
	Property, Address, Unit string
	Start, End              string // YYYY-MM-DD; End "" is open-ended
	Tenants                 []Tenant
}

// Tenant is a tenant on a Lease.
type Tenant struct {
	Name, Email, Phone string
}

// Run runs the contract suite; newStore opens an empty store, with a
// signing key, that lives until the test ends. Every case gets a store of its own.
func Run(t *testing.T, newStore func(t *testing.T) Store) {
	for _, c := range []struct {
		name string
		test func(t *testing.T, w *world)
	}{
		{"Health", testHealth},
		{"Accounts", testAccounts},
		{"Sessions", testSessions},
		{"Invites", testInvites},
		{"SignOutEverywhere", testSignOutEverywhere},
		{"EndAllSessions", testEndAllSessions},
		{"LiveSessions", testLiveSessions},
		{"Directory", testDirectory},
		{"TenantRecord", testTenantRecord},
		{"TenantLanguage", testTenantLanguage},
		{"StartConversation", testStartConversation},
		{"GroupGainsTenantsWhoBecameActive", testGroupGainsTenants},
		{"Messages", testMessages},
		{"IdempotencyKeys", testIdempotencyKeys},
		{"GaplessSeqUnderConcurrency", testGaplessSeq},
		{"Paging", testPaging},
		{"ReadPositions", testReadPositions},
		{"ReadReceipts", testReadReceipts},
		{"MarkUnread", testMarkUnread},
		{"EventLog", testEventLog},
		{"EventsSinceAndResync", testEventsSinceAndResync},
		{"CommitHooks", testCommitHooks},
		{"Files", testFiles},
		{"LeaseEndClosesTheChat", testLeaseEnd},
		{"LeaseEndLimitsWhatATenantSees", testLeaseEndVisibility},
		{"NotificationOutbox", testNotificationOutbox},
		{"NewMessageEmails", testNewMessageEmails},
		{"SignInLinks", testSignInLinks},
		{"AttentionSettings", testAttentionSettings},
		{"Mutes", testMutes},
		{"UrgentMessages", testUrgentMessages},
		{"Chain", testChain},
		{"MessageTimesNeverGoBack", testMessageTimes},
		{"SignedHeads", testSignedHeads},
		{"SigningKeyRecord", testSigningKeyRecord},
		{"Templates", testTemplates},
		{"TemplatesBeforeAnyList", testTemplatesBeforeAnyList},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.test(t, newWorld(t, newStore(t)))
		})
	}
}

// world is a store with two landlords (the clock starts on 2026-06-15 at
// noon UTC and can be moved):
//
//	org A "Maple Street Rentals" (America/Chicago), a main user and a sub-user;
//	  Elm Court 1A: Alice + Bob, active until 2026-12-31 (a group)
//	  Elm Court 1B: Carol, expired 2026-03-31
//	  Elm Court 2A: Dan, future from 2026-09-01
//	  Elm Court 2B: Erin, active, open-ended; no phone number
//	  Birch Row 3A: Gina until 2026-06-30 and Hank, open-ended (a group
//	    where one lease ends first)
//	org B "Other Homes" (Europe/Berlin): Zed, active.
type world struct {
	t     *testing.T
	s     Store
	ctx   context.Context
	orgA  int64
	orgB  int64
	mu    sync.Mutex
	now   time.Time
	keys  atomic.Int64
	units map[string]int64
	// tenant ids by name
	tenants map[string]int64

	landlord backend.Principal // org A's main user
	subUser  backend.Principal // org A's sub-user
	other    backend.Principal // org B's main user
}

const password = "correct horse battery"

func newWorld(t *testing.T, s Store) *world {
	t.Helper()
	w := &world{t: t, s: s, ctx: context.Background(), units: map[string]int64{}, tenants: map[string]int64{}}
	w.setDate("2026-06-15")
	s.SetClock(w.clock)
	var err error
	if w.orgA, err = s.CreateLandlord(w.ctx, "Maple Street Rentals", "America/Chicago", "landlord@a.test", "Pat Landlord", password); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(w.ctx, w.orgA, "deputy@a.test", "Sam Deputy", password, false); err != nil {
		t.Fatal(err)
	}
	if w.orgB, err = s.CreateLandlord(w.ctx, "Other Homes", "Europe/Berlin", "landlord@b.test", "Kim Other", password); err != nil {
		t.Fatal(err)
	}
	for _, l := range []struct {
		org                        int64
		property, unit, start, end string
		tenants                    []string
		phoneless                  bool
	}{
		{w.orgA, "Elm Court", "1A", "2025-01-01", "2026-12-31", []string{"Alice", "Bob"}, false},
		{w.orgA, "Elm Court", "1B", "2025-04-01", "2026-03-31", []string{"Carol"}, false},
		{w.orgA, "Elm Court", "2A", "2026-09-01", "", []string{"Dan"}, false},
		{w.orgA, "Elm Court", "2B", "2024-05-01", "", []string{"Erin"}, true},
		{w.orgA, "Birch Row", "3A", "2026-01-01", "2026-06-30", []string{"Gina"}, false},
		{w.orgA, "Birch Row", "3A", "2026-01-01", "", []string{"Hank"}, false},
		{w.orgB, "Linden", "L1", "2025-01-01", "", []string{"Zed"}, false},
	} {
		lease := Lease{Property: l.property, Address: "1 " + l.property, Unit: l.unit, Start: l.start, End: l.end}
		for _, name := range l.tenants {
			phone := "555-0100"
			if l.phoneless {
				phone = ""
			}
			lease.Tenants = append(lease.Tenants, Tenant{Name: name, Email: strings.ToLower(name) + "@tenant.test", Phone: phone})
		}
		unit, ids, err := s.AddLease(w.ctx, l.org, lease)
		if err != nil {
			t.Fatalf("lease of %s: %v", l.unit, err)
		}
		w.units[l.unit] = unit
		for i, name := range l.tenants {
			w.tenants[name] = ids[i]
		}
	}
	w.landlord = w.signIn("landlord@a.test").Me.Principal
	w.subUser = w.signIn("deputy@a.test").Me.Principal
	w.other = w.signIn("landlord@b.test").Me.Principal
	return w
}

// run runs f as a subtest, the world's helpers failing that subtest
// meanwhile. Subtests of a case run one after the other.
func (w *world) run(t *testing.T, name string, f func(t *testing.T)) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		parent := w.t
		w.t = t
		defer func() { w.t = parent }()
		f(t)
	})
}

func (w *world) clock() time.Time { w.mu.Lock(); defer w.mu.Unlock(); return w.now }

// setDate moves the clock to noon UTC on date (YYYY-MM-DD).
func (w *world) setDate(date string) {
	d, err := time.Parse(backend.DateLayout, date)
	if err != nil {
		w.t.Fatal(err)
	}
	w.mu.Lock()
	w.now = d.Add(12 * time.Hour)
	w.mu.Unlock()
}

// advance moves the clock forward by d.
func (w *world) advance(d time.Duration) { w.mu.Lock(); w.now = w.now.Add(d); w.mu.Unlock() }

func (w *world) signIn(email string) backend.Session {
	w.t.Helper()
	s, err := w.s.SignIn(w.ctx, email, password)
	if err != nil {
		w.t.Fatalf("sign in %s: %v", email, err)
	}
	return s
}

// tenant opens a session for a tenant through an invite and returns who
// they are.
func (w *world) tenant(name string) backend.Principal {
	w.t.Helper()
	return w.tenantSession(name).Me.Principal
}

func (w *world) tenantSession(name string) backend.Session {
	w.t.Helper()
	org := w.orgA
	if name == "Zed" {
		org = w.orgB
	}
	tok, err := w.s.CreateTenantInvite(w.ctx, org, w.tenants[name])
	if err != nil {
		w.t.Fatalf("invite %s: %v", name, err)
	}
	s, err := w.s.RedeemInvite(w.ctx, tok)
	if err != nil {
		w.t.Fatalf("redeem %s: %v", name, err)
	}
	return s
}

// key returns a fresh message key.
func (w *world) key() string { return fmt.Sprintf("key-%08d", w.keys.Add(1)) }

// start starts a chat as the landlord, or fails the test.
func (w *world) start(req backend.StartConversation) backend.Conversation {
	w.t.Helper()
	c, _, err := w.s.StartConversation(w.ctx, w.landlord, req)
	if err != nil {
		w.t.Fatalf("start %+v: %v", req, err)
	}
	return c
}

// group starts (or reopens) the group chat of a unit.
func (w *world) group(unit string) backend.Conversation {
	w.t.Helper()
	return w.start(backend.StartConversation{UnitID: w.units[unit]})
}

// send sends text as p, or fails the test.
func (w *world) send(p backend.Principal, convID int64, text string) backend.Message {
	w.t.Helper()
	m, err := w.s.SendMessage(w.ctx, p, convID, backend.SendMessage{Key: w.key(), Text: text})
	if err != nil {
		w.t.Fatalf("send %q: %v", text, err)
	}
	return m
}

// must returns v, failing the test on err.
func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// wantCode fails the test unless err carries code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := backend.ErrorCode(err); got != code {
		t.Fatalf("err = %v, want code %s", err, code)
	}
}

// wantRefusal fails the test unless err carries code and exactly message.
func wantRefusal(t *testing.T, err error, code, message string) {
	t.Helper()
	wantCode(t, err, code)
	if got := backend.ErrorMessage(err); got != message {
		t.Errorf("message = %q, want %q", got, message)
	}
}

// receive waits for a value from ch, failing the test after a while.
func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: nothing arrived", what)
	}
	var zero T
	return zero
}
